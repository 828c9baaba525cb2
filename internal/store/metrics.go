package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
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

// MetricGroup is the sums of one group (tracking.Group).
type MetricGroup = tracking.Group

// ResponseMetrics reads the rollups (never the letters) grouped by
// q.GroupBy, with the calls reported to each group (call_counts).
func (s *Store) ResponseMetrics(ctx context.Context, q MetricsQuery) ([]MetricGroup, error) {
	grouping, ok := tracking.Lookup(q.GroupBy)
	if !ok || grouping.Keys != nil {
		// a grouping with Keys is added up from the offices by its caller
		return nil, refuse("group_by", "unknown group_by")
	}
	dim := grouping.Dim
	col := dimensionColumns[dim]
	conds, args := q.filters()
	if q.FromMonth == "" && q.ToMonth == "" && dim != tracking.DimMonth && dim != tracking.DimChannel && dim != tracking.DimSource {
		conds = append(conds, "month = '"+allCell+"'")
	} else {
		conds = append(conds, "month <> '"+allCell+"'")
	}
	where := strings.Join(conds, " AND ")
	db := s.db.WithContext(ctx)
	group, tgroup := " GROUP BY "+col+" ORDER BY 1", " GROUP BY "+col+", days"
	if dim == tracking.DimNone {
		group, tgroup = "", " GROUP BY days"
	}
	attrs := "'', '', ''"
	if dim == tracking.DimOffice {
		attrs = "MAX(chamber), MAX(party), MAX(state)"
	}
	rows, err := db.Raw("SELECT "+col+" AS k, "+attrs+", COALESCE(SUM(letters),0), COALESCE(SUM(delivered),0), COALESCE(SUM(failed),0), COALESCE(SUM(replied),0), COALESCE(SUM(substantive),0) FROM response_rollups WHERE "+
		where+group, args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("store: response metrics: %w", err)
	}
	byKey := map[string]*MetricGroup{}
	var out []*MetricGroup
	for rows.Next() {
		g := &MetricGroup{}
		if err := rows.Scan(&g.Key, &g.Chamber, &g.Party, &g.State, &g.Letters, &g.Delivered, &g.Failed, &g.Replied, &g.Substantive); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: response metrics: %w", err)
		}
		byKey[g.Key] = g
		out = append(out, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: response metrics: %w", err)
	}
	// One row per group with its days as "days:events:censored,..." so
	// that thousands of (group, day) rows are not scanned one by one.
	agg := "string_agg(o, ',')" // PostgreSQL, and SQLite since 3.44
	inner := "SELECT " + col + " AS k, CAST(days AS TEXT) || ':' || CAST(SUM(events) AS TEXT) || ':' || CAST(SUM(censored) AS TEXT) AS o" +
		" FROM response_rollup_times WHERE " + where + tgroup
	if dim == tracking.DimOffice {
		// (office, days) groups are as many as the rows: adding them up
		// first only costs time; the same day may come twice in a list
		// (several channels or months), which the estimator adds up.
		inner = "SELECT bioguide_id AS k, CAST(days AS TEXT) || ':' || CAST(events AS TEXT) || ':' || CAST(censored AS TEXT) AS o" +
			" FROM response_rollup_times WHERE " + where
	}
	trows, err := db.Raw("SELECT k, "+agg+" FROM ("+inner+") t GROUP BY k", args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("store: response metrics: %w", err)
	}
	defer trows.Close()
	for trows.Next() {
		var k, list string
		if err := trows.Scan(&k, &list); err != nil {
			return nil, fmt.Errorf("store: response metrics: %w", err)
		}
		g := byKey[k]
		if g == nil {
			continue
		}
		for _, item := range strings.Split(list, ",") {
			d, rest, _ := strings.Cut(item, ":")
			e, c, _ := strings.Cut(rest, ":")
			var o tracking.Obs
			var err1, err2, err3 error
			o.Days, err1 = strconv.Atoi(d)
			o.Events, err2 = strconv.Atoi(e)
			o.Censored, err3 = strconv.Atoi(c)
			if err := errors.Join(err1, err2, err3); err != nil {
				return nil, fmt.Errorf("rollup times %q: %w", item, err)
			}
			g.Times = append(g.Times, o)
		}
	}
	if err := trows.Err(); err != nil {
		return nil, fmt.Errorf("store: response metrics: %w", err)
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
