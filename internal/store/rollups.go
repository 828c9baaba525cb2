package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/outreach-org/outreach/internal/tracking"
	"gorm.io/gorm"
)

const rollupsRefreshedKey = "tracking.rollups_refreshed_at"

// allCell is the channel and month of an office's coarse rollup rows.
const allCell = "*"

// rollupRow is one cell of an office's rollups. Three levels of cells
// share the table, told apart by '*' in their key:
//   - fine: an office's letters of one channel, month of delivery and
//     source;
//   - office: all of an office's letters (channel, month and source '*'),
//     read when no period and no channel, month or source grouping is
//     asked;
//   - office month: an office's letters of one month (channel and source
//     '*'), read for a period.
//
// The campaign's cells per channel, month and source are in
// response_rollup_cohorts (cohortRow). Times is the cell's time to reply
// (hist).
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
	Times       string
	RefreshedAt time.Time
}

func (rollupRow) TableName() string { return "response_rollups" }

// rollupKey is a cell's key.
type rollupKey struct {
	campaign              int64
	bioguide, ch, mo, src string
}

// rollupCell is a cell being added up.
type rollupCell struct {
	row rollupRow
	h   hist
}

// add adds o into c times sign (1 or -1).
func (c *rollupCell) add(o *rollupCell, sign int64) {
	c.row.Letters += sign * o.row.Letters
	c.row.Delivered += sign * o.row.Delivered
	c.row.Failed += sign * o.row.Failed
	c.row.Replied += sign * o.row.Replied
	c.row.Substantive += sign * o.row.Substantive
	c.h.merge(o.h, sign)
}

// zero tells a cell that counts nothing (a change that changes nothing).
func (c *rollupCell) zero() bool {
	r := c.row
	if r.Letters != 0 || r.Delivered != 0 || r.Failed != 0 || r.Replied != 0 || r.Substantive != 0 {
		return false
	}
	for _, v := range c.h {
		if v[0] != 0 || v[1] != 0 {
			return false
		}
	}
	return true
}

// cellOf finds or makes the cell of k in cells, with attributes from r.
func cellOf(cells map[rollupKey]*rollupCell, k rollupKey, r *rollupRow, now time.Time) *rollupCell {
	c, ok := cells[k]
	if !ok {
		c = &rollupCell{row: rollupRow{CampaignID: k.campaign, BioguideID: k.bioguide, OfficeCode: r.OfficeCode, Chamber: r.Chamber,
			State: r.State, Party: r.Party, Channel: k.ch, Month: k.mo, Source: k.src, RefreshedAt: now}, h: hist{}}
		cells[k] = c
	}
	return c
}

// cohortRow is a cell of the campaign's letters of one channel, month of
// delivery and source, to the offices of one chamber, party and state, or
// to every office (chamber, party and state '*'): the channel, month and
// source groupings read these, without office filters the '*' ones.
type cohortRow struct {
	CampaignID  int64
	Chamber     string
	Party       string
	State       string
	Channel     string
	Month       string
	Source      string
	Letters     int64
	Delivered   int64
	Failed      int64
	Replied     int64
	Substantive int64
	Times       string
	RefreshedAt time.Time
}

func (cohortRow) TableName() string { return "response_rollup_cohorts" }

// cohortKey is a cohort cell's key.
type cohortKey struct {
	campaign                           int64
	chamber, party, state, ch, mo, src string
}

// cohortKeys are the cohort cells a fine cell counts in: its offices'
// chamber, party and state, and every office's.
func cohortKeys(k rollupKey, r *rollupRow) [2]cohortKey {
	return [2]cohortKey{{k.campaign, r.Chamber, r.Party, r.State, k.ch, k.mo, k.src},
		{k.campaign, allCell, allCell, allCell, k.ch, k.mo, k.src}}
}

// cohortOf finds or makes the cohort cell of k.
func cohortOf(cells map[cohortKey]*rollupCell, k cohortKey, now time.Time) *rollupCell {
	c, ok := cells[k]
	if !ok {
		c = &rollupCell{row: rollupRow{CampaignID: k.campaign, Chamber: k.chamber, Party: k.party, State: k.state,
			Channel: k.ch, Month: k.mo, Source: k.src, RefreshedAt: now}, h: hist{}}
		cells[k] = c
	}
	return c
}

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
	return s.refreshRollups(ctx, 0, "", "", 0, nil)
}

// errRollupsFresh ends a refresh that found the rollups refreshed within
// its window, writing nothing.
var errRollupsFresh = errors.New("store: rollups refreshed meanwhile")

// RefreshRollupsUnlessFresh is RefreshRollups unless the rollups were
// fully refreshed less than window ago, which it decides under the
// refresh's own lock: requests that arrive together (staff pressing
// "Refresh now" at once, on one replica or several) make one refresh,
// not one after another. It says whether it refreshed, and when the
// rollups were last refreshed.
func (s *Store) RefreshRollupsUnlessFresh(ctx context.Context, window time.Duration) (bool, time.Time, error) {
	var at time.Time
	err := s.refreshRollups(ctx, 0, "", "", window, &at)
	if errors.Is(err, errRollupsFresh) {
		return false, at, nil
	}
	return err == nil, at, err
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
// a lock, so concurrent refreshes never interleave. With a window, a full
// refresh first reads when the rollups were last refreshed, under the lock
// (into *at), and ends with errRollupsFresh when that was within it.
func (s *Store) refreshRollups(ctx context.Context, campaignID int64, bioguide, officeCode string, window time.Duration, at *time.Time) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := s.xactLock(tx, lockRollups); err != nil {
			return err
		}
		now := time.Now().UTC() // after the lock: a refresh that waited for another is timed from its own reads
		if at != nil {
			*at = now
		}
		if campaignID == 0 && window > 0 {
			var row appSetting
			err := tx.Where("key = ?", rollupsRefreshedKey).Take(&row).Error
			if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
				return wrapf(err, "refresh rollups")
			}
			if last, perr := time.Parse(time.RFC3339, row.Value); err == nil && perr == nil && now.Sub(last) < window {
				*at = last
				return errRollupsFresh
			}
		}
		// a full refresh reflects every letter event and every letter up
		// to here: the refresh of changed offices starts after them
		var mark, lmark, cmark int64
		if campaignID == 0 {
			var err error
			if mark, err = s.maxLetterEvent(tx); err != nil {
				return err
			}
			if lmark, err = s.maxLetterID(tx); err != nil {
				return err
			}
			if cmark, err = s.maxLetterChange(tx); err != nil {
				return err
			}
		}
		where, args := "1=1", []any{}
		lwhere, largs := where, args
		if campaignID != 0 {
			where, args = "campaign_id = ? AND bioguide_id = ?", []any{campaignID, bioguide}
			// letters_office (office_code) finds the office's letters
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

		// Each letter counts in its fine cell; the other levels are
		// added up from the fine cells.
		fine := map[rollupKey]*rollupCell{}
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
			k := rollupKey{l.CampaignID, l.BioguideID, l.Channel, tracking.Month(base), source}
			c, ok := fine[k]
			if !ok {
				c = &rollupCell{row: rollupRow{CampaignID: l.CampaignID, BioguideID: l.BioguideID, OfficeCode: l.OfficeCode, Chamber: l.Chamber,
					State: l.State, Party: l.Party, Channel: k.ch, Month: k.mo, Source: k.src, RefreshedAt: now}, h: hist{}}
				fine[k] = c
			}
			c.row.Letters++
			if isFailed {
				c.row.Failed++
			}
			if !isDelivered {
				continue
			}
			c.row.Delivered++
			var days int
			if replied {
				c.row.Replied++
				if fr.substantive {
					c.row.Substantive++
				}
				days = tracking.DaysBetween(base, fr.at)
			} else {
				days = tracking.DaysBetween(base, now)
			}
			c.h.add(tracking.BucketDays(days), replied, 1)
		}
		if err := lrows.Err(); err != nil {
			return fmt.Errorf("store: refresh rollups: %w", err)
		}
		lrows.Close()

		// the office and office month cells of the offices refreshed
		cells := make(map[rollupKey]*rollupCell, len(fine)*5/4)
		for k, c := range fine {
			cells[k] = c
			cellOf(cells, rollupKey{k.campaign, k.bioguide, allCell, allCell, allCell}, &c.row, now).add(c, 1)
			cellOf(cells, rollupKey{k.campaign, k.bioguide, allCell, k.mo, allCell}, &c.row, now).add(c, 1)
		}
		// The cohort cells: added up from every fine cell on a full
		// refresh; on an office's, the office's change (its new fine
		// cells less its old ones) is applied to the cohort cells it
		// changes (none when nothing changed), so they stay the sums of
		// every office's without reading the other offices.
		camp := map[cohortKey]*rollupCell{}
		if campaignID == 0 {
			for k, c := range fine {
				for _, ck := range cohortKeys(k, &c.row) {
					cohortOf(camp, ck, now).add(c, 1)
				}
			}
			if err := tx.Where("1=1").Delete(&cohortRow{}).Error; err != nil {
				return fmt.Errorf("store: refresh rollups: %w", err)
			}
		} else {
			old, err := readCells(tx, "campaign_id = ? AND bioguide_id = ? AND channel <> ?", campaignID, bioguide, allCell)
			if err != nil {
				return err
			}
			// the office's change to each cohort it counts in, old and new
			delta := map[cohortKey]*rollupCell{}
			for sign, m := range map[int64]map[rollupKey]*rollupCell{-1: old, 1: fine} {
				for k, c := range m {
					for _, ck := range cohortKeys(k, &c.row) {
						cohortOf(delta, ck, now).add(c, sign)
					}
				}
			}
			for ck, d := range delta {
				if d.zero() {
					delete(delta, ck)
				}
			}
			// the cells changed, by key; past a few hundred (the
			// parameters are bounded), all those of the chambers,
			// parties and states changed
			var conds []string
			var cargs []any
			seen := map[[3]string]bool{}
			for ck := range delta {
				if len(delta) <= 300 {
					conds = append(conds, "(chamber = ? AND party = ? AND state = ? AND channel = ? AND month = ? AND source = ?)")
					cargs = append(cargs, ck.chamber, ck.party, ck.state, ck.ch, ck.mo, ck.src)
				} else if a := [3]string{ck.chamber, ck.party, ck.state}; !seen[a] {
					seen[a] = true
					conds = append(conds, "(chamber = ? AND party = ? AND state = ?)")
					cargs = append(cargs, ck.chamber, ck.party, ck.state)
				}
			}
			if len(delta) > 0 {
				cwhere := "campaign_id = ? AND (" + strings.Join(conds, " OR ") + ")"
				cargs = append([]any{campaignID}, cargs...)
				if camp, err = readCohorts(tx, cwhere, cargs...); err != nil {
					return err
				}
				for ck, d := range delta {
					cohortOf(camp, ck, now).add(d, 1)
				}
				if err := tx.Where(cwhere, cargs...).Delete(&cohortRow{}).Error; err != nil {
					return fmt.Errorf("store: refresh rollups: %w", err)
				}
			}
		}
		if err := tx.Where(where, args...).Delete(&rollupRow{}).Error; err != nil {
			return fmt.Errorf("store: refresh rollups: %w", err)
		}
		cr := make([]rollupRow, 0, len(cells))
		for _, c := range cells {
			c.row.Times = c.h.encode()
			cr = append(cr, c.row)
		}
		co := make([]cohortRow, 0, len(camp))
		for _, c := range camp {
			if c.row.Letters == 0 {
				continue // a cohort whose letters all moved
			}
			r := c.row
			co = append(co, cohortRow{CampaignID: r.CampaignID, Chamber: r.Chamber, Party: r.Party, State: r.State, Channel: r.Channel,
				Month: r.Month, Source: r.Source, Letters: r.Letters, Delivered: r.Delivered, Failed: r.Failed, Replied: r.Replied,
				Substantive: r.Substantive, Times: c.h.encode(), RefreshedAt: now})
		}
		if len(co) > 0 {
			if err := tx.CreateInBatches(co, 1000).Error; err != nil {
				return fmt.Errorf("store: refresh rollups: %w", err)
			}
		}
		if len(cr) > 0 {
			if err := tx.CreateInBatches(cr, 1000).Error; err != nil {
				return fmt.Errorf("store: refresh rollups: %w", err)
			}
		}
		if campaignID == 0 {
			if err := s.analyze(tx, "response_rollups, response_rollup_cohorts"); err != nil {
				return err
			}
		}
		if campaignID == 0 {
			if err := tx.Save(&appSetting{Key: rollupsMarkKey, Value: strconv.FormatInt(mark, 10), UpdatedAt: now}).Error; err != nil {
				return wrapf(err, "refresh rollups")
			}
			if err := tx.Save(&appSetting{Key: rollupsLetterMarkKey, Value: strconv.FormatInt(lmark, 10), UpdatedAt: now}).Error; err != nil {
				return wrapf(err, "refresh rollups")
			}
			if err := saveChangeMark(tx, cmark, now); err != nil {
				return wrapf(err, "refresh rollups")
			}
			return wrapf(tx.Save(&appSetting{Key: rollupsRefreshedKey, Value: now.Format(time.RFC3339), UpdatedAt: now}).Error, "refresh rollups")
		}
		return nil
	})
}

// readCells reads the rollup cells matching where.
func readCells(tx *gorm.DB, where string, args ...any) (map[rollupKey]*rollupCell, error) {
	var rows []rollupRow
	if err := tx.Where(where, args...).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: read rollups: %w", err)
	}
	out := make(map[rollupKey]*rollupCell, len(rows))
	for _, r := range rows {
		c := &rollupCell{row: r, h: hist{}}
		if err := c.h.addEncoded(r.Times, 1); err != nil {
			return nil, err
		}
		out[rollupKey{r.CampaignID, r.BioguideID, r.Channel, r.Month, r.Source}] = c
	}
	return out, nil
}

// readCohorts reads the cohort cells matching where.
func readCohorts(tx *gorm.DB, where string, args ...any) (map[cohortKey]*rollupCell, error) {
	var rows []cohortRow
	if err := tx.Where(where, args...).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: read rollups: %w", err)
	}
	out := make(map[cohortKey]*rollupCell, len(rows))
	for _, r := range rows {
		c := &rollupCell{row: rollupRow{CampaignID: r.CampaignID, Chamber: r.Chamber, Party: r.Party, State: r.State, Channel: r.Channel,
			Month: r.Month, Source: r.Source, Letters: r.Letters, Delivered: r.Delivered, Failed: r.Failed, Replied: r.Replied,
			Substantive: r.Substantive}, h: hist{}}
		if err := c.h.addEncoded(r.Times, 1); err != nil {
			return nil, err
		}
		out[cohortKey{r.CampaignID, r.Chamber, r.Party, r.State, r.Channel, r.Month, r.Source}] = c
	}
	return out, nil
}
