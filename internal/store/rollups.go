package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/outreach-org/outreach/internal/tracking"
	"gorm.io/gorm"
)

const rollupsRefreshedKey = "tracking.rollups_refreshed_at"

// allCell is the channel and month of an office's coarse rollup rows.
const allCell = "*"

type rollupRow struct {
	CampaignID  int64
	BioguideID  string
	OfficeCode  string
	Chamber     string
	State       string
	Party       string
	Channel     string
	Month       string
	Source      string
	Letters     int64
	Delivered   int64
	Failed      int64
	Replied     int64
	Substantive int64
	RefreshedAt time.Time
}

func (rollupRow) TableName() string { return "response_rollups" }

type rollupTimeRow struct {
	CampaignID int64
	BioguideID string
	Chamber    string
	State      string
	Party      string
	Channel    string
	Month      string
	Source     string
	Days       int
	Events     int64
	Censored   int64
}

func (rollupTimeRow) TableName() string { return "response_rollup_times" }

type firstReply struct {
	at          time.Time
	substantive bool
}

// RefreshRollups recomputes every rollup from the letters and responses.
// Dashboards read only the rollups; call this on a schedule (letters change
// status as they are delivered, and waiting letters age). Response writes
// refresh their own office at once; RefreshChangedRollups refreshes the
// offices whose letters changed since.
func (s *Store) RefreshRollups(ctx context.Context) error {
	return s.refreshRollups(ctx, 0, "", "")
}

// RollupsRefreshedAt is when the rollups were last fully refreshed (zero
// when never).
func (s *Store) RollupsRefreshedAt(ctx context.Context) (time.Time, error) {
	v, err := s.Setting(ctx, rollupsRefreshedKey)
	if errors.Is(err, ErrNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	t, _ := time.Parse(time.RFC3339, v)
	return t, nil
}

// refreshRollups recomputes the rollups of one office in one campaign, or
// all of them (campaignID 0). It reads and writes in one transaction under
// a lock, so concurrent refreshes never interleave.
func (s *Store) refreshRollups(ctx context.Context, campaignID int64, bioguide, officeCode string) error {
	now := time.Now().UTC()
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := s.xactLock(tx, lockRollups); err != nil {
			return err
		}
		// a full refresh reflects every letter event up to here: the
		// refresh of changed offices starts after it
		var mark int64
		if campaignID == 0 {
			var err error
			if mark, err = s.maxLetterEvent(tx); err != nil {
				return err
			}
		}
		where, args := "1=1", []any{}
		lwhere, largs := where, args
		if campaignID != 0 {
			where, args = "campaign_id = ? AND bioguide_id = ?", []any{campaignID, bioguide}
			// letters_office (office_code, sent_at) finds the office's letters
			// without reading the whole campaign
			lwhere, largs = "office_code = ? AND campaign_id = ? AND bioguide_id = ?", []any{officeCode, campaignID, bioguide}
		}
		// Reply rates are over first letters: a reply to a second letter
		// (the follow-up to an office that stayed silent) counts for the
		// first letter it follows, timed from the first delivery.
		var seconds []struct{ ID, FollowupOf int64 }
		if err := tx.Table("letters").Select("id", "followup_of").Where(lwhere, largs...).
			Where("followup_of IS NOT NULL").Scan(&seconds).Error; err != nil {
			return fmt.Errorf("store: refresh rollups: %w", err)
		}
		firstOf := make(map[int64]int64, len(seconds))
		for _, sl := range seconds {
			firstOf[sl.ID] = sl.FollowupOf
		}
		replies := map[int64]firstReply{}
		rrows, err := tx.Table("responses").Select("letter_id", "substance", "occurred_at").
			Where(where, args...).Where("substance IN ?", tracking.ReplySubstances).Rows()
		if err != nil {
			return fmt.Errorf("store: refresh rollups: %w", err)
		}
		for rrows.Next() {
			var (
				id  int64
				sub string
				at  time.Time
			)
			if err := rrows.Scan(&id, &sub, &at); err != nil {
				rrows.Close()
				return fmt.Errorf("store: refresh rollups: %w", err)
			}
			if f, ok := firstOf[id]; ok {
				id = f
			}
			fr, ok := replies[id]
			if !ok || at.Before(fr.at) {
				fr.at = at
			}
			fr.substantive = fr.substantive || sub == tracking.SubstanceSubstantive
			replies[id] = fr
		}
		rrows.Close()
		if err := rrows.Err(); err != nil {
			return fmt.Errorf("store: refresh rollups: %w", err)
		}

		type key struct {
			campaign              int64
			bioguide, ch, mo, src string
		}
		cells := map[key]*rollupRow{}
		type tkey struct {
			key
			days int
		}
		times := map[tkey]*rollupTimeRow{}
		// A letter's source is its submission's, read by primary key.
		lrows, err := tx.Table("letters").Select("id", "campaign_id", "bioguide_id", "office_code", "chamber", "state", "party", "channel",
			"status", "created_at", "sent_at", "delivered_at",
			"COALESCE((SELECT s.source FROM submissions s WHERE s.id = letters.submission_id), '')").
			Where(lwhere, largs...).Where("kind = ?", LetterFirst).Rows()
		if err != nil {
			return fmt.Errorf("store: refresh rollups: %w", err)
		}
		defer lrows.Close()
		for lrows.Next() {
			var (
				l               Letter
				sent, delivered sql.NullTime
				source          string
			)
			if err := lrows.Scan(&l.ID, &l.CampaignID, &l.BioguideID, &l.OfficeCode, &l.Chamber, &l.State, &l.Party, &l.Channel,
				&l.Status, &l.CreatedAt, &sent, &delivered, &source); err != nil {
				return fmt.Errorf("store: refresh rollups: %w", err)
			}
			fr, replied := replies[l.ID]
			isDelivered := tracking.Delivered(l.Status, replied)
			isFailed := tracking.Failed(l.Status, replied)
			base := l.CreatedAt
			switch {
			case delivered.Valid:
				base = delivered.Time
			case sent.Valid:
				base = sent.Time
			}
			var days int
			if isDelivered {
				if replied {
					days = tracking.DaysBetween(base, fr.at)
				} else {
					days = tracking.DaysBetween(base, now)
				}
				days = tracking.BucketDays(days)
			}
			// Each letter counts in its fine cell (channel, month of
			// delivery, source) and in its office's coarse cell (channel,
			// month and source "*"), which answers queries without a
			// period or a channel, month or source grouping from far
			// fewer rows.
			for _, k := range [2]key{{l.CampaignID, l.BioguideID, l.Channel, tracking.Month(base), source}, {l.CampaignID, l.BioguideID, allCell, allCell, allCell}} {
				c, ok := cells[k]
				if !ok {
					c = &rollupRow{CampaignID: l.CampaignID, BioguideID: l.BioguideID, OfficeCode: l.OfficeCode, Chamber: l.Chamber,
						State: l.State, Party: l.Party, Channel: k.ch, Month: k.mo, Source: k.src, RefreshedAt: now}
					cells[k] = c
				}
				c.Letters++
				if isFailed {
					c.Failed++
				}
				if !isDelivered {
					continue
				}
				c.Delivered++
				if replied {
					c.Replied++
					if fr.substantive {
						c.Substantive++
					}
				}
				tk := tkey{k, days}
				t, ok := times[tk]
				if !ok {
					t = &rollupTimeRow{CampaignID: l.CampaignID, BioguideID: l.BioguideID, Chamber: l.Chamber, State: l.State, Party: l.Party,
						Channel: k.ch, Month: k.mo, Source: k.src, Days: days}
					times[tk] = t
				}
				if replied {
					t.Events++
				} else {
					t.Censored++
				}
			}
		}
		if err := lrows.Err(); err != nil {
			return fmt.Errorf("store: refresh rollups: %w", err)
		}
		lrows.Close()
		if err := tx.Where(where, args...).Delete(&rollupRow{}).Error; err != nil {
			return fmt.Errorf("store: refresh rollups: %w", err)
		}
		if err := tx.Where(where, args...).Delete(&rollupTimeRow{}).Error; err != nil {
			return fmt.Errorf("store: refresh rollups: %w", err)
		}
		cr := make([]rollupRow, 0, len(cells))
		for _, c := range cells {
			cr = append(cr, *c)
		}
		tr := make([]rollupTimeRow, 0, len(times))
		for _, t := range times {
			tr = append(tr, *t)
		}
		if len(cr) > 0 {
			if err := tx.CreateInBatches(cr, 1000).Error; err != nil {
				return fmt.Errorf("store: refresh rollups: %w", err)
			}
		}
		if len(tr) > 0 {
			if err := tx.CreateInBatches(tr, 1000).Error; err != nil {
				return fmt.Errorf("store: refresh rollups: %w", err)
			}
		}
		if campaignID == 0 {
			if err := s.analyze(tx, "response_rollups, response_rollup_times"); err != nil {
				return err
			}
		}
		if campaignID == 0 {
			if err := tx.Save(&appSetting{Key: rollupsMarkKey, Value: strconv.FormatInt(mark, 10), UpdatedAt: now}).Error; err != nil {
				return wrapf(err, "refresh rollups")
			}
			return wrapf(tx.Save(&appSetting{Key: rollupsRefreshedKey, Value: now.Format(time.RFC3339), UpdatedAt: now}).Error, "refresh rollups")
		}
		return nil
	})
}
