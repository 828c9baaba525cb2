package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ErrAlreadyDone means a single-use step (confirming a submission) was
// done before: following a link twice does nothing more.
var ErrAlreadyDone = errors.New("already done")

// ConfirmSubmission confirms a pending submission and stores its letters
// with their delivery jobs, all in one transaction. build is called inside
// it (after the status changed) to render the letters; returning an error
// rolls everything back. It is Confirm for callers with letters only.
func (s *Store) ConfirmSubmission(ctx context.Context, id int64, now time.Time, build func(already map[string]bool) ([]NewLetter, error), enqueue Enqueue) ([]int64, error) {
	c := Confirmation{Now: now, Build: func(_ Submission, already map[string]bool) (Confirmed, error) {
		letters, err := build(already)
		return Confirmed{Letters: letters}, err
	}}
	if enqueue != nil {
		c.Jobs = func(ctx context.Context, tx *sql.Tx, _ Submission, ids []int64) error {
			if len(ids) == 0 {
				return nil
			}
			return enqueue(ctx, tx, ids)
		}
	}
	return s.Confirm(ctx, id, c)
}

// Confirmation is what confirming a submission writes besides its status.
type Confirmation struct {
	// CampaignID, when set, is the campaign the submission must belong to
	// (the page of the link); another campaign's submission is not found.
	CampaignID int64
	Now        time.Time
	// Build renders the letters once the status changed: sub is the
	// submission as confirmed, already the offices this email wrote to on
	// the campaign before.
	Build func(sub Submission, already map[string]bool) (Confirmed, error)
	// Jobs, when set, runs last in the transaction with the new letters'
	// ids: it enqueues their delivery jobs and the jobs of the emails Build
	// asked for (Confirmed.Mail: a copy of the letters, the opt-in
	// request), so that they exist if and only if the confirmation commits.
	Jobs func(ctx context.Context, tx *sql.Tx, sub Submission, letterIDs []int64) error
	// Skipped, when set, is told the offices (bioguide ids) of letters
	// Build made that were not written because this email's letter to
	// that office exists already: a confirmation of another submission
	// of the same email wrote it meanwhile (the unique index decides).
	Skipped func(offices []string)
}

// Confirmed is what Build decided.
type Confirmed struct {
	Letters []NewLetter
	// OptIn, when set, records the supporter's wish to hear from the
	// organization (unconfirmed until they follow the opt-in email's link).
	OptIn *OptInRequest
	// Mail lists the kinds of email to queue for the supporter (the copy
	// of the letters, the opt-in request), in the page's language MailLang;
	// Confirmation.Jobs enqueues their jobs.
	Mail     []string
	MailLang string
}

// OptInRequest is a wish to hear from the organization: the address and
// name, sealed to "optin:"+email index, and the email's language; and
// what the supporter list filters by: the supporter's state and House
// district (nil: unknown; 0: at-large) and the source of the link.
type OptInRequest struct {
	Sealed, Lang  string
	State, Source string
	District      *int
}

// Confirm confirms a pending submission, stores its letters, the opt-in
// request, and (c.Jobs) the letters' delivery jobs and the supporter's
// email job, all in one transaction. The submission is changed and read
// back, with the offices its email already wrote to, in one statement
// (UPDATE ... RETURNING, PostgreSQL and SQLite 3.35+). It answers
// ErrAlreadyDone when the submission was confirmed before, and
// ErrNotFound when it does not exist, was erased or belongs to another
// campaign than c.CampaignID.
func (s *Store) Confirm(ctx context.Context, id int64, c Confirmation) ([]int64, error) {
	var ids []int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		q := "UPDATE submissions SET status = 'confirmed', confirmed_at = ? WHERE id = ? AND status = 'pending'"
		args := []any{c.Now.UTC(), id}
		if c.CampaignID != 0 {
			q += " AND campaign_id = ?"
			args = append(args, c.CampaignID)
		}
		// The same statement reads the offices this email wrote to before on
		// the campaign (string_agg: PostgreSQL, SQLite 3.44+), so that
		// Build renders only new letters. It sees only committed letters:
		// the unique index on first letters is what stops a concurrent
		// confirmation's letter from being written twice.
		var rows []confirmedRow
		if err := tx.Raw(q+` RETURNING id, campaign_id, email_index, sealed, lang, ip_hash, status, created_at, confirmed_at, source, utm_source, utm_medium, utm_campaign,
			(SELECT string_agg(l.bioguide_id, ',') FROM letters l
			 WHERE l.campaign_id = submissions.campaign_id AND l.email_index = submissions.email_index AND l.kind = 'first') AS written`, args...).
			Scan(&rows).Error; err != nil {
			return fmt.Errorf("store: confirm submission %d: %w", id, err)
		}
		if len(rows) == 0 {
			return whyNotPending(tx, id, c.CampaignID)
		}
		r := rows[0]
		sub := Submission{ID: r.ID, CampaignID: r.CampaignID, EmailIndex: r.EmailIndex, Sealed: r.Sealed, Lang: r.Lang, IPHash: r.IPHash,
			Status: r.Status, CreatedAt: r.CreatedAt, ConfirmedAt: r.ConfirmedAt,
			Source: r.Source, UTMSource: r.UTMSource, UTMMedium: r.UTMMedium, UTMCampaign: r.UTMCampaign}
		already := map[string]bool{}
		if r.Written != nil {
			for _, b := range strings.Split(*r.Written, ",") {
				already[b] = true
			}
		}
		out, err := c.Build(sub, already)
		if err != nil {
			return err
		}
		for i := range out.Letters {
			out.Letters[i].EmailIndex = sub.EmailIndex
		}
		var written []bool
		if ids, written, err = createLettersTx(ctx, tx, nil, out.Letters, nil); err != nil {
			return err
		}
		if c.Skipped != nil {
			var skipped []string
			for i, ok := range written {
				if !ok {
					skipped = append(skipped, out.Letters[i].BioguideID)
				}
			}
			if len(skipped) > 0 {
				c.Skipped(skipped)
			}
		}
		if out.OptIn != nil {
			if err := requestOptIn(tx, sub.EmailIndex, *out.OptIn, sub.CampaignID, c.Now); err != nil {
				return err
			}
		}
		if err := countSubmission(tx, sub.CampaignID, sub.Source, sub.CreatedAt, 0, 1); err != nil {
			return err
		}
		// The emails' rows; their jobs go in with the letters' (c.Jobs).
		if _, err := queueMailTx(ctx, tx, sub.ID, out.Mail, out.MailLang, c.Now, nil); err != nil {
			return err
		}
		if c.Jobs == nil {
			return nil
		}
		stx, err := sqlTx(tx)
		if err != nil {
			return err
		}
		return c.Jobs(ctx, stx, sub, ids)
	})
	return ids, err
}

// confirmedRow is a submission as confirmed, with the offices (bioguide
// ids, comma-separated) its email wrote to before on the campaign.
// (GORM's Raw scan does not fill an embedded submissionRow, hence the
// fields spelled out.)
type confirmedRow struct {
	ID          int64
	CampaignID  int64
	EmailIndex  string
	Sealed      string
	Lang        string
	IPHash      string
	Status      string
	CreatedAt   time.Time
	ConfirmedAt *time.Time
	Source      string
	UTMSource   string
	UTMMedium   string
	UTMCampaign string
	Written     *string
}

// whyNotPending tells why a submission could not be confirmed: done
// before, or not there (missing, erased, another campaign's).
func whyNotPending(tx *gorm.DB, id, campaignID int64) error {
	var r submissionRow
	err := tx.Select("status", "campaign_id").Where("id = ?", id).Take(&r).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return ErrNotFound
	case err != nil:
		return err
	case r.Status == "erased" || (campaignID != 0 && r.CampaignID != campaignID):
		return ErrNotFound
	}
	return ErrAlreadyDone
}

// WrittenOffices lists the offices (bioguide ids) that already have a
// letter from this email on this campaign: a repeat action never writes
// to the same office twice. Only first letters count: a second letter is
// the follow-up of one of them.
func (s *Store) WrittenOffices(ctx context.Context, campaignID int64, emailIndex string) (map[string]bool, error) {
	return writtenOffices(s.db.WithContext(ctx), campaignID, emailIndex)
}

func writtenOffices(tx *gorm.DB, campaignID int64, emailIndex string) (map[string]bool, error) {
	var ids []string
	err := tx.Table("letters").Where("campaign_id = ? AND email_index = ? AND kind = ?", campaignID, emailIndex, LetterFirst).
		Pluck("bioguide_id", &ids).Error
	out := map[string]bool{}
	for _, id := range ids {
		out[id] = true
	}
	return out, err
}

// CountSubmissionsSince counts recent submissions by client (ip_hash) or
// by email (email_index), for rate limits.
func (s *Store) CountSubmissionsSince(ctx context.Context, column, value string, since time.Time) (int64, error) {
	if column != "ip_hash" && column != "email_index" {
		return 0, errors.New("store: unknown rate-limit column")
	}
	var n int64
	err := s.db.WithContext(ctx).Model(&submissionRow{}).Where(column+" = ? AND created_at >= ?", value, since.UTC()).Count(&n).Error
	return n, wrapf(err, "count submissions since")
}

// CampaignLetterCount is the number of supporters' (first) letters sent or
// delivered for a campaign (the public progress count).
func (s *Store) CampaignLetterCount(ctx context.Context, campaignID int64) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Letter{}).Where("campaign_id = ? AND kind = ? AND status IN ?", campaignID, LetterFirst, []string{"sent", "delivered"}).Count(&n).Error
	return n, wrapf(err, "campaign letter count")
}

type optinRow struct {
	EmailIndex     string `gorm:"primaryKey"`
	Sealed         string
	Lang           string
	CampaignID     *int64
	RequestedAt    time.Time
	ConfirmedAt    *time.Time
	UnsubscribedAt *time.Time
	State          string
	District       *int
	Source         string
	Origin         string
}

func (optinRow) TableName() string { return "optins" }

// requestOptIn records a wish to hear from the organization, unconfirmed
// until the supporter follows the opt-in email's link (Confirm writes it
// with the confirmation).
// A supporter already on the list keeps the campaign and source they
// joined through; their address details (sealed, state, district) and
// language follow the latest action.
func requestOptIn(tx *gorm.DB, emailIndex string, r OptInRequest, campaignID int64, now time.Time) error {
	cid := campaignID
	row := optinRow{EmailIndex: emailIndex, Sealed: r.Sealed, Lang: r.Lang, CampaignID: &cid, RequestedAt: now.UTC(),
		State: r.State, District: r.District, Source: r.Source, Origin: OriginAction}
	return wrapf(tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "email_index"}},
		DoUpdates: clause.AssignmentColumns([]string{"sealed", "lang", "requested_at", "state", "district"}),
	}).Create(&row).Error, "request opt in")
}

// ConfirmOptIn completes the double opt-in.
func (s *Store) ConfirmOptIn(ctx context.Context, emailIndex string) error {
	res := s.db.WithContext(ctx).Model(&optinRow{}).Where("email_index = ? AND unsubscribed_at IS NULL", emailIndex).
		Update("confirmed_at", time.Now().UTC())
	if res.Error != nil {
		return wrapf(res.Error, "confirm opt in")
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// OptInConfirmed tells whether an address joined the organization's list.
func (s *Store) OptInConfirmed(ctx context.Context, emailIndex string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&optinRow{}).Where("email_index = ? AND confirmed_at IS NOT NULL AND unsubscribed_at IS NULL", emailIndex).Count(&n).Error
	return n > 0, wrapf(err, "opt in confirmed")
}

// Unsubscribe stops all email to an address at once: it is suppressed
// and leaves the organization's list.
func (s *Store) Unsubscribe(ctx context.Context, emailIndex, reason string) error {
	return s.UnsubscribeVia(ctx, emailIndex, reason, 0)
}

// UnsubscribeVia is Unsubscribe through a link of mailing mailingID (0:
// none): when it takes a supporter off the list (a confirmed opt-in not
// unsubscribed before), the mailing counts one more unsubscribe
// (MailingProgress.Unsubscribed). A mailing that does not exist counts
// nothing.
func (s *Store) UnsubscribeVia(ctx context.Context, emailIndex, reason string, mailingID int64) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if mailingID != 0 {
			now := time.Now().UTC()
			res := tx.Model(&optinRow{}).Where("email_index = ? AND confirmed_at IS NOT NULL AND unsubscribed_at IS NULL", emailIndex).
				Update("unsubscribed_at", now)
			if res.Error != nil {
				return wrapf(res.Error, "unsubscribe")
			}
			if res.RowsAffected > 0 {
				if err := tx.Exec("INSERT INTO mailing_unsubscribes (mailing_id, created_at) SELECT id, ? FROM mailings WHERE id = ?", now, mailingID).Error; err != nil {
					return wrapf(err, "unsubscribe")
				}
			}
		}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).
			Create(&suppressionRow{EmailIndex: emailIndex, Reason: reason, CreatedAt: time.Now().UTC()}).Error; err != nil {
			return fmt.Errorf("store: unsubscribe: %w", err)
		}
		return wrapf(tx.Model(&optinRow{}).Where("email_index = ?", emailIndex).Update("unsubscribed_at", time.Now().UTC()).Error, "unsubscribe")
	})
}

// EraseSupporter deletes a supporter's personal data at their request:
// their submissions and letters keep only what aggregates need (campaign,
// office, status, dates); letters not yet sent are cancelled. Every copy
// goes too: the outbox copies of their letters and of every email to
// their address (confirmations, copies, opt-in requests, surveys), the
// sealed text of the offices' replies to their letters (which quote them)
// and of their survey answers, and their opt-in. It returns how many
// submissions were erased.
func (s *Store) EraseSupporter(ctx context.Context, emailIndex string, a Audit) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := time.Now().UTC()
		var subIDs []int64
		if err := tx.Model(&submissionRow{}).Where("email_index = ? AND status <> ?", emailIndex, "erased").Pluck("id", &subIDs).Error; err != nil {
			return fmt.Errorf("store: erase supporter: %w", err)
		}
		n = int64(len(subIDs))
		if len(subIDs) > 0 {
			if err := tx.Model(&submissionRow{}).Where("id IN ?", subIDs).
				Updates(map[string]any{"sealed": "", "status": "erased", "erased_at": now, "email_index": "erased", "ip_hash": ""}).Error; err != nil {
				return fmt.Errorf("store: erase supporter: %w", err)
			}
			var letterIDs []int64
			if err := tx.Model(&Letter{}).Where("submission_id IN ?", subIDs).Pluck("id", &letterIDs).Error; err != nil {
				return fmt.Errorf("store: erase supporter: %w", err)
			}
			if len(letterIDs) > 0 {
				if err := eraseLetters(tx, letterIDs, now); err != nil {
					return err
				}
			}
		}
		// The emails to this address, whichever submission they were about
		// (a confirmation request of one never confirmed, too).
		if err := tx.Where("email_index = ?", emailIndex).Delete(&OutboxMessage{}).Error; err != nil {
			return fmt.Errorf("store: erase supporter: %w", err)
		}
		if err := tx.Where("email_index = ?", emailIndex).Delete(&optinRow{}).Error; err != nil {
			return fmt.Errorf("store: erase supporter: %w", err)
		}
		a.ObjectType, a.ObjectID = "supporter", ""
		return writeAudit(tx, a)
	})
	if err == nil {
		// The old pages are zeroed in the database file (secure_delete), but
		// SQLite's write-ahead log still holds them until a checkpoint.
		s.checkpointWAL(ctx)
	}
	return n, err
}

// eraseLetters removes the personal data tied to an erased supporter's
// letters (first and second): cancels those not yet sent, empties their
// sealed text, deletes their outbox copies, and empties the sealed text
// of the offices' replies to them and of the supporter's survey answers
// (the answers and the replies' classification stay: they are the
// aggregates). Each letter's timeline says so.
func eraseLetters(tx *gorm.DB, letterIDs []int64, now time.Time) error {
	if err := tx.Model(&Letter{}).Where("id IN ? AND status IN ? AND sending_since IS NULL", letterIDs, []string{"pending", "queued"}).
		Updates(map[string]any{"status": "failed", "last_error": "cancelled: the supporter asked for their data to be deleted", "updated_at": now}).Error; err != nil {
		return fmt.Errorf("store: erase letters: %w", err)
	}
	// The letters no longer name the supporter's email either: they are no
	// repeat of a letter the same address may write later.
	if err := tx.Model(&Letter{}).Where("id IN ?", letterIDs).Update("email_index", nil).Error; err != nil {
		return fmt.Errorf("store: erase letters: %w", err)
	}
	if err := tx.Exec("UPDATE letter_texts SET sealed = '' WHERE letter_id IN ?", letterIDs).Error; err != nil {
		return fmt.Errorf("store: erase letters: %w", err)
	}
	if err := tx.Where("letter_id IN ?", letterIDs).Delete(&OutboxMessage{}).Error; err != nil {
		return fmt.Errorf("store: erase letters: %w", err)
	}
	// The plaintext columns are emptied too: a row written before replies
	// were sealed, and not yet sealed by the start-up step, goes as well.
	if err := tx.Model(&InboundReply{}).Where("letter_id IN ?", letterIDs).
		Updates(map[string]any{"sealed": "", "from_addr": "", "subject": "", "body": ""}).Error; err != nil {
		return fmt.Errorf("store: erase letters: %w", err)
	}
	if err := tx.Model(&SurveyAnswer{}).Where("letter_id IN ?", letterIDs).
		Updates(map[string]any{"sealed": "", "note": "", "reply_text": ""}).Error; err != nil {
		return fmt.Errorf("store: erase letters: %w", err)
	}
	for _, id := range letterIDs {
		if err := tx.Create(&LetterEvent{LetterID: id, At: now, Kind: "erased", Detail: "personal data deleted at the supporter's request"}).Error; err != nil {
			return fmt.Errorf("store: erase letters: %w", err)
		}
	}
	return nil
}

// SubmissionLetters lists a submission's letters in the order they were
// created.
func (s *Store) SubmissionLetters(ctx context.Context, submissionID int64) ([]Letter, error) {
	var out []Letter
	err := withText(s.db.WithContext(ctx)).Where("submission_id = ?", submissionID).Order("id").Find(&out).Error
	return out, wrapf(err, "submission letters")
}
