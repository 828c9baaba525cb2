package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/outreach-org/outreach/internal/tracking"
)

// MetricsQuery selects and groups rollups.
type MetricsQuery struct {
	GroupBy    string // office, state, party, chamber, campaign, channel, month, or "" for one total
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
	tracking.DimChannel: "channel", tracking.DimMonth: "month", tracking.DimNone: "''"}

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
	if q.FromMonth == "" && q.ToMonth == "" && dim != tracking.DimMonth && dim != tracking.DimChannel {
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
	return s.addCalls(ctx, q, res) // the calls reported to the same groups
}

// MergeGroups adds up groups (offices, say) under the key each is given
// (tracking.Merge with one key each).
func MergeGroups(gs []MetricGroup, key func(MetricGroup) string) []MetricGroup {
	return tracking.Merge(gs, func(g tracking.Group) []string { return []string{key(g)} })
}
