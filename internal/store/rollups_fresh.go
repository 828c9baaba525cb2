package store

import (
	"context"
	"errors"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// rollupsMarkKey holds the highest letter_events id the rollups reflect;
// rollupsUpdatedKey when the last refresh of either kind ended.
const (
	rollupsMarkKey    = "tracking.rollups_event_mark"
	rollupsUpdatedKey = "tracking.rollups_updated_at"
)

// RefreshChangedRollups rebuilds the rollups of the offices (per campaign)
// whose letters changed since the last refresh, so a letter delivered,
// failed or created shows on the dashboards at the next schedule tick
// without rebuilding everything. Every change of a letter's status writes
// a letter_events row in the same transaction, so the events past the
// high-water mark name the changed offices; responses refresh their own
// office when they are written. When more than most offices changed, one
// full refresh is cheaper than that many office refreshes, and it does
// that instead (full true). With no mark yet (no full refresh since this
// version), it does a full refresh too.
//
// An event whose transaction took its id before the last mark was read
// and committed after it is missed here; the full refresh on the schedule
// (every 10 minutes) catches it.
func (s *Store) RefreshChangedRollups(ctx context.Context, most int) (offices int, full bool, err error) {
	v, err := s.Setting(ctx, rollupsMarkKey)
	if errors.Is(err, ErrNotFound) {
		return 0, true, s.RefreshRollups(ctx)
	}
	if err != nil {
		return 0, false, err
	}
	mark, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, true, s.RefreshRollups(ctx)
	}
	hi, err := s.maxLetterEvent(s.db.WithContext(ctx))
	if err != nil {
		return 0, false, err
	}
	var changed []struct {
		CampaignID int64
		BioguideID string
		OfficeCode string
	}
	if hi > mark {
		// letter_events' primary key finds the events past the mark; each
		// joins its letter by primary key
		err = s.db.WithContext(ctx).Table("letter_events e").Joins("JOIN letters l ON l.id = e.letter_id").
			Where("e.id > ? AND e.id <= ? AND l.kind = ?", mark, hi, LetterFirst).
			Distinct("l.campaign_id", "l.bioguide_id", "l.office_code").Scan(&changed).Error
		if err != nil {
			return 0, false, wrapf(err, "changed offices")
		}
	}
	if len(changed) > most {
		return len(changed), true, s.RefreshRollups(ctx)
	}
	for _, o := range changed {
		if err := s.refreshRollups(ctx, o.CampaignID, o.BioguideID, o.OfficeCode); err != nil {
			return 0, false, err
		}
	}
	now := time.Now().UTC()
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Save(&appSetting{Key: rollupsMarkKey, Value: strconv.FormatInt(hi, 10), UpdatedAt: now}).Error; err != nil {
			return err
		}
		return tx.Save(&appSetting{Key: rollupsUpdatedKey, Value: now.Format(time.RFC3339Nano), UpdatedAt: now}).Error
	})
	return len(changed), false, wrapf(err, "save rollups mark")
}

// maxLetterEvent is the highest letter_events id (0 when none).
func (s *Store) maxLetterEvent(tx *gorm.DB) (int64, error) {
	var hi int64
	err := tx.Raw("SELECT COALESCE(MAX(id), 0) FROM letter_events").Scan(&hi).Error
	return hi, wrapf(err, "max letter event")
}

// RollupsUpdatedAt is when the rollups were last brought up to date, by a
// full refresh or by a refresh of the offices that changed (zero when
// never). The dashboards show it ("updated 42 seconds ago") and key their
// caches on it, so a refresh on the leader reaches every replica's figures
// at once.
func (s *Store) RollupsUpdatedAt(ctx context.Context) (time.Time, error) {
	var rows []appSetting
	if err := s.db.WithContext(ctx).Where("key IN ?", []string{rollupsRefreshedKey, rollupsUpdatedKey}).Find(&rows).Error; err != nil {
		return time.Time{}, wrapf(err, "rollups updated at")
	}
	var at time.Time
	for _, r := range rows {
		t, err := time.Parse(time.RFC3339Nano, r.Value)
		if err == nil && t.After(at) {
			at = t
		}
	}
	return at, nil
}
