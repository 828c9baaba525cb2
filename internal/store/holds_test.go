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
