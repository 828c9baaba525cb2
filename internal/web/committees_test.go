package web_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/web"
)

// TestAPIRepresentativesCommittees: each member of a lookup lists their
// committee seats, subcommittee seats naming the parent, with the role.
func TestAPIRepresentativesCommittees(t *testing.T) {
	f := newServer(t, web.Deps{})
	_, body := f.get(t, "/api/v1/representatives?zip=94110")
	var a struct {
		Members []struct {
			BioguideID string `json:"bioguide_id"`
			Committees []struct {
				CommitteeID    string `json:"committee_id"`
				Committee      string `json:"committee"`
				SubcommitteeID string `json:"subcommittee_id"`
				Subcommittee   string `json:"subcommittee"`
				Role           string `json:"role"`
				Title          string `json:"title"`
			} `json:"committees"`
		} `json:"members"`
	}
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range a.Members {
		if m.Committees == nil {
			t.Errorf("%s: committees must be a list, never null", m.BioguideID)
		}
		if m.BioguideID != "P000145" {
			continue
		}
		for _, c := range m.Committees {
			got = append(got, c.CommitteeID+"/"+c.SubcommitteeID+" "+c.Role+" "+c.Title)
			if c.CommitteeID == "SSJU" && c.Committee != "Senate Committee on the Judiciary" {
				t.Errorf("SSJU named %q", c.Committee)
			}
			if c.SubcommitteeID == "SSJU04" && c.Subcommittee != "Subcommittee on Border Security and Immigration" {
				t.Errorf("SSJU04 named %q", c.Subcommittee)
			}
		}
	}
	for _, want := range []string{"SSJU/ member ", "SSJU/SSJU04 ranking_member Ranking Member", "SSRA/ ranking_member Ranking Member"} {
		found := false
		for _, g := range got {
			found = found || g == want
		}
		if !found {
			t.Errorf("Padilla's seats lack %q: %v", want, got)
		}
	}
}

// TestLookupPageCommittees: the lookup page lists the seats with roles,
// in English and Spanish.
func TestLookupPageCommittees(t *testing.T) {
	f := newServer(t, web.Deps{})
	_, body := f.get(t, "/?q=94110")
	for _, want := range []string{"Senate Committee on the Judiciary", "Subcommittee on Border Security and Immigration · <strong>Ranking member</strong>", `class="committees"`} {
		if !strings.Contains(body, want) {
			t.Errorf("lookup page lacks %q", want)
		}
	}
	_, body = f.get(t, "/?q=94110&lang=es")
	for _, want := range []string{"Comités", "Subcommittee on Border Security and Immigration · <strong>Líder de la minoría</strong>"} {
		if !strings.Contains(body, want) {
			t.Errorf("Spanish lookup page lacks %q", want)
		}
	}
}

// TestCommitteeCampaignSupporterFlow: a campaign aimed at the members of
// a subcommittee writes, for a supporter in 94110, only to the one of
// their members who sits on it; the page says why that office matters
// (English and Spanish) and the letter gets the seat merge fields. A
// supporter none of whose members sits on the committee is told so.
func TestCommitteeCampaignSupporterFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		slug := unique("ssju04")
		a := newActionServer(t, st, slug, campaign.Live, func(c *campaign.Campaign) {
			c.Targets = campaign.Targets{{Kind: campaign.RuleCommittee, Committee: "SSJU04"}}
			c.Template = "{{.salutation}},\n\nAs {{.committee_roles}}, please ask for the records.\n\nSincerely,\n{{.first_name}} {{.last_name}}"
		})
		c := browserClient(t)
		// The campaign page says whom the letters go to, before any ZIP.
		_, page := a.get(t, "/c/"+slug+"?lang=en")
		if want := "Your letter goes to those of your members who sit on the Subcommittee on Border Security and Immigration of the Senate Committee on the Judiciary, which oversees immigration enforcement and family detention."; !strings.Contains(html.UnescapeString(page), want) {
			t.Errorf("campaign page lacks %q", want)
		}
		_, page = a.get(t, "/c/"+slug+"?lang=es")
		if want := "Su carta va a aquellos de sus representantes que forman parte del Subcommittee on Border Security and Immigration del Senate Committee on the Judiciary, que supervisa la aplicación"; !strings.Contains(html.UnescapeString(page), want) {
			t.Errorf("Spanish campaign page lacks %q", want)
		}
		code, body := a.post(t, c, "/c/"+slug, supporter("94110", "CA"))
		body = html.UnescapeString(body)
		if code != 200 || strings.Count(body, `class="letter"`) != 1 || !strings.Contains(body, "Dear Senator Padilla") {
			t.Fatalf("review: %d\n%s", code, body)
		}
		for _, want := range []string{
			"Senator Padilla is the ranking member of the Subcommittee on Border Security and Immigration of the Senate Committee on the Judiciary, which oversees immigration enforcement and family detention.",
			"As Ranking Member of the Subcommittee on Border Security and Immigration, please ask",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("review lacks %q", want)
			}
		}
		// Sent and confirmed: one letter, to Padilla.
		if code, body := a.post(t, c, "/c/"+slug+"/send", supporter("94110", "CA")); code != 200 || !strings.Contains(body, "Check your email") {
			t.Fatalf("send: %d", code)
		}
		if code, _ := a.confirm(t, c, a.confirmLink(t)); code != 200 {
			t.Fatalf("confirm: %d", code)
		}
		letters, err := st.Letters(ctx, store.LetterFilter{CampaignID: a.camp.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(letters) != 1 || letters[0].BioguideID != "P000145" {
			t.Errorf("letters: %+v", letters)
		}
		_, body = a.post(t, c, "/c/"+slug+"?lang=es", supporter("94110", "CA"))
		if want := "Senador Padilla es líder de la minoría en el Subcommittee on Border Security and Immigration del Senate Committee on the Judiciary, que supervisa la aplicación de las leyes de inmigración y la detención de familias."; !strings.Contains(html.UnescapeString(body), want) {
			t.Errorf("Spanish review lacks %q", want)
		}

		// No member of this supporter sits on House Homeland Security.
		slug2 := unique("hshm")
		b := newActionServer(t, st, slug2, campaign.Live, func(c *campaign.Campaign) {
			c.Targets = campaign.Targets{{Kind: campaign.RuleCommittee, Committee: "HSHM"}}
		})
		code, body = b.post(t, c, "/c/"+slug2+"?lang=en", supporter("94110", "CA"))
		want := "This campaign writes only to members of Congress who sit on the House Committee on Homeland Security. Your members (Representative Nancy Pelosi, Senator Alex Padilla, Senator Adam B. Schiff) do not"
		if code >= 500 || !strings.Contains(html.UnescapeString(body), want) || strings.Contains(body, `class="letter"`) {
			t.Errorf("no matching member: %d, want %q", code, want)
		}
		_, body = b.post(t, c, "/c/"+slug2+"?lang=es", supporter("94110", "CA"))
		if !strings.Contains(html.UnescapeString(body), "Esta campaña escribe solo a miembros del Congreso que forman parte del House Committee on Homeland Security. Sus representantes (Representante Nancy Pelosi") {
			t.Error("no matching member: Spanish explanation missing")
		}
	})
}

// TestCampaignTargetsAPI: targets are a list of rules in GET and PUT;
// the former chamber names still work; the leaders rule is refused on a
// constituent campaign, unknown committees and offices are refused naming
// the rule, and sample_zip explains what each rule reaches.
func TestCampaignTargetsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := staffServer(t, st, web.Deps{})
		tok := bearer(t, st, addUser(t, st, unique("tg")+"@example.org", auth.Campaigner))
		c := browserClient(t)
		code, body := do(t, c, http.MethodPost, f.srv.URL+"/api/v1/campaigns", tok, "application/json", campaignBody(unique("tg"), nil))
		if code != 201 || !strings.Contains(body, `"targets":[{"kind":"house"},{"kind":"senate"}]`) {
			t.Fatalf("create with targets \"both\": %d %s", code, body)
		}
		camp := decode[apiCampaign](t, body)
		u := f.srv.URL + "/api/v1/campaigns/" + strconv.FormatInt(camp.ID, 10)

		code, body = do(t, c, http.MethodPut, u, tok, "application/json",
			`{"targets": [{"kind": "house"}, {"kind": "committee", "committee": "ssju"}], "sample_zip": "94110"}`)
		if code != 200 {
			t.Fatalf("put: %d %s", code, body)
		}
		var got struct {
			Targets []struct {
				Kind, Committee string
			} `json:"targets"`
			Reach struct {
				ZIP     string `json:"zip"`
				Summary string `json:"summary"`
				Rules   []struct {
					Rule    string   `json:"rule"`
					Offices []string `json:"offices"`
				} `json:"rules"`
			} `json:"targets_reach"`
		}
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Targets) != 2 || got.Targets[1].Committee != "SSJU" {
			t.Errorf("saved targets: %+v", got.Targets)
		}
		if want := "for ZIP 94110: Rep. Nancy Pelosi; Sen. Alex Padilla (Judiciary); Sen. Adam B. Schiff (Judiciary)"; got.Reach.Summary != want || len(got.Reach.Rules) != 2 {
			t.Errorf("reach: %+v, want %q", got.Reach, want)
		}
		_, body = do(t, c, http.MethodGet, u+"?sample_zip=20500", tok, "", "")
		if !strings.Contains(body, `"summary":"for ZIP 20500: Del. Eleanor Holmes Norton"`) {
			t.Errorf("GET with sample_zip: %s", body)
		}

		for _, tc := range []struct{ body, field, msg string }{
			{`{"targets": [{"kind": "leaders", "committee": "SSJU"}]}`, "targets[0]", "CWC accepts constituent mail only from a member's own constituents"},
			{`{"targets": [{"kind": "committee", "committee": "SSXX"}]}`, "targets[0]", `"SSXX" is not a committee or subcommittee`},
			{`{"targets": [{"kind": "house"}, {"kind": "offices", "offices": ["Z000000"]}]}`, "targets[1]", `"Z000000" is not the bioguide id`},
			{`{"targets": []}`, "targets", "at least one rule"},
			{`{"targets": "governors"}`, "targets", "not house, senate or both"},
			{`{"targets": [{"kind": "house"}], "sample_zip": "123"}`, "sample_zip", "5 digits"},
		} {
			code, body := do(t, c, http.MethodPut, u, tok, "application/json", tc.body)
			r := decode[apiRefusal](t, body)
			found := false
			for _, fe := range r.FieldErrors {
				found = found || (fe.Field == tc.field && strings.Contains(fe.Message, tc.msg))
			}
			if code != 422 || !found {
				t.Errorf("%s: %d %s, want %s: %q", tc.body, code, body, tc.field, tc.msg)
			}
		}
		// Nothing refused was saved.
		_, body = do(t, c, http.MethodGet, u, tok, "", "")
		if !strings.Contains(body, `"targets":[{"kind":"house"},{"kind":"committee","committee":"SSJU"}]`) {
			t.Errorf("after refusals: %s", body)
		}
	})
}

// TestCampaignEditorTargets: the editor's "Write to" fieldset saves rules,
// explains them for a sample ZIP, keeps what was typed when refused, and
// the preview fills the committee merge fields.
func TestCampaignEditorTargets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) { campaignEditorTargets(t, st) })
}

func campaignEditorTargets(t *testing.T, st *store.Store) {
	f := staffServer(t, st, web.Deps{})
	email := unique("ed") + "@example.org"
	addUser(t, st, email, auth.Campaigner)
	c := browserClient(t)
	signIn(t, c, f.srv.URL, email)
	form := url.Values{"_csrf": {csrfFrom(t, c, f.srv.URL+"/admin/campaigns/new")}, "title": {"Judiciary oversight"}, "slug": {unique("ed")},
		"status": {"draft"}, "loc_topic": {"Immigration"}, "summary_en": {"Ask for oversight."}, "call_to_action_en": {"Write."},
		"subject": {"Oversight"}, "template": {"{{.salutation}},\n\n{{if .committee_roles}}As {{.committee_roles}}, please{{else}}Please{{end}} act.\n\n{{.first_name}}"},
		"target_senate": {"1"}, "target_committee": {"SSJU04", "HSJU01"}, "target_leaders": {"SSJU"}, "target_offices": {"p000197"},
		"sample_zip": {"94110"}, "action": {"save"}, "bioguide_id": {"P000145"}}
	code, body, _ := postForm(t, c, f.srv.URL+"/admin/campaigns", form)
	body = html.UnescapeString(body)
	if code != 422 || !strings.Contains(body, "“chair and ranking member of Senate Committee on the Judiciary”: the chair and ranking member of a committee can be written to only by an organizational (sign-on) letter") {
		t.Fatalf("leaders rule not refused clearly: %d", code)
	}
	for _, kept := range []string{`value="SSJU04" selected`, `value="HSJU01" selected`, `value="p000197"`, `id="target_senate" value="1" checked`} {
		if !strings.Contains(body, kept) {
			t.Errorf("refused form lost %q", kept)
		}
	}
	form.Del("target_leaders")
	form.Set("_csrf", csrfFrom(t, c, f.srv.URL+"/admin/campaigns/new"))
	code, body, loc := postForm(t, c, f.srv.URL+"/admin/campaigns", form)
	if code != 303 && code != 200 {
		t.Fatalf("save: %d %s", code, body)
	}
	saved, err := st.CampaignBySlug(context.Background(), form.Get("slug"))
	if err != nil {
		t.Fatalf("campaign: %v", err)
	}
	if got := saved.Targets.Summary(); got != "my senators; my members who sit on SSJU04; my members who sit on HSJU01; hand-picked offices: P000197" {
		t.Errorf("saved: %q (location %s)", got, loc)
	}
	// Explained for the sample ZIP, and previewed for Padilla with his seat.
	form.Set("action", "preview")
	form.Set("_csrf", csrfFrom(t, c, f.srv.URL+"/admin/campaigns/new"))
	_, page, _ := postForm(t, c, f.srv.URL+"/admin/campaigns", form)
	page = html.UnescapeString(page)
	for _, want := range []string{
		"for ZIP 94110: Sen. Alex Padilla (Border Security and Immigration, ranking member); Sen. Adam B. Schiff; Rep. Nancy Pelosi",
		"As Ranking Member of the Subcommittee on Border Security and Immigration, please act.",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("editor lacks %q", want)
		}
	}
}

// committeeLetters creates a campaign with targets and one delivered
// letter to each office, and refreshes the rollups.
func committeeLetters(t *testing.T, st *store.Store, keys *seal.Keys, targets campaign.Targets, offices ...string) int64 {
	t.Helper()
	ctx := context.Background()
	c, err := st.CreateCampaign(ctx, campaign.Campaign{
		Slug: unique("committee-letters"), Title: "Judiciary oversight", Targets: targets, LOCTopic: "Immigration",
		Status: campaign.Live, Subject: "Oversight", Template: "{{.salutation}},\n\nPlease hold a hearing.\n\n{{.first_name}}",
	}, store.Audit{Action: "test.campaign"})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := st.CreateSubmission(ctx, store.Submission{CampaignID: c.ID, EmailIndex: keys.Index("email", unique("ana")+"@example.org"), Lang: "en"},
		func(id int64) (string, error) {
			return keys.SealJSON(map[string]string{"email": "ana@example.org"}, "submission")
		})
	if err != nil {
		t.Fatal(err)
	}
	var letters []store.NewLetter
	for _, id := range offices {
		m, ok := directory(t).Member(id)
		if !ok {
			t.Fatalf("no member %s", id)
		}
		o := action.Office(m)
		letters = append(letters, store.NewLetter{CampaignID: c.ID, SubmissionID: sub.ID, BioguideID: o.BioguideID, OfficeCode: o.Code,
			Chamber: o.Chamber, State: o.State, TemplateVer: 1, DeliveryID: delivery.NewDeliveryID(), ReplyToken: delivery.NewReplyToken(),
			Seal: func(id int64) (string, error) {
				return keys.SealJSON(delivery.Sealed{Subject: "Oversight", Body: "Dear Senator,\n\nPlease act.", Office: o}, delivery.LetterAAD(id))
			}})
	}
	ids, err := st.CreateLetters(ctx, letters, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if err := st.MarkSent(ctx, id, "sendgrid", "m", "ok", true, time.Now().Add(-3*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.RefreshRollups(ctx); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// TestResponseRatesByCommittee: group_by=committee counts each office's
// letters under each committee it sits on; for a campaign whose rules
// name committees, under exactly those (how many letters reached the
// members of each targeted committee). The dashboard shows the same.
func TestResponseRatesByCommittee(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		keys := seal.NewRandom()
		f := staffServer(t, st, web.Deps{Keys: keys})
		tok := bearer(t, st, addUser(t, st, unique("org")+"@example.org", auth.Organizer))
		// Padilla and Schiff sit on Senate Judiciary, Jordan chairs House
		// Judiciary, Pelosi sits on neither.
		offices := []string{"P000145", "S001150", "J000289", "P000197"}
		targeted := committeeLetters(t, st, keys, campaign.Targets{{Kind: campaign.RuleCommittee, Committee: "SSJU"},
			{Kind: campaign.RuleCommittee, Committee: "SSJU04"}, {Kind: campaign.RuleCommittee, Committee: "HSJU"}}, offices...)
		plain := committeeLetters(t, st, keys, campaign.TargetBoth, offices...)

		type groups struct {
			GroupBy string `json:"group_by"`
			Groups  []struct {
				Key       string `json:"key"`
				Label     string `json:"label"`
				Letters   int64  `json:"letters"`
				Delivered int64  `json:"delivered"`
			} `json:"groups"`
		}
		get := func(q string) map[string]int64 {
			t.Helper()
			code, body := do(t, http.DefaultClient, http.MethodGet, f.srv.URL+"/api/v1/metrics/response-rates?"+q, tok, "", "")
			var g groups
			if code != 200 || json.Unmarshal([]byte(body), &g) != nil || g.GroupBy != "committee" {
				t.Fatalf("%s: %d %s", q, code, body)
			}
			out := map[string]int64{}
			for _, x := range g.Groups {
				out[x.Key+" "+x.Label] = x.Delivered
			}
			return out
		}
		got := get("group_by=committee&campaign=" + strconv.FormatInt(targeted, 10))
		want := map[string]int64{
			"SSJU Senate Committee on the Judiciary":                                                     2,
			"SSJU04 Subcommittee on Border Security and Immigration (Senate Committee on the Judiciary)": 1,
			"HSJU House Committee on the Judiciary":                                                      1,
		}
		if len(got) != len(want) {
			t.Errorf("targeted committees: %v, want %v", got, want)
		}
		for k, n := range want {
			if got[k] != n {
				t.Errorf("targeted %q: %d delivered, want %d (all: %v)", k, got[k], n, got)
			}
		}
		// A campaign naming no committee: every full committee of its offices.
		got = get("group_by=committee&campaign=" + strconv.FormatInt(plain, 10))
		if got["SSJU Senate Committee on the Judiciary"] != 2 || got["HSJU House Committee on the Judiciary"] != 1 {
			t.Errorf("full committees: %v", got)
		}
		for k := range got {
			if strings.HasPrefix(k, "SSJU0") || strings.HasPrefix(k, "HSJU0") {
				t.Errorf("subcommittee %q in the full-committee grouping", k)
			}
		}
		// The dashboard groups replies by committee too.
		_, body := do(t, http.DefaultClient, http.MethodGet, f.srv.URL+"/admin/dashboard?campaign="+strconv.FormatInt(targeted, 10), tok, "", "")
		if !strings.Contains(body, "Committee: Subcommittee on Border Security and Immigration (Senate Committee on the Judiciary)") {
			t.Error("dashboard lacks the targeted subcommittee row")
		}
	})
}

// TestCoverageFollowsCommitteeRules: the coverage of a campaign aimed at
// a committee lists exactly its seat holders, the offices its letters can
// reach.
func TestCoverageFollowsCommitteeRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) { coverageFollowsCommitteeRules(t, st) })
}

func coverageFollowsCommitteeRules(t *testing.T, st *store.Store) {
	f := staffServer(t, st, web.Deps{})
	tok := bearer(t, st, addUser(t, st, unique("cov")+"@example.org", auth.Campaigner))
	c := browserClient(t)
	code, body := do(t, c, http.MethodPost, f.srv.URL+"/api/v1/campaigns", tok, "application/json",
		campaignBody(unique("cov"), map[string]any{"targets": []map[string]any{{"kind": "committee", "committee": "SSJU04"}}}))
	if code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	camp := decode[apiCampaign](t, body)
	code, body = do(t, c, http.MethodGet, f.srv.URL+"/api/v1/campaigns/"+strconv.FormatInt(camp.ID, 10)+"/coverage", tok, "", "")
	var cov struct {
		Offices []struct {
			BioguideID string `json:"bioguide_id"`
		} `json:"offices"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &cov) != nil {
		t.Fatalf("coverage: %d %s", code, body)
	}
	sub, _ := directory(t).Committee("SSJU04")
	want := map[string]bool{}
	for _, s := range sub.Seats {
		want[s.BioguideID] = true
	}
	if len(cov.Offices) != len(want) {
		t.Errorf("%d offices, want the %d seats of SSJU04", len(cov.Offices), len(want))
	}
	for _, o := range cov.Offices {
		if !want[o.BioguideID] {
			t.Errorf("%s has no seat on SSJU04", o.BioguideID)
		}
	}
}
