package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/followup"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/web"
)

// TestStaffHomeOverview: the staff home shows today's letters by status,
// the failed letters (linked to the deliveries filtered on them), the
// replies waiting for classification, the next scheduled runs and the
// warnings about channels; each part only to a role that may open the
// page behind it.
func TestStaffHomeOverview(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			st := storetest.Unmigrated(t, d)
			if _, err := st.Migrate(context.Background(), discard()); err != nil {
				t.Fatal(err)
			}
			staffHomeOverview(t, st, "home-"+string(d))
		})
	}
}

func staffHomeOverview(t *testing.T, st *store.Store, slug string) {
	ctx := context.Background()
	a := newActionServerDeps(t, st, slug, campaign.Live, func(d *web.Deps) {
		d.Channels = []delivery.Channel{"cwc", "sendgrid", "outbox"} // the build has them; configuration turned none on
	})
	ids := confirmedSupporter(t, a, supporter("94110", "CA")) // three letters, kept in the outbox
	if err := st.MarkFailed(ctx, ids[0], "cwc", "the office's form refused the letter", time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddInboundReply(ctx, store.InboundReply{LetterID: ids[1]}, func(int64) (string, error) { return "-", nil }); err != nil {
		t.Fatal(err)
	}
	sp, err := followup.ParseSpec("0 9 * * 1", "America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	next := sp.Next(time.Now())
	if _, err := st.CreateSchedule(ctx, store.Schedule{CampaignID: &a.camp.ID, Kind: followup.KindWave, Cron: sp.Expr, TimeZone: "America/New_York",
		NextRunAt: next, Enabled: true}, store.Audit{Action: "test"}); err != nil {
		t.Fatal(err)
	}
	tokens := map[auth.Role]string{}
	for _, r := range auth.Roles {
		tokens[r] = bearer(t, st, addUser(t, st, fmt.Sprintf("%s-%s@families.example.org", r, slug), r))
	}
	code, body := do(t, http.DefaultClient, http.MethodGet, a.srv.URL+"/admin", tokens[auth.Admin], "", "")
	if code != 200 {
		t.Fatalf("/admin: %d %s", code, body)
	}
	for _, want := range []string{
		`<a href="/admin/deliveries?status=pending">Waiting to be sent</a>: <strong>2</strong>`,
		`<a href="/admin/deliveries?status=failed">Failed</a>: <strong>1</strong>`,
		`3 letters written today.`,
		`<strong>1 letter has failed</strong>`,
		`<a href="/admin/deliveries?status=failed">see the failed letters</a>`,
		`<strong>1 reply is waiting</strong> to be classified: <a href="/admin/responses/inbox">`,
		`<strong>` + sp.Plain(next) + `</strong>: Delivery wave`,
		`No delivery channel is configured`,
		`Not configured on this server: CWC (Communicating with Congress); Email (SendGrid) to the office&#39;s contact.`,
		`<a href="/admin/campaigns/` + fmt.Sprint(a.camp.ID) + `/coverage?channel=none">Reunite separated families</a>: ` +
			fmt.Sprint(len(directory(t).Members())) + ` offices have no channel that reaches them (2 letters waiting)`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("admin home lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(body)
	}

	// An organizer sees the schedule, not letters nor replies; a case
	// editor none of it.
	_, body = do(t, http.DefaultClient, http.MethodGet, a.srv.URL+"/admin", tokens[auth.Organizer], "", "")
	if !strings.Contains(body, `id="overview-schedule"`) || strings.Contains(body, `id="overview-letters"`) || strings.Contains(body, `id="overview-replies"`) {
		t.Errorf("organizer's home shows the wrong parts")
	}
	_, body = do(t, http.DefaultClient, http.MethodGet, a.srv.URL+"/admin", tokens[auth.CaseEditor], "", "")
	if strings.Contains(body, `class="overview-part"`) {
		t.Errorf("case editor's home shows an overview part")
	}
	// Nothing failed, nothing pending: said plainly.
	if err := st.ClassifyInboundReply(ctx, mustFirstPending(t, st), "discard", store.Audit{Action: "test"}); err != nil {
		t.Fatal(err)
	}
	_, body = do(t, http.DefaultClient, http.MethodGet, a.srv.URL+"/admin", tokens[auth.Campaigner], "", "")
	if !strings.Contains(body, "No reply is waiting to be classified.") {
		t.Errorf("campaigner's home: no 'no reply waiting'")
	}
}

func mustFirstPending(t *testing.T, st *store.Store) int64 {
	t.Helper()
	rs, err := st.InboundReplies(context.Background(), "pending", 10)
	if err != nil || len(rs) == 0 {
		t.Fatalf("pending replies: %v %v", rs, err)
	}
	return rs[0].ID
}
