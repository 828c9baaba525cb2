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
	"github.com/outreach-org/outreach/internal/supportermail"
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

// SurveyURL is the link about one letter in a survey email: it opens the
// campaign's survey page for that office (a page with a button, not a GET
// that records: mail scanners follow every link of an email).
func (l Links) SurveyURL(slug string, letterID int64, lang i18n.Lang, now time.Time) string {
	t := l.signer().Sign("survey", strconv.FormatInt(letterID, 10), now.Add(SurveyTTL))
	return l.abs("/c/"+slug+"/survey", url.Values{"t": {t}, "lang": {string(lang)}})
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

// ScanFollowups lays out every follow-up that came due at now, each once:
// a survey or reminder email is a supporter_mail row written with its job
// (unique per submission and kind), a second letter a followup_sends row.
// Campaigns that are not live are skipped (paused: held until they
// resume; closed: never).
func (r *Runner) ScanFollowups(ctx context.Context, now time.Time) error {
	rules, err := r.Store.EnabledFollowups(ctx)
	if err != nil {
		return err
	}
	day := 24 * time.Hour
	for _, f := range rules {
		if f.SurveyEnabled && ValidateDays(f.SurveyDays) == nil {
			// One email per supporter and campaign, listing their offices,
			// once all their letters have settled and the last was
			// delivered N days ago.
			cutoff := now.Add(-time.Duration(f.SurveyDays) * day)
			due, err := r.Store.DueSurveys(ctx, f.CampaignID, cutoff, r.batch())
			if err != nil {
				return err
			}
			for _, d := range due {
				if _, err := r.Store.QueueSupporterMail(ctx, d.SubmissionID, supportermail.KindSurvey, "", d.LetterIDs,
					"survey emailed to the supporter (one email for all their offices)", now, r.enqueueMail); err != nil {
					return err
				}
			}
			again, err := r.Store.DueSurveysAgain(ctx, f.CampaignID, cutoff, r.batch())
			if err != nil {
				return err
			}
			for _, d := range again {
				if _, err := r.Store.QueueSupporterMail(ctx, d.SubmissionID, supportermail.KindSurveyAgain, "", d.LetterIDs,
					"survey asked again (no reply yet)", now, r.enqueueMail); err != nil {
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
				if _, err := r.Store.QueueSupporterMail(ctx, s.ID, supportermail.KindReminder, "", nil, "", now, r.enqueueMail); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// enqueueMail inserts the jobs of supporter emails, in the transaction
// that writes their rows.
func (r *Runner) enqueueMail(ctx context.Context, tx *sql.Tx, mail []store.SupporterMail) error {
	for _, m := range mail {
		if _, err := r.Jobs.InsertTx(ctx, tx, supportermail.Args{SubmissionID: m.SubmissionID, Mail: m.Kind}, nil); err != nil {
			return err
		}
	}
	return nil
}

// EmailArgs is the job of one follow-up step, as an earlier version
// enqueued it (a survey per letter, a reminder): jobs left in the queue at
// an upgrade become supporter emails (SendStep).
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

// ErrSkipped means a step was not done (the campaign is closed).
var ErrSkipped = errors.New("skipped")

// SendStep finishes a step an earlier version enqueued as EmailArgs: a
// second letter is written; a survey becomes the supporter's one survey
// email (supporter_mail, once per submission); a reminder becomes the
// submission's reminder email.
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
	switch f.Step {
	case StepSecond:
		set, err := r.Store.FollowupSettingsFor(ctx, f.CampaignID)
		if err != nil {
			return err
		}
		counts, err := r.Store.ConstituentCounts(ctx, f.CampaignID)
		if err != nil {
			return err
		}
		return r.writeSecond(ctx, f, f.Status, set, camp, counts, now)
	case StepSurvey, StepSurveyAgain:
		if f.LetterID == nil {
			return river.JobCancel(fmt.Errorf("survey step %d names no letter", f.ID))
		}
		l, err := r.Store.LetterByID(ctx, *f.LetterID)
		if err != nil {
			return err
		}
		_, err = r.Store.QueueSupporterMail(ctx, l.SubmissionID, f.Step, "", nil, "", now, r.enqueueMail)
		return err
	case StepReminder:
		if f.SubmissionID == nil {
			return river.JobCancel(fmt.Errorf("reminder step %d names no submission", f.ID))
		}
		_, err := r.Store.QueueSupporterMail(ctx, *f.SubmissionID, supportermail.KindReminder, "", nil, "", now, r.enqueueMail)
		return err
	}
	return river.JobCancel(fmt.Errorf("unknown step %q", f.Step))
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
// constituents who wrote to the office. The follow-up text is the letter
// (CWC's ConstituentMessage, like every letter; it carries no separate
// organization statement). member (may be nil) finds the member for the
// salutation.
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
	return delivery.Sealed{Subject: subject, Body: body, From: sl.From, Office: sl.Office}, nil
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

// Hold is the delivery worker's hold check: letters of a paused campaign,
// or of a campaign held because the latest statistics release does not
// publish a figure its letter prints (store: refreshHolds), wait (in
// "queued") until it resumes or the hold is cleared; letters of a campaign delivered by
// waves wait until a wave releases them.
func (r *Runner) Hold(ctx context.Context, l store.Letter) (time.Duration, string, error) {
	st, held, err := r.Store.CampaignHoldState(ctx, l.CampaignID)
	if err != nil {
		return 0, "", err
	}
	recheck := HoldPaused
	if r.PausedRecheck > 0 {
		recheck = r.PausedRecheck
	}
	if st == string(campaign.Paused) {
		return recheck, "held: the campaign is paused", nil
	}
	if held != "" {
		// The latest statistics release does not publish a figure the
		// letter prints: nothing of the campaign goes out until staff fix
		// the template (the save clears the hold) or a release publishes it.
		return recheck, "held: " + held, nil
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
