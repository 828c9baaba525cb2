package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
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
		`<span class="muted">(every Monday at 9:00)</span>`,
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

	if _, page := do(t, http.DefaultClient, http.MethodGet, a.srv.URL+"/admin/deliveries?status=failed", tokens[auth.Admin], "", ""); !strings.Contains(page, "Requeue selected") {
		t.Errorf("the failed letter cannot be requeued from the list")
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

// TestDeliveriesNamesNotIds: the deliveries page filters by campaign
// title (a select, not a typed id), lists each letter's member by name and
// seat and its status in words; a letter's page names the member and the
// campaign and shows the letter's text with the sender hidden.
func TestDeliveriesNamesNotIds(t *testing.T) {
	st := storetest.SQLite(t)
	a := newActionServer(t, st, "names-not-ids", campaign.Live)
	ids := confirmedSupporter(t, a, supporter("94110", "CA"))
	c := browserClient(t)
	signIn(t, c, a.srv.URL, addUser(t, st, "names@families.example.org", auth.Campaigner).Email)
	code, page := getPage(t, c, fmt.Sprintf("%s/admin/deliveries?campaign=%d", a.srv.URL, a.camp.ID))
	if code != 200 {
		t.Fatalf("deliveries: %d", code)
	}
	l, err := st.LetterByID(context.Background(), ids[0])
	if err != nil {
		t.Fatal(err)
	}
	m, ok := directory(t).Member(l.BioguideID)
	if !ok {
		t.Fatalf("no member %s", l.BioguideID)
	}
	for _, want := range []string{
		`<select id="f-campaign" name="campaign"><option value="">All campaigns</option>`,
		fmt.Sprintf(`<option value="%d" selected>Reunite separated families</option>`, a.camp.ID),
		`<option value="failed">Failed</option>`,
		fmt.Sprintf(`<a href="/admin/campaigns/%d">Reunite separated families</a>`, a.camp.ID),
		m.Name + " (",
		`<td>Waiting to be sent</td>`,
		`tabindex="0" role="region" aria-label="Letters"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("deliveries page lacks %q", want)
		}
	}
	if strings.Contains(page, `name="campaign" type="text"`) {
		t.Errorf("the campaign filter is still a typed id")
	}
	if strings.Contains(page, "Requeue selected") {
		t.Errorf("a requeue button with nothing to requeue")
	}
	code, page = getPage(t, c, fmt.Sprintf("%s/admin/deliveries/%d", a.srv.URL, ids[0]))
	if code != 200 {
		t.Fatalf("letter page: %d", code)
	}
	for _, want := range []string{m.Name, "office " + l.OfficeCode, `>Reunite separated families</a>`, `id="letter-text"`, "Oversight of family separations",
		"separated from her son for 11 months", "Waiting to be sent"} {
		if !strings.Contains(page, want) {
			t.Errorf("letter page lacks %q", want)
		}
	}
	// The sender is hidden: not their name, street, email or phone.
	for _, secret := range []string{"García", "3200 24th St", "ana@example.org", "555-0134"} {
		if strings.Contains(page, secret) {
			t.Errorf("letter page shows the sender's %q", secret)
		}
	}
	// The replies inbox names the campaign, links the letter, and says the
	// decision in words.
	rid, err := st.AddInboundReply(context.Background(), store.InboundReply{LetterID: ids[0]}, func(int64) (string, error) { return "-", nil })
	if err != nil {
		t.Fatal(err)
	}
	_, page = getPage(t, c, a.srv.URL+"/admin/responses/inbox")
	for _, want := range []string{fmt.Sprintf(`<a href="/admin/deliveries/%d">Letter #%d</a> to`, ids[0], ids[0]),
		fmt.Sprintf(`<a href="/admin/campaigns/%d">Reunite separated families</a>`, a.camp.ID)} {
		if !strings.Contains(page, want) {
			t.Errorf("inbox lacks %q", want)
		}
	}
	form := url.Values{"_csrf": {csrfFrom(t, c, a.srv.URL+"/admin/responses/inbox")}, "decision": {"substantive"}}
	if code, _, _ := postForm(t, c, fmt.Sprintf("%s/admin/responses/inbox/%d", a.srv.URL, rid), form); code != http.StatusSeeOther {
		t.Fatalf("classify: %d", code)
	}
	if _, page = getPage(t, c, a.srv.URL+"/admin/responses/inbox"); !strings.Contains(page, fmt.Sprintf("Reply %d recorded: a substantive answer (a position or an action).", rid)) {
		t.Errorf("classification message not in words")
	}
}

// TestResponseFormInWords: the response form names members (by state)
// and says its choices in words; the values posted stay the API's.
func TestResponseFormInWords(t *testing.T) {
	st := storetest.SQLite(t)
	f := staffServer(t, st, web.Deps{})
	c := browserClient(t)
	signIn(t, c, f.srv.URL, addUser(t, st, "words@example.org", auth.Campaigner).Email)
	m := directory(t).Members()[0]
	code, page := getPage(t, c, f.srv.URL+"/admin/responses/new?office="+m.BioguideID)
	if code != 200 {
		t.Fatalf("form: %d", code)
	}
	for _, want := range []string{
		`<option value="written_reply">A written reply (letter or email)</option>`,
		`<option value="acknowledgement">Only an acknowledgement that the letter arrived</option>`,
		`<optgroup label="` + m.State + `">`,
		`<option value="` + m.BioguideID + `" selected>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("response form lacks %q", want)
		}
	}
	if strings.Contains(page, `>written_reply<`) || strings.Contains(page, "bioguide id of the member") {
		t.Errorf("response form still shows raw values")
	}
}

// TestCampaignEditorPickerAndLinks: the editor offers every merge field
// and the current release's figures (with the values letters quote today)
// to insert at the cursor; a refusal reads "Summary (English) is
// required"; a saved campaign links to its public page, letters, packets,
// follow-ups and versions.
func TestCampaignEditorPickerAndLinks(t *testing.T) {
	st := storetest.SQLite(t)
	a := newActionServer(t, st, "editor-links", campaign.Draft) // with the demonstration release
	c := browserClient(t)
	signIn(t, c, a.srv.URL, addUser(t, st, "editor@families.example.org", auth.Campaigner).Email)
	code, page := getPage(t, c, fmt.Sprintf("%s/admin/campaigns/%d", a.srv.URL, a.camp.ID))
	if code != 200 {
		t.Fatalf("editor: %d", code)
	}
	rel, err := st.LatestRelease(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<div class="picker" id="field-picker" hidden>`,
		`<option value="{{.first_name}}">first_name: `,
		fmt.Sprintf(`<optgroup label="Statistics (release %d of `, rel.ID),
		`synthetic demonstration figures)`,
		`<option value="{{release_id}}">`,
		`<a href="/c/editor-links">Public page</a>`,
		fmt.Sprintf(`<a href="/admin/campaigns/%d/packets">Packets</a>`, a.camp.ID),
		fmt.Sprintf(`<a href="/admin/followups/%d">Follow-ups</a>`, a.camp.ID),
		fmt.Sprintf(`<a href="/admin/campaigns/%d/versions">Versions</a>`, a.camp.ID),
		fmt.Sprintf(`<a href="/admin/deliveries?campaign=%d">Letters</a>`, a.camp.ID),
	} {
		if !strings.Contains(page, want) {
			t.Errorf("editor lacks %q", want)
		}
	}
	// A published figure is offered with the value letters quote.
	if !regexp.MustCompile(`<option value="{{stat &#34;[a-z_]+&#34;}}">[a-z_]+: [0-9]`).MatchString(page) {
		t.Errorf("no figure offered with its value")
	}
	v := formValues("editor-refused")
	v.Set("_csrf", csrfFrom(t, c, a.srv.URL+"/admin/campaigns/new"))
	v.Set("summary_en", "")
	code, body, _ := postForm(t, c, a.srv.URL+"/admin/campaigns", v)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, `<a href="#summary_en">Summary (English) is required</a>`) {
		t.Errorf("refusal: %d", code)
	}
}

// TestDashboardFreshnessAndCaveats: the dashboard says how old its
// figures are, "Refresh now" rebuilds them at once (keeping the filters),
// a rate from fewer than ten letters says so, and the chart writes each
// bar's value.
func TestDashboardFreshnessAndCaveats(t *testing.T) {
	st := storetest.SQLite(t)
	a := newActionServer(t, st, "dash-fresh", campaign.Live)
	ids := confirmedSupporter(t, a, supporter("94110", "CA"))
	c := browserClient(t)
	signIn(t, c, a.srv.URL, addUser(t, st, "organizer@families.example.org", auth.Organizer).Email)
	dash := fmt.Sprintf("%s/admin/dashboard?campaign=%d", a.srv.URL, a.camp.ID)
	_, page := getPage(t, c, dash)
	if !strings.Contains(page, "Figures not computed yet") {
		t.Errorf("before any refresh: no 'not computed yet'")
	}
	if err := st.MarkSent(context.Background(), ids[0], "sendgrid", "sg-1", "accepted", true, time.Now()); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"_csrf": {csrfFrom(t, c, dash)}, "back": {fmt.Sprintf("/admin/dashboard?campaign=%d", a.camp.ID)}}
	code, _, loc := postForm(t, c, a.srv.URL+"/admin/dashboard/refresh", form)
	if code != http.StatusSeeOther || loc != fmt.Sprintf("/admin/dashboard?campaign=%d", a.camp.ID) {
		t.Fatalf("refresh: %d %q", code, loc)
	}
	_, page = getPage(t, c, a.srv.URL+loc)
	for _, want := range []string{
		`<div><dt>Letters delivered</dt><dd>1</dd></div>`,
		`<span class="caveat">from 1 letter only</span>`,
		`class="chart-value">0.0% (n=1)</text>`,
		`<input type="hidden" name="back" value="/admin/dashboard?campaign=` + fmt.Sprint(a.camp.ID) + `">`,
		`<input id="f-state" name="state" type="text"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("dashboard after refresh lacks %q", want)
		}
	}
	if !regexp.MustCompile(`<strong>Figures updated (just now|[0-9]+ seconds ago)</strong>`).MatchString(page) {
		t.Errorf("dashboard after refresh does not say how fresh it is")
	}
	if !strings.Contains(page, "Figures updated.") {
		t.Error("the refresh does not say it updated the figures")
	}
	// Pressed again within 10 seconds: nothing is rebuilt, and the page
	// says how fresh the figures already are.
	if code, _, loc = postForm(t, c, a.srv.URL+"/admin/dashboard/refresh", form); code != http.StatusSeeOther {
		t.Fatalf("second refresh: %d", code)
	}
	_, page = getPage(t, c, a.srv.URL+loc)
	if !regexp.MustCompile(`The figures were rebuilt (just now|[0-9]+ seconds ago); they are rebuilt at most every 10 seconds\.`).MatchString(page) ||
		strings.Contains(page, "Figures updated.") {
		t.Error("a second refresh within the window does not say the figures were already fresh")
	}
	// Only the dashboard is a place to go back to.
	form.Set("back", "https://evil.example.org/")
	if _, _, loc := postForm(t, c, a.srv.URL+"/admin/dashboard/refresh", form); loc != "/admin/dashboard" {
		t.Errorf("refresh sent back to %q", loc)
	}
}

// TestLivePreviewProblemsInWords: the editor's live preview (JSON) says a
// template error in words and quotes the line split at the position, so
// the page can mark it.
func TestLivePreviewProblemsInWords(t *testing.T) {
	st := storetest.SQLite(t)
	f := staffServer(t, st, web.Deps{})
	c := browserClient(t)
	signIn(t, c, f.srv.URL, addUser(t, st, "live@example.org", auth.Campaigner).Email)
	tok := csrfFrom(t, c, f.srv.URL+"/admin/campaigns/new")
	form := url.Values{"subject": {"Hello"}, "targets": {"both"}, "template": {"{{.salutation}},\r\n\r\nFrom {{.frist_name}} in {{.city}}."}}
	req, err := http.NewRequest(http.MethodPost, f.srv.URL+"/admin/campaigns/preview", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", tok)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Ready    bool `json:"ready"`
		Problems []struct {
			Text, Before, At, After string
			Excerpt                 bool
		} `json:"problems"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != 200 {
		t.Fatalf("preview: %d %v", resp.StatusCode, err)
	}
	if got.Ready || len(got.Problems) != 1 {
		t.Fatalf("preview of a broken letter: %+v", got)
	}
	p := got.Problems[0]
	if !strings.HasPrefix(p.Text, "Letter, line 3, column ") || !p.Excerpt || p.Before+p.At+p.After != "From {{.frist_name}} in {{.city}}." || p.At == "" {
		t.Errorf("problem %+v", p)
	}
}
