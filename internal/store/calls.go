package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/outreach-org/outreach/internal/tracking"
)

// Calls: supporters report the outcome of each call they make (reached
// staff, left a voicemail, busy or mailbox full, skipped). What is kept
// is a count per campaign, office, month and outcome, and for as long as
// the call page's token is valid, which offices that page has reported
// (its random nonce and the office): nothing about who called, no IP.

// CallLog is one reported outcome.
type CallLog struct {
	// Nonce identifies the call page (a random value in its signed
	// token): one outcome per office per page counts.
	Nonce      string
	CampaignID int64
	BioguideID string
	Chamber    string
	State      string
	Party      string
	Outcome    string // campaign.Outcome
	At         time.Time
	// Expires is when the page's token expires: its claims are kept
	// until then, so the same page cannot count an office twice.
	Expires time.Time
}

type callClaimRow struct {
	Nonce      string `gorm:"primaryKey"`
	BioguideID string `gorm:"primaryKey"`
	Outcome    string
	ExpiresAt  time.Time
}

func (callClaimRow) TableName() string { return "call_claims" }

type callCountRow struct {
	CampaignID int64  `gorm:"primaryKey"`
	BioguideID string `gorm:"primaryKey"`
	Month      string `gorm:"primaryKey"`
	Outcome    string `gorm:"primaryKey"`
	Chamber    string
	State      string
	Party      string
	Calls      int64
}

func (callCountRow) TableName() string { return "call_counts" }

// LogCall counts one outcome, unless the page (l.Nonce) has reported
// this office already: then it counts nothing and answers false with the
// outcome reported first. The claim and the count are one transaction,
// and the claim's primary key decides between parallel reports (the
// loser's insert does nothing), so no number of parallel or replayed
// posts counts more than one.
func (s *Store) LogCall(ctx context.Context, l CallLog) (counted bool, first string, err error) {
	if l.Nonce == "" || l.BioguideID == "" || l.CampaignID == 0 {
		return false, "", fmt.Errorf("store: LogCall needs a nonce, an office and a campaign")
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&callClaimRow{Nonce: l.Nonce, BioguideID: l.BioguideID,
			Outcome: l.Outcome, ExpiresAt: l.Expires.UTC()})
		if res.Error != nil {
			return wrapf(res.Error, "log call")
		}
		if res.RowsAffected == 0 {
			var prev callClaimRow
			if err := tx.Where("nonce = ? AND bioguide_id = ?", l.Nonce, l.BioguideID).Take(&prev).Error; err != nil {
				return fmt.Errorf("store: log call: %w", err)
			}
			first = prev.Outcome
			return nil
		}
		counted, first = true, l.Outcome
		row := callCountRow{CampaignID: l.CampaignID, BioguideID: l.BioguideID, Month: l.At.UTC().Format("2006-01"),
			Outcome: l.Outcome, Chamber: l.Chamber, State: l.State, Party: l.Party, Calls: 1}
		return wrapf(tx.Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "campaign_id"}, {Name: "bioguide_id"}, {Name: "month"}, {Name: "outcome"}},
			DoUpdates: clause.Assignments(map[string]any{"calls": gorm.Expr("call_counts.calls + 1"),
				"chamber": l.Chamber, "state": l.State, "party": l.Party}),
		}).Create(&row).Error, "log call")
	})
	if err != nil {
		return false, "", err
	}
	return counted, first, nil
}

// CallClaims answers, for one call page, the outcome reported for each
// office so far.
func (s *Store) CallClaims(ctx context.Context, nonce string) (map[string]string, error) {
	var rows []callClaimRow
	if err := s.db.WithContext(ctx).Where("nonce = ?", nonce).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: call claims: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.BioguideID] = r.Outcome
	}
	return out, nil
}

// PruneCallClaims deletes the claims of call pages whose token expired
// before now (the minute tick calls it): an expired page can report
// nothing more, so its claims are no longer needed.
func (s *Store) PruneCallClaims(ctx context.Context, now time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Where("expires_at < ?", now.UTC()).Delete(&callClaimRow{})
	return res.RowsAffected, wrapf(res.Error, "prune call claims")
}

// CallTally is the calls of one group: a count per outcome, and their
// total.
type CallTally = tracking.CallTally

// CallGroup is the calls of one group, with the office's chamber, party
// and state when grouped by office.
type CallGroup struct {
	Key                   string
	Chamber, Party, State string
	CallTally
}

// callColumns are the call counts' columns for the rollups' dimensions:
// a call goes by phone, so grouped by channel every call is "phone".
var callColumns = map[tracking.Dimension]string{tracking.DimOffice: "bioguide_id", tracking.DimState: "state",
	tracking.DimParty: "party", tracking.DimChamber: "chamber", tracking.DimCampaign: "CAST(campaign_id AS TEXT)",
	tracking.DimChannel: "'phone'", tracking.DimMonth: "month", tracking.DimNone: "''"}

// CallMetrics adds up the call counts grouped and filtered like
// ResponseMetrics (q.FromMonth and q.ToMonth select the months of the
// calls). Grouped by channel, it answers every call in one group "phone".
// A grouping derived from offices (tracking.Grouping.Keys) is read by
// office, for its caller to add up.
func (s *Store) CallMetrics(ctx context.Context, q MetricsQuery) ([]CallGroup, error) {
	grouping, ok := tracking.Lookup(q.GroupBy)
	if !ok || grouping.Keys != nil {
		return nil, refuse("group_by", "unknown group_by")
	}
	col := callColumns[grouping.Dim]
	conds, args := q.filters()
	conds = append(conds, "1 = 1")
	attrs := "'', '', ''"
	if grouping.Dim == tracking.DimOffice {
		attrs = "MAX(chamber), MAX(party), MAX(state)"
	}
	group := " GROUP BY " + col + ", outcome ORDER BY 1"
	if strings.HasPrefix(col, "'") { // one group: PostgreSQL refuses a constant in GROUP BY
		group = " GROUP BY outcome"
	}
	rows, err := s.db.WithContext(ctx).Raw("SELECT "+col+" AS k, "+attrs+", outcome, SUM(calls) FROM call_counts WHERE "+
		strings.Join(conds, " AND ")+group, args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("store: call metrics: %w", err)
	}
	defer rows.Close()
	var out []CallGroup
	for rows.Next() {
		var g CallGroup
		var outcome string
		var n int64
		if err := rows.Scan(&g.Key, &g.Chamber, &g.Party, &g.State, &outcome, &n); err != nil {
			return nil, fmt.Errorf("store: call metrics: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].Key != g.Key {
			out = append(out, g)
		}
		last := &out[len(out)-1]
		if g.Chamber != "" {
			last.Chamber, last.Party, last.State = g.Chamber, g.Party, g.State
		}
		last.Add(outcome, n)
	}
	return out, rows.Err()
}

// addCalls puts the calls of q's groups into gs (groups with calls but no
// letters are added), ordered by key as ResponseMetrics answers.
func (s *Store) addCalls(ctx context.Context, q MetricsQuery, gs []MetricGroup) ([]MetricGroup, error) {
	calls, err := s.CallMetrics(ctx, q)
	if err != nil || len(calls) == 0 {
		return gs, err
	}
	idx := make(map[string]int, len(gs))
	for i, g := range gs {
		idx[g.Key] = i
	}
	for _, c := range calls {
		i, ok := idx[c.Key]
		if !ok {
			gs = append(gs, MetricGroup{Key: c.Key, Chamber: c.Chamber, Party: c.Party, State: c.State})
			i = len(gs) - 1
			idx[c.Key] = i
		}
		gs[i].Calls = gs[i].Calls.Plus(c.CallTally)
	}
	slices.SortFunc(gs, func(a, b MetricGroup) int { return strings.Compare(a.Key, b.Key) })
	return gs, nil
}
