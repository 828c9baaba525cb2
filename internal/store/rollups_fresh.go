package store

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// rollupsMarkKey holds the highest letter_events id the rollups reflect;
// rollupsUpdatedKey when the last refresh of either kind ended.
// rollupsLetterMarkKey holds the highest letters id they reflect: new
// letters write no event (their timeline's "created" line is read from
// the letter), and ids only grow. rollupsChangeMarkKey holds the highest
// letter_changes id they reflect: acceptances write no event either
// (migration 00038), but a letter_changes row per statement.
const (
	rollupsMarkKey       = "tracking.rollups_event_mark"
	rollupsLetterMarkKey = "tracking.rollups_letter_mark"
	rollupsChangeMarkKey = "tracking.rollups_change_mark"
	rollupsUpdatedKey    = "tracking.rollups_updated_at"
)

// RefreshChangedRollups rebuilds the rollups of the offices (per campaign)
// whose letters changed since the last refresh, so a letter delivered,
// failed or created shows on the dashboards at the next schedule tick
// without rebuilding everything. Every change of a letter's status writes
// a letter_events row in the same transaction, except an acceptance,
// which writes a letter_changes row for all the letters it accepted, so
// the events and changes past their high-water marks name the changed
// offices, and the letters past the letters' own mark name the offices of
// new letters; responses refresh their own office when they are written.
// The letter_changes rows read are deleted. When more than most offices changed, one
// full refresh is cheaper than that many office refreshes, and it does
// that instead (full true). With no mark yet (no full refresh since this
// version), it does a full refresh too.
//
// An event whose transaction took its id before the last mark was read
// and committed after it is missed here; the full refresh on the schedule
// (every 10 minutes) catches it.
func (s *Store) RefreshChangedRollups(ctx context.Context, most int) (offices int, full bool, err error) {
	// Read before anything is refreshed: a letter stored after this is
	// past the mark saved below.
	lhi, err := s.maxLetterID(s.db.WithContext(ctx))
	if err != nil {
		return 0, false, err
	}
	chi, err := s.maxLetterChange(s.db.WithContext(ctx))
	if err != nil {
		return 0, false, err
	}
	full = false
	mark, lmark, cmark := int64(0), int64(0), int64(0)
	for _, m := range []struct {
		key string
		to  *int64
	}{{rollupsMarkKey, &mark}, {rollupsLetterMarkKey, &lmark}, {rollupsChangeMarkKey, &cmark}} {
		v, err := s.Setting(ctx, m.key)
		if errors.Is(err, ErrNotFound) {
			full = true
			break
		}
		if err != nil {
			return 0, false, err
		}
		if *m.to, err = strconv.ParseInt(v, 10, 64); err != nil {
			full = true
			break
		}
	}
	if full {
		if err := s.RefreshRollups(ctx); err != nil {
			return 0, true, err
		}
		return 0, true, s.markUpdated(ctx)
	}
	hi, err := s.maxLetterEvent(s.db.WithContext(ctx))
	if err != nil {
		return 0, false, err
	}
	type office struct {
		CampaignID int64
		BioguideID string
		OfficeCode string
	}
	var changed []office
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
	if chi > cmark {
		// Accepted letters, by letter_changes' primary key, each letter
		// by the letters' primary key.
		var accepted []office
		q := s.db.WithContext(ctx).Table("letter_changes c")
		if s.dialect == Postgres {
			q = q.Joins("CROSS JOIN unnest(c.letter_ids) AS x(id) JOIN letters l ON l.id = x.id")
		} else {
			q = q.Joins("JOIN json_each(c.letter_ids) x JOIN letters l ON l.id = x.value")
		}
		err = q.Where("c.id > ? AND c.id <= ? AND l.kind = ?", cmark, chi, LetterFirst).
			Distinct("l.campaign_id", "l.bioguide_id", "l.office_code").Scan(&accepted).Error
		if err != nil {
			return 0, false, wrapf(err, "offices of accepted letters")
		}
		changed = append(changed, accepted...)
	}
	if lhi > lmark {
		// New letters, by the letters' primary key.
		var added []office
		err = s.db.WithContext(ctx).Table("letters l").Where("l.id > ? AND l.id <= ? AND l.kind = ?", lmark, lhi, LetterFirst).
			Distinct("l.campaign_id", "l.bioguide_id", "l.office_code").Scan(&added).Error
		if err != nil {
			return 0, false, wrapf(err, "offices of new letters")
		}
		changed = append(changed, added...)
	}
	// An office found more than one way is refreshed once.
	seen := map[office]bool{}
	changed = slices.DeleteFunc(changed, func(o office) bool {
		dup := seen[o]
		seen[o] = true
		return dup
	})
	if len(changed) > most {
		if err := s.RefreshRollups(ctx); err != nil {
			return len(changed), true, err
		}
		return len(changed), true, s.markUpdated(ctx)
	}
	for _, o := range changed {
		if err := s.refreshRollups(ctx, o.CampaignID, o.BioguideID, o.OfficeCode, 0, nil); err != nil {
			return 0, false, err
		}
	}
	now := time.Now().UTC()
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Save(&appSetting{Key: rollupsMarkKey, Value: strconv.FormatInt(hi, 10), UpdatedAt: now}).Error; err != nil {
			return err
		}
		if err := tx.Save(&appSetting{Key: rollupsLetterMarkKey, Value: strconv.FormatInt(lhi, 10), UpdatedAt: now}).Error; err != nil {
			return err
		}
		if err := saveChangeMark(tx, chi, now); err != nil {
			return err
		}
		return tx.Save(&appSetting{Key: rollupsUpdatedKey, Value: now.Format(time.RFC3339Nano), UpdatedAt: now}).Error
	})
	return len(changed), false, wrapf(err, "save rollups mark")
}

// markUpdated records when a full refresh run by the tick ended, to the
// nanosecond (the figures' caches are keyed on it; the full refresh's own
// time has whole seconds). The full refresh sets both marks itself.
func (s *Store) markUpdated(ctx context.Context) error {
	now := time.Now().UTC()
	err := s.db.WithContext(ctx).Save(&appSetting{Key: rollupsUpdatedKey, Value: now.Format(time.RFC3339Nano), UpdatedAt: now}).Error
	return wrapf(err, "rollups updated")
}

// maxLetterID is the highest letters id (0 when none).
func (s *Store) maxLetterID(tx *gorm.DB) (int64, error) {
	var hi int64
	err := tx.Raw("SELECT COALESCE(MAX(id), 0) FROM letters").Scan(&hi).Error
	return hi, wrapf(err, "max letter id")
}

// maxLetterChange is the highest letter_changes id (0 when none).
func (s *Store) maxLetterChange(tx *gorm.DB) (int64, error) {
	var hi int64
	err := tx.Raw("SELECT COALESCE(MAX(id), 0) FROM letter_changes").Scan(&hi).Error
	return hi, wrapf(err, "max letter change")
}

// saveChangeMark records that the rollups reflect the letter_changes up
// to mark, and deletes those rows: nothing reads them again. (A row whose
// statement took its id before the mark was read and committed after it
// is missed, like such an event: the full refresh on the schedule catches
// its letters.)
func saveChangeMark(tx *gorm.DB, mark int64, now time.Time) error {
	if err := tx.Save(&appSetting{Key: rollupsChangeMarkKey, Value: strconv.FormatInt(mark, 10), UpdatedAt: now}).Error; err != nil {
		return err
	}
	return tx.Exec("DELETE FROM letter_changes WHERE id <= ?", mark).Error
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
