package web_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/followup"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/web"
)

func newScheduleCampaign(t *testing.T, st *store.Store) campaign.Campaign {
	t.Helper()
	c, err := st.CreateCampaign(context.Background(), campaign.Campaign{Slug: unique("sched"), Title: "Scheduled campaign",
		Targets: campaign.TargetBoth, LOCTopic: "Immigration", Status: campaign.Draft, Subject: "Oversight", Template: "{{.salutation}},\n\nPlease act."},
		store.Audit{Action: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestScheduleAPIValidatesAndLists(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		now := time.Date(2026, 3, 6, 15, 0, 0, 0, time.UTC)
		f := staffServer(t, st, web.Deps{Now: func() time.Time { return now }})
		camp := newScheduleCampaign(t, st)
		tok := bearer(t, st, addUser(t, st, unique("sched")+"@example.org", auth.Campaigner))
		org := bearer(t, st, addUser(t, st, unique("org")+"@example.org", auth.Organizer))
		c := browserClient(t)
		api := f.srv.URL + "/api/v1/schedule"
		count := func() int {
			code, body := do(t, c, http.MethodGet, api, org, "", "")
			if code != 200 {
				t.Fatalf("list: %d %s", code, body)
			}
			return strings.Count(body, `"kind":`)
		}
		before := count()
		for _, bad := range []struct{ body, field string }{
			{`{"kind":"campaign_launch","campaign_id":%d,"cron":"0 25 * * *"}`, "cron"},
			{`{"kind":"campaign_launch","campaign_id":%d,"cron":"@fortnightly"}`, "cron"},
			{`{"kind":"campaign_launch","campaign_id":%d,"cron":"@daily","time_zone":"Europe/Atlantis"}`, "time_zone"},
			{`{"kind":"delivery_wave","campaign_id":%d,"cron":"@daily","params":{"per_office":-5}}`, "params"},
			{`{"kind":"teleport","campaign_id":%d,"cron":"@daily"}`, "kind"},
		} {
			code, body := do(t, c, http.MethodPost, api, tok, "application/json", fmt.Sprintf(bad.body, camp.ID))
			if code != http.StatusUnprocessableEntity || !strings.Contains(body, `"`+bad.field+`":`) {
				t.Errorf("%s: %d %s", bad.body, code, body)
			}
		}
		if code, _ := do(t, c, http.MethodPost, api, tok, "application/json", `{"kind":`); code != http.StatusBadRequest {
			t.Errorf("broken JSON: %d", code)
		}
		if code, _ := do(t, c, http.MethodPost, api, org, "application/json", `{"kind":"digest","cron":"@weekly"}`); code != http.StatusForbidden {
			t.Errorf("organizer may not create: %d", code)
		}
		if got := count(); got != before {
			t.Fatalf("refused schedules were saved: %d -> %d", before, got)
		}
		code, body := do(t, c, http.MethodPost, api, tok, "application/json",
			fmt.Sprintf(`{"kind":"campaign_launch","campaign_id":%d,"cron":"0 9 * * *"}`, camp.ID))
		if code != http.StatusCreated || !strings.Contains(body, `"next_run_at":"2026-03-07T14:00:00Z"`) ||
			!strings.Contains(body, "Sunday, March 8, 2026 at 9:00 AM EDT") || !strings.Contains(body, `"time_zone":"America/New_York"`) {
			t.Fatalf("create: %d %s", code, body)
		}
		if got := count(); got != before+1 {
			t.Fatalf("count after create = %d", got)
		}
		code, body = do(t, c, http.MethodGet, api+"/next?cron="+url.QueryEscape("30 2 * * *")+"&time_zone=America/New_York", org, "", "")
		if code != 200 || strings.Count(body, " at ") != 5 {
			t.Errorf("next: %d %s", code, body)
		}
		if code, body := do(t, c, http.MethodGet, api+"/next?cron=nonsense", org, "", ""); code != http.StatusUnprocessableEntity || !strings.Contains(body, "not a valid schedule") {
			t.Errorf("next of nonsense: %d %s", code, body)
		}

		// Follow-up rules: bad delays and unknown template fields are refused
		// and nothing is saved.
		fu := fmt.Sprintf("%s/api/v1/followups/%d", f.srv.URL, camp.ID)
		for _, bad := range []string{`{"survey_enabled":true,"survey_days":0}`, `{"survey_days":-1}`, `{"second_days":366}`,
			`{"second_enabled":true,"second_subject":"Again","second_body":"{{.first_letter_date}} {{.frist_name}}"}`} {
			if code, body := do(t, c, http.MethodPut, fu, tok, "application/json", bad); code != http.StatusUnprocessableEntity {
				t.Errorf("%s: %d %s", bad, code, body)
			}
		}
		if _, body := do(t, c, http.MethodGet, fu, org, "", ""); !strings.Contains(body, `"survey_enabled":false`) || !strings.Contains(body, `"survey_days":14`) {
			t.Fatalf("refused rules were saved: %s", body)
		}
		code, body = do(t, c, http.MethodPut, fu, tok, "application/json",
			`{"survey_enabled":true,"survey_days":10,"second_enabled":true,"second_days":21,"second_subject":"Following up","second_body":"On {{.first_letter_date}}, {{.constituent_count}} constituents wrote."}`)
		if code != 200 || !strings.Contains(body, "On February 10, 2026, 12 constituents wrote.") {
			t.Fatalf("save rules: %d %s", code, body)
		}

		// The agenda page and its form.
		staff := addUser(t, st, unique("schedpage")+"@example.org", auth.Campaigner)
		signIn(t, c, f.srv.URL, staff.Email)
		code, page := getPage(t, c, f.srv.URL+"/admin/schedule")
		if code != 200 || !strings.Contains(page, "Launch the campaign") || !strings.Contains(page, "Saturday, March 7, 2026 at 9:00 AM EST") {
			t.Fatalf("agenda: %d", code)
		}
		tokCSRF := csrfFrom(t, c, f.srv.URL+"/admin/schedule")
		code, page, _ = postForm(t, c, f.srv.URL+"/admin/schedule", url.Values{"_csrf": {tokCSRF}, "kind": {"campaign_close"},
			"campaign_id": {fmt.Sprint(camp.ID)}, "cron": {"0 0 31 2 *"}, "time_zone": {"America/New_York"}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(page, "never happens") {
			t.Fatalf("bad form: %d", code)
		}
		code, page, _ = postForm(t, c, f.srv.URL+"/admin/schedule", url.Values{"_csrf": {tokCSRF}, "kind": {"campaign_close"},
			"campaign_id": {fmt.Sprint(camp.ID)}, "cron": {"@monthly"}, "time_zone": {"America/Chicago"}, "preview": {"1"}})
		if code != 200 || !strings.Contains(page, "Wednesday, April 1, 2026 at 12:00 AM CDT") {
			t.Fatalf("preview: %d", code)
		}
		code, page = getPage(t, c, fmt.Sprintf("%s/admin/followups/%d", f.srv.URL, camp.ID))
		if code != 200 || !strings.Contains(page, "12 constituents wrote") {
			t.Fatalf("follow-ups page: %d", code)
		}
	})
}

func TestSurveyAnswerPage(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	keys := seal.NewRandom()
	now := time.Now()
	f := staffServer(t, st, web.Deps{Keys: keys, Now: func() time.Time { return now }, BaseURL: "http://act.example.org"})
	camp := newScheduleCampaign(t, st)
	sub, err := st.CreateSubmission(ctx, store.Submission{CampaignID: camp.ID, EmailIndex: keys.Index("email", "ana@example.org"), Lang: "es"},
		func(int64) (string, error) { return "x", nil })
	if err != nil {
		t.Fatal(err)
	}
	ids, err := st.ConfirmSubmission(ctx, sub.ID, now, func(map[string]bool) ([]store.NewLetter, error) {
		return []store.NewLetter{{CampaignID: camp.ID, SubmissionID: sub.ID, BioguideID: "P000197", OfficeCode: "HCA11", Chamber: "house", State: "CA",
			TemplateVer: 1, DeliveryID: delivery.NewDeliveryID(), ReplyToken: delivery.NewReplyToken(), Seal: func(id int64) (string, error) {
				return keys.SealJSON(delivery.Sealed{Subject: "S", Body: "B", Office: delivery.Office{BioguideID: "P000197", Name: "Nancy Pelosi", Title: "Representative"}},
					delivery.LetterAAD(id))
			}}}, nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	links := followup.Links{BaseURL: "http://act.example.org", Keys: keys}
	link := links.SurveyURL(camp.Slug, ids[0], "es", now)
	u, _ := url.Parse(link)
	c := browserClient(t)
	// The survey email's link for an office: the page names it and asks.
	code, page := getPage(t, c, f.srv.URL+u.RequestURI())
	if code != 200 || !strings.Contains(page, "¿Le respondió la oficina de la representante Nancy Pelosi?") || !strings.Contains(page, "Solo un acuse de recibo") ||
		strings.Contains(page, " checked") {
		t.Fatalf("survey page: %d %s", code, page)
	}
	// An earlier survey email's link chose the answer: still works.
	if code, page := getPage(t, c, f.srv.URL+u.RequestURI()+"&a=acknowledged"); code != 200 || !strings.Contains(page, `value="acknowledged" checked`) {
		t.Fatalf("survey page with an answer: %d %s", code, page)
	}
	if got, _ := st.SurveyAnswers(ctx, ids[0]); len(got) != 0 {
		t.Fatal("a GET recorded an answer")
	}
	tok := csrfField.FindStringSubmatch(page)[1]
	code, page, _ = postForm(t, c, f.srv.URL+u.Path, url.Values{"_csrf": {tok}, "t": {u.Query().Get("t")}, "answer": {"acknowledged"}})
	if code != 200 || !strings.Contains(page, "answer_id") {
		t.Fatalf("answer: %d %s", code, page)
	}
	id := strings.Split(strings.Split(page, `name="answer_id" value="`)[1], `"`)[0]
	// the answer page's language switch reopens the survey's link, answer kept
	if en := switchLink(t, page, "en"); !strings.HasPrefix(en, "/c/"+camp.Slug+"/survey?a=acknowledged&t=") {
		t.Errorf("language switch after answering: %s", en)
	} else if code, p := getPage(t, browserClient(t), f.srv.URL+en); code != 200 || !strings.Contains(p, `value="acknowledged" checked`) {
		t.Errorf("survey reopened in English: %d", code)
	}
	code, page, _ = postForm(t, c, f.srv.URL+u.Path, url.Values{"_csrf": {tok}, "t": {u.Query().Get("t")}, "answer_id": {id},
		"note": {"Form letter."}, "reply_text": {"Thank you for contacting our office."}})
	if code != 200 || switchLink(t, page, "en") != "/m/survey_saved?lang=en" {
		t.Fatalf("note: %d", code)
	}
	got, err := st.SurveyAnswers(ctx, ids[0])
	if err != nil || len(got) != 1 || got[0].Answer != "acknowledged" {
		t.Fatalf("answers = %+v, %v", got, err)
	}
	if strings.Contains(got[0].Sealed, "Thank you") {
		t.Fatal("the forwarded reply is stored in clear")
	}
	text, err := followup.OpenSurveyText(keys, got[0].ID, got[0].Sealed)
	if err != nil || text.Note != "Form letter." || !strings.Contains(text.ReplyText, "Thank you") {
		t.Fatalf("sealed survey text = %+v, %v", text, err)
	}
	if code, _ := getPage(t, c, f.srv.URL+"/c/"+camp.Slug+"/survey?t=forged"); code != http.StatusBadRequest {
		t.Errorf("forged token: %d", code)
	}
}

// A statistics release is a schedule kind like the others: created,
// edited, listed and removed through the API and the agenda; not per
// campaign; only staff who may publish releases may schedule them.
func TestStatsReleaseScheduleAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		now := time.Date(2026, 3, 6, 15, 0, 0, 0, time.UTC)
		f := staffServer(t, st, web.Deps{Now: func() time.Time { return now }})
		camp := newScheduleCampaign(t, st)
		admin := addUser(t, st, unique("reladmin")+"@example.org", auth.Admin)
		adm := bearer(t, st, admin)
		cmp := bearer(t, st, addUser(t, st, unique("relcamp")+"@example.org", auth.Campaigner))
		c := browserClient(t)
		api := f.srv.URL + "/api/v1/schedule"
		if code, body := do(t, c, http.MethodPost, api, cmp, "application/json", `{"kind":"stats_release","cron":"@weekly"}`); code != http.StatusForbidden {
			t.Errorf("campaigner schedules a release: %d %s", code, body)
		} else if !strings.Contains(body, "admins only") || strings.Contains(body, "case editor") {
			t.Errorf("the refusal must name who may (admins), not case editors, who cannot reach schedules: %s", body)
		}
		code, body := do(t, c, http.MethodPost, api, adm, "application/json", fmt.Sprintf(`{"kind":"stats_release","cron":"@weekly","campaign_id":%d}`, camp.ID))
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, `"campaign_id":`) || !strings.Contains(body, "not per campaign") {
			t.Errorf("release with a campaign: %d %s", code, body)
		}
		code, body = do(t, c, http.MethodPost, api, adm, "application/json", `{"kind":"stats_release","cron":"0 6 * * 1","time_zone":"America/Chicago"}`)
		if code != http.StatusCreated || !strings.Contains(body, `"campaign_id":null`) || !strings.Contains(body, `"next_run_at":"2026-03-09T11:00:00Z"`) ||
			!strings.Contains(body, "Monday, March 9, 2026 at 6:00 AM CDT") || strings.Count(body, " at 6:00 AM CDT") != 5 ||
			!strings.Contains(body, `"when":"every Monday at 6:00"`) {
			t.Fatalf("create: %d %s", code, body)
		}
		id := strings.Split(strings.Split(body, `"id":`)[1], ",")[0]
		if _, body := do(t, c, http.MethodGet, api, cmp, "", ""); !strings.Contains(body, `"kind":"stats_release"`) {
			t.Errorf("list: %s", body)
		}
		// Edit: refused with the reason, then changed.
		if code, body := do(t, c, http.MethodPut, api+"/"+id, adm, "application/json", `{"cron":"0 6 * *"}`); code != http.StatusUnprocessableEntity || !strings.Contains(body, "not a valid schedule") {
			t.Errorf("bad edit: %d %s", code, body)
		}
		if code, _ := do(t, c, http.MethodPut, api+"/"+id, cmp, "application/json", `{"cron":"@daily"}`); code != http.StatusForbidden {
			t.Errorf("campaigner edits a release: %d", code)
		}
		if code, body := do(t, c, http.MethodPut, api+"/"+id, adm, "application/json", `{"kind":"digest","cron":"@daily"}`); code != http.StatusUnprocessableEntity {
			t.Errorf("kind change: %d %s", code, body)
		}
		code, body = do(t, c, http.MethodPut, api+"/"+id, adm, "application/json", `{"cron":"0 7 1 * *","time_zone":"America/New_York"}`)
		if code != 200 || !strings.Contains(body, `"cron":"0 7 1 * *"`) || !strings.Contains(body, `"next_run_at":"2026-04-01T11:00:00Z"`) {
			t.Fatalf("edit: %d %s", code, body)
		}
		// The agenda shows it, for all campaigns.
		signIn(t, c, f.srv.URL, admin.Email)
		code, page := getPage(t, c, f.srv.URL+"/admin/schedule")
		if code != 200 || !strings.Contains(page, "Publish a statistics release") || !strings.Contains(page, "Wednesday, April 1, 2026 at 7:00 AM EDT") {
			t.Fatalf("agenda: %d", code)
		}
		code, page = getPage(t, c, f.srv.URL+"/admin/schedule?edit="+id)
		if code != 200 || !strings.Contains(page, `action="/admin/schedule/`+id+`"`) || !strings.Contains(page, `value="0 7 1 * *"`) {
			t.Fatalf("edit form: %d", code)
		}
		tok := csrfFrom(t, c, f.srv.URL+"/admin/schedule")
		code, _, _ = postForm(t, c, f.srv.URL+"/admin/schedule/"+id, url.Values{"_csrf": {tok}, "cron": {"@monthly"}, "time_zone": {"UTC"}})
		if code != http.StatusSeeOther {
			t.Fatalf("form edit: %d", code)
		}
		if _, body := do(t, c, http.MethodGet, api, cmp, "", ""); !strings.Contains(body, `"cron":"@monthly","when":"on the 1st of every month at 0:00","time_zone":"UTC"`) {
			t.Errorf("after form edit: %s", body)
		}
		if code, _ := do(t, c, http.MethodDelete, api+"/"+id, cmp, "", ""); code != http.StatusForbidden {
			t.Errorf("campaigner deletes a release: %d", code)
		}
		if code, _ := do(t, c, http.MethodDelete, api+"/"+id, adm, "", ""); code != http.StatusNoContent {
			t.Errorf("delete: %d", code)
		}
		if _, body := do(t, c, http.MethodGet, api, cmp, "", ""); strings.Contains(body, `"kind":"stats_release"`) {
			t.Errorf("deleted release still listed: %s", body)
		}

		// From the page, deleting asks first and says what stops.
		code, body = do(t, c, http.MethodPost, api, adm, "application/json", `{"kind":"stats_release","cron":"@weekly"}`)
		if code != http.StatusCreated {
			t.Fatalf("create again: %d %s", code, body)
		}
		id = strings.Split(strings.Split(body, `"id":`)[1], ",")[0]
		tok = csrfFrom(t, c, f.srv.URL+"/admin/schedule")
		code, page, _ = postForm(t, c, f.srv.URL+"/admin/schedule/"+id+"/delete", url.Values{"_csrf": {tok}})
		if code != http.StatusOK || !strings.Contains(page, "Delete this stats_release schedule?") || !strings.Contains(page, "its next run") {
			t.Fatalf("unconfirmed delete: %d", code)
		}
		if _, body := do(t, c, http.MethodGet, api, cmp, "", ""); !strings.Contains(body, `"kind":"stats_release"`) {
			t.Fatal("an unconfirmed delete deleted the schedule")
		}
		if code, _, _ = postForm(t, c, f.srv.URL+"/admin/schedule/"+id+"/delete", url.Values{"_csrf": {tok}, "confirm": {"yes"}}); code != http.StatusSeeOther {
			t.Fatalf("confirmed delete: %d", code)
		}
		if _, body := do(t, c, http.MethodGet, api, cmp, "", ""); strings.Contains(body, `"kind":"stats_release"`) {
			t.Errorf("deleted from the page, still listed: %s", body)
		}
	})
}

// Held second letters are approved per office from the follow-ups page,
// with a preview of a real letter; the tick then writes them.
func TestSecondLetterApprovalPerOffice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		keys := seal.NewRandom()
		now := time.Date(2026, 3, 23, 15, 0, 0, 0, time.UTC)
		f := staffServer(t, st, web.Deps{Keys: keys, Now: func() time.Time { return now }})
		camp := newScheduleCampaign(t, st)
		if _, err := st.SetCampaignStatus(ctx, camp.ID, "draft", "live", store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
		office := delivery.Office{BioguideID: "P000197", Name: "Nancy Pelosi", Title: "Representative", Chamber: "house", State: "CA", Code: "HCA11"}
		var firsts []int64
		for _, name := range []string{"Ana", "Ben"} {
			sub, err := st.CreateSubmission(ctx, store.Submission{CampaignID: camp.ID, EmailIndex: keys.Index("email", name+"@example.org"), Lang: "en"},
				func(id int64) (string, error) {
					return keys.SealJSON(map[string]any{"form": map[string]string{"FirstName": name, "LastName": "Doe", "City": "Oakland", "State": "CA"}, "lang": "en"},
						fmt.Sprintf("submission:%d", id))
				})
			if err != nil {
				t.Fatal(err)
			}
			ids, err := st.ConfirmSubmission(ctx, sub.ID, now, func(map[string]bool) ([]store.NewLetter, error) {
				return []store.NewLetter{{CampaignID: camp.ID, SubmissionID: sub.ID, BioguideID: office.BioguideID, OfficeCode: office.Code, Chamber: "house", State: "CA",
					TemplateVer: 1, DeliveryID: delivery.NewDeliveryID(), ReplyToken: delivery.NewReplyToken(),
					Seal: func(id int64) (string, error) {
						return keys.SealJSON(delivery.Sealed{Subject: "S", Body: "B", Office: office}, delivery.LetterAAD(id))
					}}}, nil
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.MarkSent(ctx, ids[0], "outbox", "", "test", true, now.Add(-22*24*time.Hour)); err != nil {
				t.Fatal(err)
			}
			firsts = append(firsts, ids[0])
			// its copy email: one sent, the other skipped
			if _, err := st.QueueSupporterMail(ctx, sub.ID, store.MailCopy, "en", nil, "", now, nil); err != nil {
				t.Fatal(err)
			}
			m, err := st.SupporterMailOf(ctx, sub.ID, store.MailCopy)
			if err != nil {
				t.Fatal(err)
			}
			if len(firsts) == 1 {
				if ok, err := st.ClaimSupporterMail(ctx, m.ID, 0, now); err != nil || !ok {
					t.Fatal(ok, err)
				}
				if err := st.SupporterMailSent(ctx, m.ID, 1, "sg-1", "accepted", now); err != nil {
					t.Fatal(err)
				}
			} else if err := st.FinishSupporterMail(ctx, m.ID, store.MailSkipped, "the address is unsubscribed", now); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.SaveFollowupSettings(ctx, store.FollowupSettings{CampaignID: camp.ID, SurveyDays: 14, SecondEnabled: true, SecondDays: 21, SecondApproval: true,
			SecondSubject: "Again", SecondBody: "{{.salutation}}, {{.first_name}} {{.last_name}} of {{.city}} wrote with {{.constituent_count}} others."}, store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
		j := &spyJobs{}
		r := &followup.Runner{Store: st, Jobs: j, Now: func() time.Time { return now }, Links: followup.Links{Keys: keys}}
		if _, err := r.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		staff := addUser(t, st, unique("approver")+"@example.org", auth.Campaigner)
		c := browserClient(t)
		signIn(t, c, f.srv.URL, staff.Email)
		code, page := getPage(t, c, f.srv.URL+"/admin/schedule")
		if code != 200 || !strings.Contains(page, ", office HCA11, 2 letters") || strings.Contains(page, "(P000197)") {
			t.Fatalf("agenda: %d", code)
		}
		code, page = getPage(t, c, fmt.Sprintf("%s/admin/followups/%d?office=HCA11", f.srv.URL, camp.ID))
		if code != 200 || !strings.Contains(page, "Dear Representative Pelosi, Ana Doe of Oakland wrote with 2 others.") {
			t.Fatalf("preview: %d", code)
		}
		if !strings.Contains(page, "<tr><td>copy</td><td>0</td><td>0</td><td>1</td><td>1</td><td>0</td></tr>") {
			t.Errorf("follow-ups page lacks the supporter emails' counts")
		}
		tok := csrfFrom(t, c, f.srv.URL+"/admin/schedule")
		if code, _, _ := postForm(t, c, fmt.Sprintf("%s/admin/followups/%d/approve", f.srv.URL, camp.ID), url.Values{"_csrf": {tok}, "office": {"HCA99"}}); code != http.StatusNotFound {
			t.Errorf("approve an office with nothing held: %d", code)
		}
		code, _, _ = postForm(t, c, fmt.Sprintf("%s/admin/followups/%d/approve", f.srv.URL, camp.ID), url.Values{"_csrf": {tok}, "office": {"HCA11"}})
		if code != http.StatusSeeOther {
			t.Fatalf("approve: %d", code)
		}
		if _, page := getPage(t, c, f.srv.URL+"/admin/schedule"); !strings.Contains(page, "2 second letters to HCA11 approved") || strings.Contains(page, "2 letters") {
			t.Fatalf("after approval: %s", page)
		}
		if _, err := r.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		seconds := 0
		for _, id := range j.letters() {
			l, err := st.LetterByID(ctx, id)
			if err == nil && l.Kind == store.LetterSecond && l.FollowupOf != nil && (*l.FollowupOf == firsts[0] || *l.FollowupOf == firsts[1]) {
				seconds++
			}
		}
		if seconds != 2 {
			t.Fatalf("second letters written after approval = %d", seconds)
		}
		if code, page := getPage(t, c, f.srv.URL+"/admin/deliveries?campaign="+fmt.Sprint(camp.ID)); code != 200 || strings.Count(page, "second (follows") != 2 ||
			!strings.Contains(page, fmt.Sprintf(`second (follows <a href="/admin/deliveries/%d">#%d</a>)`, firsts[0], firsts[0])) {
			t.Errorf("deliveries page: %d, kinds shown %d", code, strings.Count(page, "second (follows"))
		}
		// The letters CSV says which letters are second letters.
		code, csv := getPage(t, c, fmt.Sprintf("%s/admin/dashboard/export?table=letters&campaign=%d", f.srv.URL, camp.ID))
		if code != 200 || !strings.Contains(csv, ",letter_kind,followup_of") || strings.Count(csv, ",first,,") != 2 ||
			!strings.Contains(csv, fmt.Sprintf(",second,%d", firsts[0])) {
			t.Errorf("letters CSV: %d\n%s", code, csv)
		}
	})
}

// spyJobs records delivery jobs inserted inside the store's transactions.
type spyJobs struct{ ids []int64 }

func (j *spyJobs) InsertTx(_ context.Context, _ *sql.Tx, args river.JobArgs, _ *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	if d, ok := args.(dispatch.DeliverArgs); ok {
		j.ids = append(j.ids, d.LetterID)
	}
	return &rivertype.JobInsertResult{}, nil
}

func (j *spyJobs) letters() []int64 { return j.ids }
