package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/followup"
	"github.com/outreach-org/outreach/internal/i18n"
	"github.com/outreach-org/outreach/internal/store"
)

// followupInput is a campaign's follow-up rules as a form or the API
// sends them.
type followupInput struct {
	SurveyEnabled   bool   `json:"survey_enabled"`
	SurveyDays      int    `json:"survey_days"`
	SecondEnabled   bool   `json:"second_enabled"`
	SecondDays      int    `json:"second_days"`
	SecondApproval  bool   `json:"second_approval"`
	SecondSubject   string `json:"second_subject"`
	SecondBody      string `json:"second_body"`
	ReminderEnabled bool   `json:"reminder_enabled"`
}

func (in followupInput) settings(id int64) store.FollowupSettings {
	return store.FollowupSettings{CampaignID: id, SurveyEnabled: in.SurveyEnabled, SurveyDays: in.SurveyDays, SecondEnabled: in.SecondEnabled,
		SecondDays: in.SecondDays, SecondApproval: in.SecondApproval, SecondSubject: in.SecondSubject, SecondBody: in.SecondBody,
		ReminderEnabled: in.ReminderEnabled}
}

func followupInputOf(f store.FollowupSettings) followupInput {
	return followupInput{SurveyEnabled: f.SurveyEnabled, SurveyDays: f.SurveyDays, SecondEnabled: f.SecondEnabled, SecondDays: f.SecondDays,
		SecondApproval: f.SecondApproval, SecondSubject: f.SecondSubject, SecondBody: f.SecondBody, ReminderEnabled: f.ReminderEnabled}
}

// validateFollowups checks the rules: N and M between 1 and 365 days, and
// a second-letter template that parses (only known merge fields) when the
// second letter is on or a template is given.
func validateFollowups(in followupInput) (map[string]string, string, string) {
	fe := map[string]string{}
	if err := followup.ValidateDays(in.SurveyDays); err != nil {
		fe["survey_days"] = "the survey delay " + err.Error()
	}
	if err := followup.ValidateDays(in.SecondDays); err != nil {
		fe["second_days"] = "the second-letter delay " + err.Error()
	}
	var subj, body string
	if in.SecondEnabled || in.SecondBody != "" || in.SecondSubject != "" {
		var err error
		subj, body, err = followup.PreviewSecond(in.SecondSubject, in.SecondBody)
		if err != nil {
			fe["second_body"] = err.Error()
		}
	}
	return fe, subj, body
}

type followupView struct {
	Campaign       campaign.Campaign
	In             followupInput
	Errors         map[string]string
	PreviewSubject string
	PreviewBody    string
	Sends          []store.FollowupSend
	CanEdit        bool
	Saved          bool
	// Held lists the offices with second letters waiting for approval;
	// Office is the one previewed (?office=), with one real letter.
	Held        []store.HeldOffice
	Mail        []mailCount // the campaign's supporter emails per kind
	Office      string
	HeldSubject string
	HeldBody    string
	HeldError   string
}

// mailCount is how many of a campaign's supporter emails of one kind are
// in each state.
type mailCount struct {
	Kind                                 string
	Queued, Sending, Sent, Skipped, Fail int64
}

// mailKinds are the supporter emails in the order a supporter gets them.
var mailKinds = []string{store.MailConfirm, store.MailReminder, store.MailCopy, store.MailOptIn, store.MailSurvey, store.MailSurveyAgain}

func (s *Server) followupCampaign(c echo.Context) (campaign.Campaign, error) {
	id, err := pathID(c)
	if err != nil {
		return campaign.Campaign{}, err
	}
	return s.deps.Store.Campaign(c.Request().Context(), id)
}

func (s *Server) renderFollowups(c echo.Context, status int, camp campaign.Campaign, in followupInput, fe map[string]string) error {
	sends, err := s.deps.Store.FollowupSends(c.Request().Context(), camp.ID, "", 50)
	if err != nil {
		return err
	}
	v := followupView{Campaign: camp, In: in, Errors: fe, Sends: sends, CanEdit: currentUser(c).Role.Can(auth.PermEditCampaigns)}
	if len(fe) == 0 && (in.SecondBody != "" || in.SecondSubject != "") {
		v.PreviewSubject, v.PreviewBody, _ = followup.PreviewSecond(in.SecondSubject, in.SecondBody)
	}
	if v.Held, err = s.deps.Store.HeldSecondLetters(c.Request().Context(), camp.ID); err != nil {
		return err
	}
	counts, err := s.deps.Store.SupporterMailCounts(c.Request().Context(), camp.ID)
	if err != nil {
		return err
	}
	for _, k := range mailKinds {
		if n := counts[k]; len(n) > 0 {
			v.Mail = append(v.Mail, mailCount{Kind: k, Queued: n[store.MailQueued], Sending: n[store.MailSending], Sent: n[store.MailSent],
				Skipped: n[store.MailSkipped], Fail: n[store.MailFailed]})
		}
	}
	if office := c.QueryParam("office"); office != "" {
		for _, h := range v.Held {
			if h.OfficeCode == office {
				v.Office = office
				v.HeldSubject, v.HeldBody, v.HeldError = s.heldPreview(c.Request().Context(), h)
			}
		}
	}
	return s.render(c, status, "followups", v, false)
}

// heldPreview renders, exactly as it would be delivered, the second letter
// that follows the office's oldest held first letter (staff approve per
// office; every letter of the office differs only by its constituent).
func (s *Server) heldPreview(ctx context.Context, h store.HeldOffice) (string, string, string) {
	if s.deps.Keys == nil {
		return "", "", "no encryption keys"
	}
	first, err := s.deps.Store.LetterByID(ctx, h.FirstLetterID)
	if err != nil {
		return "", "", err.Error()
	}
	sub, err := s.deps.Store.SubmissionByID(ctx, first.SubmissionID)
	if err != nil {
		return "", "", err.Error()
	}
	set, err := s.deps.Store.FollowupSettingsFor(ctx, h.CampaignID)
	if err != nil {
		return "", "", err.Error()
	}
	counts, err := s.deps.Store.ConstituentCounts(ctx, h.CampaignID)
	if err != nil {
		return "", "", err.Error()
	}
	var member func(string) (*congress.Member, bool)
	if s.deps.Congress != nil {
		member = s.deps.Congress.Member
	}
	l, err := followup.SecondLetter(s.deps.Keys, member, set, first, sub, counts[first.OfficeCode], s.deps.Now())
	if err != nil {
		return "", "", err.Error()
	}
	return l.Subject, l.Body, ""
}

// followupPage is GET /admin/followups/:id: a campaign's follow-up rules,
// a preview of the second letter, and the steps done.
func (s *Server) followupPage(c echo.Context) error {
	camp, err := s.followupCampaign(c)
	if err != nil {
		return err
	}
	f, err := s.deps.Store.FollowupSettingsFor(c.Request().Context(), camp.ID)
	if err != nil {
		return err
	}
	return s.renderFollowups(c, http.StatusOK, camp, followupInputOf(f), nil)
}

func atoiOr(s string, def int) int {
	s = strings.TrimSpace(s)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

// followupSave is POST /admin/followups/:id; preview=1 only previews.
func (s *Server) followupSave(c echo.Context) error {
	camp, err := s.followupCampaign(c)
	if err != nil {
		return err
	}
	in := followupInput{SurveyEnabled: c.FormValue("survey_enabled") != "", SurveyDays: atoiOr(c.FormValue("survey_days"), 14),
		SecondEnabled: c.FormValue("second_enabled") != "", SecondDays: atoiOr(c.FormValue("second_days"), 21),
		SecondApproval: c.FormValue("second_mode") != "auto", SecondSubject: c.FormValue("second_subject"), SecondBody: c.FormValue("second_body"),
		ReminderEnabled: c.FormValue("reminder_enabled") != ""}
	fe, _, _ := validateFollowups(in)
	if len(fe) > 0 {
		return s.renderFollowups(c, http.StatusUnprocessableEntity, camp, in, fe)
	}
	if c.FormValue("preview") != "" {
		return s.renderFollowups(c, http.StatusOK, camp, in, nil)
	}
	if err := s.deps.Store.SaveFollowupSettings(c.Request().Context(), in.settings(camp.ID),
		store.Audit{ActorID: currentUser(c).ID, Action: "followups.save"}); err != nil {
		return err
	}
	flash(c, "Follow-ups saved.")
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/followups/%d", camp.ID))
}

// followupApprove is POST /admin/followups/:id/approve (office=CODE):
// every held second letter of the campaign to that office is approved;
// the next tick writes them as letters and hands them to delivery.
func (s *Server) followupApprove(c echo.Context) error {
	camp, err := s.followupCampaign(c)
	if err != nil {
		return err
	}
	office := strings.TrimSpace(c.FormValue("office"))
	n, err := s.deps.Store.ApproveSecondLetters(c.Request().Context(), camp.ID, office, s.deps.Now(),
		store.Audit{ActorID: currentUser(c).ID, Action: "followup.second_letter.approve"})
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	flash(c, fmt.Sprintf("%d second letters to %s approved: they are written and delivered from the next minute on.", n, office))
	return c.Redirect(http.StatusSeeOther, "/admin/schedule")
}

// apiFollowups is GET /api/v1/followups/:id.
func (s *Server) apiFollowups(c echo.Context) error {
	camp, err := s.followupCampaign(c)
	if err != nil {
		return err
	}
	f, err := s.deps.Store.FollowupSettingsFor(c.Request().Context(), camp.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, followupInputOf(f))
}

// apiFollowupsSave is PUT /api/v1/followups/:id: the whole rules; the
// response carries the second letter's preview.
func (s *Server) apiFollowupsSave(c echo.Context) error {
	camp, err := s.followupCampaign(c)
	if err != nil {
		return err
	}
	in := followupInput{SurveyDays: 14, SecondDays: 21, SecondApproval: true}
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "the body must be a JSON object of follow-up rules")
	}
	fe, subj, body := validateFollowups(in)
	if len(fe) > 0 {
		return refuseAPI(c, "invalid follow-up rules", fieldErrorsOf(fe), map[string]any{"fields": fe})
	}
	if err := s.deps.Store.SaveFollowupSettings(c.Request().Context(), in.settings(camp.ID),
		store.Audit{ActorID: currentUser(c).ID, Action: "followups.save"}); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"followups": in, "preview": map[string]string{"subject": subj, "body": body}})
}

// --- the supporter's survey ---

type surveyView struct {
	Action, Token, Answer string
	Office                string // "Senator Alex Padilla": the office the answer is about
	Answers               []surveyChoice
	AnswerID              int64
	Done                  bool
}

type surveyChoice struct{ Value, Label string }

// langSwitch reopens the survey by its link (token and answer): after an
// answer was posted, switching language must not lose the link.
func (v surveyView) langSwitch() string {
	if v.Token == "" {
		return ""
	}
	q := url.Values{"t": {v.Token}}
	if v.Answer != "" {
		q.Set("a", v.Answer)
	}
	return v.Action + "?" + q.Encode()
}

func (s *Server) surveyLinks() followup.Links {
	return followup.Links{BaseURL: s.deps.BaseURL, Keys: s.deps.Keys}
}

func (s *Server) surveyVerify(c echo.Context, token string) (int64, error) {
	if s.deps.Keys == nil {
		return 0, action.ErrBadToken
	}
	return s.surveyLinks().VerifySurvey(token, s.deps.Now())
}

// surveyOffice names the office of a survey's letter as its letter
// does, in the page's language ("" when the letter's data was erased).
func (s *Server) surveyOffice(ctx context.Context, l i18n.Lang, letterID int64) string {
	lt, err := s.deps.Store.LetterByID(ctx, letterID)
	if err != nil || lt.Sealed == "" || s.deps.Keys == nil {
		return ""
	}
	var sl delivery.Sealed
	if err := s.deps.Keys.OpenJSON(lt.Sealed, delivery.LetterAAD(lt.ID), &sl); err != nil || sl.Office.Name == "" {
		return ""
	}
	gender := sl.Office.Gender
	if m, ok := s.deps.Congress.Member(sl.Office.BioguideID); ok && gender == "" {
		gender = m.Gender // a letter sealed before offices carried it
	}
	return l.MemberPhrase(sl.Office.Title, gender, sl.Office.Name)
}

func choices(l i18n.Lang) []surveyChoice {
	var out []surveyChoice
	for _, a := range followup.Answers {
		out = append(out, surveyChoice{a, l.T("fu.survey." + a)})
	}
	return out
}

// surveyPage is GET /c/:slug/survey?a=&t=: the answer chosen in the email,
// with a button to record it (mail scanners follow links; a GET records
// nothing), a sentence to add and the reply to forward.
func (s *Server) surveyPage(c echo.Context) error {
	token := c.QueryParam("t")
	letterID, err := s.surveyVerify(c, token)
	if err != nil {
		return s.badLink(c, err)
	}
	a := c.QueryParam("a") // links of earlier survey emails chose the answer
	if !followup.ValidAnswer(a) {
		a = ""
	}
	return s.render(c, http.StatusOK, "survey", surveyView{Action: "/c/" + c.Param("slug") + "/survey", Token: token, Answer: a,
		Office: s.surveyOffice(c.Request().Context(), langOf(c), letterID), Answers: choices(langOf(c))}, false)
}

const maxSurveyText = 4000

// surveyAnswer is POST /c/:slug/survey: records the answer (and the
// sentence and forwarded reply) on the letter.
func (s *Server) surveyAnswer(c echo.Context) error {
	l := langOf(c)
	letterID, err := s.surveyVerify(c, c.FormValue("t"))
	if err != nil {
		return s.badLink(c, err)
	}
	a := c.FormValue("answer")
	note := strings.TrimSpace(c.FormValue("note"))
	reply := strings.TrimSpace(c.FormValue("reply_text"))
	if len(note) > 500 {
		note = note[:500]
	}
	if len(reply) > maxSurveyText {
		reply = reply[:maxSurveyText]
	}
	ctx := c.Request().Context()
	if id, _ := strconv.ParseInt(c.FormValue("answer_id"), 10, 64); id > 0 {
		sealed, err := followup.SealSurveyText(s.deps.Keys, id, followup.SurveyText{Note: note, ReplyText: reply})
		if err != nil {
			return err
		}
		if err := s.deps.Store.UpdateSurveyAnswer(ctx, id, letterID, sealed); err != nil {
			return err
		}
		return s.message(c, http.StatusOK, "survey_saved")
	}
	if !followup.ValidAnswer(a) {
		return s.render(c, http.StatusUnprocessableEntity, "survey", surveyView{Action: "/c/" + c.Param("slug") + "/survey",
			Token: c.FormValue("t"), Office: s.surveyOffice(ctx, l, letterID), Answers: choices(l)}, false)
	}
	ans, err := s.deps.Store.AddSurveyAnswer(ctx, store.SurveyAnswer{LetterID: letterID, Answer: a, AnsweredAt: s.deps.Now(),
		Seal: func(id int64) (string, error) {
			return followup.SealSurveyText(s.deps.Keys, id, followup.SurveyText{Note: note, ReplyText: reply})
		}})
	if errors.Is(err, store.ErrNotFound) {
		return s.badLink(c, action.ErrBadToken)
	} else if err != nil {
		return err
	}
	if note != "" || reply != "" {
		return s.message(c, http.StatusOK, "survey_saved")
	}
	return s.render(c, http.StatusOK, "survey", surveyView{Action: "/c/" + c.Param("slug") + "/survey", Token: c.FormValue("t"), Answer: a,
		Office: s.surveyOffice(ctx, l, letterID), Answers: choices(l), AnswerID: ans.ID, Done: true}, false)
}
