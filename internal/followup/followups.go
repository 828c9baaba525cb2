package followup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/i18n"
	"github.com/outreach-org/outreach/internal/letter"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
)

// Follow-up steps (followup_sends.step).
const (
	StepSurvey      = "survey"
	StepSurveyAgain = "survey_again"
	StepSecond      = "second_letter"
	StepReminder    = "reminder"
	StepWave        = "wave"
)

// Survey answers.
var Answers = []string{"replied", "acknowledged", "no_reply", "not_sure"}

// ValidAnswer tells whether a is a survey answer.
func ValidAnswer(a string) bool {
	for _, x := range Answers {
		if x == a {
			return true
		}
	}
	return false
}

// Links signs the links follow-up emails carry.
type Links struct {
	BaseURL string
	Keys    *seal.Keys
}

func (l Links) signer() action.Signer { return action.NewSigner(l.Keys.Index) }

func (l Links) abs(path string, q url.Values) string {
	return strings.TrimRight(l.BaseURL, "/") + path + "?" + q.Encode()
}

// SurveyTTL is how long survey links work.
const SurveyTTL = 60 * 24 * time.Hour

// SurveyURL is the one-click link for an answer about a letter: it opens
// the campaign's survey page with the answer chosen (a page, not a GET
// that records: mail scanners follow every link of an email).
func (l Links) SurveyURL(slug string, letterID int64, answer string, lang i18n.Lang, now time.Time) string {
	t := l.signer().Sign("survey", strconv.FormatInt(letterID, 10), now.Add(SurveyTTL))
	return l.abs("/c/"+slug+"/survey", url.Values{"a": {answer}, "t": {t}, "lang": {string(lang)}})
}

// VerifySurvey returns the letter id of a survey token.
func (l Links) VerifySurvey(token string, now time.Time) (int64, error) {
	v, err := l.signer().Verify("survey", token, now)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(v, 10, 64)
}

// ValidateDays checks a follow-up delay: 1 to 365 days.
func ValidateDays(n int) error {
	if n < 1 || n > 365 {
		return ErrDays
	}
	return nil
}

// ScanFollowups lays out every follow-up that came due at now: each gets
// its followup_sends row and its sending job in one transaction, so each
// happens once. Campaigns that are not live are skipped (paused: held
// until they resume; closed: never).
func (r *Runner) ScanFollowups(ctx context.Context, now time.Time) error {
	rules, err := r.Store.EnabledFollowups(ctx)
	if err != nil {
		return err
	}
	day := 24 * time.Hour
	email := func(ctx context.Context, tx *sql.Tx, id int64) error {
		_, err := r.Jobs.InsertTx(ctx, tx, EmailArgs{SendID: id}, nil)
		return err
	}
	for _, f := range rules {
		if f.SurveyEnabled && ValidateDays(f.SurveyDays) == nil {
			cutoff := now.Add(-time.Duration(f.SurveyDays) * day)
			due, err := r.Store.DueSurveys(ctx, f.CampaignID, cutoff, r.batch())
			if err != nil {
				return err
			}
			for _, d := range due {
				id := d.LetterID
				if _, err := r.Store.RecordFollowup(ctx, store.FollowupSend{CampaignID: f.CampaignID, LetterID: &id, Step: StepSurvey, At: now},
					"survey emailed to the supporter", email); err != nil {
					return err
				}
			}
			again, err := r.Store.DueSurveysAgain(ctx, f.CampaignID, cutoff, r.batch())
			if err != nil {
				return err
			}
			for _, d := range again {
				id := d.LetterID
				if _, err := r.Store.RecordFollowup(ctx, store.FollowupSend{CampaignID: f.CampaignID, LetterID: &id, Step: StepSurveyAgain, At: now},
					"survey asked again (no reply yet)", email); err != nil {
					return err
				}
			}
		}
		if f.SecondEnabled && ValidateDays(f.SecondDays) == nil {
			// One second letter per first letter (same supporter, same
			// office: CWC needs a constituent for every message), to
			// offices with no recorded reply M days after delivery.
			due, err := r.Store.DueSecondLetters(ctx, f.CampaignID, now.Add(-time.Duration(f.SecondDays)*day), r.batch())
			if err != nil {
				return err
			}
			for _, d := range due {
				id := d.LetterID
				status, detail := "approved", "second letter to the office (no reply recorded)"
				if f.SecondApproval {
					status, detail = "held", "second letter waiting for staff approval"
				}
				if _, err := r.Store.RecordFollowup(ctx, store.FollowupSend{CampaignID: f.CampaignID, LetterID: &id, Step: StepSecond, Status: status, At: now},
					detail, nil); err != nil {
					return err
				}
			}
			if err := r.writeSeconds(ctx, f, now); err != nil {
				return err
			}
		}
		if f.ReminderEnabled {
			subs, err := r.Store.DueReminders(ctx, f.CampaignID, now.Add(-7*day), now.Add(-day), r.batch())
			if err != nil {
				return err
			}
			for _, s := range subs {
				id := s.ID
				if _, err := r.Store.RecordFollowup(ctx, store.FollowupSend{CampaignID: f.CampaignID, SubmissionID: &id, Step: StepReminder, At: now},
					"confirmation reminder", email); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// EmailArgs sends the email (or second letter) of one follow-up step.
type EmailArgs struct {
	SendID int64 `json:"send_id"`
}

// Kind names the job for River.
func (EmailArgs) Kind() string { return "followup_email" }

// sealedSubmission mirrors the web package's sealed submission.
type sealedSubmission struct {
	Form action.Form `json:"form"`
	Lang string      `json:"lang"`
}

// ErrSkipped means a step was not sent (unsubscribed, erased, closed).
var ErrSkipped = errors.New("skipped")

// SendStep sends one step's email. Just before sending it checks again
// that the address is not suppressed, the data not erased and the
// campaign not closed; if so nothing is sent.
func (r *Runner) SendStep(ctx context.Context, id int64) error {
	f, err := r.Store.FollowupSendByID(ctx, id)
	if err != nil {
		return err
	}
	now := r.now()
	camp, err := r.Store.Campaign(ctx, f.CampaignID)
	if err != nil {
		return err
	}
	if camp.Status == campaign.Closed {
		return ErrSkipped
	}
	if f.Step == StepSecond {
		// Only a job left from before second letters were real letters
		// comes here: write the letter now (once: followup_of is unique).
		set, err := r.Store.FollowupSettingsFor(ctx, f.CampaignID)
		if err != nil {
			return err
		}
		counts, err := r.Store.ConstituentCounts(ctx, f.CampaignID)
		if err != nil {
			return err
		}
		return r.writeSecond(ctx, f, f.Status, set, camp, counts, now)
	}
	var sub store.Submission
	var letter store.Letter
	if f.SubmissionID != nil {
		sub, err = r.Store.SubmissionByID(ctx, *f.SubmissionID)
	} else if f.LetterID != nil {
		letter, err = r.Store.LetterByID(ctx, *f.LetterID)
		if err == nil {
			sub, err = r.Store.SubmissionByID(ctx, letter.SubmissionID)
		}
	}
	if err != nil {
		return err
	}
	if sub.Status == "erased" || sub.Sealed == "" {
		return ErrSkipped
	}
	if sup, err := r.Store.IsSuppressed(ctx, sub.EmailIndex); err != nil {
		return err
	} else if sup {
		return ErrSkipped
	}
	var ss sealedSubmission
	if err := r.Links.Keys.OpenJSON(sub.Sealed, "submission:"+strconv.FormatInt(sub.ID, 10), &ss); err != nil {
		return river.JobCancel(err)
	}
	lang, ok := i18n.Parse(sub.Lang)
	if !ok {
		lang = i18n.English
	}
	var subject, body string
	switch f.Step {
	case StepSurvey, StepSurveyAgain:
		var links []string
		for _, a := range Answers {
			links = append(links, lang.T("fu.survey."+a)+": "+r.Links.SurveyURL(camp.Slug, letter.ID, a, lang, now))
		}
		subject = lang.T("fu.survey.subject")
		office := letter.OfficeCode
		var sl delivery.Sealed
		if err := r.Links.Keys.OpenJSON(letter.Sealed, delivery.LetterAAD(letter.ID), &sl); err == nil && sl.Office.Name != "" {
			office = strings.TrimSpace(sl.Office.Title + " " + sl.Office.Name)
		}
		body = lang.T("fu.survey.body", ss.Form.FirstName, office, camp.Title, strings.Join(links, "\n"))
	case StepReminder:
		if sub.Status != "pending" {
			return ErrSkipped // confirmed meanwhile
		}
		t := r.Links.signer().Sign("confirm", strconv.FormatInt(sub.ID, 10), now.Add(48*time.Hour))
		link := r.Links.abs("/c/"+camp.Slug+"/confirm", url.Values{"t": {t}, "lang": {string(lang)}})
		subject = lang.T("fu.reminder.subject")
		body = lang.T("fu.reminder.body", ss.Form.FirstName, camp.Title, link)
	default:
		return river.JobCancel(fmt.Errorf("unknown step %q", f.Step))
	}
	return r.supporterEmail(ctx, lang, ss.Form.Email, sub.EmailIndex, subject, body)
}

// supporterEmail adds the footer every supporter email carries: an
// unsubscribe link, a delete-my-data link and RFC 8058 headers.
func (r *Runner) supporterEmail(ctx context.Context, lang i18n.Lang, to, emailIdx, subject, body string) error {
	if r.Mailer == nil {
		return errors.New("no mailer configured")
	}
	sg := r.Links.signer()
	unsub := r.Links.abs("/u", url.Values{"t": {sg.Sign("unsub", emailIdx, time.Time{})}, "lang": {string(lang)}})
	forget := r.Links.abs("/forget", url.Values{"t": {sg.Sign("forget", emailIdx, time.Time{})}, "lang": {string(lang)}})
	text := body + "\n\n-- \n" + lang.T("act.mail.footer", r.OrgName, unsub, forget)
	return r.Mailer.SendEmail(ctx, "supporter", delivery.Email{
		To: to, Subject: subject, Text: text,
		Headers: map[string]string{"List-Unsubscribe": "<" + unsub + ">", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
	})
}

// writeSeconds turns a campaign's approved second letters (automatic, or
// approved by staff) into real letters with their delivery jobs. A paused
// campaign keeps them approved until it resumes; a closed one skips them.
func (r *Runner) writeSeconds(ctx context.Context, set store.FollowupSettings, now time.Time) error {
	approved, err := r.Store.FollowupSends(ctx, set.CampaignID, "approved", r.batch())
	if err != nil || len(approved) == 0 {
		return err
	}
	camp, err := r.Store.Campaign(ctx, set.CampaignID)
	if err != nil {
		return err
	}
	switch camp.Status {
	case campaign.Live:
	case campaign.Closed:
		for _, a := range approved {
			if a.Step != StepSecond {
				continue
			}
			if _, err := r.Store.SetFollowupStatus(ctx, a.ID, "approved", "skipped", now, nil, store.Audit{Action: "followup.second_letter.skip", Detail: "campaign closed"}); err != nil {
				return err
			}
		}
		return nil
	default:
		return nil // paused (or back to draft): held until it is live again
	}
	counts, err := r.Store.ConstituentCounts(ctx, set.CampaignID)
	if err != nil {
		return err
	}
	// Oldest approval first.
	for i := len(approved) - 1; i >= 0; i-- {
		a := approved[i]
		if a.Step != StepSecond {
			continue
		}
		if err := r.writeSecond(ctx, a, "approved", set, camp, counts, now); err != nil {
			return err
		}
	}
	return nil
}

// writeSecond renders one second letter for the first letter of step f
// and stores it with its delivery job (store.CreateSecondLetter). A step
// whose supporter's data is gone, or whose letter cannot be rendered, is
// skipped with a line in the log and on the timeline.
func (r *Runner) writeSecond(ctx context.Context, f store.FollowupSend, from string, set store.FollowupSettings, camp campaign.Campaign, counts map[string]int64, now time.Time) error {
	skip := func(why string) error {
		r.log().Warn("second letter skipped", "send_id", f.ID, "reason", why)
		_, err := r.Store.SetFollowupStatus(ctx, f.ID, from, "skipped", now, nil, store.Audit{Action: "followup.second_letter.skip", Detail: why})
		return err
	}
	if f.LetterID == nil {
		return skip("no first letter")
	}
	first, err := r.Store.LetterByID(ctx, *f.LetterID)
	if err != nil {
		return err
	}
	sub, err := r.Store.SubmissionByID(ctx, first.SubmissionID)
	if err != nil {
		return err
	}
	if sub.Status != "confirmed" || sub.Sealed == "" || first.Sealed == "" {
		return skip("the supporter's data was deleted")
	}
	sealed, err := SecondLetter(r.Links.Keys, r.Member, set, first, sub, counts[first.OfficeCode], now)
	if err != nil {
		return skip(err.Error())
	}
	firstID := first.ID
	nl := store.NewLetter{CampaignID: first.CampaignID, SubmissionID: first.SubmissionID, BioguideID: first.BioguideID, OfficeCode: first.OfficeCode,
		Chamber: first.Chamber, State: first.State, District: first.District, Party: first.Party, TemplateVer: first.TemplateVer,
		StatsReleaseID: first.StatsReleaseID, DeliveryID: delivery.NewDeliveryID(), ReplyToken: delivery.NewReplyToken(),
		Kind: store.LetterSecond, FollowupOf: &firstID,
		Seal: func(id int64) (string, error) { return r.Links.Keys.SealJSON(sealed, delivery.LetterAAD(id)) }}
	id, ok, err := r.Store.CreateSecondLetter(ctx, f.ID, from, nl, now, r.enqueueDelivery)
	if err != nil {
		return err
	}
	if ok {
		r.log().Info("second letter written", "campaign_id", first.CampaignID, "first_letter_id", first.ID, "letter_id", id)
	}
	return nil
}

// enqueueDelivery adds the delivery jobs of new letters, inside the
// transaction that stores them.
func (r *Runner) enqueueDelivery(ctx context.Context, tx *sql.Tx, ids []int64) error {
	for _, id := range ids {
		if _, err := r.Jobs.InsertTx(ctx, tx, dispatch.DeliverArgs{LetterID: id}, nil); err != nil {
			return err
		}
	}
	return nil
}

// SecondLetter renders the second letter that follows first (the letter
// of submission sub), from the campaign's follow-up template, as it is
// sealed and delivered: the supporter's merge fields as in their first
// letter, the office's, the first letter's date and count, the number of
// constituents who wrote to the office. The organization's follow-up text
// is the message (CWC's OrganizationStatement): the supporter wrote
// nothing new. member (may be nil) finds the member for the salutation.
func SecondLetter(keys *seal.Keys, member func(string) (*congress.Member, bool), set store.FollowupSettings, first store.Letter, sub store.Submission,
	count int64, now time.Time) (delivery.Sealed, error) {
	if sub.Status == "erased" || sub.Sealed == "" || first.Sealed == "" {
		return delivery.Sealed{}, errors.New("the supporter's data was deleted")
	}
	var ss sealedSubmission
	if err := keys.OpenJSON(sub.Sealed, "submission:"+strconv.FormatInt(sub.ID, 10), &ss); err != nil {
		return delivery.Sealed{}, fmt.Errorf("the submission cannot be read: %w", err)
	}
	var sl delivery.Sealed
	if err := keys.OpenJSON(first.Sealed, delivery.LetterAAD(first.ID), &sl); err != nil {
		return delivery.Sealed{}, fmt.Errorf("the first letter cannot be read: %w", err)
	}
	d := secondData(member, ss.Form, sl.Office, first, count, now)
	subject, body, err := RenderSecond(set.SecondSubject, set.SecondBody, d)
	if err != nil {
		return delivery.Sealed{}, fmt.Errorf("the follow-up template does not render: %w", err)
	}
	return delivery.Sealed{Subject: subject, Body: body, OrganizationStatement: body, From: sl.From, Office: sl.Office}, nil
}

// secondData is the merge data of a second letter.
func secondData(member func(string) (*congress.Member, bool), f action.Form, o delivery.Office, first store.Letter, count int64, now time.Time) SecondData {
	title := letter.Title(o.Chamber, o.State)
	last := ""
	if member != nil {
		if m, ok := member(o.BioguideID); ok && m != nil {
			last = m.LastName
		}
	}
	if last == "" {
		if parts := strings.Fields(o.Name); len(parts) > 0 {
			last = parts[len(parts)-1]
		}
	}
	district := ""
	if o.Chamber != "senate" && o.District != nil {
		district = strconv.Itoa(*o.District)
		if *o.District == 0 {
			district = "at-large"
		}
	}
	return SecondData{Data: letter.Data{FirstName: f.FirstName, LastName: f.LastName, City: f.City, State: f.State, PersonalNote: f.Note,
		Salutation: letter.Salutation(title, last), MemberName: o.Name, MemberTitle: title, Chamber: o.Chamber, MemberState: o.State,
		District: district, Date: now.Format("January 2, 2006")}, FirstLetterDate: firstDate(first), ConstituentCount: count}
}

func firstDate(l store.Letter) string {
	t := l.SentAt
	if l.DeliveredAt != nil {
		t = l.DeliveredAt
	}
	if t == nil {
		return ""
	}
	return t.In(time.UTC).Format("January 2, 2006")
}

// EmailWorker is the River worker of EmailArgs.
type EmailWorker struct {
	river.WorkerDefaults[EmailArgs]
	R *Runner
}

// Work sends one step; a skipped step is done, not retried.
func (w *EmailWorker) Work(ctx context.Context, job *river.Job[EmailArgs]) error {
	err := w.R.SendStep(ctx, job.Args.SendID)
	if errors.Is(err, ErrSkipped) {
		w.R.log().Info("follow-up skipped", "send_id", job.Args.SendID)
		return nil
	}
	return err
}

// HoldPaused is how long a letter of a paused campaign sleeps before it
// looks again; HoldWave, one waiting for its delivery wave.
const (
	HoldPaused = 5 * time.Minute
	HoldWave   = 15 * time.Minute
)

// Hold is the delivery worker's hold check: letters of a paused campaign
// wait (in "queued") until it resumes; letters of a campaign delivered by
// waves wait until a wave releases them.
func (r *Runner) Hold(ctx context.Context, l store.Letter) (time.Duration, string, error) {
	st, err := r.Store.CampaignStatus(ctx, l.CampaignID)
	if err != nil {
		return 0, "", err
	}
	if st == string(campaign.Paused) {
		if r.PausedRecheck > 0 {
			return r.PausedRecheck, "held: the campaign is paused", nil
		}
		return HoldPaused, "held: the campaign is paused", nil
	}
	waves, err := r.Store.HasWaves(ctx, l.CampaignID)
	if err != nil || !waves {
		return 0, "", err
	}
	released, err := r.Store.HasFollowup(ctx, l.ID, StepWave)
	if err != nil || released {
		return 0, "", err
	}
	return HoldWave, "held: waiting for the next delivery wave", nil
}
