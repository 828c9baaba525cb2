package web_test

import (
	"context"
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery/deliverytest"
	"github.com/outreach-org/outreach/internal/delivery/outbox"
	"github.com/outreach-org/outreach/internal/delivery/sendgrid"
	"github.com/outreach-org/outreach/internal/jobs"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/supportermail"
	"github.com/outreach-org/outreach/internal/web"
)

type actionFixture struct {
	*staffFixture
	keys *seal.Keys
	camp campaign.Campaign
	// mailed reports each supporter-mail job River finished.
	mailed <-chan *river.Event
}

// mailJobs runs the supporter-mail worker (the confirmation email, the
// copy of the letters and the opt-in request) on a River client of st,
// keeping them in the outbox, as outreach worker does; it returns an
// insert-only client for web.Deps.Jobs (outreach serve's) and the jobs'
// outcomes. Delivery jobs wait (no delivery worker here).
func mailJobs(t testing.TB, st *store.Store, keys *seal.Keys, base, org string) (*jobs.Client, <-chan *river.Event) {
	return mailJobsWith(t, st, keys, base, org, supportermail.OutboxMailer{Store: st, Keys: keys})
}

// mailJobsWith is mailJobs with another mailer (SendGrid's, to a fake).
func mailJobsWith(t testing.TB, st *store.Store, keys *seal.Keys, base, org string, m supportermail.Mailer) (*jobs.Client, <-chan *river.Event) {
	t.Helper()
	workers := river.NewWorkers()
	river.AddWorker(workers, &supportermail.Worker{Store: st, Mailer: m, Links: supportermail.Links{BaseURL: base, Keys: keys}, OrgName: org})
	client, err := jobs.New(st.DB(), st.Dialect() == store.Postgres, jobs.Options{Workers: workers, Logger: discard(),
		Queues: map[string]river.QueueConfig{supportermail.Queue: {MaxWorkers: 2}}, FetchPollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	events, cancel := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled)
	if err := client.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		ctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		_ = client.Stop(ctx)
	})
	inserter, err := jobs.New(st.DB(), st.Dialect() == store.Postgres, jobs.Options{Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	return inserter, events
}

// waitMail waits until every supporter email of the campaign queued so
// far was handled (its job ran), and fails if a job failed.
func (a *actionFixture) waitMail(t *testing.T) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		var n int
		if err := a.store.DB().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM supporter_mail m JOIN submissions s ON s.id = m.submission_id"+
			" WHERE m.status IN ('queued','sending') AND s.campaign_id = "+strconv.FormatInt(a.camp.ID, 10)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		select {
		case ev := <-a.mailed:
			if ev.Kind != river.EventKindJobCompleted {
				t.Fatalf("supporter-mail job %s: %v", ev.Kind, ev.Job.Errors)
			}
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("%d supporter emails still waiting after 30 s", n)
		}
	}
}

const demoTemplate = `{{.salutation}},

I am a constituent from {{.city}}, {{.state}}. {{stat "children_separated"}} children were separated from their parents.
{{if .personal_note}}
{{.personal_note}}
{{end}}
Sincerely,
{{.first_name}} {{.last_name}}`

// newActionServer serves a live (or status) campaign; edit, when given,
// changes the campaign before it is created.
func newActionServer(t *testing.T, st *store.Store, slug string, status campaign.Status, edit ...func(*campaign.Campaign)) *actionFixture {
	t.Helper()
	return newActionServerDeps(t, st, slug, status, nil, edit...)
}

// newActionServerDeps is newActionServer with web.Deps changed by deps
// (when not nil) before the server starts.
func newActionServerDeps(t *testing.T, st *store.Store, slug string, status campaign.Status, deps func(*web.Deps), edit ...func(*campaign.Campaign)) *actionFixture {
	t.Helper()
	keys := seal.NewRandom()
	// The demonstration release, unless the test published a release of
	// its own (letters quoting synthetic figures never reach an office).
	if _, err := st.LatestRelease(context.Background()); errors.Is(err, store.ErrNotFound) {
		if _, err := st.SeedDemo(context.Background(), store.DemoOptions{}, store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
	} else if err != nil {
		t.Fatal(err)
	}
	camp := campaign.Campaign{
		Slug: slug, Title: "Reunite separated families", SummaryEN: "Families were separated at the border.", SummaryES: "Familias fueron separadas en la frontera.",
		Targets: campaign.TargetBoth, LOCTopic: "Immigration", Status: status,
		Subject: "Oversight of family separations, from {{.first_name}} {{.last_name}}", Template: demoTemplate,
	}
	for _, e := range edit {
		e(&camp)
	}
	c, err := st.CreateCampaign(context.Background(), camp, store.Audit{Action: "test"})
	if err != nil {
		t.Fatal(err)
	}
	client, mailed := mailJobs(t, st, keys, "http://act.example.org", "Families Together")
	d := web.Deps{Keys: keys, Jobs: client, BaseURL: "http://act.example.org", OrgName: "Families Together", InboundSecret: inboundSecret}
	if deps != nil {
		deps(&d)
	}
	f := staffServer(t, st, d)
	return &actionFixture{staffFixture: f, keys: keys, camp: c, mailed: mailed}
}

func supporter(zip, state string) url.Values {
	return url.Values{"prefix": {"Ms."}, "first_name": {"Ana"}, "last_name": {"García"}, "email": {"ana@example.org"},
		"address1": {"3200 24th St"}, "city": {"San Francisco"}, "state": {state}, "zip": {zip}, "phone": {"(415) 555-0134"},
		"note": {"My cousin was separated from her son for 11 months."}}
}

// post sends a form with the page's CSRF token. A send without the
// review's "reviewed" field reviews the letters first, as the page does,
// and sends the letters it showed.
func (a *actionFixture) post(t *testing.T, c *http.Client, path string, form url.Values) (int, string) {
	t.Helper()
	form.Set("_csrf", csrfFrom(t, c, a.srv.URL+"/c/"+a.camp.Slug))
	if strings.HasSuffix(path, "/send") && !form.Has("reviewed") {
		_, page, _ := postForm(t, c, a.srv.URL+strings.TrimSuffix(path, "/send"), form)
		if m := reviewedField.FindStringSubmatch(page); m != nil {
			form.Set("reviewed", m[1])
		}
	}
	code, body, _ := postForm(t, c, a.srv.URL+path, form)
	return code, body
}

// reviewedField is the review page's digest of the letters it shows.
var reviewedField = regexp.MustCompile(`name="reviewed" value="([0-9a-f]*)"`)

var linkRE = regexp.MustCompile(`http://act\.example\.org(/c/[a-z0-9-]+/confirm\?[^\s]+)`)

// lastEmail returns the newest supporter email in the outbox.
func (a *actionFixture) lastEmail(t *testing.T) supportermail.Email {
	t.Helper()
	a.waitMail(t)
	msgs, err := a.store.Outbox(context.Background(), "supporter", 0, 1)
	if err != nil || len(msgs) == 0 {
		t.Fatalf("no supporter email in the outbox: %v", err)
	}
	st, err := outbox.Open(a.keys, msgs[0].ID, msgs[0].Sealed)
	if err != nil || st.Email == nil {
		t.Fatalf("open outbox message: %v", err)
	}
	return *st.Email
}

// confirmLink is the link of the newest confirmation email (a copy of
// earlier letters, sent by a job, may be newer).
func (a *actionFixture) confirmLink(t *testing.T) string {
	t.Helper()
	a.waitMail(t)
	msgs, err := a.store.Outbox(context.Background(), "supporter", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range msgs {
		st, err := outbox.Open(a.keys, msg.ID, msg.Sealed)
		if err != nil || st.Email == nil {
			t.Fatalf("open outbox message: %v", err)
		}
		if m := linkRE.FindStringSubmatch(st.Email.Text); m != nil {
			return m[1]
		}
	}
	t.Fatalf("no confirmation link in the last %d supporter emails", len(msgs))
	return ""
}

func (a *actionFixture) confirm(t *testing.T, c *http.Client, link string) (int, string) {
	t.Helper()
	resp, err := c.Get(a.srv.URL + link)
	if err != nil {
		t.Fatal(err)
	}
	b := new(strings.Builder)
	_, _ = ioCopy(b, resp)
	if resp.StatusCode != 200 {
		return resp.StatusCode, b.String()
	}
	tok := csrfField.FindStringSubmatch(b.String())
	u, _ := url.Parse(link)
	code, body, _ := postForm(t, c, a.srv.URL+u.Path, url.Values{"_csrf": {tok[1]}, "t": {u.Query().Get("t")}})
	return code, body
}

func TestActionFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		slug := "flow-" + strings.ToLower(strings.ReplaceAll(t.Name()[len("TestActionFlow/"):], "_", "-"))
		a := newActionServer(t, st, slug, campaign.Live)
		c := browserClient(t)
		ctx := context.Background()

		resp, body := a.get(t, "/c/"+slug)
		if resp.StatusCode != 200 || !strings.Contains(body, "Reunite separated families") || !strings.Contains(body, `name="first_name"`) {
			t.Fatalf("campaign page: %d", resp.StatusCode)
		}
		for _, lang := range []string{"en", "es"} {
			_, page := a.get(t, "/c/"+slug+"?lang="+lang)
			if m := regexp.MustCompile(`\[[a-z_]+\.[a-z_.]+\]`).FindString(page); m != "" {
				t.Errorf("%s page shows an untranslated key %s", lang, m)
			}
		}
		// review: three letters exactly as delivered, with the paragraph in place
		code, body := a.post(t, c, "/c/"+slug, supporter("94110", "CA"))
		if code != 200 || strings.Count(body, `class="letter"`) != 3 {
			t.Fatalf("review: %d\n%s", code, body)
		}
		for _, want := range []string{"Dear Representative Pelosi", "Dear Senator Padilla", "Dear Senator Schiff", "My cousin was separated", "from Ana García"} {
			if !strings.Contains(html.UnescapeString(body), want) {
				t.Errorf("review lacks %q", want)
			}
		}
		// Every letter cites the (synthetic) release it quotes, labelled.
		rel, err := st.LatestRelease(ctx)
		if err != nil {
			t.Fatal(err)
		}
		citation := "Figures: synthetic demonstration data, not real cases (Families Together statistics release " + strconv.FormatInt(rel.ID, 10) +
			" of " + rel.CreatedAt.UTC().Format("January 2, 2006") + ", http://act.example.org/stats)."
		if n := strings.Count(html.UnescapeString(body), "Ana García\n\n"+citation); n != 3 {
			t.Errorf("review: %d letters end with the citation %q", n, citation)
		}
		// send: stored, confirmation email, no letter yet
		code, body = a.post(t, c, "/c/"+slug+"/send", supporter("94110", "CA"))
		if code != 200 || !strings.Contains(body, "Check your email") {
			t.Fatalf("send: %d", code)
		}
		if n, _ := st.LetterCounts(ctx, a.camp.ID); len(n) != 0 {
			t.Fatalf("letters exist before confirmation: %v", n)
		}
		mail := a.lastEmail(t)
		if mail.To != "ana@example.org" || !strings.Contains(mail.Headers["List-Unsubscribe"], "/u?") || mail.Headers["List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click" {
			t.Errorf("confirmation email: %+v", mail)
		}
		if !strings.Contains(mail.Text, "/forget?") {
			t.Error("no delete-my-data link in the email")
		}
		link := a.confirmLink(t)
		// the link shows a button; GET alone changes nothing
		if code, _ := status(t, c, a.srv.URL+link); code != 200 {
			t.Fatalf("confirm page: %d", code)
		}
		if n, _ := st.LetterCounts(ctx, a.camp.ID); len(n) != 0 {
			t.Fatal("GET of the link created letters")
		}
		code, body = a.confirm(t, c, link)
		if code != 200 || !strings.Contains(body, "Thank you!") || !strings.Contains(body, "http://act.example.org/c/"+slug) {
			t.Fatalf("confirm: %d %s", code, body)
		}
		counts, _ := st.LetterCounts(ctx, a.camp.ID)
		if counts["pending"] != 3 {
			t.Fatalf("letters after confirmation: %v", counts)
		}
		letters, _ := st.Letters(ctx, store.LetterFilter{CampaignID: a.camp.ID})
		for _, l := range letters {
			if l.TemplateVer != a.camp.TemplateVersion || strings.Contains(l.Sealed, "García") {
				t.Errorf("letter %d: version %d, sealed in clear: %v", l.ID, l.TemplateVer, strings.Contains(l.Sealed, "García"))
			}
		}
		a.waitMail(t)
		if cp := a.lastEmail(t); !strings.Contains(cp.Text, "Dear Senator Schiff") || cp.Subject != "Your letters to Congress" || !strings.Contains(cp.Text, citation) {
			t.Errorf("copy email: %q", cp.Subject)
		}
		for _, l := range letters {
			if l.StatsReleaseID == nil || *l.StatsReleaseID != rel.ID {
				t.Errorf("letter %d records release %v, want %d", l.ID, l.StatsReleaseID, rel.ID)
			}
		}
		// the second click does nothing more
		code, body = a.confirm(t, c, link)
		if code != 200 || !strings.Contains(body, "Already confirmed") {
			t.Errorf("second confirm: %d", code)
		}
		if counts, _ := st.LetterCounts(ctx, a.camp.ID); counts["pending"] != 3 {
			t.Errorf("second confirm changed letters: %v", counts)
		}
		// the same email again on the same campaign: no second letter
		code, body = a.post(t, c, "/c/"+slug+"/send", supporter("94110", "CA"))
		if code != 200 || !strings.Contains(body, "already written to these offices") {
			t.Errorf("repeat action: %d", code)
		}
	})
}

// TestActionOptInByJob: the opt-in box records the request with the
// confirmation, and the job emails the copy and the opt-in link, which
// completes the double opt-in.
func TestActionOptInByJob(t *testing.T) {
	st := storetest.SQLite(t)
	a := newActionServer(t, st, "optin", campaign.Live)
	c := browserClient(t)
	ctx := context.Background()
	v := supporter("94110", "CA")
	v.Set("optin", "on")
	if code, _ := a.post(t, c, "/c/optin/send", v); code != 200 {
		t.Fatalf("send: %d", code)
	}
	if code, body := a.confirm(t, c, a.confirmLink(t)); code != 200 || !strings.Contains(body, "Thank you!") {
		t.Fatalf("confirm: %d", code)
	}
	a.waitMail(t)
	msgs, err := st.Outbox(ctx, "supporter", 0, 2)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("outbox: %d %v", len(msgs), err)
	}
	var link string
	subjects := map[string]bool{}
	for _, m := range msgs {
		o, err := outbox.Open(a.keys, m.ID, m.Sealed)
		if err != nil || o.Email == nil {
			t.Fatal(err)
		}
		subjects[o.Email.Subject] = true
		if m := regexp.MustCompile(`http://act\.example\.org(/optin\?[^\s]+)`).FindStringSubmatch(o.Email.Text); m != nil {
			link = m[1]
		}
	}
	if !subjects["Your letters to Congress"] || !subjects["Confirm that you want to hear from Families Together"] || link == "" {
		t.Fatalf("emails after confirming with the opt-in box: %v (opt-in link %q)", subjects, link)
	}
	idx := a.keys.Index("email", "ana@example.org")
	if ok, _ := st.OptInConfirmed(ctx, idx); ok {
		t.Fatal("opted in before following the link")
	}
	resp, err := c.Get(a.srv.URL + link)
	if err != nil {
		t.Fatal(err)
	}
	b := new(strings.Builder)
	ioCopy(b, resp)
	tok := csrfField.FindStringSubmatch(b.String())
	u, _ := url.Parse(link)
	if code, _, _ := postForm(t, c, a.srv.URL+"/optin", url.Values{"_csrf": {tok[1]}, "t": {u.Query().Get("t")}}); code != 200 {
		t.Fatalf("opt-in: %d", code)
	}
	if ok, _ := st.OptInConfirmed(ctx, idx); !ok {
		t.Error("not opted in after following the link")
	}
}

func ioCopy(b *strings.Builder, resp *http.Response) (int64, error) {
	defer resp.Body.Close()
	buf := make([]byte, 32<<10)
	var n int64
	for {
		k, err := resp.Body.Read(buf)
		b.Write(buf[:k])
		n += int64(k)
		if err != nil {
			return n, nil
		}
	}
}

func TestActionBadInputKeepsWhatWasTyped(t *testing.T) {
	st := storetest.SQLite(t)
	a := newActionServer(t, st, "bad-input", campaign.Live)
	c := browserClient(t)
	cases := []struct {
		name  string
		edit  func(url.Values)
		field string
		msg   string
	}{
		{"missing", func(v url.Values) { v.Del("first_name"); v.Set("email", "") }, "first_name", "This is required"},
		{"state not the ZIP's", func(v url.Values) { v.Set("state", "NV") }, "state", "ZIP code 94110 is in CA"},
		{"10 KB paragraph", func(v url.Values) { v.Set("note", strings.Repeat("a", 10<<10)) }, "note", "at most 1500 characters"},
		{"script tags", func(v url.Values) { v.Set("note", "<script>alert(1)</script>") }, "note", "without HTML tags"},
		{"CR/LF in a name", func(v url.Values) { v.Set("last_name", "García\r\nBcc: x@example.org") }, "last_name", "letters, spaces"},
		{"bad phone", func(v url.Values) { v.Set("phone", "12") }, "phone", "10-digit"},
		{"unknown ZIP", func(v url.Values) { v.Set("zip", "00000") }, "zip", "No one lives"},
		{"PO box ZIP", func(v url.Values) { v.Set("zip", "12345"); v.Set("state", "NY") }, "zip", "PO boxes"},
	}
	for _, tc := range cases {
		v := supporter("94110", "CA")
		tc.edit(v)
		code, body := a.post(t, c, "/c/bad-input", v)
		if code != 422 || !strings.Contains(html.UnescapeString(body), tc.msg) {
			t.Errorf("%s: %d, want 422 with %q", tc.name, code, tc.msg)
			continue
		}
		if !strings.Contains(body, `value="3200 24th St"`) || !strings.Contains(body, `id="`+tc.field+`"`) {
			t.Errorf("%s: typed values not kept", tc.name)
		}
		if strings.Contains(body, "<script>alert") {
			t.Errorf("%s: unescaped script in the page", tc.name)
		}
	}
	if n, _ := st.CountSubmissionsSince(context.Background(), "email_index", a.keys.Index("email", "ana@example.org"), time.Time{}); n != 0 {
		t.Errorf("bad input stored %d submissions", n)
	}
	// the honeypot: told it worked, nothing stored
	v := supporter("94110", "CA")
	v.Set("website", "http://spam.example")
	code, body := a.post(t, c, "/c/bad-input/send", v)
	if code != 200 || !strings.Contains(body, "Check your email") {
		t.Errorf("honeypot: %d", code)
	}
	if n, _ := st.CountSubmissionsSince(context.Background(), "email_index", a.keys.Index("email", "ana@example.org"), time.Time{}); n != 0 {
		t.Error("the honeypot stored a submission")
	}
}

func TestActionSplitCrossStateVacancy(t *testing.T) {
	st := storetest.SQLite(t)
	a := newActionServer(t, st, "split", campaign.Live)
	c := browserClient(t)

	// split ZIP, no geocoder: the supporter chooses, and the page says why
	v := supporter("91001", "CA")
	code, body := a.post(t, c, "/c/split", v)
	if code != 422 || strings.Count(body, `type="radio" name="district"`) != 5 || !strings.Contains(body, "split between 5 congressional districts") {
		t.Fatalf("split ZIP: %d", code)
	}
	v.Set("district", "CA-28")
	code, body = a.post(t, c, "/c/split", v)
	if code != 200 || strings.Count(body, `class="letter"`) != 3 || !strings.Contains(body, "Dear Representative Chu") {
		t.Errorf("after choosing CA-28: %d", code)
	}
	// cross-state ZIP: the supporter's state decides the senators
	v = supporter("57717", "SD")
	code, body = a.post(t, c, "/c/split", v)
	if code != 200 || strings.Count(body, `class="letter"`) != 3 {
		t.Fatalf("cross-state ZIP as SD: %d", code)
	}
	if strings.Contains(body, "Senator Barrasso") || !strings.Contains(body, "Dear Senator Thune") {
		t.Error("SD supporter got another state's senators")
	}
	// vacant seat: no letter offered, the page says so
	code, body = a.post(t, c, "/c/split", supporter("94544", "CA"))
	if code != 200 || strings.Count(body, `class="letter"`) != 2 || !strings.Contains(body, "is vacant") {
		t.Errorf("vacant seat: %d", code)
	}
}

func TestActionLinksUnsubscribeForget(t *testing.T) {
	st := storetest.SQLite(t)
	clk := &clock{now: time.Now()}
	keys := seal.NewRandom()
	camp, err := st.CreateCampaign(context.Background(), campaign.Campaign{Slug: "links", Title: "T", Targets: campaign.TargetSenate,
		LOCTopic: "Immigration", Status: campaign.Live, Subject: "S", Template: "{{.salutation}}"}, store.Audit{Action: "test"})
	if err != nil {
		t.Fatal(err)
	}
	client, mailed := mailJobs(t, st, keys, "http://act.example.org", "Families Together")
	f := staffServer(t, st, web.Deps{Keys: keys, Jobs: client, BaseURL: "http://act.example.org", Now: clk.Now})
	a := &actionFixture{staffFixture: f, keys: keys, camp: camp, mailed: mailed}
	c := browserClient(t)
	if code, _ := a.post(t, c, "/c/links/send", supporter("94110", "CA")); code != 200 {
		t.Fatalf("send: %d", code)
	}
	link := a.confirmLink(t)
	// forged
	if code, body := status(t, c, a.srv.URL+link[:len(link)-3]+"xyz"); code != 400 {
		t.Errorf("forged link: %d %s", code, body)
	}
	// expired
	clk.Add(49 * time.Hour)
	if code, _ := a.confirm(t, c, link); code != http.StatusGone {
		t.Errorf("expired link: %d", code)
	}
	clk.Add(-49 * time.Hour)

	mail := a.lastEmail(t)
	unsub := strings.Trim(mail.Headers["List-Unsubscribe"], "<>")
	u, _ := url.Parse(unsub)
	// RFC 8058 one-click: a POST from the mail client, no CSRF token
	resp, err := http.Post(a.srv.URL+"/u?"+u.RawQuery, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("one-click unsubscribe: %d", resp.StatusCode)
	}
	if sup, _ := st.IsSuppressed(context.Background(), keys.Index("email", "ana@example.org")); !sup {
		t.Fatal("address not suppressed after unsubscribing")
	}
	v := supporter("94110", "CA")
	v.Set("email", "ana@example.org")
	if code, body := a.post(t, c, "/c/links/send", v); code != 200 || !strings.Contains(body, "asked not to receive email") {
		t.Errorf("send after unsubscribe: %d", code)
	}
	// delete my data: the link works, the submission is erased
	fm := regexp.MustCompile(`http://act\.example\.org(/forget\?[^\s]+)`).FindStringSubmatch(mail.Text)
	if fm == nil {
		t.Fatal("no forget link")
	}
	resp2, err := c.Get(a.srv.URL + fm[1])
	if err != nil {
		t.Fatal(err)
	}
	b := new(strings.Builder)
	ioCopy(b, resp2)
	tok := csrfField.FindStringSubmatch(b.String())
	fu, _ := url.Parse(fm[1])
	code, body, _ := postForm(t, c, a.srv.URL+"/forget", url.Values{"_csrf": {tok[1]}, "t": {fu.Query().Get("t")}})
	if code != 200 || !strings.Contains(body, "Your data was deleted") {
		t.Fatalf("forget: %d", code)
	}
	if n, _ := st.CountSubmissionsSince(context.Background(), "email_index", keys.Index("email", "ana@example.org"), time.Time{}); n != 0 {
		t.Errorf("%d submissions still findable by email after erasure", n)
	}
	// the confirmation link of an erased submission no longer works
	if code, _ := a.confirm(t, c, link); code != 400 {
		t.Errorf("confirm after erasure: %d", code)
	}
}

func TestActionUnavailableCampaigns(t *testing.T) {
	st := storetest.SQLite(t)
	for _, tc := range []struct {
		status campaign.Status
		code   int
		text   string
	}{{campaign.Paused, 200, "paused"}, {campaign.Closed, 200, "has ended"}, {campaign.Draft, 404, ""}} {
		a := newActionServer(t, st, "un-"+string(tc.status), tc.status)
		resp, body := a.get(t, "/c/un-"+string(tc.status))
		if resp.StatusCode != tc.code || !strings.Contains(body, tc.text) || strings.Contains(body, `name="first_name"`) {
			t.Errorf("%s campaign: %d", tc.status, resp.StatusCode)
		}
	}
	a := newActionServer(t, st, "es-page", campaign.Live)
	_, body := a.get(t, "/c/es-page", "Accept-Language", "es")
	if !strings.Contains(body, "Familias fueron separadas") || !strings.Contains(body, "Su propio párrafo") {
		t.Error("Spanish campaign page")
	}
}

// TestActionSendAnswersAtOnceWhenSendGridIsBusy: the confirmation email
// is a job queued with the submission; SendGrid answering 429 (or being
// down) never reaches the supporter's page, and the email goes out after
// SendGrid's rate-limit reset.
func TestActionSendAnswersAtOnceWhenSendGridIsBusy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		keys := seal.NewRandom()
		if _, err := st.SeedDemo(context.Background(), store.DemoOptions{}, store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
		slug := "busy-" + strings.ToLower(t.Name()[len(t.Name())-6:])
		camp, err := st.CreateCampaign(context.Background(), campaign.Campaign{Slug: slug, Title: "Reunite separated families", SummaryEN: "S.", SummaryES: "S.",
			Targets: campaign.TargetBoth, LOCTopic: "Immigration", Status: campaign.Live, Subject: "Oversight", Template: demoTemplate}, store.Audit{Action: "test"})
		if err != nil {
			t.Fatal(err)
		}
		fake := deliverytest.NewSendGrid(t)
		reset := time.Now().Add(2 * time.Second).Truncate(time.Second).Add(time.Second)
		var calls atomic.Int32
		fake.Fallback(func(deliverytest.Request) deliverytest.Answer {
			if calls.Add(1) == 1 {
				return deliverytest.RateLimited(reset)
			}
			return deliverytest.Accept()
		})
		sg, err := sendgrid.New(sendgrid.Config{APIKey: "SG.test", BaseURL: fake.URL, FromEmail: "act@example.org", FromName: "Families Together"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		client, mailed := mailJobsWith(t, st, keys, "http://act.example.org", "Families Together", supportermail.SendGridMailer{Client: sg})
		f := staffServer(t, st, web.Deps{Keys: keys, Jobs: client, BaseURL: "http://act.example.org", OrgName: "Families Together"})
		a := &actionFixture{staffFixture: f, keys: keys, camp: camp, mailed: mailed}
		c := browserClient(t)
		code, body := a.post(t, c, "/c/"+slug+"/send", supporter("94110", "CA"))
		if code != 200 || !strings.Contains(body, "Check your email") {
			t.Fatalf("send while SendGrid answers 429: %d", code)
		}
		a.waitMail(t)
		reqs := fake.Requests(0)
		if len(reqs) != 2 || reqs[0].Answer.Kind != deliverytest.KindRateLimit || !reqs[1].Accepted() || reqs[1].At.Before(reset) {
			t.Fatalf("SendGrid got %d requests (%+v), want a 429 then the email after %s", len(reqs), reqs, reset)
		}
		m := reqs[1].Mail
		if m.Personalizations[0].To[0].Email != "ana@example.org" || m.Subject != "Confirm your letters to Congress" ||
			!strings.Contains(m.Content[0].Value, "http://act.example.org/c/"+slug+"/confirm?") || !strings.Contains(m.Content[0].Value, "- Senator Alex Padilla") {
			t.Errorf("confirmation email: %+v", m)
		}
	})
}
