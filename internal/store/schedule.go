package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// Schedule is one cron schedule: a campaign launch or close, a delivery
// wave, the organizers' digest, a CWC office-list refresh, a statistics
// release. The tick
// claims it when next_run_at <= now (see ClaimSchedule).
type Schedule struct {
	ID         int64 `gorm:"primaryKey"`
	CampaignID *int64
	Kind       string
	Cron       string
	TimeZone   string
	Params     string // JSON object, by kind
	NextRunAt  time.Time
	LastRunAt  *time.Time
	Enabled    bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

func (Schedule) TableName() string { return "schedules" }

// CreateSchedule stores a schedule (validated by the caller) with its
// audit entry.
func (s *Store) CreateSchedule(ctx context.Context, sc Schedule, a Audit) (Schedule, error) {
	now := time.Now().UTC()
	sc.ID, sc.CreatedAt, sc.UpdatedAt, sc.NextRunAt = 0, now, now, sc.NextRunAt.UTC()
	if sc.Params == "" {
		sc.Params = "{}"
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&sc).Error; err != nil {
			return fmt.Errorf("store: create schedule: %w", err)
		}
		a.ObjectType, a.ObjectID = "schedule", strconv.FormatInt(sc.ID, 10)
		return writeAudit(tx, a)
	})
	return sc, err
}

// EnsureSchedule creates sc unless a schedule of its kind exists (any
// campaign), and reports whether it did. Replicas starting together
// create one: on PostgreSQL they take turns through an advisory lock.
func (s *Store) EnsureSchedule(ctx context.Context, sc Schedule, a Audit) (bool, error) {
	created := false
	now := time.Now().UTC()
	sc.ID, sc.CreatedAt, sc.UpdatedAt, sc.NextRunAt = 0, now, now, sc.NextRunAt.UTC()
	if sc.Params == "" {
		sc.Params = "{}"
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := s.xactLock(tx, lockSchedules); err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&Schedule{}).Where("kind = ?", sc.Kind).Count(&n).Error; err != nil || n > 0 {
			return err
		}
		if err := tx.Create(&sc).Error; err != nil {
			return fmt.Errorf("store: ensure schedule: %w", err)
		}
		created = true
		a.ObjectType, a.ObjectID = "schedule", strconv.FormatInt(sc.ID, 10)
		return writeAudit(tx, a)
	})
	return created, err
}

// UpdateSchedule replaces a schedule's cron, zone, params, next run and
// enabled flag.
func (s *Store) UpdateSchedule(ctx context.Context, sc Schedule, a Audit) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&Schedule{}).Where("id = ?", sc.ID).Updates(map[string]any{
			"cron": sc.Cron, "time_zone": sc.TimeZone, "params": sc.Params, "next_run_at": sc.NextRunAt.UTC(),
			"enabled": sc.Enabled, "updated_at": time.Now().UTC()})
		if res.Error != nil {
			return wrapf(res.Error, "update schedule")
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		a.ObjectType, a.ObjectID = "schedule", strconv.FormatInt(sc.ID, 10)
		return writeAudit(tx, a)
	})
}

// DeleteSchedule removes a schedule.
func (s *Store) DeleteSchedule(ctx context.Context, id int64, a Audit) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("id = ?", id).Delete(&Schedule{})
		if res.Error != nil {
			return wrapf(res.Error, "delete schedule %d", id)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		a.ObjectType, a.ObjectID = "schedule", strconv.FormatInt(id, 10)
		return writeAudit(tx, a)
	})
}

// ScheduleByID loads one schedule.
func (s *Store) ScheduleByID(ctx context.Context, id int64) (Schedule, error) {
	var sc Schedule
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&sc).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return sc, ErrNotFound
	}
	return sc, wrapf(err, "schedule by id %d", id)
}

// Schedules lists every schedule, the next to run first (campaignID > 0:
// that campaign's only).
func (s *Store) Schedules(ctx context.Context, campaignID int64) ([]Schedule, error) {
	var out []Schedule
	q := s.db.WithContext(ctx).Order("enabled DESC, next_run_at, id")
	if campaignID > 0 {
		q = q.Where("campaign_id = ?", campaignID)
	}
	err := q.Find(&out).Error
	return out, wrapf(err, "schedules")
}

// DueSchedules lists enabled schedules with next_run_at <= now.
func (s *Store) DueSchedules(ctx context.Context, now time.Time, limit int) ([]Schedule, error) {
	var out []Schedule
	err := s.db.WithContext(ctx).Where("enabled AND next_run_at <= ?", now.UTC()).Order("next_run_at, id").Limit(limit).Find(&out).Error
	return out, wrapf(err, "due schedules")
}

// ClaimSchedule moves a due schedule from its next run (as read: old) to
// next, and calls enqueue in the same transaction. It reports false when
// another process claimed it first (the conditional UPDATE matched no
// row), in which case nothing is enqueued.
func (s *Store) ClaimSchedule(ctx context.Context, id int64, old, next, now time.Time, enqueue func(ctx context.Context, tx *sql.Tx) error) (bool, error) {
	claimed := false
	err := s.tx(ctx, func(tx *gorm.DB) error {
		set := map[string]any{"next_run_at": next.UTC(), "last_run_at": now.UTC()}
		if next.IsZero() {
			// No next run (a one-off, or an expression that never fires
			// again): the schedule turns off and keeps its last due time.
			set = map[string]any{"enabled": false, "last_run_at": now.UTC()}
		}
		res := tx.Model(&Schedule{}).Where("id = ? AND enabled AND next_run_at = ? AND next_run_at <= ?", id, old.UTC(), now.UTC()).
			Updates(set)
		if res.Error != nil {
			return wrapf(res.Error, "claim schedule %d", id)
		}
		if res.RowsAffected == 0 {
			return nil
		}
		claimed = true
		if enqueue == nil {
			return nil
		}
		t, err := sqlTx(tx)
		if err != nil {
			return err
		}
		return enqueue(ctx, t)
	})
	return claimed && err == nil, err
}

// SetCampaignStatus moves a campaign to a status (a scheduled launch,
// close, pause or resume), with an audit entry. The caller checks that the
// transition is allowed; from is the status it expects, so a campaign
// changed meanwhile by staff is left alone (false).
func (s *Store) SetCampaignStatus(ctx context.Context, id int64, from, to string, a Audit) (bool, error) {
	ok := false
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&campaignRow{}).Where("id = ? AND status = ?", id, from).Updates(map[string]any{"status": to, "updated_at": time.Now().UTC()})
		if res.Error != nil {
			return wrapf(res.Error, "set campaign status %d", id)
		}
		if res.RowsAffected == 0 {
			return nil
		}
		ok = true
		a.ObjectType, a.ObjectID = "campaign", strconv.FormatInt(id, 10)
		return writeAudit(tx, a)
	})
	return ok, err
}

// CampaignStatus reads just a campaign's status (the delivery worker
// holds letters of paused campaigns).
func (s *Store) CampaignStatus(ctx context.Context, id int64) (string, error) {
	var st []string
	if err := s.db.WithContext(ctx).Model(&campaignRow{}).Where("id = ?", id).Pluck("status", &st).Error; err != nil {
		return "", fmt.Errorf("store: campaign status %d: %w", id, err)
	}
	if len(st) == 0 {
		return "", ErrNotFound
	}
	return st[0], nil
}

// QueuedLetters lists a campaign's letters waiting for delivery (pending,
// queued, held), oldest first, for a delivery wave.
func (s *Store) QueuedLetters(ctx context.Context, campaignID int64, limit int) ([]Letter, error) {
	var out []Letter
	err := s.db.WithContext(ctx).Where("campaign_id = ? AND status IN ? AND sending_since IS NULL", campaignID, []string{"pending", "queued", "held"}).
		Order("id").Limit(limit).Find(&out).Error
	return out, wrapf(err, "queued letters")
}
