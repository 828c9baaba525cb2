package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Supporter email statuses (supporter_mail.status).
const (
	MailQueued  = "queued"  // written with its job, not handed to the provider yet
	MailSending = "sending" // handed to the provider; its answer is not recorded (unknown after a crash)
	MailSent    = "sent"
	MailSkipped = "skipped" // nothing to send (erased, unsubscribed, confirmed meanwhile, ...)
	MailFailed  = "failed"  // refused by the provider, or given up
)

// Kinds of supporter email (supporter_mail.kind).
const (
	MailConfirm      = "confirm"       // the link that confirms a submission
	MailConfirmAgain = "confirm_again" // the same link, sent again at the supporter's request (once)
	MailCopy         = "copy"          // a copy of the letters, once they exist
	MailOptIn        = "optin"         // the request to join the organization's list
	MailSurvey       = "survey"        // did your offices reply? (one per supporter and campaign)
	MailSurveyAgain  = "survey_again"  // asked once more about offices with no reply yet
	MailReminder     = "reminder"      // an unconfirmed submission, 24 hours on
)

// SupporterMail is one email to a supporter: one row per (submission,
// kind), written with the job that sends it, so each kind is sent to a
// submission once. It holds no personal data.
type SupporterMail struct {
	ID           int64 `gorm:"primaryKey"`
	SubmissionID int64
	Kind         string
	Lang         string
	Status       string
	Attempts     int
	ProviderID   string
	Detail       string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	SendingSince *time.Time
	SentAt       *time.Time
}

func (SupporterMail) TableName() string { return "supporter_mail" }

// MailEnqueue inserts, in the transaction that queues them, the jobs that
// send supporter emails (only the rows just written: a kind queued before
// for the submission gets neither a row nor a job).
type MailEnqueue func(ctx context.Context, tx *sql.Tx, mail []SupporterMail) error

// queueMailTx writes a queued row per kind (skipping kinds the submission
// has already) and, through enqueue, their jobs.
func queueMailTx(ctx context.Context, tx *gorm.DB, subID int64, kinds []string, lang string, now time.Time, enqueue MailEnqueue) ([]SupporterMail, error) {
	var added []SupporterMail
	for _, k := range kinds {
		m := SupporterMail{SubmissionID: subID, Kind: k, Lang: lang, Status: MailQueued, CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&m)
		if res.Error != nil {
			return nil, wrapf(res.Error, "queue mail tx")
		}
		if res.RowsAffected == 1 {
			added = append(added, m)
		}
	}
	if len(added) == 0 || enqueue == nil {
		return added, nil
	}
	stx, err := sqlTx(tx)
	if err != nil {
		return nil, err
	}
	return added, enqueue(ctx, stx, added)
}

// QueueSupporterMail queues one email to a submission, with its job, in
// one transaction; it reports false when that kind was queued before.
// letterIDs (may be empty) get a line on their timeline saying so.
func (s *Store) QueueSupporterMail(ctx context.Context, subID int64, kind, lang string, letterIDs []int64, detail string, now time.Time, enqueue MailEnqueue) (bool, error) {
	added := false
	err := s.tx(ctx, func(tx *gorm.DB) error {
		got, err := queueMailTx(ctx, tx, subID, []string{kind}, lang, now, enqueue)
		if err != nil || len(got) == 0 {
			return err
		}
		added = true
		if len(letterIDs) == 0 {
			return nil
		}
		events := make([]LetterEvent, 0, len(letterIDs))
		for _, id := range letterIDs {
			events = append(events, LetterEvent{LetterID: id, At: now.UTC(), Kind: "followup", Status: MailQueued, Detail: kind + ": " + detail})
		}
		return wrapf(tx.Create(&events).Error, "queue supporter mail")
	})
	return added && err == nil, err
}

// SupporterMailOf loads the email of a kind to a submission.
func (s *Store) SupporterMailOf(ctx context.Context, subID int64, kind string) (SupporterMail, error) {
	var m SupporterMail
	err := s.db.WithContext(ctx).Where("submission_id = ? AND kind = ?", subID, kind).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return m, ErrNotFound
	}
	return m, wrapf(err, "supporter mail of")
}

// SupporterMails lists a submission's emails, oldest first.
func (s *Store) SupporterMails(ctx context.Context, subID int64) ([]SupporterMail, error) {
	var out []SupporterMail
	return out, wrapf(s.db.WithContext(ctx).Where("submission_id = ?", subID).Order("id").Find(&out).Error, "supporter mails")
}

// ClaimSupporterMail marks an email as being handed to the provider
// (status sending, one more attempt), committed before the provider is
// called. It succeeds only if the row is still as it was read (queued, or
// sending from an earlier attempt, with attempts unchanged), so two
// workers never both send it.
func (s *Store) ClaimSupporterMail(ctx context.Context, id int64, attempts int, now time.Time) (bool, error) {
	res := s.db.WithContext(ctx).Model(&SupporterMail{}).
		Where("id = ? AND status IN ? AND attempts = ?", id, []string{MailQueued, MailSending}, attempts).
		Updates(map[string]any{"status": MailSending, "attempts": attempts + 1, "sending_since": now.UTC(), "updated_at": now.UTC()})
	return res.RowsAffected == 1, wrapf(res.Error, "claim supporter mail %d", id)
}

// SupporterMailSent records the provider's acceptance of the attempt
// claimed with attempts (the count after the claim). It changes nothing if
// the row moved on meanwhile (settled by a provider event, or stored by
// the outbox in the same transaction as its copy).
func (s *Store) SupporterMailSent(ctx context.Context, id int64, attempts int, providerID, detail string, now time.Time) error {
	return wrapf(s.db.WithContext(ctx).Model(&SupporterMail{}).
		Where("id = ? AND status = ? AND attempts = ?", id, MailSending, attempts).
		Updates(map[string]any{"status": MailSent, "provider_id": providerID, "detail": detail, "sent_at": now.UTC(), "updated_at": now.UTC(), "sending_since": nil}).Error, "supporter mail sent %d", id)
}

// SupporterMailNotSent puts an attempt the provider refused for now (a
// 429, a 5xx, a connection never made) back to queued: the message was not
// taken, so the next attempt sends it without waiting to learn whether
// the provider has it.
func (s *Store) SupporterMailNotSent(ctx context.Context, id int64, attempts int, detail string, now time.Time) error {
	return wrapf(s.db.WithContext(ctx).Model(&SupporterMail{}).
		Where("id = ? AND status = ? AND attempts = ?", id, MailSending, attempts).
		Updates(map[string]any{"status": MailQueued, "detail": detail, "updated_at": now.UTC(), "sending_since": nil}).Error, "supporter mail not sent %d", id)
}

// FinishSupporterMail ends an email that will not be sent (status skipped
// or failed, with the reason): from queued, or from sending when the
// attempt's outcome is known to be a refusal.
func (s *Store) FinishSupporterMail(ctx context.Context, id int64, status, detail string, now time.Time) error {
	if status != MailSkipped && status != MailFailed {
		return errors.New("store: a supporter email finishes skipped or failed")
	}
	return wrapf(s.db.WithContext(ctx).Model(&SupporterMail{}).
		Where("id = ? AND status IN ?", id, []string{MailQueued, MailSending}).
		Updates(map[string]any{"status": status, "detail": detail, "updated_at": now.UTC(), "sending_since": nil}).Error, "finish supporter mail %d", id)
}

// SettleSupporterMail records that the provider has an email whose send
// ended without an answer (SendGrid's event webhook reported an event for
// it): it is sent, and is not sent again. Events for an email already
// settled change nothing.
func (s *Store) SettleSupporterMail(ctx context.Context, id int64, providerID string, at time.Time) (bool, error) {
	res := s.db.WithContext(ctx).Model(&SupporterMail{}).
		Where("id = ? AND status IN ?", id, []string{MailQueued, MailSending}).
		Updates(map[string]any{"status": MailSent, "provider_id": providerID, "detail": "accepted (settled by the provider's event)",
			"sent_at": at.UTC(), "updated_at": at.UTC(), "sending_since": nil})
	return res.RowsAffected == 1, wrapf(res.Error, "settle supporter mail %d", id)
}

// OutboxSupporterMail stores an email in the outbox, under its
// recipient's blind index (delete-my-data finds it by it), and marks it
// sent in one transaction, so the outbox holds each supporter email once
// even if the process dies between the two. It answers 0 and nothing is
// stored when the attempt was not the claimed one.
func (s *Store) OutboxSupporterMail(ctx context.Context, id int64, attempts int, kind, emailIndex string, seal func(outboxID int64) (string, error)) (int64, error) {
	var outboxID int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := time.Now().UTC()
		m := OutboxMessage{Kind: kind, EmailIndex: &emailIndex, Sealed: "-", CreatedAt: now}
		if err := tx.Create(&m).Error; err != nil {
			return fmt.Errorf("store: outbox supporter mail %d: %w", id, err)
		}
		sealed, err := seal(m.ID)
		if err != nil {
			return err
		}
		if err := tx.Model(&OutboxMessage{}).Where("id = ?", m.ID).Update("sealed", sealed).Error; err != nil {
			return fmt.Errorf("store: outbox supporter mail %d: %w", id, err)
		}
		res := tx.Model(&SupporterMail{}).Where("id = ? AND status = ? AND attempts = ?", id, MailSending, attempts).
			Updates(map[string]any{"status": MailSent, "provider_id": "outbox-" + strconv.FormatInt(m.ID, 10), "detail": "stored in the outbox",
				"sent_at": now, "updated_at": now, "sending_since": nil})
		if res.Error != nil {
			return wrapf(res.Error, "outbox supporter mail %d", id)
		}
		if res.RowsAffected == 0 {
			return errNotClaimed
		}
		outboxID = m.ID
		return nil
	})
	if errors.Is(err, errNotClaimed) {
		return 0, nil
	}
	return outboxID, err
}

var errNotClaimed = errors.New("store: the supporter email is not claimed by this attempt")

// SupporterMailCounts counts a campaign's supporter emails per kind and
// status (for the follow-ups page).
func (s *Store) SupporterMailCounts(ctx context.Context, campaignID int64) (map[string]map[string]int64, error) {
	var rows []struct {
		Kind, Status string
		N            int64
	}
	err := s.db.WithContext(ctx).Table("supporter_mail m").Select("m.kind AS kind, m.status AS status, COUNT(*) AS n").
		Joins("JOIN submissions s ON s.id = m.submission_id").Where("s.campaign_id = ?", campaignID).
		Group("m.kind, m.status").Scan(&rows).Error
	out := map[string]map[string]int64{}
	for _, r := range rows {
		if out[r.Kind] == nil {
			out[r.Kind] = map[string]int64{}
		}
		out[r.Kind][r.Status] = r.N
	}
	return out, err
}
