package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/outbox"
	"github.com/outreach-org/outreach/internal/jobs"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/signon"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/supportermail"
	"github.com/outreach-org/outreach/internal/web"
)

// signOnFixture is a server with a live sign-on letter to the chair and
// ranking member of the Senate Judiciary Committee, closing in a week,
// whose confirmation emails go to the outbox through the supporter-mail
// worker.
type signOnFixture struct {
	*staffFixture
	keys   *seal.Keys
	camp   campaign.Campaign
	mailed <-chan *river.Event
}

const signOnTemplate = `{{.salutation}},

We, the undersigned organizations, ask you as {{.committee_roles}} to hold oversight hearings on family separation. {{stat "children_separated"}} children were separated from their parents.

Respectfully,`

func newSignOnServer(t *testing.T, st *store.Store, slug string, edit ...func(*campaign.Campaign)) *signOnFixture {
	t.Helper()
	ctx := context.Background()
	keys := seal.NewRandom()
	if _, err := st.LatestRelease(ctx); errors.Is(err, store.ErrNotFound) {
		if _, err := st.SeedDemo(ctx, store.DemoOptions{}, store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	ends := time.Now().Add(7 * 24 * time.Hour).UTC().Truncate(time.Second)
	camp := campaign.Campaign{Kind: campaign.SignOn, Slug: slug, Title: "Judiciary: hold hearings on family separation", TitleES: "Judicial: audiencias sobre la separación familiar",
		SummaryEN: "A coalition letter to the leaders of the Senate Judiciary Committee.", SummaryES: "Una carta de coalición a los líderes del Comité Judicial del Senado.",
		CallToActionEN: "Sign on for your organization", CallToActionES: "Firme en nombre de su organización",
		Targets: campaign.Targets{{Kind: campaign.RuleLeaders, Committee: "SSJU"}}, LOCTopic: "Immigration", Status: campaign.Live, EndsAt: &ends,
		Subject: "Coalition request for oversight hearings on family separation", Template: signOnTemplate}
	for _, e := range edit {
		e(&camp)
	}
	c, err := st.CreateCampaign(ctx, camp, store.Audit{Action: "test"})
	if err != nil {
		t.Fatal(err)
	}
	links := supportermail.Links{BaseURL: "http://act.example.org", Keys: keys}
	workers := river.NewWorkers()
	river.AddWorker(workers, &supportermail.Worker{Store: st, Mailer: supportermail.OutboxMailer{Store: st, Keys: keys}, Links: links, OrgName: "Families Together",
		Composers: map[string]supportermail.Composer{store.MailSignOnConfirm: signon.Composer(st, links)}})
	client, err := jobs.New(st.DB(), st.Dialect() == store.Postgres, jobs.Options{Workers: workers, Logger: discard(),
		Queues: map[string]river.QueueConfig{supportermail.Queue: {MaxWorkers: 2}}, FetchPollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	events, cancel := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled)
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		sctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		_ = client.Stop(sctx)
	})
	f := staffServer(t, st, web.Deps{Keys: keys, Jobs: client, BaseURL: "http://act.example.org", OrgName: "Families Together"})
	return &signOnFixture{staffFixture: f, keys: keys, camp: c, mailed: events}
}

func organization(name, email string) url.Values {
	return url.Values{"organization": {name}, "city": {"Tucson"}, "state": {"AZ"}, "contact_name": {"Laura St. John"},
		"email": {email}, "org_website": {"florence-project.org"}}
}

func (f *signOnFixture) sign(t *testing.T, c *http.Client, form url.Values) (int, string) {
	t.Helper()
	form.Set("_csrf", csrfFrom(t, c, f.srv.URL+"/c/"+f.camp.Slug))
	code, body, _ := postForm(t, c, f.srv.URL+"/c/"+f.camp.Slug+"/sign", form)
	return code, html.UnescapeString(body)
}

var signConfirmRE = regexp.MustCompile(`http://act\.example\.org(/c/[a-z0-9-]+/sign/confirm\?[^\s]+)`)

// confirmLink waits for the confirmation email sent to email and returns
// its link (path and query).
func (f *signOnFixture) confirmLink(t *testing.T, email string) (string, supportermail.Email) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		msgs, err := f.store.Outbox(context.Background(), "supporter", 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			st, err := outbox.Open(f.keys, m.ID, m.Sealed)
			if err != nil || st.Email == nil || st.Email.To != email {
				continue
			}
			if l := signConfirmRE.FindStringSubmatch(st.Email.Text); l != nil {
				return l[1], *st.Email
			}
		}
		select {
		case ev := <-f.mailed:
			if ev.Kind != river.EventKindJobCompleted {
				t.Fatalf("supporter-mail job %s: %v", ev.Kind, ev.Job.Errors)
			}
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("no confirmation email to %s", email)
	return "", supportermail.Email{}
}

// confirm follows a confirmation link as a person does: the page, then its
// button.
func (f *signOnFixture) confirm(t *testing.T, c *http.Client, link string) (int, string) {
	t.Helper()
	code, page := getPage(t, c, f.srv.URL+link)
	if code != 200 {
		t.Fatalf("confirmation page: %d %s", code, page)
	}
	u, _ := url.Parse(link)
	form := url.Values{"t": {u.Query().Get("t")}, "_csrf": {csrfField.FindStringSubmatch(page)[1]}}
	code, body, _ := postForm(t, c, f.srv.URL+u.Path, form)
	return code, html.UnescapeString(body)
}

// TestSignOnFlow: an organization signs on the public page (errors name
// the field and keep what was typed), confirms by email, and appears in
// the list and the count only after staff approve it; its contact is
// sealed, never shown publicly; after the closing date the page says so
// and refuses sign-ons.
func TestSignOnFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		slug := "signon-flow-" + string(st.Dialect())
		f := newSignOnServer(t, st, slug)
		c := browserClient(t)

		code, page := getPage(t, c, f.srv.URL+"/c/"+slug)
		page = html.UnescapeString(page)
		if code != 200 {
			t.Fatalf("page: %d", code)
		}
		for _, want := range []string{"Sign-on letter for organizations", "Dear Senator Grassley,", "ask you as Chairman of the Senate Committee on the Judiciary",
			"Figures: synthetic demonstration data", "No organization is listed yet", `name="organization"`, "Organizations can sign until"} {
			if !strings.Contains(page, want) {
				t.Errorf("public page lacks %q\n%s", want, page)
			}
		}

		// The offices' seats in the reader's language (committee names are
		// official English names).
		_, es := getPage(t, browserClient(t), f.srv.URL+"/c/"+slug+"?lang=es")
		if es = html.UnescapeString(es); !strings.Contains(es, "Chuck Grassley (Presidencia, Senate Committee on the Judiciary)") {
			t.Errorf("Spanish page lacks the chair's seat in Spanish")
		}
		if !strings.Contains(page, "Chuck Grassley (Chair, Senate Committee on the Judiciary)") {
			t.Errorf("English page lacks the chair's seat")
		}

		// Staff see an empty list say so, then why an unconfirmed signature has no Approve button.
		staff := browserClient(t)
		signIn(t, staff, f.srv.URL, addUser(t, st, "reviewer-"+slug+"@example.org", auth.Campaigner).Email)
		staffPage := f.srv.URL + "/admin/campaigns/" + strconv.FormatInt(f.camp.ID, 10) + "/signatories"
		if code, body := getPage(t, staff, staffPage); code != 200 || !strings.Contains(body, "No organization has signed yet.") {
			t.Errorf("empty signatories page: %d\n%s", code, body)
		}

		bad := organization("Florence Project", "not-an-email")
		bad.Set("city", "")
		code, body := f.sign(t, c, bad)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "Enter the city.") || !strings.Contains(body, "Contact email: Enter an email address like name@example.org.") ||
			!strings.Contains(body, `value="Florence Project"`) || !strings.Contains(body, `value="not-an-email"`) {
			t.Fatalf("form with errors: %d %s", code, body)
		}

		code, body = f.sign(t, c, organization("Florence Project", "laura@florence-project.org"))
		if code != 200 || !strings.Contains(body, "Check your email") || strings.Contains(body, "laura@florence-project.org") {
			t.Fatalf("sign: %d %s", code, body)
		}
		code, body = getPage(t, staff, staffPage)
		if code != 200 || !strings.Contains(body, "Unconfirmed (the email link not yet opened): 1</h2>") || !strings.Contains(body, "Can be reviewed once confirmed by email") ||
			strings.Contains(body, "No organization has signed yet.") {
			t.Errorf("signatories page before confirmation: %d\n%s", code, body)
		}
		link, mail := f.confirmLink(t, "laura@florence-project.org")
		if !strings.Contains(mail.Text, "Hello Laura St. John") || !strings.Contains(mail.Text, "for Florence Project (Tucson, AZ)") || mail.Headers["List-Unsubscribe"] == "" {
			t.Errorf("confirmation email:\n%s", mail.Text)
		}
		// Sealed at rest: the contact's address is nowhere in the database in clear.
		var n int
		if err := st.DB().QueryRow("SELECT COUNT(*) FROM submissions WHERE sealed LIKE '%laura%' OR email_index LIKE '%laura%'").Scan(&n); err != nil || n != 0 {
			t.Errorf("contact in clear: %d %v", n, err)
		}

		code, body = f.confirm(t, c, link)
		if code != 200 || !strings.Contains(body, "The signature of Florence Project is confirmed") {
			t.Fatalf("confirm: %d %s", code, body)
		}
		if code, body = f.confirm(t, c, link); code != 200 || !strings.Contains(body, "confirmed already") {
			t.Errorf("second confirmation: %d %s", code, body)
		}
		// Confirmed but not approved: not listed.
		_, api := getPage(t, c, f.srv.URL+"/api/v1/signon/"+slug)
		if !strings.Contains(api, `"count":0`) {
			t.Errorf("listed before approval: %s", api)
		}

		editor := addUser(t, st, "editor-"+slug+"@example.org", auth.Campaigner)
		tok := bearer(t, st, editor)
		code, list := do(t, http.DefaultClient, http.MethodGet, f.srv.URL+"/api/v1/campaigns/"+strconv.FormatInt(f.camp.ID, 10)+"/signatories", tok, "", "")
		var got struct {
			Signatories []struct {
				ID     int64  `json:"id"`
				Status string `json:"status"`
			} `json:"signatories"`
		}
		if err := json.Unmarshal([]byte(list), &got); code != 200 || err != nil || len(got.Signatories) != 1 || got.Signatories[0].Status != "pending" {
			t.Fatalf("signatories: %d %s", code, list)
		}
		sid := strconv.FormatInt(got.Signatories[0].ID, 10)
		code, res := do(t, http.DefaultClient, http.MethodPost, f.srv.URL+"/api/v1/campaigns/"+strconv.FormatInt(f.camp.ID, 10)+"/signatories/"+sid, tok, "application/json", `{"status":"approved"}`)
		if code != 200 || !strings.Contains(res, `"status":"approved"`) {
			t.Fatalf("approve: %d %s", code, res)
		}
		time.Sleep(5100 * time.Millisecond) // the public page is cached for 5 s
		_, page = getPage(t, c, f.srv.URL+"/c/"+slug)
		page = html.UnescapeString(page)
		if !strings.Contains(page, "1 organization has signed.") || !strings.Contains(page, "Florence Project") || strings.Contains(page, "Laura") {
			t.Errorf("public list after approval:\n%s", page)
		}
		_, api = getPage(t, c, f.srv.URL+"/api/v1/signon/"+slug)
		if !strings.Contains(api, `"count":1`) || !strings.Contains(api, `"organization":"Florence Project"`) || strings.Contains(api, "laura") {
			t.Errorf("public API after approval: %s", api)
		}
	})
}

// TestSignOnClosed: after the closing date the page says sign-ons are
// closed, shows no form, and a sign-on posted anyway is refused and not
// stored.
func TestSignOnClosed(t *testing.T) {
	st := storetest.SQLite(t)
	f := newSignOnServer(t, st, "closed-letter", func(c *campaign.Campaign) {
		start, end := time.Now().Add(-72*time.Hour).UTC().Truncate(time.Second), time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
		c.StartsAt, c.EndsAt = &start, &end
	})
	c := browserClient(t)
	code, page := getPage(t, c, f.srv.URL+"/c/closed-letter?lang=es")
	page = html.UnescapeString(page)
	if code != 200 || !strings.Contains(page, "Esta carta dejó de recibir firmas el") || strings.Contains(page, `name="organization"`) {
		t.Fatalf("closed page: %d %s", code, page)
	}
	addUser(t, st, "someone@example.org", auth.Admin) // the sign-in page has a form once an account exists
	form := organization("Late Org", "late@example.org")
	form.Set("_csrf", csrfFrom(t, c, f.srv.URL+"/admin/login"))
	code, body, _ := postForm(t, c, f.srv.URL+"/c/closed-letter/sign", form)
	if code != http.StatusConflict || !strings.Contains(html.UnescapeString(body), "Sign-ons are closed") && !strings.Contains(html.UnescapeString(body), "Las firmas están cerradas") {
		t.Errorf("sign-on after closing: %d", code)
	}
	if sigs, _ := st.Signatories(context.Background(), f.camp.ID); len(sigs) != 0 {
		t.Errorf("stored after closing: %+v", sigs)
	}
}

// TestSignOnDeliverOnce: parallel "deliver" requests write one letter per
// targeted office, listing every approved organization and citing the
// release it quotes; the others answer 409. Never a CWC letter: the
// letters are the dispatch worker's, whose channel choice skips CWC for
// an organizational campaign (see dispatch tests).
func TestSignOnDeliverOnce(t *testing.T) {
	storetest.EachEmpty(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newSignOnServer(t, st, "deliver-once")
		for i, org := range []string{"Florence Project", "Al Otro Lado", "Kids in Need of Defense"} {
			sig, err := st.CreateSignatory(ctx, store.Submission{CampaignID: f.camp.ID, EmailIndex: "i" + strconv.Itoa(i), Lang: "en"},
				func(int64) (string, error) { return "x", nil }, store.Signatory{Organization: org, City: "Tucson", State: "AZ", NameKey: signon.NameKey(org)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.ConfirmSignatory(ctx, f.camp.ID, sig.SubmissionID, time.Now()); err != nil {
				t.Fatal(err)
			}
			if i < 2 {
				if _, err := st.ReviewSignatory(ctx, f.camp.ID, sig.ID, store.SignApproved, store.Audit{}); err != nil {
					t.Fatal(err)
				}
			}
		}
		lead := addUser(t, st, "lead@example.org", auth.Admin)
		tok := bearer(t, st, lead)
		u := f.srv.URL + "/api/v1/campaigns/" + strconv.FormatInt(f.camp.ID, 10) + "/signon/deliver"
		const n = 6
		codes := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], _ = do(t, http.DefaultClient, http.MethodPost, u, tok, "application/json", "")
			}()
		}
		wg.Wait()
		ok, conflict := 0, 0
		for _, c := range codes {
			switch c {
			case 200:
				ok++
			case 409:
				conflict++
			}
		}
		if ok != 1 || conflict != n-1 {
			t.Fatalf("parallel deliveries answered %v", codes)
		}
		letters, err := st.Letters(ctx, store.LetterFilter{CampaignID: f.camp.ID, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(letters) != 2 {
			t.Fatalf("%d letters, want one per office (2)", len(letters))
		}
		offices := map[string]bool{}
		for _, l := range letters {
			offices[l.BioguideID] = true
			var sl delivery.Sealed
			if err := f.keys.OpenJSON(l.Sealed, delivery.LetterAAD(l.ID), &sl); err != nil {
				t.Fatal(err)
			}
			text := delivery.Compose(sl.Message(l.ID, l.DeliveryID, delivery.Campaign{}, "", l.CreatedAt), delivery.FullSender).Text()
			for _, want := range []string{"Signed by 2 organizations:", "Al Otro Lado (Tucson, AZ)\nFlorence Project (Tucson, AZ)", "Figures: synthetic demonstration data"} {
				if !strings.Contains(text, want) {
					t.Errorf("letter to %s lacks %q:\n%s", l.BioguideID, want, text)
				}
			}
			if strings.Contains(text, "Kids in Need") {
				t.Errorf("an unapproved organization is listed:\n%s", text)
			}
			if l.StatsReleaseID == nil {
				t.Error("the letter does not record the release it quotes")
			}
		}
		if len(offices) != 2 {
			t.Errorf("offices: %v", offices)
		}
	})
}

// TestSignOnEmbedded: a sign-on letter embedded on the organization's site
// works without cookies (a third-party iframe gets none back under
// SameSite=Lax): the form posts to the embedded route with the embed's own
// token; a token that does not fit keeps nothing and shows the form again
// as typed; with the token the signature is stored and the confirmation
// email sent.
func TestSignOnEmbedded(t *testing.T) {
	st := storetest.SQLite(t)
	slug := "signon-embed"
	f := newSignOnServer(t, st, slug, allowEmbed("https://coalition.example.org"))
	c := &http.Client{} // no cookie jar: what a third-party iframe gets
	resp, err := c.Get(f.srv.URL + "/c/" + slug + "/embed?lang=es")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := html.UnescapeString(string(b))
	if fa := frameAncestors(resp.Header); fa != "https://coalition.example.org" {
		t.Errorf("frame-ancestors %q", fa)
	}
	m := formAction.FindStringSubmatch(page)
	if m == nil || m[1] != "/c/"+slug+"/embed/sign?lang=es#result" {
		t.Fatalf("embedded sign-on form posts to %v", m)
	}
	token := csrfField.FindStringSubmatch(page)[1]
	post := func(form url.Values) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/c/"+slug+"/embed/sign?lang=es", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, html.UnescapeString(string(b))
	}
	signed := func() int {
		t.Helper()
		list, err := st.Signatories(context.Background(), f.camp.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	form := organization("Florence Project", "laura@florence-project.org")
	if code, body := post(form); code != 200 || !strings.Contains(body, "Todavía no se envió nada") || !strings.Contains(body, `value="Florence Project"`) || signed() != 0 {
		t.Fatalf("without the token: %d, %d kept\n%s", code, signed(), body)
	}
	form.Set("_csrf", token)
	if code, body := post(form); code != 200 || signed() != 1 {
		t.Fatalf("with the token: %d, %d kept\n%s", code, signed(), body)
	}
	if link, _ := f.confirmLink(t, "laura@florence-project.org"); !strings.Contains(link, "/c/"+slug+"/sign/confirm") {
		t.Errorf("confirmation link %s", link)
	}
}

// TestSignOnRefusedScheduleIsShown: when the scheduled delivery could not
// be made, staff see why on the signatories page and in the API, and that
// it is no longer scheduled.
func TestSignOnRefusedScheduleIsShown(t *testing.T) {
	st := storetest.SQLite(t)
	f := newSignOnServer(t, st, "signon-refused")
	at := time.Now().Add(-time.Minute)
	if err := st.ScheduleSignOn(context.Background(), f.camp.ID, &at, store.Audit{Action: "test"}); err != nil {
		t.Fatal(err)
	}
	if err := st.RefuseScheduledSignOn(context.Background(), f.camp.ID, "no signatory is approved yet: approve the organizations first", time.Now()); err != nil {
		t.Fatal(err)
	}
	email := unique("admin") + "@example.org"
	u := addUser(t, st, email, auth.Admin)
	c := browserClient(t)
	signIn(t, c, f.srv.URL, email)
	code, page := getPage(t, c, f.srv.URL+"/admin/campaigns/"+strconv.FormatInt(f.camp.ID, 10)+"/signatories")
	if code != 200 || !strings.Contains(page, `id="schedule-refused"`) || !strings.Contains(page, "no signatory is approved yet") || strings.Contains(page, `id="deliver_at" name="deliver_at" value="2`) {
		t.Fatalf("signatories page %d:\n%s", code, page)
	}
	code, body := do(t, http.DefaultClient, http.MethodGet, f.srv.URL+"/api/v1/campaigns/"+strconv.FormatInt(f.camp.ID, 10)+"/signatories", bearer(t, st, u), "", "")
	if code != 200 || !strings.Contains(body, `"refused":"no signatory is approved yet`) || !strings.Contains(body, `"deliver_at":null`) {
		t.Errorf("API %d %s", code, body)
	}
}
