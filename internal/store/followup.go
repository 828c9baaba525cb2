package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// FollowupSettings are a campaign's follow-up rules. Defaults: survey 14
// days after delivery, second letter 21 days after the first delivery to
// an office, held for staff approval; everything off until staff turn it on.
type FollowupSettings struct {
	CampaignID      int64 `gorm:"primaryKey"`
	SurveyEnabled   bool
	SurveyDays      int
	SecondEnabled   bool
	SecondDays      int
	SecondApproval  bool
	SecondSubject   string
	SecondBody      string
	ReminderEnabled bool
	UpdatedAt       time.Time
}

func (FollowupSettings) TableName() string { return "followup_settings" }

// FollowupSettingsFor reads a campaign's rules, or the defaults.
func (s *Store) FollowupSettingsFor(ctx context.Context, campaignID int64) (FollowupSettings, error) {
	var f FollowupSettings
	err := s.db.WithContext(ctx).Where("campaign_id = ?", campaignID).Take(&f).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return FollowupSettings{CampaignID: campaignID, SurveyDays: 14, SecondDays: 21, SecondApproval: true}, nil
	}
	return f, wrapf(err, "followup settings for")
}

// SaveFollowupSettings stores a campaign's rules (validated by the caller).
func (s *Store) SaveFollowupSettings(ctx context.Context, f FollowupSettings, a Audit) error {
	f.UpdatedAt = time.Now().UTC()
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Save(&f).Error; err != nil {
			return fmt.Errorf("store: save followup settings: %w", err)
		}
		a.ObjectType, a.ObjectID = "campaign", strconv.FormatInt(f.CampaignID, 10)
		return writeAudit(tx, a)
	})
}

// EnabledFollowups lists the rules of campaigns with any follow-up on.
func (s *Store) EnabledFollowups(ctx context.Context) ([]FollowupSettings, error) {
	var out []FollowupSettings
	err := s.db.WithContext(ctx).Where("survey_enabled OR second_enabled OR reminder_enabled").Order("campaign_id").Find(&out).Error
	return out, wrapf(err, "enabled followups")
}

// FollowupSend is one follow-up step done (or held for approval): unique
// per (letter, step) and per (submission, step), so nobody is emailed
// twice for the same step. Steps: survey, survey_again, second_letter,
// reminder. Status: sent, held (waiting for approval), approved, skipped.
type FollowupSend struct {
	ID           int64 `gorm:"primaryKey"`
	CampaignID   int64
	LetterID     *int64
	SubmissionID *int64
	Step         string
	Status       string
	At           time.Time
}

func (FollowupSend) TableName() string { return "followup_sends" }

// RecordFollowup writes the step's row, a line on the letter's timeline
// and (through enqueue, with the transaction) the job that sends it, all
// at once. It reports false, doing nothing, when the step was done before.
func (s *Store) RecordFollowup(ctx context.Context, f FollowupSend, detail string, enqueue func(ctx context.Context, tx *sql.Tx, sendID int64) error) (bool, error) {
	done := false
	f.ID, f.At = 0, f.At.UTC()
	if f.Status == "" {
		f.Status = "sent"
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&f)
		if res.Error != nil {
			return wrapf(res.Error, "record followup")
		}
		if res.RowsAffected == 0 {
			return nil
		}
		done = true
		if f.LetterID != nil {
			if err := tx.Create(&LetterEvent{LetterID: *f.LetterID, At: f.At, Kind: "followup", Status: f.Status, Detail: f.Step + ": " + detail}).Error; err != nil {
				return fmt.Errorf("store: record followup: %w", err)
			}
		}
		if enqueue == nil {
			return nil
		}
		t, err := sqlTx(tx)
		if err != nil {
			return err
		}
		return enqueue(ctx, t, f.ID)
	})
	return done && err == nil, err
}

// FollowupSendByID loads one step.
func (s *Store) FollowupSendByID(ctx context.Context, id int64) (FollowupSend, error) {
	var f FollowupSend
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&f).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return f, ErrNotFound
	}
	return f, wrapf(err, "followup send by id %d", id)
}

// FollowupSends lists steps, newest first (status "" for all).
func (s *Store) FollowupSends(ctx context.Context, campaignID int64, status string, limit int) ([]FollowupSend, error) {
	var out []FollowupSend
	q := s.db.WithContext(ctx).Order("id DESC").Limit(limit)
	if campaignID > 0 {
		q = q.Where("campaign_id = ?", campaignID)
	}
	if status != "" {
		q = q.Where("status = ?", status)
	}
	return out, wrapf(q.Find(&out).Error, "followup sends")
}

// SetFollowupStatus moves a step from one status to another (a held
// second letter approved), noting it on the letter's timeline.
func (s *Store) SetFollowupStatus(ctx context.Context, id int64, from, to string, now time.Time, enqueue func(ctx context.Context, tx *sql.Tx, sendID int64) error, a Audit) (bool, error) {
	ok := false
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&FollowupSend{}).Where("id = ? AND status = ?", id, from).Update("status", to)
		if res.Error != nil || res.RowsAffected == 0 {
			return wrapf(res.Error, "set followup status %d", id)
		}
		ok = true
		var f FollowupSend
		if err := tx.Where("id = ?", id).Take(&f).Error; err != nil {
			return fmt.Errorf("store: set followup status %d: %w", id, err)
		}
		if f.LetterID != nil {
			if err := tx.Create(&LetterEvent{LetterID: *f.LetterID, At: now.UTC(), Kind: "followup", Status: to, Detail: f.Step + ": " + to}).Error; err != nil {
				return fmt.Errorf("store: set followup status %d: %w", id, err)
			}
		}
		a.ObjectType, a.ObjectID = "followup", strconv.FormatInt(id, 10)
		if err := writeAudit(tx, a); err != nil {
			return err
		}
		if enqueue == nil {
			return nil
		}
		t, err := sqlTx(tx)
		if err != nil {
			return err
		}
		return enqueue(ctx, t, id)
	})
	return ok && err == nil, err
}

// DueLetter is a letter a follow-up step is due for.
type DueLetter struct {
	LetterID     int64
	CampaignID   int64
	SubmissionID int64
	OfficeCode   string
	BioguideID   string
}

// deliveredFirstLetters selects, as DueLetters, the first letters of a
// live campaign sent or delivered at or before cutoff: where the survey
// and second-letter rules start. A sign-on letter has neither: it comes
// from organizations, not a supporter who could be surveyed or written
// for again.
func (s *Store) deliveredFirstLetters(ctx context.Context, campaignID int64, cutoff time.Time) *gorm.DB {
	return s.db.WithContext(ctx).Table("letters").
		Select("letters.id AS letter_id, letters.campaign_id, letters.submission_id, letters.office_code, letters.bioguide_id").
		Joins("JOIN submissions ON submissions.id = letters.submission_id").
		Joins("JOIN campaigns ON campaigns.id = letters.campaign_id").
		Where("letters.campaign_id = ? AND campaigns.status = 'live' AND campaigns.kind = 'constituent' AND letters.kind = ? AND letters.status IN ('sent','delivered')", campaignID, LetterFirst).
		Where("COALESCE(letters.delivered_at, letters.sent_at) <= ?", cutoff.UTC())
}

// DueSurvey is a supporter a survey (or the survey asked again) is due
// for: the submission that carries its email (their latest on the
// campaign) and the first letters it asks about, oldest first.
type DueSurvey struct {
	SubmissionID int64
	LetterIDs    []int64
}

// sameSupporter matches a submission o of the same supporter (email) on
// the same campaign as submissions s.
const sameSupporter = "o.campaign_id = s.campaign_id AND o.email_index = s.email_index"

// DueSurveys lists the supporters of a live campaign to ask, in one email
// for all their offices, whether the offices replied: confirmed, not
// suppressed, never surveyed on this campaign (under this scheme or the
// earlier one, a survey per letter), and whose first letters have all
// settled (none still on its way) with the last delivered (or sent) at or
// before cutoff. The email asks about the letters delivered or sent.
func (s *Store) DueSurveys(ctx context.Context, campaignID int64, cutoff time.Time, limit int) ([]DueSurvey, error) {
	var rows []struct {
		SubmissionID int64
		Letters      string
	}
	err := s.db.WithContext(ctx).Table("submissions s").
		Select("MAX(s.id) AS submission_id, string_agg(CASE WHEN l.status IN ('sent','delivered') THEN CAST(l.id AS TEXT) END, ',') AS letters").
		Joins("JOIN letters l ON l.submission_id = s.id AND l.kind = ?", LetterFirst).
		Joins("JOIN campaigns c ON c.id = s.campaign_id").
		Where("s.campaign_id = ? AND c.status = 'live' AND s.status = 'confirmed'", campaignID).
		Where("s.email_index NOT IN (SELECT email_index FROM email_suppressions)").
		Where("NOT EXISTS (SELECT 1 FROM supporter_mail m JOIN submissions o ON o.id = m.submission_id WHERE "+sameSupporter+" AND m.kind = ?)", MailSurvey).
		Where("NOT EXISTS (SELECT 1 FROM followup_sends f JOIN letters fl ON fl.id = f.letter_id JOIN submissions o ON o.id = fl.submission_id WHERE "+
			sameSupporter+" AND f.step = 'survey')").
		Group("s.email_index").
		Having("SUM(CASE WHEN l.status IN ('pending','queued','sending') THEN 1 ELSE 0 END) = 0").
		Having("MAX(CASE WHEN l.status IN ('sent','delivered') THEN COALESCE(l.delivered_at, l.sent_at) END) <= ?", cutoff.UTC()).
		Order("submission_id").Limit(limit).Scan(&rows).Error
	return dueSurveys(rows), wrapf(err, "due surveys")
}

func dueSurveys(rows []struct {
	SubmissionID int64
	Letters      string
}) []DueSurvey {
	out := make([]DueSurvey, 0, len(rows))
	for _, r := range rows {
		d := DueSurvey{SubmissionID: r.SubmissionID}
		for _, v := range strings.Split(r.Letters, ",") {
			if id, err := strconv.ParseInt(v, 10, 64); err == nil {
				d.LetterIDs = append(d.LetterIDs, id)
			}
		}
		sort.Slice(d.LetterIDs, func(i, j int) bool { return d.LetterIDs[i] < d.LetterIDs[j] })
		if len(d.LetterIDs) > 0 {
			out = append(out, d)
		}
	}
	return out
}

// noBetterAnswer keeps letters l whose latest survey answer is "no reply
// yet": answered no_reply, and never replied or acknowledged.
const noBetterAnswer = "EXISTS (SELECT 1 FROM survey_answers a WHERE a.letter_id = l.id AND a.answer = 'no_reply')" +
	" AND NOT EXISTS (SELECT 1 FROM survey_answers a WHERE a.letter_id = l.id AND a.answer IN ('replied','acknowledged'))"

// DueSurveysAgain lists the supporters whose survey was sent at or before
// cutoff and who answered "no reply yet" about an office (and nothing
// better since), to be asked once more, about those offices only.
func (s *Store) DueSurveysAgain(ctx context.Context, campaignID int64, cutoff time.Time, limit int) ([]DueSurvey, error) {
	var rows []struct {
		SubmissionID int64
		Letters      string
	}
	err := s.db.WithContext(ctx).Table("submissions s").
		Select("MAX(s.id) AS submission_id, string_agg(CAST(l.id AS TEXT), ',') AS letters").
		Joins("JOIN letters l ON l.submission_id = s.id AND l.kind = ?", LetterFirst).
		Joins("JOIN campaigns c ON c.id = s.campaign_id").
		Where("s.campaign_id = ? AND c.status = 'live' AND s.status = 'confirmed'", campaignID).
		Where("s.email_index NOT IN (SELECT email_index FROM email_suppressions)").
		Where(noBetterAnswer).
		Where("EXISTS (SELECT 1 FROM supporter_mail m JOIN submissions o ON o.id = m.submission_id WHERE "+sameSupporter+
			" AND m.kind = ? AND m.status = 'sent' AND m.sent_at <= ?)", MailSurvey, cutoff.UTC()).
		Where("NOT EXISTS (SELECT 1 FROM supporter_mail m JOIN submissions o ON o.id = m.submission_id WHERE "+sameSupporter+" AND m.kind = ?)", MailSurveyAgain).
		Where("NOT EXISTS (SELECT 1 FROM followup_sends f JOIN letters fl ON fl.id = f.letter_id JOIN submissions o ON o.id = fl.submission_id WHERE " +
			sameSupporter + " AND f.step = 'survey_again')").
		Group("s.email_index").Order("submission_id").Limit(limit).Scan(&rows).Error
	return dueSurveys(rows), wrapf(err, "due surveys again")
}

// SurveyLetters lists the first letters a survey email asks about: those
// of the supporter of submission subID on its campaign that were
// delivered or sent; with noReplyOnly, only those whose latest answer is
// "no reply yet" (the survey asked again). Oldest first.
func (s *Store) SurveyLetters(ctx context.Context, subID int64, noReplyOnly bool) ([]Letter, error) {
	q := s.db.WithContext(ctx).Table("letters l").Select("l.*, COALESCE(t.sealed, '') AS sealed").
		Joins("LEFT JOIN letter_texts t ON t.letter_id = l.id").
		Joins("JOIN submissions o ON o.id = l.submission_id").
		Joins("JOIN submissions s ON "+sameSupporter).
		Where("s.id = ? AND s.status = 'confirmed' AND o.status = 'confirmed' AND l.kind = ? AND l.status IN ('sent','delivered')", subID, LetterFirst)
	if noReplyOnly {
		q = q.Where(noBetterAnswer)
	}
	var out []Letter
	return out, wrapf(q.Order("l.id").Scan(&out).Error, "survey letters")
}

// officeReplied is an SQL condition, true when the office of the letter
// aliased t has a recorded reply in its campaign: a response that is a
// reply (substantive, acknowledgement, refusal: a survey answer "replied"
// or "acknowledged", a staff log, a classified email reply), a survey
// answer "replied" or "acknowledged", or a reply event on a timeline, on
// any of the office's letters in the campaign, first or second.
func officeReplied(t string) string {
	return strings.NewReplacer("$t", t).Replace(
		"(EXISTS (SELECT 1 FROM responses r WHERE r.campaign_id = $t.campaign_id AND r.bioguide_id = $t.bioguide_id" +
			" AND r.substance IN ('substantive','acknowledgement','refusal'))" +
			" OR EXISTS (SELECT 1 FROM letters o WHERE o.campaign_id = $t.campaign_id AND o.bioguide_id = $t.bioguide_id AND (" +
			"EXISTS (SELECT 1 FROM survey_answers a WHERE a.letter_id = o.id AND a.answer IN ('replied','acknowledged'))" +
			" OR EXISTS (SELECT 1 FROM letter_events e WHERE e.letter_id = o.id AND e.kind IN ('reply','response')))))")
}

// DueSecondLetters lists the first letters of a live campaign delivered
// (or sent) at or before cutoff whose office has no recorded reply in the
// campaign (officeReplied), and that have no second-letter step and no
// second letter yet. Letters of supporters who asked for their data to be
// deleted are left out: there is no constituent to write for. Oldest
// first.
func (s *Store) DueSecondLetters(ctx context.Context, campaignID int64, cutoff time.Time, limit int) ([]DueLetter, error) {
	var out []DueLetter
	err := s.deliveredFirstLetters(ctx, campaignID, cutoff).
		Where("submissions.status = 'confirmed'").
		Where("NOT EXISTS (SELECT 1 FROM followup_sends f WHERE f.letter_id = letters.id AND f.step = 'second_letter')").
		Where("NOT EXISTS (SELECT 1 FROM letters s2 WHERE s2.followup_of = letters.id)").
		Where("NOT " + officeReplied("letters")).
		Order("letters.id").Limit(limit).Scan(&out).Error
	return out, wrapf(err, "due second letters")
}

// stopSecondLetters acts on a reply from an office, recorded in tx: its
// second-letter steps in the campaign waiting for approval or for the tick
// are skipped, then its second letters that no worker has claimed yet
// (pending or queued) are withdrawn (failed, with the reason; a letter a
// worker claimed is on its way); each noted on the timelines. why says
// which reply (no personal data).
//
// With a second letter being written at the same time (CreateSecondLetter,
// which checks for replies, writes the letter, then moves its step from
// approved to sent only if it is still approved), the step's row decides:
// if this transaction skips the step first, the writer finds it changed
// and rolls back; if the writer moved it first, this transaction's update
// of the step waits for the writer to commit, and the withdrawal that
// follows (a later statement) sees the letter it wrote. The same holds
// for the claim of a worker (a conditional update of the letter's row).
func stopSecondLetters(tx *gorm.DB, campaignID int64, bioguideID, why string, now time.Time) error {
	now = now.UTC()
	var steps []FollowupSend
	if err := tx.Table("followup_sends").Select("followup_sends.*").
		Joins("JOIN letters l ON l.id = followup_sends.letter_id").
		Where("followup_sends.campaign_id = ? AND followup_sends.step = 'second_letter' AND followup_sends.status IN ('held','approved') AND l.bioguide_id = ?", campaignID, bioguideID).
		Scan(&steps).Error; err != nil {
		return fmt.Errorf("store: stop second letters: %w", err)
	}
	var events []LetterEvent
	for _, f := range steps {
		res := tx.Model(&FollowupSend{}).Where("id = ? AND status = ?", f.ID, f.Status).Update("status", "skipped")
		if res.Error != nil {
			return wrapf(res.Error, "stop second letters")
		}
		if res.RowsAffected == 1 && f.LetterID != nil {
			events = append(events, LetterEvent{LetterID: *f.LetterID, At: now, Kind: "followup", Status: "skipped", Detail: "second_letter: not written: " + why})
		}
	}
	reason := "cancelled: " + why + " before this second letter was sent"
	ids, err := scanIDs(tx.Raw("UPDATE letters SET status = 'failed', last_error = ?, updated_at = ? WHERE campaign_id = ? AND bioguide_id = ? AND kind = ? AND status IN ('pending','queued') AND sending_since IS NULL RETURNING id",
		reason, now, campaignID, bioguideID, LetterSecond))
	if err != nil {
		return err
	}
	for _, id := range ids {
		events = append(events, LetterEvent{LetterID: id, At: now, Kind: "failed", Status: "failed", Detail: reason})
	}
	if len(events) == 0 {
		return nil
	}
	return wrapf(tx.Create(&events).Error, "stop second letters")
}

// officeReply stops the second letters to the office of letter id, which
// replied (in tx).
func officeReply(tx *gorm.DB, letterID int64, why string, now time.Time) error {
	var l Letter
	if err := tx.Select("id", "campaign_id", "bioguide_id").Where("id = ?", letterID).Take(&l).Error; err != nil {
		return fmt.Errorf("store: office reply: %w", err)
	}
	return stopSecondLetters(tx, l.CampaignID, l.BioguideID, why, now)
}

// ConstituentCounts counts, per office code, the first letters of a
// campaign sent or delivered: the constituents who wrote to the office
// (a second letter's {{.constituent_count}}).
func (s *Store) ConstituentCounts(ctx context.Context, campaignID int64) (map[string]int64, error) {
	var rows []struct {
		OfficeCode string
		N          int64
	}
	err := s.db.WithContext(ctx).Model(&Letter{}).Select("office_code, COUNT(*) AS n").
		Where("campaign_id = ? AND kind = ? AND status IN ?", campaignID, LetterFirst, []string{"sent", "delivered"}).
		Group("office_code").Scan(&rows).Error
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.OfficeCode] = r.N
	}
	return out, err
}

// CreateSecondLetter turns an approved second-letter step (status from)
// into the real letter: in one transaction the step becomes "sent", the
// letter (kind second, followup_of the first letter) is stored with its
// delivery job (enqueue), and the first letter's timeline says so. It
// answers 0, false when the step was not in status from (done by another
// process, or not approved), and skips the step (status "skipped") when
// the supporter's data was deleted meanwhile or the second letter exists.
func (s *Store) CreateSecondLetter(ctx context.Context, sendID int64, from string, nl NewLetter, now time.Time, enqueue Enqueue) (int64, bool, error) {
	var id int64
	ok := false
	if nl.FollowupOf == nil {
		return 0, false, errors.New("store: a second letter needs its first letter")
	}
	nl.Kind = LetterSecond
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var f FollowupSend
		if err := tx.Where("id = ? AND status = ? AND step = 'second_letter'", sendID, from).Take(&f).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&submissionRow{}).Where("id = ? AND status = 'confirmed'", nl.SubmissionID).Count(&n).Error; err != nil {
			return fmt.Errorf("store: create second letter: %w", err)
		}
		// A reply recorded before this is seen here; one recorded meanwhile
		// skips the step (this transaction then rolls back) or withdraws the
		// letter written here (stopSecondLetters).
		var replied int64
		if err := tx.Table("letters").Where("letters.id = ? AND "+officeReplied("letters"), *nl.FollowupOf).Count(&replied).Error; err != nil {
			return fmt.Errorf("store: create second letter: %w", err)
		}
		status, detail := "sent", ""
		switch {
		case n == 0:
			status, detail = "skipped", "second letter not sent: the supporter's data was deleted"
		case replied > 0:
			status, detail = "skipped", "second letter not written: the office replied"
		default:
			ids, _, err := createLettersTx(ctx, tx, nil, []NewLetter{nl}, enqueue)
			if err != nil {
				return err
			}
			if len(ids) == 0 {
				status, detail = "skipped", "second letter not sent: it exists already"
			} else {
				id = ids[0]
				detail = "second letter #" + strconv.FormatInt(id, 10) + " written for delivery"
			}
		}
		res := tx.Model(&FollowupSend{}).Where("id = ? AND status = ?", sendID, from).Update("status", status)
		if res.Error != nil {
			return wrapf(res.Error, "create second letter")
		}
		if res.RowsAffected == 0 {
			return errSecondRace
		}
		ok = id != 0
		return wrapf(tx.Create(&LetterEvent{LetterID: *nl.FollowupOf, At: now.UTC(), Kind: "followup", Status: status, Detail: "second_letter: " + detail}).Error, "create second letter")
	})
	if errors.Is(err, errSecondRace) {
		return 0, false, nil
	}
	return id, ok && err == nil, err
}

var errSecondRace = errors.New("store: second letter step changed meanwhile")

// HeldOffice is an office of a campaign with second letters waiting for
// staff approval.
type HeldOffice struct {
	CampaignID    int64
	OfficeCode    string
	BioguideID    string
	Letters       int64 // held second letters (one per first letter)
	FirstLetterID int64 // the oldest, for a preview
}

// HeldSecondLetters lists, per campaign and office, the second letters
// held for approval (campaignID 0: all campaigns).
func (s *Store) HeldSecondLetters(ctx context.Context, campaignID int64) ([]HeldOffice, error) {
	var out []HeldOffice
	q := s.db.WithContext(ctx).Table("followup_sends f").
		Select("f.campaign_id AS campaign_id, l.office_code AS office_code, l.bioguide_id AS bioguide_id, COUNT(*) AS letters, MIN(l.id) AS first_letter_id").
		Joins("JOIN letters l ON l.id = f.letter_id").
		Where("f.step = 'second_letter' AND f.status = 'held'").
		Where("NOT " + officeReplied("l"))
	if campaignID > 0 {
		q = q.Where("f.campaign_id = ?", campaignID)
	}
	err := q.Group("f.campaign_id, l.office_code, l.bioguide_id").Order("f.campaign_id, l.office_code").Scan(&out).Error
	return out, wrapf(err, "held second letters")
}

// ApproveSecondLetters approves every held second letter of a campaign to
// one office (staff approve per office), noting it on each first letter's
// timeline; the tick then writes and enqueues them. It returns how many.
func (s *Store) ApproveSecondLetters(ctx context.Context, campaignID int64, officeCode string, now time.Time, a Audit) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var sends []FollowupSend
		if err := tx.Table("followup_sends").Select("followup_sends.*").
			Joins("JOIN letters l ON l.id = followup_sends.letter_id").
			Where("followup_sends.campaign_id = ? AND followup_sends.step = 'second_letter' AND followup_sends.status = 'held' AND l.office_code = ?", campaignID, officeCode).
			Order("followup_sends.id").Scan(&sends).Error; err != nil {
			return fmt.Errorf("store: approve second letters: %w", err)
		}
		for _, f := range sends {
			res := tx.Model(&FollowupSend{}).Where("id = ? AND status = 'held'", f.ID).Update("status", "approved")
			if res.Error != nil {
				return wrapf(res.Error, "approve second letters")
			}
			if res.RowsAffected == 0 {
				continue
			}
			n++
			if err := tx.Create(&LetterEvent{LetterID: *f.LetterID, At: now.UTC(), Kind: "followup", Status: "approved", Detail: "second_letter: approved by staff"}).Error; err != nil {
				return fmt.Errorf("store: approve second letters: %w", err)
			}
		}
		if n == 0 {
			return nil
		}
		a.ObjectType, a.ObjectID = "campaign", strconv.FormatInt(campaignID, 10)
		a.Detail = strings.TrimSpace(a.Detail + " " + officeCode + ": " + strconv.FormatInt(n, 10) + " second letters")
		return writeAudit(tx, a)
	})
	return n, err
}

// DueReminders lists pending (unconfirmed) submissions of live
// constituent campaigns created between oldest and cutoff without a
// reminder yet (a sign-on's confirmation email is its own).
func (s *Store) DueReminders(ctx context.Context, campaignID int64, oldest, cutoff time.Time, limit int) ([]Submission, error) {
	var rows []submissionRow
	err := s.db.WithContext(ctx).Model(&submissionRow{}).
		Joins("JOIN campaigns ON campaigns.id = submissions.campaign_id").
		Where("submissions.campaign_id = ? AND campaigns.status = 'live' AND campaigns.kind = 'constituent' AND submissions.status = 'pending'", campaignID).
		Where("submissions.created_at <= ? AND submissions.created_at >= ?", cutoff.UTC(), oldest.UTC()).
		Where("submissions.email_index NOT IN (SELECT email_index FROM email_suppressions)").
		Where("NOT EXISTS (SELECT 1 FROM supporter_mail m WHERE m.submission_id = submissions.id AND m.kind = ?)", MailReminder).
		Where("NOT EXISTS (SELECT 1 FROM followup_sends f WHERE f.submission_id = submissions.id AND f.step = 'reminder')").
		Order("submissions.id").Limit(limit).Find(&rows).Error
	out := make([]Submission, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.submission())
	}
	return out, err
}

// SurveyAnswer is a supporter's answer about one letter: replied (with a
// real answer), acknowledged (only an acknowledgement), no_reply,
// not_sure. What they wrote with it (a sentence, the reply they forward)
// is stored only sealed, in Sealed (followup.SurveyText, bound to the row;
// "" when they wrote nothing or their data was erased).
type SurveyAnswer struct {
	ID         int64 `gorm:"primaryKey"`
	LetterID   int64
	Answer     string
	Sealed     string
	AnsweredAt time.Time
	// Seal, when set, seals the answer's text to its new row's id, in the
	// same transaction as the insert.
	Seal func(id int64) (string, error) `gorm:"-"`
}

func (SurveyAnswer) TableName() string { return "survey_answers" }

// AddSurveyAnswer stores an answer and notes it on the letter's timeline.
func (s *Store) AddSurveyAnswer(ctx context.Context, a SurveyAnswer) (SurveyAnswer, error) {
	a.ID, a.AnsweredAt, a.Sealed = 0, a.AnsweredAt.UTC(), ""
	err := s.tx(ctx, func(tx *gorm.DB) error {
		// A supporter who asked for their data to be deleted left nothing to
		// answer about.
		var n int64
		if err := tx.Table("letters").Joins("JOIN submissions ON submissions.id = letters.submission_id").
			Where("letters.id = ? AND submissions.status <> 'erased'", a.LetterID).Count(&n).Error; err != nil {
			return fmt.Errorf("store: add survey answer: %w", err)
		}
		if n == 0 {
			return ErrNotFound
		}
		if err := tx.Create(&a).Error; err != nil {
			return fmt.Errorf("store: add survey answer: %w", err)
		}
		if a.Seal != nil {
			sealed, err := a.Seal(a.ID)
			if err != nil {
				return err
			}
			if err := tx.Model(&SurveyAnswer{}).Where("id = ?", a.ID).Update("sealed", sealed).Error; err != nil {
				return fmt.Errorf("store: add survey answer: %w", err)
			}
			a.Sealed = sealed
		}
		if err := tx.Create(&LetterEvent{LetterID: a.LetterID, At: a.AnsweredAt, Kind: "survey", Detail: "supporter answered: " + a.Answer}).Error; err != nil {
			return fmt.Errorf("store: add survey answer: %w", err)
		}
		if a.Answer != "replied" && a.Answer != "acknowledged" {
			return nil
		}
		// The office replied: no second letter goes to it.
		return officeReply(tx, a.LetterID, "the office replied (survey answer)", a.AnsweredAt)
	})
	if err != nil {
		return a, err
	}
	// The answer also counts as a response for the organizers' reply
	// metrics (a separate transaction: SQLite has one connection, so the
	// two cannot nest; a failure here is returned so the caller can say so).
	// Only answers that report a reply count; "no reply yet" and "not
	// sure" leave the letter waiting (the second-letter rule relies on it).
	if a.Answer != "replied" && a.Answer != "acknowledged" {
		return a, nil
	}
	if rerr := s.RecordSurveyAnswer(ctx, a.LetterID, a.Answer, ""); rerr != nil {
		return a, fmt.Errorf("survey answer saved, but not counted as a response: %w", rerr)
	}
	return a, nil
}

// UpdateSurveyAnswer replaces an answer's sealed text (the sentence and
// forwarded reply the supporter added), unless their data was erased.
func (s *Store) UpdateSurveyAnswer(ctx context.Context, id, letterID int64, sealed string) error {
	return wrapf(s.db.WithContext(ctx).Model(&SurveyAnswer{}).
		Where("id = ? AND letter_id = ?", id, letterID).
		Where("EXISTS (SELECT 1 FROM letters JOIN submissions ON submissions.id = letters.submission_id WHERE letters.id = survey_answers.letter_id AND submissions.status <> 'erased')").
		Update("sealed", sealed).Error, "update survey answer %d", id)
}

// SurveyAnswers lists a letter's answers, oldest first.
func (s *Store) SurveyAnswers(ctx context.Context, letterID int64) ([]SurveyAnswer, error) {
	var out []SurveyAnswer
	return out, wrapf(s.db.WithContext(ctx).Where("letter_id = ?", letterID).Order("id").Find(&out).Error, "survey answers")
}

// Digest is what the organizers' weekly email counts for one campaign.
type Digest struct {
	CampaignID int64
	Sent       int64
	Problems   int64
	Replies    int64 // survey answers: replied with a real answer
	Acks       int64 // survey answers: only an acknowledgement
	// Responses recorded by response tracking (its responses table),
	// when that feature is installed (Tracked).
	Responses int64
	Tracked   bool
}

// DigestSince counts a campaign's letters sent since, delivery problems
// (failed, bounced, dropped) since, and survey answers reporting replies.
func (s *Store) DigestSince(ctx context.Context, campaignID int64, since time.Time) (Digest, error) {
	d := Digest{CampaignID: campaignID}
	db := s.db.WithContext(ctx)
	if err := db.Model(&Letter{}).Where("campaign_id = ? AND sent_at >= ?", campaignID, since.UTC()).Count(&d.Sent).Error; err != nil {
		return d, fmt.Errorf("store: digest since: %w", err)
	}
	if err := db.Model(&Letter{}).Where("campaign_id = ? AND status IN ('failed','bounced','dropped') AND updated_at >= ?", campaignID, since.UTC()).Count(&d.Problems).Error; err != nil {
		return d, fmt.Errorf("store: digest since: %w", err)
	}
	q := "SELECT COUNT(*) FROM survey_answers a JOIN letters l ON l.id = a.letter_id WHERE l.campaign_id = ? AND a.answer = ? AND a.answered_at >= ?"
	if err := db.Raw(q, campaignID, "replied", since.UTC()).Scan(&d.Replies).Error; err != nil {
		return d, fmt.Errorf("store: digest since: %w", err)
	}
	if err := db.Raw(q, campaignID, "acknowledged", since.UTC()).Scan(&d.Acks).Error; err != nil {
		return d, fmt.Errorf("store: digest since: %w", err)
	}
	if db.Migrator().HasTable("responses") {
		d.Tracked = true
		if err := db.Raw("SELECT COUNT(*) FROM responses WHERE campaign_id = ? AND occurred_at >= ?", campaignID, since.UTC()).Scan(&d.Responses).Error; err != nil {
			return d, fmt.Errorf("store: digest since: %w", err)
		}
	}
	return d, nil
}

// HasFollowup tells whether a letter's step was done.
func (s *Store) HasFollowup(ctx context.Context, letterID int64, step string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&FollowupSend{}).Where("letter_id = ? AND step = ?", letterID, step).Count(&n).Error
	return n > 0, wrapf(err, "has followup")
}

// HasWaves tells whether a campaign releases its letters by delivery
// waves (an enabled delivery_wave schedule).
func (s *Store) HasWaves(ctx context.Context, campaignID int64) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Schedule{}).Where("campaign_id = ? AND kind = 'delivery_wave' AND enabled", campaignID).Count(&n).Error
	return n > 0, wrapf(err, "has waves")
}

// WaveReleased counts, per office, the letters of a campaign a delivery
// wave released at (the wave's due time): a wave retried after a crash
// keeps its cap per office.
func (s *Store) WaveReleased(ctx context.Context, campaignID int64, at time.Time) (map[string]int, error) {
	type row struct {
		OfficeCode string
		N          int
	}
	var rows []row
	err := s.db.WithContext(ctx).Table("followup_sends f").Select("l.office_code AS office_code, COUNT(*) AS n").
		Joins("JOIN letters l ON l.id = f.letter_id").
		Where("f.campaign_id = ? AND f.step = 'wave' AND f.at = ?", campaignID, at.UTC()).
		Group("l.office_code").Scan(&rows).Error
	out := map[string]int{}
	for _, r := range rows {
		out[r.OfficeCode] = r.N
	}
	return out, err
}
