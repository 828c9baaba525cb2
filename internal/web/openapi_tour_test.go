package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/store"
)

// exchange is one API request of the tour and its answer.
type exchange struct {
	Method, Route string // Route is the pattern of the route table
	URL           string
	Status        int
	ContentType   string
	Body          string
	// Refused is the input a 422 answer must name in field_errors ("-"
	// for the request as a whole); set by refused().
	Refused string
}

// apiTour calls every route of /api/v1 on a server with a live campaign,
// confirmed letters, case records, a release, a schedule and a tabling
// event, as an integrator would, and returns what each one answered. The
// OpenAPI test checks every answer against the description.
func apiTour(t *testing.T, st *store.Store) []exchange {
	t.Helper()
	slug := unique("tour")
	a := newActionServer(t, st, slug, campaign.Live)
	admin := bearer(t, st, addUser(t, st, unique("tour-admin")+"@example.org", auth.Admin))
	c := browserClient(t)
	if code, body := a.post(t, c, "/c/"+slug+"/send", supporter("94110", "CA")); code != http.StatusOK && code != http.StatusSeeOther {
		t.Fatalf("send: %d %s", code, body)
	}
	if code, body := a.confirm(t, c, a.confirmLink(t)); code != http.StatusOK && code != http.StatusSeeOther {
		t.Fatalf("confirm: %d %s", code, body)
	}

	var out []exchange
	call := func(method, route, path, contentType, body string, want int) string {
		t.Helper()
		code, resp, ct := doCT(t, c, method, a.srv.URL+path, admin, contentType, body)
		if code != want {
			t.Fatalf("%s %s: %d, want %d: %s\nserver log:\n%s", method, path, code, want, resp, a.logs.String())
		}
		out = append(out, exchange{Method: method, Route: route, URL: path, Status: code, ContentType: ct, Body: resp})
		return resp
	}
	// refused is call for a request the server must refuse (422) with a
	// field_errors entry naming field ("-": the request as a whole).
	refused := func(method, route, path, contentType, body, field string) {
		t.Helper()
		call(method, route, path, contentType, body, http.StatusUnprocessableEntity)
		out[len(out)-1].Refused = field
	}
	id := func(body, field string) int64 {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		v, ok := m[field].(float64)
		if !ok {
			t.Fatalf("no %s in %s", field, body)
		}
		return int64(v)
	}
	const j = "application/json"
	camp := fmt.Sprint(a.camp.ID)

	call("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", "", "", 200)
	call("GET", "/api/v1/representatives", "/api/v1/representatives?zip=94110", "", "", 200)
	call("GET", "/api/v1/representatives", "/api/v1/representatives?zip=00000", "", "", 404)
	call("GET", "/api/v1/me", "/api/v1/me", "", "", 200)
	call("GET", "/api/v1/audit", "/api/v1/audit", "", "", 200)

	// Campaigns.
	call("GET", "/api/v1/campaigns", "/api/v1/campaigns", "", "", 200)
	created := call("POST", "/api/v1/campaigns", "/api/v1/campaigns", j, campaignBody(unique("tour-new"), nil), 201)
	newID := fmt.Sprint(id(created, "id"))
	refused("POST", "/api/v1/campaigns", "/api/v1/campaigns", j, campaignBody(unique("tour-bad"), map[string]any{"title": ""}), "title")
	call("GET", "/api/v1/campaigns/:id", "/api/v1/campaigns/"+camp, "", "", 200)
	call("GET", "/api/v1/campaigns/:id", "/api/v1/campaigns/999999", "", "", 404)
	call("PUT", "/api/v1/campaigns/:id", "/api/v1/campaigns/"+newID, j, `{"summary_en": "Ask Congress for every record."}`, 200)
	call("PUT", "/api/v1/campaigns/:id", "/api/v1/campaigns/"+newID, j, `{"embed_origins": ["https://www.example.org", "http://localhost:3000"]}`, 200)
	refused("PUT", "/api/v1/campaigns/:id", "/api/v1/campaigns/"+newID, j, `{"embed_origins": ["http://www.example.org"]}`, "embed_origins")
	call("GET", "/api/v1/campaigns/:id/preview", "/api/v1/campaigns/"+camp+"/preview?bioguide_id=P000197", "", "", 200)
	call("GET", "/api/v1/campaigns/:id/versions", "/api/v1/campaigns/"+newID+"/versions", "", "", 200)
	call("PUT", "/api/v1/campaigns/:id", "/api/v1/campaigns/"+newID, j, `{"template": "{{.salutation}},\n\nPlease act.\n\n{{.first_name}}"}`, 200)
	call("GET", "/api/v1/campaigns/:id/versions/diff", "/api/v1/campaigns/"+newID+"/versions/diff?b=2", "", "", 200)
	call("GET", "/api/v1/campaigns/:id/coverage", "/api/v1/campaigns/"+camp+"/coverage", "", "", 200)

	// Tabling events.
	ev := call("POST", "/api/v1/campaigns/:id/tabling-events", "/api/v1/campaigns/"+camp+"/tabling-events", j,
		`{"ends_at": "`+time.Now().Add(3*time.Hour).UTC().Format(time.RFC3339)+`", "ip_limit": 200, "note": "Library fair"}`, 201)
	call("GET", "/api/v1/campaigns/:id/tabling-events", "/api/v1/campaigns/"+camp+"/tabling-events", "", "", 200)
	call("POST", "/api/v1/campaigns/:id/tabling-events/:event/end", fmt.Sprintf("/api/v1/campaigns/%s/tabling-events/%d/end", camp, id(ev, "id")), "", "", 200)

	// Sign-on letters: one organization signed and confirmed.
	soSlug := unique("tour-signon")
	ends := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	so, err := st.CreateCampaign(context.Background(), campaign.Campaign{Kind: campaign.SignOn, Slug: soSlug, Title: "Judiciary hearings",
		SummaryEN: "A coalition letter.", SummaryES: "Una carta de coalición.", CallToActionEN: "Sign on", CallToActionES: "Firme",
		Targets: campaign.Targets{{Kind: campaign.RuleLeaders, Committee: "SSJU"}}, LOCTopic: "Immigration", Status: campaign.Live, EndsAt: &ends,
		Subject: "Oversight hearings", Template: "{{.salutation}},\n\nWe ask for hearings.\n\nRespectfully,"}, store.Audit{Action: "test"})
	if err != nil {
		t.Fatal(err)
	}
	sig, err := st.CreateSignatory(context.Background(), store.Submission{CampaignID: so.ID, EmailIndex: unique("tour-sig"), Lang: "en"},
		func(int64) (string, error) { return "", nil }, store.Signatory{Organization: "Florence Project", City: "Tucson", State: "AZ", NameKey: "florence project"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ConfirmSignatory(context.Background(), so.ID, sig.SubmissionID, time.Now()); err != nil {
		t.Fatal(err)
	}
	soID, sigPath := fmt.Sprint(so.ID), fmt.Sprintf("/api/v1/campaigns/%d/signatories/%d", so.ID, sig.ID)
	call("GET", "/api/v1/campaigns/:id/signatories", "/api/v1/campaigns/"+soID+"/signatories", "", "", 200)
	call("GET", "/api/v1/campaigns/:id/signatories", "/api/v1/campaigns/"+camp+"/signatories", "", "", 404)
	refused("POST", "/api/v1/campaigns/:id/signatories/:sid", sigPath, j, `{"status": "maybe"}`, "status")
	call("POST", "/api/v1/campaigns/:id/signatories/:sid", sigPath, j, `{"status": "approved"}`, 200)
	call("GET", "/api/v1/signon/:slug", "/api/v1/signon/"+soSlug, "", "", 200)
	call("GET", "/api/v1/signon/:slug", "/api/v1/signon/"+slug, "", "", 404)
	call("POST", "/api/v1/campaigns/:id/signon/deliver", "/api/v1/campaigns/"+soID+"/signon/deliver", "", "", 200)
	call("POST", "/api/v1/campaigns/:id/signon/deliver", "/api/v1/campaigns/"+soID+"/signon/deliver", "", "", 409)
	call("POST", "/api/v1/campaigns/:id/signatories/:sid", sigPath, j, `{"status": "rejected"}`, 409)

	// Letters and the outbox.
	letters := call("GET", "/api/v1/letters", "/api/v1/letters?campaign="+camp, "", "", 200)
	var lp struct {
		Letters []struct {
			ID int64 `json:"id"`
		} `json:"letters"`
	}
	if err := json.Unmarshal([]byte(letters), &lp); err != nil || len(lp.Letters) == 0 {
		t.Fatalf("letters: %v %s", err, letters)
	}
	letterID := fmt.Sprint(lp.Letters[0].ID)
	call("GET", "/api/v1/letters/:id", "/api/v1/letters/"+letterID, "", "", 200)
	// This server runs no job queue: requeueing answers 503, which says so.
	call("POST", "/api/v1/letters/requeue", "/api/v1/letters/requeue", j, `{"ids": [`+letterID+`]}`, 503)
	call("POST", "/api/v1/letters/requeue", "/api/v1/letters/requeue", j, `{"ids": []}`, 400)
	box := call("GET", "/api/v1/outbox", "/api/v1/outbox", "", "", 200)
	var bp struct {
		Messages []struct {
			ID int64 `json:"id"`
		} `json:"messages"`
	}
	if err := json.Unmarshal([]byte(box), &bp); err != nil || len(bp.Messages) == 0 {
		t.Fatalf("outbox: %v %s", err, box)
	}
	call("GET", "/api/v1/outbox/:id", fmt.Sprintf("/api/v1/outbox/%d", bp.Messages[0].ID), "", "", 200)

	// Office contacts.
	t.Cleanup(func() { _ = st.ReplaceOfficeContacts(t.Context(), "P000197", nil, store.Audit{Action: "test"}) })
	call("PUT", "/api/v1/offices/:office/contacts", "/api/v1/offices/P000197/contacts", j,
		`{"contacts": [{"name": "Lee Park", "role": "Immigration counsel", "email": "lee_park@mail.house.gov"}]}`, 200)
	refused("PUT", "/api/v1/offices/:office/contacts", "/api/v1/offices/P000197/contacts", j, `{"contacts": [{"name": "", "email": "not an address"}]}`, "contacts[0].email")
	call("GET", "/api/v1/offices/:office/contacts", "/api/v1/offices/P000197/contacts", "", "", 200)

	// Responses and metrics.
	call("POST", "/api/v1/responses", "/api/v1/responses", j, fmt.Sprintf(`{"letter_id": %s, "kind": "written_reply", "substance": "substantive", "date": "%s", "note": "The office wrote back."}`,
		letterID, time.Now().UTC().Format("2006-01-02")), 201)
	refused("POST", "/api/v1/responses", "/api/v1/responses", j, `{"letter_id": 0, "kind": "carrier pigeon"}`, "kind")
	call("GET", "/api/v1/metrics/response-rates", "/api/v1/metrics/response-rates?group_by=state", "", "", 200)
	call("GET", "/api/v1/metrics/response-rates", "/api/v1/metrics/response-rates?group_by=source", "", "", 200)
	call("GET", "/api/v1/metrics/response-rates", "/api/v1/metrics/response-rates?group_by=nope", "", "", 400)
	call("GET", "/api/v1/supporters", "/api/v1/supporters?state=CA&status=all", "", "", 200)
	call("GET", "/api/v1/supporters", "/api/v1/supporters?pii=1&per_page=10", "", "", 200)
	call("GET", "/api/v1/supporters", "/api/v1/supporters?district=California", "", "", 400)

	// Schedules and follow-ups.
	sched := call("POST", "/api/v1/schedule", "/api/v1/schedule", j, fmt.Sprintf(`{"kind":"campaign_launch","campaign_id":%s,"cron":"0 9 * * 1"}`, newID), 201)
	refused("POST", "/api/v1/schedule", "/api/v1/schedule", j, fmt.Sprintf(`{"kind":"campaign_launch","campaign_id":%s,"cron":"0 25 * * *"}`, newID), "cron")
	schedID := fmt.Sprint(id(sched, "id"))
	call("GET", "/api/v1/schedule", "/api/v1/schedule", "", "", 200)
	call("PUT", "/api/v1/schedule/:id", "/api/v1/schedule/"+schedID, j, fmt.Sprintf(`{"kind":"campaign_launch","campaign_id":%s,"cron":"0 10 * * 1"}`, newID), 200)
	call("GET", "/api/v1/schedule/next", "/api/v1/schedule/next?cron=0+9+*+*+1&time_zone=America/Chicago", "", "", 200)
	refused("GET", "/api/v1/representatives", "/api/v1/representatives?address=3200+24th+St,+San+Francisco", "", "", "address")
	refused("GET", "/api/v1/schedule/next", "/api/v1/schedule/next?cron=0+9+*+*+1&time_zone=Mars/Olympus", "", "", "time_zone")
	call("DELETE", "/api/v1/schedule/:id", "/api/v1/schedule/"+schedID, "", "", 204)
	call("GET", "/api/v1/followups/:id", "/api/v1/followups/"+camp, "", "", 200)
	call("PUT", "/api/v1/followups/:id", "/api/v1/followups/"+camp, j, `{"survey_enabled": true, "survey_days": 10}`, 200)
	refused("PUT", "/api/v1/followups/:id", "/api/v1/followups/"+camp, j, `{"survey_days": -1}`, "survey_days")

	// Mobilization emails: a supporter of the campaign joined the list.
	addOptIn(t, st, a.keys, "tour-optin@example.org", "Luz", "es", a.camp.ID)
	mail := func(extra string) string {
		return `{"name": "Hearing week", "campaign_id": ` + camp + `, "subject_en": "{{.first_name}}, one minute", "body_en": "Hi {{.first_name}}: {{.campaign_link}}",` +
			` "subject_es": "{{.first_name}}, un minuto", "body_es": "Hola {{.first_name}}: {{.campaign_link}}", "segment": {"campaign_id": ` + camp + `}` + extra + `}`
	}
	call("POST", "/api/v1/mailings/preview", "/api/v1/mailings/preview", j, mail(`, "preview": {"email": "tour-optin@example.org"}`), 200)
	ml := call("POST", "/api/v1/mailings", "/api/v1/mailings", j, mail(`, "send_at": "`+time.Now().Add(time.Hour).UTC().Format(time.RFC3339)+`"`), 201)
	refused("POST", "/api/v1/mailings", "/api/v1/mailings", j, `{"name": "Broken", "subject_en": "Hi", "body_en": "Hi {{.frist_name}}"}`, "body_en")
	refused("POST", "/api/v1/mailings", "/api/v1/mailings", j, `{"name": "Nobody", "subject_en": "Hi", "body_en": "Hi", "segment": {"campaign_id": `+newID+`}}`, "segment")
	refused("POST", "/api/v1/mailings", "/api/v1/mailings", j, `{"name": "Judiciary", "subject_en": "Hi", "body_en": "Hi", "segment": {"committee": "XXJU", "not_written_campaign_id": `+camp+`}}`, "segment.committee")
	refused("POST", "/api/v1/mailings/preview", "/api/v1/mailings/preview", j, `{"name": "Districts", "subject_en": "Hi", "body_en": "Hi", "segment": {"states": ["AZ"], "districts": ["CA-12"]}}`, "segment.districts")
	mlID := fmt.Sprint(id(ml, "id"))
	call("GET", "/api/v1/mailings", "/api/v1/mailings", "", "", 200)
	call("GET", "/api/v1/mailings/:id", "/api/v1/mailings/"+mlID, "", "", 200)
	call("POST", "/api/v1/mailings/:id/cancel", "/api/v1/mailings/"+mlID+"/cancel", "", "", 200)
	call("POST", "/api/v1/mailings/:id/cancel", "/api/v1/mailings/"+mlID+"/cancel", "", "", 409)

	// Case records and statistics releases.
	rs := someCases(3, 11)
	one, _ := json.Marshal(rs[0])
	caseBody := call("POST", "/api/v1/cases", "/api/v1/cases", j, string(one), 201)
	caseID := fmt.Sprint(id(caseBody, "id"))
	refused("POST", "/api/v1/cases", "/api/v1/cases", j, `{"quarter": "2018-Q9"}`, "quarter")
	call("GET", "/api/v1/cases", "/api/v1/cases?limit=2", "", "", 200)
	call("GET", "/api/v1/cases/:id", "/api/v1/cases/"+caseID, "", "", 200)
	two, _ := json.Marshal(rs[1])
	call("PUT", "/api/v1/cases/:id", "/api/v1/cases/"+caseID, j, string(two), 200)
	call("DELETE", "/api/v1/cases/:id", "/api/v1/cases/"+caseID, "", "", 204)
	call("GET", "/api/v1/stats/latest", "/api/v1/stats/latest", "", "", 200)
	rel := call("GET", "/api/v1/stats/releases", "/api/v1/stats/releases", "", "", 200)
	var rp struct {
		Releases []struct {
			ID int64 `json:"release_id"`
		} `json:"releases"`
	}
	if err := json.Unmarshal([]byte(rel), &rp); err != nil || len(rp.Releases) == 0 {
		t.Fatalf("releases: %v %s", err, rel)
	}
	call("GET", "/api/v1/stats/releases/:id", fmt.Sprintf("/api/v1/stats/releases/%d", rp.Releases[0].ID), "", "", 200)
	call("POST", "/api/v1/stats/releases", "/api/v1/stats/releases", j, `{"rounding": 5}`, 201)
	refused("POST", "/api/v1/stats/releases", "/api/v1/stats/releases", j, `{"threshold": 1}`, "threshold")
	return out
}

// doCT sends a request with an optional bearer token and body, and
// returns the status, the body and the Content-Type of the answer.
func doCT(t testing.TB, c *http.Client, method, u, token, contentType, body string) (int, string, string) {
	t.Helper()
	resp := request(t, c, method, u, token, contentType, body)
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header.Get("Content-Type")
}
