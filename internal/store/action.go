package store

import (
	"context"
	"errors"
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
// rolls everything back.
func (s *Store) ConfirmSubmission(ctx context.Context, id int64, now time.Time, build func(already map[string]bool) ([]NewLetter, error), enqueue Enqueue) ([]int64, error) {
	var ids []int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&submissionRow{}).Where("id = ? AND status = ?", id, "pending").
			Updates(map[string]any{"status": "confirmed", "confirmed_at": now.UTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrAlreadyDone
		}
		var sub submissionRow
		if err := tx.Where("id = ?", id).Take(&sub).Error; err != nil {
			return err
		}
		already, err := writtenOffices(tx, sub.CampaignID, sub.EmailIndex)
		if err != nil {
			return err
		}
		letters, err := build(already)
		if err != nil {
			return err
		}
		ids, err = createLettersTx(ctx, tx, letters, enqueue)
		return err
	})
	return ids, err
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
	err := tx.Table("letters").Select("letters.bioguide_id").
		Joins("JOIN submissions ON submissions.id = letters.submission_id").
		Where("submissions.campaign_id = ? AND submissions.email_index = ? AND letters.kind = ?", campaignID, emailIndex, LetterFirst).
		Pluck("letters.bioguide_id", &ids).Error
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
	return n, err
}

// CampaignLetterCount is the number of supporters' (first) letters sent or
// delivered for a campaign (the public progress count).
func (s *Store) CampaignLetterCount(ctx context.Context, campaignID int64) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Letter{}).Where("campaign_id = ? AND kind = ? AND status IN ?", campaignID, LetterFirst, []string{"sent", "delivered"}).Count(&n).Error
	return n, err
}

type optinRow struct {
	EmailIndex     string `gorm:"primaryKey"`
	Sealed         string
	Lang           string
	CampaignID     *int64
	RequestedAt    time.Time
	ConfirmedAt    *time.Time
	UnsubscribedAt *time.Time
}

func (optinRow) TableName() string { return "optins" }

// RequestOptIn records a wish to hear from the organization, unconfirmed
// until the supporter follows the opt-in email's link.
func (s *Store) RequestOptIn(ctx context.Context, emailIndex, sealed, lang string, campaignID int64) error {
	cid := campaignID
	row := optinRow{EmailIndex: emailIndex, Sealed: sealed, Lang: lang, CampaignID: &cid, RequestedAt: time.Now().UTC()}
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "email_index"}},
		DoUpdates: clause.AssignmentColumns([]string{"sealed", "lang", "requested_at"}),
	}).Create(&row).Error
}

// ConfirmOptIn completes the double opt-in.
func (s *Store) ConfirmOptIn(ctx context.Context, emailIndex string) error {
	res := s.db.WithContext(ctx).Model(&optinRow{}).Where("email_index = ? AND unsubscribed_at IS NULL", emailIndex).
		Update("confirmed_at", time.Now().UTC())
	if res.Error != nil {
		return res.Error
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
	return n > 0, err
}

// Unsubscribe stops all email to an address at once: it is suppressed
// and leaves the organization's list.
func (s *Store) Unsubscribe(ctx context.Context, emailIndex, reason string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).
			Create(&suppressionRow{EmailIndex: emailIndex, Reason: reason, CreatedAt: time.Now().UTC()}).Error; err != nil {
			return err
		}
		return tx.Model(&optinRow{}).Where("email_index = ?", emailIndex).Update("unsubscribed_at", time.Now().UTC()).Error
	})
}

// EraseSupporter deletes a supporter's personal data at their request:
// their submissions and letters keep only what aggregates need (campaign,
// office, status, dates); letters not yet sent are cancelled, and their
// outbox copies and opt-in are removed. It returns how many submissions
// were erased.
func (s *Store) EraseSupporter(ctx context.Context, emailIndex string, a Audit) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := time.Now().UTC()
		var subIDs []int64
		if err := tx.Model(&submissionRow{}).Where("email_index = ? AND status <> ?", emailIndex, "erased").Pluck("id", &subIDs).Error; err != nil {
			return err
		}
		n = int64(len(subIDs))
		if len(subIDs) > 0 {
			if err := tx.Model(&submissionRow{}).Where("id IN ?", subIDs).
				Updates(map[string]any{"sealed": "", "status": "erased", "erased_at": now, "email_index": "erased", "ip_hash": ""}).Error; err != nil {
				return err
			}
			var letterIDs []int64
			if err := tx.Model(&Letter{}).Where("submission_id IN ?", subIDs).Pluck("id", &letterIDs).Error; err != nil {
				return err
			}
			if len(letterIDs) > 0 {
				if err := tx.Model(&Letter{}).Where("id IN ? AND status IN ?", letterIDs, []string{"pending", "queued"}).
					Updates(map[string]any{"status": "failed", "last_error": "cancelled: the supporter asked for their data to be deleted", "updated_at": now}).Error; err != nil {
					return err
				}
				if err := tx.Model(&Letter{}).Where("id IN ?", letterIDs).Update("sealed", "").Error; err != nil {
					return err
				}
				if err := tx.Where("letter_id IN ?", letterIDs).Delete(&OutboxMessage{}).Error; err != nil {
					return err
				}
				// Survey answers keep their answer (an aggregate) but lose the
				// supporter's own words and the forwarded reply.
				if err := tx.Table("survey_answers").Where("letter_id IN ?", letterIDs).
					Updates(map[string]any{"note": "", "reply_text": ""}).Error; err != nil {
					return err
				}
				for _, id := range letterIDs {
					if err := tx.Create(&LetterEvent{LetterID: id, At: now, Kind: "erased", Detail: "personal data deleted at the supporter's request"}).Error; err != nil {
						return err
					}
				}
			}
		}
		if err := tx.Where("email_index = ?", emailIndex).Delete(&optinRow{}).Error; err != nil {
			return err
		}
		a.ObjectType, a.ObjectID = "supporter", ""
		return writeAudit(tx, a)
	})
	return n, err
}
