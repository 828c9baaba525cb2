package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/casestats"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/web"
)

// hiddenRelease publishes a release from a few records and returns it with
// a statistic it does not publish and one it does.
func hiddenRelease(t *testing.T, st *store.Store) (store.Release, string, string) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.CreateCases(ctx, slices.Values(slices.Collect(casestats.Synthetic(60, 5))), store.ImportOptions{}, store.Audit{}); err != nil {
		t.Fatal(err)
	}
	rel, err := st.CreateRelease(ctx, store.ReleaseRequest{}, store.Audit{})
	if err != nil {
		t.Fatal(err)
	}
	hidden, shown := "", ""
	for _, k := range casestats.Keys() {
		if _, ok := rel.Figures.Value(k); !ok {
			continue
		}
		if rel.Figures.StatAvailable(k) {
			if shown == "" {
				shown = k
			}
		} else if hidden == "" {
			hidden = k
		}
	}
	if hidden == "" || shown == "" {
		t.Fatal("no hidden or no published figure in the release")
	}
	return rel, hidden, shown
}

// A letter that prints a figure the latest release does not publish is
// refused at save time, by the API and by the editor (which keeps what was
// typed), naming the statistic; guarded, it is saved.
func TestSaveRefusesUnpublishedFigure(t *testing.T) {
	eachCaseStore(t, func(t *testing.T, st *store.Store) {
		rel, hidden, shown := hiddenRelease(t, st)
		f := staffServer(t, st, web.Deps{OrgName: "Families Together", BaseURL: "https://ft.example.org"})
		u := addUser(t, st, unique("figures")+"@example.org", auth.Campaigner)
		tok := bearer(t, st, u)
		c := browserClient(t)
		api := f.srv.URL + "/api/v1/campaigns"
		unguarded := "{{.salutation}}:\n\nWe documented {{stat \"" + hidden + "\"}} of them.\n"
		guarded := "{{.salutation}}:\n\n{{if stat_available \"" + hidden + "\"}}We documented {{stat \"" + hidden + "\"}} of them.\n{{end}}{{stat \"" + shown + "\"}} in all.\n"

		code, body := do(t, c, http.MethodPost, api, tok, "application/json", campaignBody(unique("hidden"), map[string]any{"template": unguarded, "organization_statement": ""}))
		if code != http.StatusUnprocessableEntity {
			t.Fatalf("unguarded: %d %s", code, body)
		}
		line, col, msg := refusalFor(t, body, "template")
		if line != 3 || col != 17 || !strings.Contains(msg, `"`+hidden+`"`) || !strings.Contains(msg, "not published in statistics release "+strconv.FormatInt(rel.ID, 10)) ||
			!strings.Contains(msg, `{{if stat_available "`+hidden+`"}}`) {
			t.Errorf("refusal at %d:%d: %s", line, col, msg)
		}

		code, body = do(t, c, http.MethodPost, api, tok, "application/json", campaignBody(unique("guarded"), map[string]any{"template": guarded, "organization_statement": ""}))
		if code != http.StatusCreated {
			t.Fatalf("guarded: %d %s", code, body)
		}
		created := decode[struct {
			ID          int64           `json:"id"`
			CiteRelease bool            `json:"cite_release"`
			Demo        bool            `json:"demo"`
			Hold        *map[string]any `json:"hold"`
		}](t, body)
		if !created.CiteRelease || created.Demo || created.Hold != nil {
			t.Errorf("created = %+v", created)
		}
		// The preview quotes the release and ends with the citation; the
		// campaign can turn it off.
		prev := api + "/" + strconv.FormatInt(created.ID, 10) + "/preview?bioguide_id=P000197"
		code, body = do(t, c, http.MethodGet, prev, tok, "", "")
		citation := "Figures: Families Together statistics release " + strconv.FormatInt(rel.ID, 10) + " of " + rel.CreatedAt.UTC().Format("January 2, 2006") + ", https://ft.example.org/stats."
		if code != 200 || !strings.Contains(body, citation) || strings.Contains(body, casestats.NotPublished) {
			t.Errorf("preview: %d %s", code, body)
		}
		code, body = do(t, c, http.MethodPut, api+"/"+strconv.FormatInt(created.ID, 10), tok, "application/json", `{"cite_release": false}`)
		if code != 200 || !strings.Contains(body, `"cite_release":false`) {
			t.Fatalf("turn the citation off: %d %s", code, body)
		}
		if code, body = do(t, c, http.MethodGet, prev, tok, "", ""); code != 200 || strings.Contains(body, "Figures:") {
			t.Errorf("preview without citation: %d %s", code, body)
		}
		if code, body = do(t, c, http.MethodPut, api+"/"+strconv.FormatInt(created.ID, 10), tok, "application/json", `{"cite_release": "no"}`); code != 422 || !strings.Contains(body, "must be true or false") {
			t.Errorf("cite_release as text: %d %s", code, body)
		}

		// The editor: refused, with the text kept as typed.
		signIn(t, c, f.srv.URL, u.Email)
		base := f.srv.URL + "/admin/campaigns"
		v := formValues(unique("form-hidden"))
		v.Set("_csrf", csrfFrom(t, c, base+"/new"))
		v.Set("template", strings.ReplaceAll(unguarded, "\n", "\r\n"))
		v.Set("cite_release", "1")
		code, page, _ := postForm(t, c, base, v)
		page = html.UnescapeString(page)
		if code != http.StatusUnprocessableEntity || !strings.Contains(page, "We documented {{stat \""+hidden+"\"}} of them.") ||
			!strings.Contains(page, "Letter, line 3, column 17: the statistic \""+hidden+"\"") || !strings.Contains(page, `id="cite_release" value="1" checked`) {
			t.Errorf("editor refusal: %d", code)
		}
		if list, _ := st.Campaigns(context.Background()); len(list) != 1 {
			t.Errorf("%d campaigns saved, want 1", len(list))
		}
	})
}

// After a release that stops publishing a figure, the campaign is held:
// the API, the campaign page and the staff home say why; fixing the
// template clears the hold.
func TestHeldCampaignShownToStaff(t *testing.T) {
	eachCaseStore(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		// The campaign was saved before the release existed.
		c, err := st.CreateCampaign(ctx, campaign.Campaign{Slug: unique("held"), Title: "Held campaign", SummaryEN: "s", SummaryES: "s",
			CallToActionEN: "c", CallToActionES: "c", Targets: campaign.TargetBoth, LOCTopic: "Immigration", Status: campaign.Live,
			Subject: "Oversight", Template: "{{.salutation}}:\n\n{{stat \"pct_credible_fear_positive_withdrawn\"}} of forms were premarked.\n"}, store.Audit{Action: "test"})
		if err != nil {
			t.Fatal(err)
		}
		rel, _, _ := hiddenRelease(t, st)
		if rel.Figures.StatAvailable("pct_credible_fear_positive_withdrawn") {
			t.Fatal("the release publishes pct_credible_fear_positive_withdrawn: no test")
		}
		f := staffServer(t, st, web.Deps{})
		u := addUser(t, st, unique("held")+"@example.org", auth.Campaigner)
		cl := browserClient(t)
		code, body := do(t, cl, http.MethodGet, f.srv.URL+"/api/v1/campaigns/"+strconv.FormatInt(c.ID, 10), bearer(t, st, u), "", "")
		hold := decode[struct {
			Hold *struct {
				Reason    string `json:"reason"`
				ReleaseID int64  `json:"release_id"`
				Since     string `json:"since"`
			} `json:"hold"`
		}](t, body)
		if code != 200 || hold.Hold == nil || hold.Hold.ReleaseID != rel.ID || !strings.Contains(hold.Hold.Reason, `"pct_credible_fear_positive_withdrawn"`) || hold.Hold.Since == "" {
			t.Fatalf("API hold: %d %s", code, body)
		}
		signIn(t, cl, f.srv.URL, u.Email)
		_, home := getPage(t, cl, f.srv.URL+"/admin")
		home = html.UnescapeString(home)
		if !strings.Contains(home, "Letters held") || !strings.Contains(home, "Held campaign") || !strings.Contains(home, hold.Hold.Reason) {
			t.Errorf("staff home lacks the hold")
		}
		_, page := getPage(t, cl, f.srv.URL+"/admin/campaigns/"+strconv.FormatInt(c.ID, 10))
		if !strings.Contains(html.UnescapeString(page), "Letters are held") {
			t.Errorf("campaign page lacks the hold")
		}
		// Fix: guard the figure and save through the editor.
		base := f.srv.URL + "/admin/campaigns/" + strconv.FormatInt(c.ID, 10)
		v := url.Values{"_csrf": {csrfFrom(t, cl, base)}, "title": {c.Title}, "slug": {c.Slug}, "status": {"live"}, "targets": {"both"},
			"loc_topic": {"Immigration"}, "summary_en": {"s"}, "summary_es": {"s"}, "call_to_action_en": {"c"}, "call_to_action_es": {"c"},
			"subject": {"Oversight"}, "version": {strconv.Itoa(c.TemplateVersion)},
			"template": {"{{.salutation}}:\n\n{{if stat_available \"pct_credible_fear_positive_withdrawn\"}}{{stat \"pct_credible_fear_positive_withdrawn\"}} of forms were premarked.{{end}}\n"}}
		if code, _, _ := postForm(t, cl, base, v); code != http.StatusSeeOther {
			t.Fatalf("fix: %d", code)
		}
		if got, _ := st.Campaign(ctx, c.ID); got.HeldReason != "" {
			t.Errorf("still held: %q", got.HeldReason)
		}
		if _, home = getPage(t, cl, f.srv.URL+"/admin"); strings.Contains(home, "Letters held") {
			t.Error("staff home still shows the hold")
		}
	})
}

// While the latest release is synthetic, the staff home names the live
// campaigns quoting it.
func TestStaffHomeWarnsOfSyntheticFigures(t *testing.T) {
	eachCaseStore(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := staffServer(t, st, web.Deps{})
		u := addUser(t, st, unique("home")+"@example.org", auth.Organizer)
		cl := browserClient(t)
		signIn(t, cl, f.srv.URL, u.Email)
		for _, c := range []campaign.Campaign{
			{Slug: unique("quotes"), Title: "Quotes figures", Template: "{{stat \"children_separated\"}} children."},
			{Slug: unique("plain"), Title: "Quotes nothing", Template: "Please act."},
		} {
			c.SummaryEN, c.CallToActionEN, c.Targets, c.LOCTopic, c.Status, c.Subject = "s", "c", campaign.TargetBoth, "Immigration", campaign.Live, "Subject"
			if _, err := st.CreateCampaign(ctx, c, store.Audit{Action: "test"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, page := getPage(t, cl, f.srv.URL+"/admin"); strings.Contains(page, "synthetic") {
			t.Error("warning without any release")
		}
		if _, err := st.SeedDemo(ctx, store.DemoOptions{Records: 300}, store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
		_, page := getPage(t, cl, f.srv.URL+"/admin")
		if !strings.Contains(page, "Live campaigns quote synthetic figures") || !strings.Contains(page, "Quotes figures") || strings.Contains(page, "Quotes nothing") {
			t.Errorf("staff home: %s", page)
		}
	})
}

// A supporter of a held campaign gets "not ready", never a letter with
// "not published" in it; a letter that quotes no figure records no
// release (so synthetic figures cannot hold it back).
func TestSupporterPageOfHeldCampaign(t *testing.T) {
	eachCaseStore(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		_, hidden, _ := hiddenRelease(t, st)
		keys := seal.NewRandom()
		client, mailed := mailJobs(t, st, keys, "http://act.example.org", "Families Together")
		f := staffServer(t, st, web.Deps{Keys: keys, Jobs: client, BaseURL: "http://act.example.org", OrgName: "Families Together", InboundSecret: inboundSecret})
		a := &actionFixture{staffFixture: f, keys: keys, mailed: mailed}
		held, err := st.CreateCampaign(ctx, campaign.Campaign{Slug: unique("held"), Title: "Held", SummaryEN: "s", SummaryES: "s",
			CallToActionEN: "c", CallToActionES: "c", Targets: campaign.TargetBoth, LOCTopic: "Immigration", Status: campaign.Live,
			Subject: "Oversight", Template: "{{.salutation}},\n\nThere were {{stat \"" + hidden + "\"}} such cases.\n"}, store.Audit{Action: "test"})
		if err != nil || held.HeldReason == "" {
			t.Fatalf("created %+v, %v", held, err)
		}
		c := browserClient(t)
		form := supporter("94110", "CA")
		form.Set("_csrf", csrfFrom(t, c, a.srv.URL+"/c/"+held.Slug))
		code, body, _ := postForm(t, c, a.srv.URL+"/c/"+held.Slug, form)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "not ready yet") || strings.Contains(body, casestats.NotPublished) {
			t.Errorf("review of a held campaign: %d", code)
		}

		a.camp, err = st.CreateCampaign(ctx, campaign.Campaign{Slug: unique("plain"), Title: "Plain", SummaryEN: "s", SummaryES: "s",
			CallToActionEN: "c", CallToActionES: "c", Targets: campaign.TargetHouse, LOCTopic: "Immigration", Status: campaign.Live,
			Subject: "Oversight", Template: "{{.salutation}},\n\nPlease hold a hearing.\n\n{{.first_name}} {{.last_name}}"}, store.Audit{Action: "test"})
		if err != nil {
			t.Fatal(err)
		}
		form = supporter("94110", "CA")
		form.Set("_csrf", csrfFrom(t, c, a.srv.URL+"/c/"+a.camp.Slug))
		if code, body, _ := postForm(t, c, a.srv.URL+"/c/"+a.camp.Slug, form); code != 200 || strings.Contains(body, "Figures:") {
			t.Fatalf("review: %d", code)
		}
		if code, _ := a.post(t, c, "/c/"+a.camp.Slug+"/send", form); code != 200 {
			t.Fatalf("send: %d", code)
		}
		if code, _ := a.confirm(t, c, a.confirmLink(t)); code != 200 {
			t.Fatalf("confirm: %d", code)
		}
		letters, _ := st.Letters(ctx, store.LetterFilter{CampaignID: a.camp.ID})
		if len(letters) != 1 {
			t.Fatalf("%d letters", len(letters))
		}
		if letters[0].StatsReleaseID != nil {
			t.Errorf("a letter quoting no figure records release %d", *letters[0].StatsReleaseID)
		}
	})
}
