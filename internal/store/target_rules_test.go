package store_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// TestMigrationTargetRules: campaigns saved with the former chamber switch
// come out of migration 00020 with the equivalent rules, on both
// databases; and rules of every kind round-trip through the store.
func TestMigrationTargetRules(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			s := storetest.Unmigrated(t, d)
			storetest.MigrateTo(t, s, 18)
			now := time.Now().UTC()
			ids := map[string]int64{}
			for _, tg := range []string{"house", "senate", "both"} {
				q := `INSERT INTO campaigns (slug, title, targets, loc_topic, status, current_version, created_at, updated_at)
					VALUES ('old-` + tg + `', 'Old', '` + tg + `', 'Immigration', 'live', 1, ?, ?) RETURNING id`
				if d == store.Postgres {
					q = `INSERT INTO campaigns (slug, title, targets, loc_topic, status, current_version, created_at, updated_at)
					VALUES ('old-` + tg + `', 'Old', '` + tg + `', 'Immigration', 'live', 1, $1, $2) RETURNING id`
				}
				var id int64
				if err := s.DB().QueryRow(q, now, now).Scan(&id); err != nil {
					t.Fatal(err)
				}
				q = `INSERT INTO campaign_versions (campaign_id, version, subject, body, created_at) VALUES (?, 1, 'S', 'B', ?)`
				if d == store.Postgres {
					q = `INSERT INTO campaign_versions (campaign_id, version, subject, body, created_at) VALUES ($1, 1, 'S', 'B', $2)`
				}
				if _, err := s.DB().Exec(q, id, now); err != nil {
					t.Fatal(err)
				}
				ids[tg] = id
			}
			if _, err := s.Migrate(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
				t.Fatal(err)
			}
			for tg, want := range map[string]campaign.Targets{"house": campaign.TargetHouse, "senate": campaign.TargetSenate, "both": campaign.TargetBoth} {
				c, err := s.Campaign(ctx, ids[tg])
				if err != nil {
					t.Fatal(err)
				}
				if !slices.EqualFunc(c.Targets, want, func(a, b campaign.Rule) bool {
					return a.Kind == b.Kind && a.Committee == b.Committee && slices.Equal(a.Offices, b.Offices)
				}) {
					t.Errorf("%s became %+v, want %+v", tg, c.Targets, want)
				}
			}

			// Every kind of rule is stored and read back as it was.
			c, err := s.Campaign(ctx, ids["both"])
			if err != nil {
				t.Fatal(err)
			}
			c.Targets = campaign.Targets{{Kind: campaign.RuleSenate}, {Kind: campaign.RuleCommittee, Committee: "SSJU04"},
				{Kind: campaign.RuleOffices, Offices: []string{"P000145", "S001150"}}}
			saved, err := s.UpdateCampaign(ctx, c, store.Audit{Action: "campaign.update"})
			if err != nil {
				t.Fatal(err)
			}
			if got := saved.Targets.Summary(); got != "my senators; my members who sit on SSJU04; hand-picked offices: P000145, S001150" {
				t.Errorf("saved rules: %q", got)
			}
		})
	}
}
