package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery/outbox"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/web"
)

// clockedActionServer is newActionServer with a clock, and no mail jobs
// (sending needs none).
func clockedActionServer(t *testing.T, st *store.Store, slug string, clk *clock) *actionFixture {
	t.Helper()
	keys := seal.NewRandom()
	if _, err := st.SeedDemo(context.Background(), store.DemoOptions{}, store.Audit{Action: "test"}); err != nil {
		t.Fatal(err)
	}
	c, err := st.CreateCampaign(context.Background(), campaign.Campaign{
		Slug: slug, Title: "Reunite separated families", SummaryEN: "Families were separated at the border.", SummaryES: "Familias fueron separadas en la frontera.",
		Targets: campaign.TargetBoth, LOCTopic: "Immigration", Status: campaign.Live,
		Subject: "Oversight of family separations, from {{.first_name}} {{.last_name}}", Template: demoTemplate,
	}, store.Audit{Action: "test"})
	if err != nil {
		t.Fatal(err)
	}
	f := staffServer(t, st, web.Deps{Keys: keys, Mailer: outboxMail{outbox.New(st, keys)}, BaseURL: "http://act.example.org",
		OrgName: "Families Together", Now: clk.Now})
	return &actionFixture{staffFixture: f, keys: keys, camp: c}
}

// sendMany posts n sends at once, each with its own email, from one
// client address, and returns how many were accepted and refused (429).
func (a *actionFixture) sendMany(t *testing.T, n int, tag string) (ok, refused int) {
	t.Helper()
	codes, bodies, err := released(n, func(i int) (func() (int, string, error), error) {
		v := supporter("94110", "CA")
		v.Set("email", fmt.Sprintf("volunteer-%s-%d@example.org", tag, i))
		return formPost(browserClient(t), a.srv.URL+"/c/"+a.camp.Slug, a.srv.URL+"/c/"+a.camp.Slug+"/send", v)
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, code := range codes {
		switch {
		case code == 200 && strings.Contains(bodies[i], "Check your email"):
			ok++
		case code == http.StatusTooManyRequests && strings.Contains(bodies[i], "Please wait a little"):
			refused++
		default:
			t.Fatalf("send %d: %d %s", i, code, bodies[i])
		}
	}
	return ok, refused
}

// TestTablingEventRaisesIPLimitForAPeriod: one connection gets the usual
// 20 letters an hour, even when 24 arrive at once; a tabling event made by
// campaign staff through the API raises the campaign's limit, is audited,
// and ends by itself.
func TestTablingEventRaisesIPLimitForAPeriod(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clk := &clock{now: time.Now().UTC()}
		slug := fmt.Sprintf("tabling-%s-%d", st.Dialect(), time.Now().UnixNano())
		a := clockedActionServer(t, st, slug, clk)
		staff := addUser(t, st, "tabling-"+slug+"@example.org", auth.Campaigner)
		tok := bearer(t, st, staff)
		organizer := bearer(t, st, addUser(t, st, "org-"+slug+"@example.org", auth.Organizer))
		api := a.srv.URL + "/api/v1/campaigns/" + fmt.Sprint(a.camp.ID) + "/tabling-events"

		if ok, refused := a.sendMany(t, 24, "a"); ok != 20 || refused != 4 {
			t.Fatalf("without an event: %d accepted, %d refused; want 20 and 4", ok, refused)
		}

		// Refused input, with every reason; an organizer may read, not write.
		code, body := do(t, http.DefaultClient, http.MethodPost, api, tok, "application/json",
			`{"ends_at": "`+clk.Now().Add(-time.Minute).Format(time.RFC3339)+`", "ip_limit": 20, "note": "a\u202eb"}`)
		if code != 422 || !strings.Contains(body, `"ip_limit"`) || !strings.Contains(body, "must be after the start") || !strings.Contains(body, `"note"`) {
			t.Fatalf("bad event: %d %s", code, body)
		}
		code, body = do(t, http.DefaultClient, http.MethodPost, api, tok, "application/json",
			`{"ends_at": "`+clk.Now().Add(8*24*time.Hour).Format(time.RFC3339)+`", "ip_limit": 30}`)
		if code != 422 || !strings.Contains(body, "at most 7 days") {
			t.Fatalf("an event of 8 days: %d %s", code, body)
		}
		if code, _ := do(t, http.DefaultClient, http.MethodPost, api, organizer, "application/json", `{"ends_at": "2099-01-01T00:00:00Z", "ip_limit": 30}`); code != 403 {
			t.Fatalf("organizer created an event: %d", code)
		}
		if code, body := do(t, http.DefaultClient, http.MethodGet, api, organizer, "", ""); code != 200 || !strings.Contains(body, `"ip_limit_now":20`) {
			t.Fatalf("organizer reads: %d %s", code, body)
		}

		code, body = do(t, http.DefaultClient, http.MethodPost, api, tok, "application/json",
			`{"ends_at": "`+clk.Now().Add(30*time.Minute).Format(time.RFC3339)+`", "ip_limit": 30, "note": "Library steps, Saturday"}`)
		if code != 201 {
			t.Fatalf("create event: %d %s", code, body)
		}
		var ev struct {
			ID      int64  `json:"id"`
			IPLimit int    `json:"ip_limit"`
			State   string `json:"state"`
		}
		if err := json.Unmarshal([]byte(body), &ev); err != nil || ev.IPLimit != 30 || ev.State != "active" {
			t.Fatalf("event: %s %v", body, err)
		}
		if ok, refused := a.sendMany(t, 14, "b"); ok != 10 || refused != 4 {
			t.Fatalf("during the event: %d accepted, %d refused; want 10 and 4", ok, refused)
		}
		// Only this campaign: the event is the campaign's, not the address's.
		if n, ok, _ := st.TablingIPLimit(ctx, a.camp.ID+1, clk.Now()); ok {
			t.Fatalf("another campaign got limit %d", n)
		}

		// It ends by itself: 31 minutes later the 30 letters of the last
		// hour are over the usual 20.
		clk.Add(31 * time.Minute)
		if ok, refused := a.sendMany(t, 1, "c"); ok != 0 || refused != 1 {
			t.Fatalf("after the event: %d accepted, %d refused", ok, refused)
		}
		if code, body := do(t, http.DefaultClient, http.MethodGet, api, tok, "", ""); code != 200 || !strings.Contains(body, `"state":"over"`) || !strings.Contains(body, `"ip_limit_now":20`) {
			t.Fatalf("list after the event: %d %s", code, body)
		}

		// Audited, without personal data.
		entries, err := st.AuditLog(ctx, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range entries {
			if e.Action == "campaign.tabling.create" && e.ObjectID == fmt.Sprint(a.camp.ID) && e.ActorID == staff.ID && strings.Contains(e.Detail, "30 letters per connection per hour") {
				found = true
			}
		}
		if !found {
			t.Error("no audit entry for the tabling event")
		}
	})
}

// TestTablingPages: campaign staff see the limit in force, add an event
// from the page (a refused form keeps what was typed), and end it early.
func TestTablingPages(t *testing.T) {
	st := storetest.SQLite(t)
	clk := &clock{now: time.Date(2026, 12, 5, 14, 0, 0, 0, time.UTC)}
	a := clockedActionServer(t, st, "tabling-pages", clk)
	addUser(t, st, "camp@example.org", auth.Campaigner)
	c := browserClient(t)
	signIn(t, c, a.srv.URL, "camp@example.org")
	page := a.srv.URL + "/admin/campaigns/" + fmt.Sprint(a.camp.ID) + "/tabling"

	_, body := getBody(t, c, a.srv.URL+"/admin/campaigns/"+fmt.Sprint(a.camp.ID))
	if !strings.Contains(body, `href="/admin/campaigns/`+fmt.Sprint(a.camp.ID)+`/tabling"`) {
		t.Error("the campaign page does not link to its tabling events")
	}
	code, body := getBody(t, c, page)
	if code != 200 || !strings.Contains(body, "the usual limit, <strong>20</strong>") || !strings.Contains(body, `value="2026-12-05T14:00"`) {
		t.Fatalf("tabling page: %d %s", code, body)
	}
	tok := csrfFrom(t, c, page)
	code, body, _ = postForm(t, c, page, url.Values{"_csrf": {tok}, "starts_at": {"2026-12-05T14:00"}, "ends_at": {"2026-12-05T13:00"},
		"ip_limit": {"lots"}, "note": {"Union hall"}})
	body = html.UnescapeString(body)
	if code != 422 || !strings.Contains(body, "ip_limit: must be a whole number") || !strings.Contains(body, "ends_at: must be after the start") ||
		strings.Contains(body, "more than the usual") || !strings.Contains(body, `value="lots"`) || !strings.Contains(body, `value="Union hall"`) {
		t.Fatalf("refused form: %d %s", code, body)
	}
	if evs, _ := st.TablingEvents(context.Background(), a.camp.ID); len(evs) != 0 {
		t.Fatal("a refused form saved an event")
	}
	code, _, loc := postForm(t, c, page, url.Values{"_csrf": {tok}, "starts_at": {"2026-12-05T14:00"}, "ends_at": {"2026-12-05T20:00"},
		"ip_limit": {"150"}, "note": {"Union hall"}})
	if code != http.StatusSeeOther || loc != "/admin/campaigns/"+fmt.Sprint(a.camp.ID)+"/tabling" {
		t.Fatalf("save: %d %s", code, loc)
	}
	_, body = getBody(t, c, page)
	if !strings.Contains(body, "<strong>150</strong> letters per connection per hour, set by a tabling event") || !strings.Contains(body, "Union hall") ||
		!strings.Contains(body, "Tabling event saved") {
		t.Fatalf("after saving: %s", body)
	}
	if n, ok, _ := st.TablingIPLimit(context.Background(), a.camp.ID, clk.Now()); !ok || n != 150 {
		t.Fatalf("limit in force: %d %v", n, ok)
	}
	evs, _ := st.TablingEvents(context.Background(), a.camp.ID)
	code, _, _ = postForm(t, c, page+"/"+fmt.Sprint(evs[0].ID)+"/end", url.Values{"_csrf": {tok}})
	if code != http.StatusSeeOther {
		t.Fatalf("end: %d", code)
	}
	_, body = getBody(t, c, page)
	if !strings.Contains(body, "the usual limit, <strong>20</strong>") || !strings.Contains(body, "(ended early)") {
		t.Fatalf("after ending: %s", body)
	}
	if _, ok, _ := st.TablingIPLimit(context.Background(), a.camp.ID, clk.Now()); ok {
		t.Fatal("the ended event still raises the limit")
	}
}

func getBody(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	b := new(strings.Builder)
	_, _ = ioCopy(b, resp)
	return resp.StatusCode, b.String()
}
