package web_test

import (
	"strings"
	"testing"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/web"
)

// TestDeliveriesFilterOffersTheRegisteredChannels: the channel filter of
// /admin/deliveries offers the channels main registered, in its order,
// and no others.
func TestDeliveriesFilterOffersTheRegisteredChannels(t *testing.T) {
	st := storetest.SQLite(t)
	f := staffServer(t, st, web.Deps{Channels: []delivery.Channel{"cwc", "fax", "outbox"}})
	addUser(t, st, "campaigner@example.org", auth.Campaigner)
	c := browserClient(t)
	signIn(t, c, f.srv.URL, "campaigner@example.org")
	code, page := getPage(t, c, f.srv.URL+"/admin/deliveries?channel=fax")
	if code != 200 {
		t.Fatalf("deliveries page: %d", code)
	}
	_, sel, _ := strings.Cut(page, `name="channel">`)
	sel, _, _ = strings.Cut(sel, "</select>")
	if want := `<option value="">Any channel</option><option>cwc</option><option selected>fax</option><option>outbox</option>`; sel != want {
		t.Errorf("channel filter:\n%s\nwant\n%s", sel, want)
	}
}
