package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/tracking"
)

// directLetter is a first letter as the rules see it, read from the
// letters and responses themselves.
type directLetter struct {
	campaign                                int64
	bioguide, chamber, state, party, source string
	channel, month                          string
	delivered, failed, replied, substantive bool
	days                                    int // bucketed days waited or to the reply (delivered letters)
}

// directLetters reads every first letter (of campaignID, or all) with its
// first reply, and applies the dashboard's rules to each, at now.
func directLetters(t *testing.T, s *store.Store, campaignID int64, now time.Time) []directLetter {
	t.Helper()
	ctx := context.Background()
	created := map[int64]time.Time{}
	// By SQL rather than Letters, which reads the texts from letter_texts
	// (00037): the migration tests call this at older schemas.
	rows, err := s.DB().QueryContext(ctx, "SELECT id, created_at FROM letters WHERE campaign_id = $1", campaignID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			t.Fatal(err)
		}
		created[id] = at
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	var out []directLetter
	err = s.ExportLetters(ctx, campaignID, false, func(e store.LetterExport) error {
		if e.Kind != store.LetterFirst {
			return nil
		}
		replied := e.Response != nil && tracking.IsReply(e.Response.Substance)
		base := created[e.ID]
		switch {
		case e.DeliveredAt != nil:
			base = *e.DeliveredAt
		case e.SentAt != nil:
			base = *e.SentAt
		}
		d := directLetter{campaign: e.CampaignID, bioguide: e.BioguideID, chamber: e.Chamber, state: e.State, party: e.Party,
			source: e.Source, channel: e.Channel, month: tracking.Month(base), replied: replied,
			substantive: replied && e.Response.Substance == tracking.SubstanceSubstantive,
			delivered:   tracking.Delivered(e.Status, replied), failed: tracking.Failed(e.Status, replied)}
		if d.delivered {
			end := now
			if replied {
				end = e.Response.OccurredAt
			}
			d.days = tracking.BucketDays(tracking.DaysBetween(base, end))
		}
		out = append(out, d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// directGroups answers q from the letters themselves.
func directGroups(ls []directLetter, q store.MetricsQuery) map[string]store.MetricGroup {
	out := map[string]store.MetricGroup{}
	for _, l := range ls {
		if (q.CampaignID != 0 && l.campaign != q.CampaignID) || (q.Chamber != "" && l.chamber != q.Chamber) ||
			(q.Party != "" && l.party != q.Party) || (q.State != "" && l.state != q.State) ||
			(q.FromMonth != "" && l.month < q.FromMonth) || (q.ToMonth != "" && l.month > q.ToMonth) {
			continue
		}
		k := map[string]string{"": "", "office": l.bioguide, "state": l.state, "party": l.party, "chamber": l.chamber,
			"campaign": fmt.Sprint(l.campaign), "channel": l.channel, "month": l.month, "source": l.source}[q.GroupBy]
		g := out[k]
		g.Key = k
		if q.GroupBy == "office" {
			g.Chamber, g.Party, g.State = l.chamber, l.party, l.state
		}
		g.Letters++
		if l.failed {
			g.Failed++
		}
		if l.delivered {
			g.Delivered++
			o := tracking.Obs{Days: l.days, Censored: 1}
			if l.replied {
				g.Replied++
				o = tracking.Obs{Days: l.days, Events: 1}
				if l.substantive {
					g.Substantive++
				}
			}
			g.Times = append(g.Times, o)
		}
		out[k] = g
	}
	return out
}

// exactQueries are the queries the dashboard, the CSV and the API make:
// every grouping read from the rollups, without and with office filters
// and periods.
func exactQueries(campaignID int64, months []string) []store.MetricsQuery {
	if months == nil {
		return []store.MetricsQuery{{CampaignID: campaignID}}
	}
	var qs []store.MetricsQuery
	for _, g := range []string{"", "office", "state", "party", "chamber", "campaign", "channel", "month", "source"} {
		for _, f := range []store.MetricsQuery{{}, {Chamber: "house"}, {Party: "Republican"}, {State: "NY"},
			{FromMonth: months[len(months)/3]}, {ToMonth: months[len(months)/2]},
			{Chamber: "senate", FromMonth: months[1], ToMonth: months[len(months)-2]}} {
			f.GroupBy, f.CampaignID = g, campaignID
			qs = append(qs, f)
		}
	}
	return qs
}

// checkExact compares every query's answer from the rollups with the
// letters themselves: counts, and the Kaplan-Meier curve step by step
// (so medians and percentiles are exactly the same).
func checkExact(t *testing.T, s *store.Store, campaignID int64, now time.Time) {
	t.Helper()
	checkExactOf(t, s, directLetters(t, s, campaignID, now), exactQueries(campaignID, nil), nil)
}

// checkExactOf compares the answers to qs (months filled from ls) with
// ls; only the groups in only, when set.
func checkExactOf(t *testing.T, s *store.Store, ls []directLetter, qs []store.MetricsQuery, only map[string]bool) {
	t.Helper()
	months := map[string]bool{}
	for _, l := range ls {
		months[l.month] = true
	}
	var ms []string
	for m := range months {
		ms = append(ms, m)
	}
	sort.Strings(ms)
	if len(ms) < 4 {
		t.Fatalf("the data set spans %d months", len(ms))
	}
	for _, q := range exactQueries(qs[0].CampaignID, ms) {
		if qs[0].GroupBy != "" && q.GroupBy != qs[0].GroupBy {
			continue
		}
		want := directGroups(ls, q)
		got, err := s.ResponseMetrics(context.Background(), q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		seen := 0
		for _, g := range got {
			if (g.Letters == 0 && q.GroupBy == "source") || (only != nil && !only[g.Key]) {
				continue // a source with submissions and no letters; a group not asked about
			}
			seen++
			w, ok := want[g.Key]
			gc, wc := tracking.KaplanMeier(g.Times), tracking.KaplanMeier(w.Times)
			if !ok || g.Letters != w.Letters || g.Delivered != w.Delivered || g.Failed != w.Failed || g.Replied != w.Replied ||
				g.Substantive != w.Substantive || g.Chamber != w.Chamber || g.Party != w.Party || g.State != w.State ||
				fmt.Sprint(gc) != fmt.Sprint(wc) {
				t.Errorf("%+v group %q:\n got %+v %v\nwant %+v %v", q, g.Key, g, gc, w, wc)
				continue
			}
			for _, p := range []float64{0.25, 0.5, 0.9} {
				gd, gok := gc.Quantile(p)
				wd, wok := wc.Quantile(p)
				if gd != wd || gok != wok {
					t.Errorf("%+v group %q: quantile %v %d %v, want %d %v", q, g.Key, p, gd, gok, wd, wok)
				}
			}
		}
		if seen != len(want) || seen == 0 {
			t.Errorf("%+v: %d groups, want %d (%v)", q, seen, len(want), got)
		}
	}
}

// exactData generates letters over offices in two chambers, three parties
// and four states (two offices alike but for their state), three channels
// (cwc twice, so that every office has letters on two of them) and three
// sources. Letters are delivered 6 hours apart, 3 hours off the day: no
// letter's days waited changes while the test runs.
func exactData(t *testing.T, s *store.Store, campaignID int64, n int) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Add(-3 * time.Hour)
	offices := []store.GenOffice{{"E1", "HCA01", "house", "CA", "Democrat"}, {"E2", "HNY02", "house", "NY", "Republican"},
		{"E3", "SNY01", "senate", "NY", "Democrat"}, {"E4", "STX01", "senate", "TX", "Republican"}, {"E5", "HVT01", "house", "VT", "Independent"},
		{"E6", "HCA02", "house", "CA", "Republican"}}
	g := store.TrackingGen{CampaignID: campaignID, Offices: offices, Channels: []string{"cwc", "sendgrid", "packet", "cwc"}, Letters: n, Now: now,
		Spread: time.Duration(n) * 6 * time.Hour, FailEvery: 11, ReplyEvery: 3, SubstantiveEvery: 2, ReplyDays: []int{0, 2, 9, 30, 45, 100, 200}}
	if _, _, err := s.GenerateTracking(ctx, g); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, rebind(s, `UPDATE submissions SET source = CASE WHEN id % 3 = 0 THEN 'tw' WHEN id % 3 = 1 THEN 'fb' ELSE '' END
		WHERE campaign_id = ?`), campaignID); err != nil {
		t.Fatal(err)
	}
}

func rebind(s *store.Store, q string) string {
	if s.Dialect() == store.Postgres {
		return strings.Replace(q, "?", "$1", 1)
	}
	return q
}

// The rollups answer every grouping, with and without office filters and
// periods, exactly as the letters themselves do: after a full refresh,
// after one office's refresh by a response (which changes the campaign's
// cells by that office's difference), and after the minute tick's refresh
// of the offices whose letters changed.
func TestRollupsAreExact(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := trackLetters(t, s, 0)
		exactData(t, s, f.campaignID, 600)
		if err := s.RefreshRollups(ctx); err != nil {
			t.Fatal(err)
		}
		checkExact(t, s, f.campaignID, time.Now().UTC())
		// the tick's first refresh sets its marks (a full refresh)
		if _, _, err := s.RefreshChangedRollups(ctx, 50); err != nil {
			t.Fatal(err)
		}

		// a response to all of an office's open letters refreshes that office
		if _, err := s.LogResponse(ctx, store.ResponseLog{CampaignID: f.campaignID, BioguideID: "E2", AllOpen: true, Kind: "meeting",
			Substance: "substantive", OccurredAt: time.Now().Add(-time.Hour)}, store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
		checkExact(t, s, f.campaignID, time.Now().UTC())

		// letters change status: the tick refreshes their offices
		ls, err := s.Letters(ctx, store.LetterFilter{CampaignID: f.campaignID, Limit: 40})
		if err != nil || len(ls) < 40 {
			t.Fatal(len(ls), err)
		}
		for i, l := range ls {
			switch {
			case l.BioguideID == "E2":
			case i%2 == 0:
				if err := s.MarkFailed(ctx, l.ID, l.Channel, "refused", time.Now()); err != nil {
					t.Fatal(err)
				}
			default:
				if err := s.MarkSent(ctx, l.ID, "packet", "p", "ok", true, time.Now()); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, full, err := s.RefreshChangedRollups(ctx, 50); err != nil || full {
			t.Fatalf("refresh changed: full %v, %v", full, err)
		}
		checkExact(t, s, f.campaignID, time.Now().UTC())

		f2 := trackLetters(t, s, 0)
		exactData(t, s, f2.campaignID, 300)
		if err := s.RefreshRollups(ctx); err != nil {
			t.Fatal(err)
		}
		// across campaigns (the PostgreSQL database has other tests'
		// campaigns too: only these two are compared)
		now := time.Now().UTC()
		both := append(directLetters(t, s, f.campaignID, now), directLetters(t, s, f2.campaignID, now)...)
		checkExactOf(t, s, both, []store.MetricsQuery{{GroupBy: "campaign"}},
			map[string]bool{fmt.Sprint(f.campaignID): true, fmt.Sprint(f2.campaignID): true})
	})
}

// Migration 00030 carries the rollups written before it (one row per cell
// and day waited in response_rollup_times) into the cells' histograms and
// the new cells: the dashboards answer exactly before any refresh. Down,
// it leaves the tick a full refresh to do.
func TestRollupHistogramMigration(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			s := storetest.Unmigrated(t, d)
			p := migrationsOf(t, s)
			if _, err := p.UpTo(ctx, 29); err != nil {
				t.Fatal(err)
			}
			f := trackLetters(t, s, 0)
			exactData(t, s, f.campaignID, 400)
			now := time.Now().UTC()
			writeOldRollups(t, s, directLetters(t, s, f.campaignID, now), now)
			if _, err := s.Migrate(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
				t.Fatal(err)
			}
			checkExact(t, s, f.campaignID, now)

			// Down and up again: the histograms are gone, and the tick's
			// next refresh, finding no mark, rebuilds everything.
			if _, _, err := s.RefreshChangedRollups(ctx, 50); err != nil {
				t.Fatal(err)
			}
			if _, err := p.DownTo(ctx, 29); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Migrate(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
				t.Fatal(err)
			}
			if _, full, err := s.RefreshChangedRollups(ctx, 50); err != nil || !full {
				t.Fatalf("after down and up: full %v, %v", full, err)
			}
			checkExact(t, s, f.campaignID, time.Now().UTC())
		})
	}
}

// writeOldRollups writes the rollups as the refresh before migration
// 00030 did: fine and office cells, and a response_rollup_times row per
// cell and day waited.
func writeOldRollups(t *testing.T, s *store.Store, ls []directLetter, now time.Time) {
	t.Helper()
	type key struct{ bioguide, ch, mo, src string }
	type cell struct {
		l                                   directLetter
		letters, deliv, failed, repl, subst int
		days                                map[int][2]int
	}
	cells := map[key]*cell{}
	for _, l := range ls {
		for _, k := range []key{{l.bioguide, l.channel, l.month, l.source}, {l.bioguide, "*", "*", "*"}} {
			c := cells[k]
			if c == nil {
				c = &cell{l: l, days: map[int][2]int{}}
				cells[k] = c
			}
			c.letters++
			if l.failed {
				c.failed++
			}
			if !l.delivered {
				continue
			}
			c.deliv++
			v := c.days[l.days]
			if l.replied {
				c.repl++
				v[0]++
				if l.substantive {
					c.subst++
				}
			} else {
				v[1]++
			}
			c.days[l.days] = v
		}
	}
	ph := func(n int) string {
		var b strings.Builder
		for i := 1; i <= n; i++ {
			if i > 1 {
				b.WriteString(", ")
			}
			if s.Dialect() == store.Postgres {
				fmt.Fprintf(&b, "$%d", i)
			} else {
				b.WriteString("?")
			}
		}
		return b.String()
	}
	db := s.DB()
	var at any = now
	if s.Dialect() == store.SQLite {
		at = now.Format("2006-01-02 15:04:05")
	}
	exec := func(db *sql.DB, q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for k, c := range cells {
		exec(db, `INSERT INTO response_rollups (campaign_id, bioguide_id, office_code, chamber, state, party, channel, month, source,
			letters, delivered, failed, replied, substantive, refreshed_at) VALUES (`+ph(15)+`)`,
			c.l.campaign, k.bioguide, "X"+k.bioguide, c.l.chamber, c.l.state, c.l.party, k.ch, k.mo, k.src,
			c.letters, c.deliv, c.failed, c.repl, c.subst, at)
		for d, v := range c.days {
			exec(db, `INSERT INTO response_rollup_times (campaign_id, bioguide_id, chamber, state, party, channel, month, source, days,
				events, censored) VALUES (`+ph(11)+`)`, c.l.campaign, k.bioguide, c.l.chamber, c.l.state, c.l.party, k.ch, k.mo, k.src, d, v[0], v[1])
		}
	}
}
