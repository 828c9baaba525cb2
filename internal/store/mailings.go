package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Mailing statuses (mailings.status).
const (
	MailingDraft     = "draft"     // saved, not sent
	MailingScheduled = "scheduled" // its job waits for send_at (now, for "send now")
	MailingSending   = "sending"   // batches are going out
	MailingSent      = "sent"      // every batch ended
	MailingCancelled = "cancelled" // stopped by staff; batches already sent stay sent
	MailingFailed    = "failed"    // stopped on an error staff must fix (detail says which)
)

// Mailing batch statuses (mailing_batches.status).
const (
	BatchSending = "sending" // handed to the provider, answer not recorded (unknown after a crash)
	BatchSent    = "sent"
	BatchFailed  = "failed"  // refused by the provider (a 4xx), or given up
	BatchRetry   = "retry"   // not taken (a 429, a 5xx, no connection): sent again
	BatchUnknown = "unknown" // may have been taken (a crash, a lost answer): never sent again
)

// Mailing is a mobilization email: a subject and a body per language
// (templates), a segment (its JSON definition) and when to send. It holds
// no personal data.
type Mailing struct {
	ID         int64 `gorm:"primaryKey"`
	Name       string
	CampaignID *int64
	SubjectEN  string `gorm:"column:subject_en"`
	BodyEN     string `gorm:"column:body_en"`
	SubjectES  string `gorm:"column:subject_es"`
	BodyES     string `gorm:"column:body_es"`
	Segment    string
	Status     string
	SendAt     *time.Time
	// Cutoff is when sending began: only supporters whose opt-in was
	// confirmed before it are recipients, so the recipients of a batch
	// (a range of keys) never grow when it is sent again.
	Cutoff     *time.Time
	Total      int // recipients the segment matched when sending began
	Detail     string
	CreatedBy  *int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
	StartedAt  *time.Time
	FinishedAt *time.Time
}

func (Mailing) TableName() string { return "mailings" }

// MailingBatch is one request to the provider: up to 1,000 recipients of
// one language, those whose key is in (AfterKey, LastKey].
type MailingBatch struct {
	ID           int64 `gorm:"primaryKey"`
	MailingID    int64
	Lang         string
	Seq          int
	AfterKey     string
	LastKey      string
	Recipients   int
	Sent         int
	Failed       int
	Status       string
	Attempts     int
	ProviderID   string
	Detail       string
	CreatedAt    time.Time
	SendingSince *time.Time
	FinishedAt   *time.Time
}

func (MailingBatch) TableName() string { return "mailing_batches" }

// ErrMailingState is returned when a mailing is not in a state that
// allows the change (editing a mailing that is sending, ...).
var ErrMailingState = errors.New("the mailing cannot be changed in its current state")

// ErrBatchTaken is returned by ClaimMailingBatch when another worker wrote
// that batch first.
var ErrBatchTaken = errors.New("the batch was claimed by another worker")

// CreateMailing stores a new mailing, audited, and (when enqueue is set)
// its job in the same transaction.
func (s *Store) CreateMailing(ctx context.Context, m Mailing, a Audit, enqueue MailingEnqueue) (Mailing, error) {
	now := time.Now().UTC()
	m.ID, m.CreatedAt, m.UpdatedAt = 0, now, now
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&m).Error; err != nil {
			return wrapf(err, "create mailing")
		}
		a.ObjectType, a.ObjectID = "mailing", fmt.Sprint(m.ID)
		if err := writeAudit(tx, a); err != nil {
			return err
		}
		if enqueue == nil {
			return nil
		}
		stx, err := sqlTx(tx)
		if err != nil {
			return err
		}
		return enqueue(ctx, stx, m)
	})
	return m, err
}

// MailingEnqueue inserts a mailing's job in the transaction that saves it.
type MailingEnqueue func(ctx context.Context, tx *sql.Tx, m Mailing) error

// CancelMailing stops a scheduled or sending mailing (batches already
// handed to the provider stay as they are).
func (s *Store) CancelMailing(ctx context.Context, id int64, a Audit) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		now := time.Now().UTC()
		res := tx.Model(&Mailing{}).Where("id = ? AND status IN ?", id, []string{MailingDraft, MailingScheduled, MailingSending}).
			Updates(map[string]any{"status": MailingCancelled, "finished_at": now, "updated_at": now})
		if res.Error != nil {
			return wrapf(res.Error, "cancel mailing")
		}
		if res.RowsAffected == 0 {
			if _, err := mailingTx(tx, id); err != nil {
				return err
			}
			return ErrMailingState
		}
		a.ObjectType, a.ObjectID = "mailing", fmt.Sprint(id)
		return writeAudit(tx, a)
	})
}

func mailingTx(tx *gorm.DB, id int64) (Mailing, error) {
	var m Mailing
	err := tx.First(&m, id).Error
	return m, notFound(err, "mailing")
}

func notFound(err error, what string) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return wrapf(err, "%s", what)
}

// Mailing reads one mailing.
func (s *Store) Mailing(ctx context.Context, id int64) (Mailing, error) {
	return mailingTx(s.db.WithContext(ctx), id)
}

// Mailings lists mailings, newest first.
func (s *Store) Mailings(ctx context.Context, limit int) ([]Mailing, error) {
	var out []Mailing
	err := s.db.WithContext(ctx).Order("id DESC").Limit(limit).Find(&out).Error
	return out, wrapf(err, "mailings")
}

// StartMailing moves a scheduled mailing to "sending" once, with its
// cutoff and number of recipients (counted at cutoff by the caller). It
// returns the mailing as stored (already started: unchanged).
func (s *Store) StartMailing(ctx context.Context, id int64, cutoff time.Time, total int) (Mailing, error) {
	cutoff = cutoff.UTC()
	res := s.db.WithContext(ctx).Model(&Mailing{}).Where("id = ? AND status = ?", id, MailingScheduled).
		Updates(map[string]any{"status": MailingSending, "cutoff": cutoff, "total": total, "started_at": cutoff, "updated_at": cutoff})
	if res.Error != nil {
		return Mailing{}, wrapf(res.Error, "start mailing")
	}
	return s.Mailing(ctx, id)
}

// FinishMailing ends a scheduled or sending mailing with status (sent, or
// failed: a scheduled one whose segment or templates can no longer be
// used fails before it starts).
func (s *Store) FinishMailing(ctx context.Context, id int64, status, detail string, now time.Time) error {
	err := s.db.WithContext(ctx).Model(&Mailing{}).Where("id = ? AND status IN ?", id, []string{MailingScheduled, MailingSending}).
		Updates(map[string]any{"status": status, "detail": detail, "finished_at": now.UTC(), "updated_at": now.UTC()}).Error
	return wrapf(err, "finish mailing")
}

// MailingBatches lists a mailing's batches by language and order.
func (s *Store) MailingBatches(ctx context.Context, mailingID int64) ([]MailingBatch, error) {
	var out []MailingBatch
	err := s.db.WithContext(ctx).Where("mailing_id = ?", mailingID).Order("lang, seq").Find(&out).Error
	return out, wrapf(err, "mailing batches")
}

// ClaimMailingBatch writes batch b as "sending" (committed before the
// provider is called). A batch of the same (mailing, language, seq)
// written first by another worker gives ErrBatchTaken.
func (s *Store) ClaimMailingBatch(ctx context.Context, b MailingBatch, now time.Time) (MailingBatch, error) {
	t := now.UTC()
	b.ID, b.Status, b.Attempts, b.CreatedAt, b.SendingSince = 0, BatchSending, 1, t, &t
	res := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&b)
	if res.Error != nil {
		return b, wrapf(res.Error, "claim mailing batch")
	}
	if res.RowsAffected == 0 {
		return b, ErrBatchTaken
	}
	return b, nil
}

// ReclaimMailingBatch takes a batch in "retry" for another attempt.
func (s *Store) ReclaimMailingBatch(ctx context.Context, id int64, attempts int, now time.Time) (bool, error) {
	res := s.db.WithContext(ctx).Model(&MailingBatch{}).Where("id = ? AND status = ? AND attempts = ?", id, BatchRetry, attempts).
		Updates(map[string]any{"status": BatchSending, "attempts": attempts + 1, "sending_since": now.UTC()})
	return res.RowsAffected == 1, wrapf(res.Error, "reclaim mailing batch")
}

// BatchOutcome is what became of a batch.
type BatchOutcome struct {
	Status     string // BatchSent, BatchFailed, BatchRetry or BatchUnknown
	Recipients int    // as sent (fewer than claimed when some left the list meanwhile)
	Sent       int
	Failed     int
	ProviderID string
	Detail     string
}

// FinishMailingBatch records a batch's outcome, only while it is
// "sending" (an outcome recorded first, by an event, stands).
func (s *Store) FinishMailingBatch(ctx context.Context, id int64, o BatchOutcome, now time.Time) error {
	upd := map[string]any{"status": o.Status, "sent": o.Sent, "failed": o.Failed, "recipients": o.Recipients,
		"provider_id": o.ProviderID, "detail": truncateDetail(o.Detail)}
	if o.Status != BatchRetry {
		upd["finished_at"] = now.UTC()
	}
	err := s.db.WithContext(ctx).Model(&MailingBatch{}).Where("id = ? AND status = ?", id, BatchSending).Updates(upd).Error
	return wrapf(err, "finish mailing batch")
}

func truncateDetail(s string) string {
	if len(s) > 500 {
		s = strings.ToValidUTF8(s[:500], "")
	}
	return s
}

// MailingProgress is how far a mailing got: sums over its batches.
type MailingProgress struct {
	Sent    int
	Failed  int
	Unknown int // in batches whose outcome is unknown (a crash mid-request)
	Sending int // in batches handed to the provider now
	Batches int
	// Unsubscribed counts the supporters who left the list through the
	// mailing's links (one-click header or footer).
	Unsubscribed int
	// First and Last bound the batches' work (for the rate).
	First, Last *time.Time
}

// MailingProgress sums a mailing's batches.
func (s *Store) MailingProgress(ctx context.Context, mailingID int64) (MailingProgress, error) {
	var rows []MailingBatch
	err := s.db.WithContext(ctx).Select("status, recipients, sent, failed, created_at, finished_at").Where("mailing_id = ?", mailingID).Find(&rows).Error
	if err != nil {
		return MailingProgress{}, wrapf(err, "mailing progress")
	}
	var p MailingProgress
	var unsub int64
	if err := s.db.WithContext(ctx).Table("mailing_unsubscribes").Where("mailing_id = ?", mailingID).Count(&unsub).Error; err != nil {
		return MailingProgress{}, wrapf(err, "mailing progress")
	}
	p.Unsubscribed = int(unsub)
	for _, b := range rows {
		p.Batches++
		p.Sent += b.Sent
		p.Failed += b.Failed
		switch b.Status {
		case BatchUnknown:
			p.Unknown += b.Recipients
		case BatchSending:
			p.Sending += b.Recipients
		}
		if c := b.CreatedAt; p.First == nil || c.Before(*p.First) {
			p.First = &c
		}
		if f := b.FinishedAt; f != nil && (p.Last == nil || f.After(*p.Last)) {
			p.Last = f
		}
	}
	return p, nil
}

// MailingRecipient is one supporter a mailing goes to: the opt-in's key,
// its sealed address and first name, and its language.
type MailingRecipient struct {
	EmailIndex string
	Sealed     string
	Lang       string
	// State and District are where the supporter lives, as the list
	// keeps them ("" and nil: unknown): whose members a supporter who
	// never wrote a letter has.
	State    string
	District *int
}

// RecipientQuery picks a segment's sendable supporters: the supporters
// Filter selects on the list (its Status is ignored: only sendable ones,
// confirmed, not unsubscribed, not suppressed), who joined at or before
// Cutoff. The list and a mailing share this one filter, so the count the
// list shows is the count the mailing sends to.
type RecipientQuery struct {
	Filter SupporterFilter
	Cutoff time.Time
}

// where is q as SQL conditions on optins o.
func (q RecipientQuery) where() (string, []any, error) {
	f := q.Filter
	f.Status, f.JoinedBy = SupportersSendable, q.Cutoff
	return f.where()
}

// CountMailingRecipients counts the sendable supporters of q by language.
func (s *Store) CountMailingRecipients(ctx context.Context, q RecipientQuery) (map[string]int, error) {
	where, args, err := q.where()
	if err != nil {
		return nil, err
	}
	rows, err := s.db.WithContext(ctx).Raw("SELECT o.lang, COUNT(*) FROM optins o WHERE "+where+" GROUP BY o.lang", args...).Rows()
	if err != nil {
		return nil, wrapf(err, "count mailing recipients")
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var lang string
		var n int
		if err := rows.Scan(&lang, &n); err != nil {
			return nil, wrapf(err, "count mailing recipients")
		}
		out[lang] += n
	}
	return out, wrapf(rows.Err(), "count mailing recipients")
}

// UnknownPlaces counts, among q's recipients who never wrote a letter
// (their member merge fields come from where the list says they live),
// those with no state on the list (no members at all) and those with a
// state but no House district (no representative): what a mailing's
// preview warns about.
func (s *Store) UnknownPlaces(ctx context.Context, q RecipientQuery) (noState, noDistrict int, err error) {
	where, args, err := q.where()
	if err != nil {
		return 0, 0, err
	}
	var out struct{ NoState, NoDistrict int }
	err = s.db.WithContext(ctx).Raw("SELECT COALESCE(SUM(CASE WHEN o.state = '' THEN 1 ELSE 0 END), 0) AS no_state, "+
		"COALESCE(SUM(CASE WHEN o.state <> '' AND o.district IS NULL THEN 1 ELSE 0 END), 0) AS no_district FROM optins o WHERE "+where+
		" AND NOT EXISTS (SELECT 1 FROM submissions su JOIN letters l ON l.submission_id = su.id WHERE su.email_index = o.email_index AND l.kind = ?)",
		append(args, LetterFirst)...).Scan(&out).Error
	return out.NoState, out.NoDistrict, wrapf(err, "unknown places")
}

// Recipient streams: a mailing with a Spanish version sends it to the
// supporters whose language is Spanish (StreamES) and the English one to
// everyone else (StreamEN); a mailing in English only has one stream
// (StreamAll).
const (
	StreamEN  = "en"
	StreamES  = "es"
	StreamAll = "all"
)

func stream(lang string) string {
	switch lang {
	case StreamES:
		return " AND o.lang = 'es'"
	case StreamEN:
		return " AND o.lang <> 'es'"
	}
	return ""
}

func (s *Store) scanRecipients(ctx context.Context, q string, args []any, limit int) ([]MailingRecipient, error) {
	rows, err := s.db.WithContext(ctx).Raw(q, args...).Rows()
	if err != nil {
		return nil, wrapf(err, "mailing recipients")
	}
	defer rows.Close()
	out := make([]MailingRecipient, 0, limit)
	for rows.Next() {
		var r MailingRecipient
		if err := rows.Scan(&r.EmailIndex, &r.Sealed, &r.Lang, &r.State, &r.District); err != nil {
			return nil, wrapf(err, "mailing recipients")
		}
		out = append(out, r)
	}
	return out, wrapf(rows.Err(), "mailing recipients")
}

// MailingRecipients returns up to limit sendable supporters of q in the
// stream lang whose key is after after (and at most upTo, when set), in
// key order.
func (s *Store) MailingRecipients(ctx context.Context, q RecipientQuery, lang, after, upTo string, limit int) ([]MailingRecipient, error) {
	where, args, err := q.where()
	if err != nil {
		return nil, err
	}
	where += stream(lang) + " AND o.email_index > ?"
	args = append(args, after)
	if upTo != "" {
		where += " AND o.email_index <= ?"
		args = append(args, upTo)
	}
	args = append(args, limit)
	return s.scanRecipients(ctx, "SELECT o.email_index, o.sealed, o.lang, o.state, o.district FROM optins o WHERE "+where+" ORDER BY o.email_index LIMIT ?", args, limit)
}

// MailingRecipientByIndex is the supporter with this blind index when q
// would send to them (ErrNotFound otherwise): a preview for one supporter.
func (s *Store) MailingRecipientByIndex(ctx context.Context, q RecipientQuery, emailIndex string) (MailingRecipient, error) {
	where, args, err := q.where()
	if err != nil {
		return MailingRecipient{}, err
	}
	out, err := s.scanRecipients(ctx, "SELECT o.email_index, o.sealed, o.lang, o.state, o.district FROM optins o WHERE "+where+" AND o.email_index = ?", append(args, emailIndex), 1)
	if err != nil {
		return MailingRecipient{}, err
	}
	if len(out) == 0 {
		return MailingRecipient{}, ErrNotFound
	}
	return out[0], nil
}

// MailingMembers is, for each of these supporters (blind indexes), the
// members of Congress their letters were addressed to (bioguide ids, in
// the order written, each once): where the {{.members}} merge field comes
// from. One query per batch.
func (s *Store) MailingMembers(ctx context.Context, emailIndexes []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(emailIndexes) == 0 {
		return out, nil
	}
	var rows []struct {
		EmailIndex string
		BioguideID string
	}
	err := s.db.WithContext(ctx).Table("letters").Joins("JOIN submissions ON submissions.id = letters.submission_id").
		Where("submissions.email_index IN ? AND letters.kind = ?", emailIndexes, LetterFirst).
		Select("submissions.email_index AS email_index, letters.bioguide_id AS bioguide_id").Order("letters.id").Scan(&rows).Error
	if err != nil {
		return nil, wrapf(err, "mailing members")
	}
	for _, r := range rows {
		if !slices.Contains(out[r.EmailIndex], r.BioguideID) {
			out[r.EmailIndex] = append(out[r.EmailIndex], r.BioguideID)
		}
	}
	return out, nil
}
