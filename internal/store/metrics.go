package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/outreach-org/outreach/internal/tracking"
)

// MetricsQuery selects and groups rollups.
type MetricsQuery struct {
	GroupBy    string // office, state, party, chamber, campaign, channel, month, source, or "" for one total
	CampaignID int64
	Chamber    string
	Party      string
	State      string
	FromMonth  string // YYYY-MM, inclusive
	ToMonth    string
}

// filters are q's conditions on the columns the rollups and the call
// counts share (campaign_id, chamber, party, state, month).
func (q MetricsQuery) filters() (conds []string, args []any) {
	add := func(cond string, v any) { conds, args = append(conds, cond), append(args, v) }
	if q.CampaignID != 0 {
		add("campaign_id = ?", q.CampaignID)
	}
	if q.Chamber != "" {
		add("chamber = ?", q.Chamber)
	}
	if q.Party != "" {
		add("party = ?", q.Party)
	}
	if q.State != "" {
		add("state = ?", q.State)
	}
	if q.FromMonth != "" {
		add("month >= ?", q.FromMonth)
	}
	if q.ToMonth != "" {
		add("month <= ?", q.ToMonth)
	}
	return conds, args
}

// dimensionColumns maps the rollups' dimensions to their columns.
var dimensionColumns = map[tracking.Dimension]string{tracking.DimOffice: "bioguide_id", tracking.DimState: "state",
	tracking.DimParty: "party", tracking.DimChamber: "chamber", tracking.DimCampaign: "CAST(campaign_id AS TEXT)",
	tracking.DimChannel: "channel", tracking.DimMonth: "month", tracking.DimSource: "source", tracking.DimNone: "''"}

// metricsSQL is the statement that reads q's cells, grouped by dim.
func metricsSQL(q MetricsQuery, dim tracking.Dimension) (string, []any) {
	conds, args := q.filters()
	period := q.FromMonth != "" || q.ToMonth != ""
	officeFilter := q.Chamber != "" || q.Party != "" || q.State != ""
	table := "response_rollups"
	switch {
	case dim == tracking.DimMonth || dim == tracking.DimChannel || dim == tracking.DimSource:
		table = "response_rollup_cohorts"
		if officeFilter {
			conds = append(conds, "chamber <> '"+allCell+"'") // by chamber, party and state
		} else {
			conds = append(conds, "chamber = '"+allCell+"'") // every office's
		}
	case period:
		conds = append(conds, "month <> '"+allCell+"'", "channel = '"+allCell+"'") // office months
	default:
		conds = append(conds, "month = '"+allCell+"'") // offices
	}
	return "SELECT " + dimensionColumns[dim] + " AS k, chamber, party, state, letters, delivered, failed, replied, substantive, times" +
		" FROM " + table + " WHERE " + strings.Join(conds, " AND ") + " ORDER BY 1", args
}

// MetricGroup is the sums of one group (tracking.Group).
type MetricGroup = tracking.Group

// ResponseMetrics reads the rollups (never the letters) grouped by
// q.GroupBy, with the calls reported to each group (call_counts). It reads
// the cells with the fewest rows that answer q: offices' totals, offices'
// months (for a period), or the cohorts (rollupRow, cohortRow).
// Each cell carries its time-to-reply histogram, so a query reads one row
// per cell and adds up the histograms of a group: its curve, medians and
// percentiles are those of its letters.
func (s *Store) ResponseMetrics(ctx context.Context, q MetricsQuery) ([]MetricGroup, error) {
	grouping, ok := tracking.Lookup(q.GroupBy)
	if !ok || grouping.Keys != nil {
		// a grouping with Keys is added up from the offices by its caller
		return nil, refuse("group_by", "unknown group_by")
	}
	dim := grouping.Dim
	query, args := metricsSQL(q, dim)
	rows, err := s.db.WithContext(ctx).Raw(query, args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("store: response metrics: %w", err)
	}
	defer rows.Close()
	var (
		out   []*MetricGroup
		cells []int // rows added up in each group
	)
	byKey := map[string]int{}
	for rows.Next() {
		var (
			k, chamber, party, state            string
			letters, deliv, failed, repl, subst int64
			times                               sql.RawBytes // parsed before the next row
		)
		if err := rows.Scan(&k, &chamber, &party, &state, &letters, &deliv, &failed, &repl, &subst, &times); err != nil {
			return nil, fmt.Errorf("store: response metrics: %w", err)
		}
		i, ok := byKey[k]
		if !ok {
			i = len(out)
			byKey[k] = i
			out = append(out, &MetricGroup{Key: k})
			cells = append(cells, 0)
		}
		g := out[i]
		g.Letters += letters
		g.Delivered += deliv
		g.Failed += failed
		g.Replied += repl
		g.Substantive += subst
		if dim == tracking.DimOffice {
			// an office's attributes, as the greatest of its cells'
			g.Chamber, g.Party, g.State = max(g.Chamber, chamber), max(g.Party, party), max(g.State, state)
		}
		if g.Times, err = appendObs(g.Times, times); err != nil {
			return nil, err
		}
		cells[i]++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: response metrics: %w", err)
	}
	rows.Close()
	for i, g := range out {
		if cells[i] > 1 {
			g.Times = tracking.Compact(g.Times)
		}
	}
	res := make([]MetricGroup, len(out))
	for i, g := range out {
		res[i] = *g
	}
	if dim == tracking.DimSource {
		// calls have no source; submissions have no office
		return s.addSubmissions(ctx, q, res)
	}
	return s.addCalls(ctx, q, res) // the calls reported to the same groups
}

// addSubmissions puts the submissions and confirmations per source
// (submission_counts, by the month the submission was made) into gs,
// grouped by source; a source with submissions but no letters yet is
// added. Office filters (chamber, party, state) do not apply: a
// submission is not per office, so with one of them set it adds nothing.
func (s *Store) addSubmissions(ctx context.Context, q MetricsQuery, gs []MetricGroup) ([]MetricGroup, error) {
	if q.Chamber != "" || q.Party != "" || q.State != "" {
		return gs, nil
	}
	conds, args := q.filters()
	conds = append(conds, "1 = 1")
	rows, err := s.db.WithContext(ctx).Raw("SELECT source, SUM(submissions), SUM(confirmed) FROM submission_counts WHERE "+
		strings.Join(conds, " AND ")+" GROUP BY source", args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("store: submission counts: %w", err)
	}
	defer rows.Close()
	idx := make(map[string]int, len(gs))
	for i, g := range gs {
		idx[g.Key] = i
	}
	for rows.Next() {
		var k string
		var n, c int64
		if err := rows.Scan(&k, &n, &c); err != nil {
			return nil, fmt.Errorf("store: submission counts: %w", err)
		}
		i, ok := idx[k]
		if !ok {
			i = len(gs)
			idx[k] = i
			gs = append(gs, MetricGroup{Key: k})
		}
		gs[i].Submissions, gs[i].Confirmed = n, c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: submission counts: %w", err)
	}
	slices.SortFunc(gs, func(a, b MetricGroup) int { return strings.Compare(a.Key, b.Key) })
	return gs, nil
}

// MergeGroups adds up groups (offices, say) under the key each is given
// (tracking.Merge with one key each).
func MergeGroups(gs []MetricGroup, key func(MetricGroup) string) []MetricGroup {
	return tracking.Merge(gs, func(g tracking.Group) []string { return []string{key(g)} })
}
