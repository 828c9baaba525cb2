package web_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/web"
)

// The figures' caches are keyed by when the rollups were last brought up
// to date: a refresh on another process (the tick runs on the leader)
// reaches this replica's API and CSV at once, not 30 seconds later.
func TestFiguresFollowRefreshElsewhere(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		keys := seal.NewRandom()
		f := staffServer(t, st, web.Deps{Keys: keys})
		ids := whLetters(t, st, keys, 2)
		if err := st.MarkSent(ctx, ids[0], "sendgrid", "m1", "ok", true, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := st.RefreshRollups(ctx); err != nil {
			t.Fatal(err)
		}
		l, err := st.LetterByID(ctx, ids[0])
		if err != nil {
			t.Fatal(err)
		}
		camp := strconv.FormatInt(l.CampaignID, 10)
		tok := bearer(t, st, addUser(t, st, fmt.Sprintf("org-%d@example.org", time.Now().UnixNano()), auth.Organizer))
		api := func() int64 {
			t.Helper()
			code, body := do(t, http.DefaultClient, http.MethodGet, f.srv.URL+"/api/v1/metrics/response-rates?group_by=campaign&campaign="+camp, tok, "", "")
			var ans struct {
				Groups []struct {
					Delivered int64 `json:"delivered"`
				} `json:"groups"`
			}
			if code != 200 || json.Unmarshal([]byte(body), &ans) != nil || len(ans.Groups) != 1 {
				t.Fatalf("api %d %s", code, body)
			}
			return ans.Groups[0].Delivered
		}
		export := func() string {
			t.Helper()
			code, body := do(t, http.DefaultClient, http.MethodGet, f.srv.URL+"/admin/dashboard/export?table=campaign&campaign="+camp, tok, "", "")
			recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
			if code != 200 || err != nil || len(recs) != 2 || recs[0][3] != "delivered" {
				t.Fatalf("export %d %v %q", code, err, body)
			}
			return recs[1][3]
		}
		if got := api(); got != 1 {
			t.Fatalf("api: %d delivered, want 1", got)
		}
		if got := export(); got != "1" {
			t.Fatalf("export: %s delivered, want 1", got)
		}
		// the second letter is delivered and the leader's tick refreshes its
		// office: nothing on this replica forgets its cache
		if err := st.MarkSent(ctx, ids[1], "sendgrid", "m2", "ok", true, time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.RefreshChangedRollups(ctx, 1000); err != nil {
			t.Fatal(err)
		}
		if got := api(); got != 2 {
			t.Fatalf("api after the refresh: %d delivered, want 2", got)
		}
		if got := export(); got != "2" {
			t.Fatalf("export after the refresh: %s delivered, want 2", got)
		}
	})
}
