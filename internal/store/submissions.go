package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Submission is one supporter's action on a campaign. Personal data is in
// Sealed (opened by the seal package); EmailIndex finds repeats.
type Submission struct {
	ID          int64
	CampaignID  int64
	EmailIndex  string
	Sealed      string
	Lang        string
	IPHash      string
	Status      string // pending, confirmed, erased
	CreatedAt   time.Time
	ConfirmedAt *time.Time
	// Source is the source code of the link that brought the supporter
	// (?source=, or utm_source); UTM* are the link's utm_ parameters.
	// Short lowercase tokens (see the attribution package), never
	// personal data.
	Source, UTMSource, UTMMedium, UTMCampaign string
}

type submissionRow struct {
	ID          int64 `gorm:"primaryKey"`
	CampaignID  int64
	EmailIndex  string
	Sealed      string
	Lang        string
	IPHash      string
	Status      string
	CreatedAt   time.Time
	ConfirmedAt *time.Time
	ErasedAt    *time.Time
	Source      string
	UTMSource   string `gorm:"column:utm_source"`
	UTMMedium   string `gorm:"column:utm_medium"`
	UTMCampaign string `gorm:"column:utm_campaign"`
}

func (submissionRow) TableName() string { return "submissions" }

func (r submissionRow) submission() Submission {
	return Submission{ID: r.ID, CampaignID: r.CampaignID, EmailIndex: r.EmailIndex, Sealed: r.Sealed, Lang: r.Lang, IPHash: r.IPHash,
		Status: r.Status, CreatedAt: r.CreatedAt, ConfirmedAt: r.ConfirmedAt,
		Source: r.Source, UTMSource: r.UTMSource, UTMMedium: r.UTMMedium, UTMCampaign: r.UTMCampaign}
}

// SubmissionLimit caps the submissions whose Column ("email_index" or
// "ip_hash") equals Value created since Since at Max.
type SubmissionLimit struct {
	Column, Value string
	Max           int64
	Since         time.Time
}

// LimitError is a submission refused because a limit was reached.
type LimitError struct{ Column string }

func (e *LimitError) Error() string { return "store: too many submissions by " + e.Column }

// CreateSubmission stores a pending submission (created now, unless
// sub.CreatedAt is set); seal receives its id. Each limit is counted and the submission written in one transaction that
// no other submission with the same limited value can interleave with (on
// PostgreSQL a transaction advisory lock per value, taken in one order;
// SQLite has one writer), so n parallel requests against a limit of m
// store at most m. A reached limit answers a *LimitError.
func (s *Store) CreateSubmission(ctx context.Context, sub Submission, seal func(id int64) (string, error), limits ...SubmissionLimit) (Submission, error) {
	return s.CreateSubmissionMail(ctx, sub, seal, nil, limits...)
}

// CreateSubmissionMail is CreateSubmission that, when confirm is set, also
// queues the submission's confirmation email with the job that sends it,
// in the same transaction: the email exists if and only if the submission
// does.
func (s *Store) CreateSubmissionMail(ctx context.Context, sub Submission, seal func(id int64) (string, error), confirm MailEnqueue, limits ...SubmissionLimit) (Submission, error) {
	return s.createSubmission(ctx, sub, seal, MailConfirm, confirm, nil, limits...)
}

// createSubmission is CreateSubmissionMail with the kind of the
// confirmation email, and extra, when set, run in the transaction with
// the new submission's id (a sign-on writes its signatory there).
func (s *Store) createSubmission(ctx context.Context, sub Submission, seal func(id int64) (string, error), confirmKind string, confirm MailEnqueue,
	extra func(tx *gorm.DB, id int64) error, limits ...SubmissionLimit) (Submission, error) {
	for _, l := range limits {
		if l.Column != "ip_hash" && l.Column != "email_index" {
			return Submission{}, errors.New("store: unknown rate-limit column")
		}
	}
	limits = slices.Clone(limits)
	slices.SortFunc(limits, func(a, b SubmissionLimit) int {
		return strings.Compare(a.Column+":"+a.Value, b.Column+":"+b.Value)
	})
	created := sub.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	row := submissionRow{CampaignID: sub.CampaignID, EmailIndex: sub.EmailIndex, Sealed: "-", Lang: sub.Lang, IPHash: sub.IPHash,
		Status: "pending", CreatedAt: created.UTC(), Source: sub.Source, UTMSource: sub.UTMSource, UTMMedium: sub.UTMMedium, UTMCampaign: sub.UTMCampaign}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		for _, l := range limits {
			if err := s.xactLockValue(tx, lockClassSubmission, l.Column+":"+l.Value); err != nil {
				return err
			}
			var n int64
			if err := tx.Model(&submissionRow{}).Where(l.Column+" = ? AND created_at >= ?", l.Value, l.Since.UTC()).Count(&n).Error; err != nil {
				return fmt.Errorf("store: create submission mail: %w", err)
			}
			if n >= l.Max {
				return &LimitError{Column: l.Column}
			}
		}
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("store: create submission mail: %w", err)
		}
		sealed, err := seal(row.ID)
		if err != nil {
			return err
		}
		row.Sealed = sealed
		if err := tx.Model(&submissionRow{}).Where("id = ?", row.ID).Update("sealed", sealed).Error; err != nil {
			return fmt.Errorf("store: create submission mail: %w", err)
		}
		if extra != nil {
			if err := extra(tx, row.ID); err != nil {
				return err
			}
		}
		if confirm != nil {
			if _, err = queueMailTx(ctx, tx, row.ID, []string{confirmKind}, row.Lang, row.CreatedAt, confirm); err != nil {
				return err
			}
		}
		// last, so that the counter's row is locked for as short as can be
		return countSubmission(tx, row.CampaignID, row.Source, row.CreatedAt, 1, 0)
	})
	return row.submission(), err
}

// SubmissionByID loads a submission.
func (s *Store) SubmissionByID(ctx context.Context, id int64) (Submission, error) {
	var r submissionRow
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Submission{}, ErrNotFound
	}
	return r.submission(), wrapf(err, "submission by id %d", id)
}

type submissionCountRow struct {
	CampaignID  int64
	Source      string
	Month       string
	Submissions int64
	Confirmed   int64
}

func (submissionCountRow) TableName() string { return "submission_counts" }

// countSubmission adds to the submissions and confirmations counted for a
// campaign, source and month of the submission (the confirmation rate by
// source), in the transaction that creates or confirms it.
func countSubmission(tx *gorm.DB, campaignID int64, source string, created time.Time, subs, confirmed int64) error {
	row := submissionCountRow{CampaignID: campaignID, Source: source, Month: created.UTC().Format("2006-01"), Submissions: subs, Confirmed: confirmed}
	return wrapf(tx.Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "campaign_id"}, {Name: "source"}, {Name: "month"}},
		DoUpdates: clause.Assignments(map[string]any{"submissions": gorm.Expr("submission_counts.submissions + ?", subs),
			"confirmed": gorm.Expr("submission_counts.confirmed + ?", confirmed)}),
	}).Create(&row).Error, "count submission")
}
