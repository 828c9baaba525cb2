package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/casestats"
	"github.com/outreach-org/outreach/internal/store"
)

// A release that stops publishing a figure a campaign's letter prints
// unguarded holds the campaign; saving a guarded letter clears the hold,
// saving an unguarded one again holds it at once.
func TestReleaseHoldsCampaignThatPrintsUnpublishedFigure(t *testing.T) {
	casesEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if _, err := s.CreateCases(ctx, slices.Values(synthetic(60, 5)), store.ImportOptions{}, store.Audit{}); err != nil {
			t.Fatal(err)
		}
		pv, err := s.PreviewRelease(ctx, casestats.Params{})
		if err != nil {
			t.Fatal(err)
		}
		hidden := ""
		for _, k := range casestats.Keys() {
			if _, ok := pv.Figures.Value(k); ok && !pv.Figures.StatAvailable(k) {
				hidden = k
				break
			}
		}
		if hidden == "" {
			t.Fatal("the release publishes every figure: no test")
		}
		unguarded := "{{.salutation}}:\n\n{{stat \"" + hidden + "\"}} is the figure.\n"
		guarded := "{{.salutation}}:\n\n{{if stat_available \"" + hidden + "\"}}{{stat \"" + hidden + "\"}} is the figure.{{end}}\n"

		c := newCampaign(uniq("held"))
		c.Status, c.Template = campaign.Live, unguarded
		held, err := s.CreateCampaign(ctx, c, store.Audit{Action: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if held.HeldReason != "" {
			t.Fatalf("held before any release: %q", held.HeldReason)
		}
		c2 := newCampaign(uniq("guarded"))
		c2.Status, c2.Template = campaign.Live, guarded
		fine, err := s.CreateCampaign(ctx, c2, store.Audit{Action: "test"})
		if err != nil {
			t.Fatal(err)
		}

		rel, err := s.CreateRelease(ctx, store.ReleaseRequest{}, store.Audit{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Campaign(ctx, held.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(got.HeldReason, "statistics release "+itoa(rel.ID)) || !strings.Contains(got.HeldReason, `"`+hidden+`"`) ||
			got.HeldReleaseID == nil || *got.HeldReleaseID != rel.ID || got.HeldAt == nil {
			t.Fatalf("after the release: reason %q, release %v, at %v", got.HeldReason, got.HeldReleaseID, got.HeldAt)
		}
		if st, reason, err := s.CampaignHoldState(ctx, held.ID); err != nil || st != "live" || reason != got.HeldReason {
			t.Errorf("CampaignHoldState = %q, %q, %v", st, reason, err)
		}
		if g, _ := s.Campaign(ctx, fine.ID); g.HeldReason != "" {
			t.Errorf("guarded campaign held: %q", g.HeldReason)
		}
		list, err := s.HeldCampaigns(ctx)
		if err != nil || len(list) != 1 || list[0].ID != held.ID || list[0].Reason != got.HeldReason {
			t.Errorf("HeldCampaigns = %+v, %v", list, err)
		}
		if n, _ := countAudit(t, s, "campaign.hold"); n != 1 {
			t.Errorf("campaign.hold audit entries: %d", n)
		}

		// Staff fix the template: the save clears the hold.
		got.Template, got.TemplateVersion = guarded, 0
		saved, err := s.UpdateCampaign(ctx, got, store.Audit{Action: "test.fix"})
		if err != nil {
			t.Fatal(err)
		}
		if saved.HeldReason != "" || saved.HeldReleaseID != nil || saved.HeldAt != nil {
			t.Errorf("after the fix: %q %v %v", saved.HeldReason, saved.HeldReleaseID, saved.HeldAt)
		}
		if n, _ := countAudit(t, s, "campaign.hold_cleared"); n != 1 {
			t.Errorf("campaign.hold_cleared audit entries: %d", n)
		}
		// A save that prints it unguarded again is held at once.
		saved.Template, saved.TemplateVersion = unguarded, 0
		again, err := s.UpdateCampaign(ctx, saved, store.Audit{Action: "test.break"})
		if err != nil {
			t.Fatal(err)
		}
		if again.HeldReason == "" {
			t.Error("an unguarded save against the latest release is not held")
		}
		// A later release that publishes the figure ends the hold.
		if _, err := s.CreateCases(ctx, slices.Values(synthetic(3000, 6)), store.ImportOptions{}, store.Audit{}); err != nil {
			t.Fatal(err)
		}
		rel2, err := s.CreateRelease(ctx, store.ReleaseRequest{}, store.Audit{})
		if err != nil {
			t.Fatal(err)
		}
		if !rel2.Figures.StatAvailable(hidden) {
			t.Fatalf("release %d does not publish %s either: no test", rel2.ID, hidden)
		}
		if g, _ := s.Campaign(ctx, held.ID); g.HeldReason != "" || g.HeldReleaseID != nil {
			t.Errorf("still held after release %d publishes %s: %q", rel2.ID, hidden, g.HeldReason)
		}
	})
}

// The citation setting and the demonstration flag are stored.
func TestCampaignCitationAndDemoFlags(t *testing.T) {
	casesEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := newCampaign(uniq("flags"))
		c.Demo, c.NoCitation = true, true
		got, err := s.CreateCampaign(ctx, c, store.Audit{Action: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if !got.Demo || !got.NoCitation {
			t.Fatalf("created: demo %v, no citation %v", got.Demo, got.NoCitation)
		}
		got.NoCitation, got.Demo, got.TemplateVersion = false, false, 0
		upd, err := s.UpdateCampaign(ctx, got, store.Audit{Action: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if upd.NoCitation || !upd.Demo {
			t.Errorf("updated: no citation %v (want false), demo %v (staff cannot change it)", upd.NoCitation, upd.Demo)
		}
		if r, _ := s.Campaign(ctx, got.ID); r.NoCitation || !r.Demo {
			t.Errorf("read back: %+v", r)
		}
	})
}

// Printed packets leave out letters quoting a synthetic release and the
// demonstration campaign's letters: neither may reach an office.
func TestPacketsLeaveOutSyntheticFigures(t *testing.T) {
	casesEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		demo, err := s.SeedDemo(ctx, store.DemoOptions{Records: 300}, store.Audit{Action: "test"})
		if err != nil || !demo.Release.Synthetic {
			t.Fatalf("seed: %+v %v", demo, err)
		}
		synth := demo.Release.ID
		campID, subID := letterFixture(t, s)
		ls := newLetters(campID, subID, 0, 3, func(int64) (string, error) { return "x", nil })
		ls[0].StatsReleaseID, ls[1].StatsReleaseID = &synth, &synth
		ids, err := s.CreateLetters(ctx, ls, nil)
		if err != nil || len(ids) != 3 {
			t.Fatalf("letters %v %v", ids, err)
		}
		got, err := s.OfficeLetters(ctx, campID, "HCA11", 100)
		if err != nil || len(got) != 1 || got[0].ID != ids[2] {
			t.Fatalf("packet letters = %+v, %v; want only %d", got, err, ids[2])
		}
		counts, err := s.OfficeCounts(ctx, campID)
		if err != nil || len(counts) != 1 || counts[0].N != 1 {
			t.Errorf("office counts = %+v, %v", counts, err)
		}

		dc := newCampaign(uniq("demo"))
		dc.Demo = true
		d, err := s.CreateCampaign(ctx, dc, store.Audit{Action: "test"})
		if err != nil {
			t.Fatal(err)
		}
		sub, err := s.CreateSubmission(ctx, store.Submission{CampaignID: d.ID, EmailIndex: uniq("e"), Lang: "en"},
			func(int64) (string, error) { return "-", nil })
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateLetters(ctx, newLetters(d.ID, sub.ID, 10, 2, func(int64) (string, error) { return "x", nil }), nil); err != nil {
			t.Fatal(err)
		}
		if got, err := s.OfficeLetters(ctx, d.ID, "HCA11", 100); err != nil || len(got) != 0 {
			t.Errorf("demonstration packet letters = %d, %v", len(got), err)
		}
	})
}
