package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// uniq makes names unique: the PostgreSQL database is shared by the
// package's tests.
func uniq(prefix string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

func campaignUser(t testing.TB, s *store.Store) auth.User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), auth.User{Email: uniq("editor") + "@example.org", Role: auth.Campaigner,
		PasswordHash: "x"}, store.Audit{Action: "user.create"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func newCampaign(slug string) campaign.Campaign {
	return campaign.Campaign{
		Slug: slug, Title: "Records of family separations", SummaryEN: "Ask for the records.", CallToActionEN: "Write.",
		Targets: campaign.TargetBoth, LOCTopic: "Immigration", Status: campaign.Draft,
		Subject: "Oversight in {{.member_state}}", Template: "{{.salutation}}:\n\nPlease ask for the records.\n",
		OrganizationStatement: "We documented {{stat \"cases\"}} cases.",
	}
}

func auditFor(t *testing.T, s *store.Store, id int64) []store.AuditEntry {
	t.Helper()
	entries, err := s.AuditLog(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.AuditEntry
	for _, e := range entries {
		if e.ObjectType == "campaign" && e.ObjectID == itoa(id) {
			out = append(out, e)
		}
	}
	return out
}

func TestCampaignCreateReadAndDuplicateSlug(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := campaignUser(t, s)
		start := time.Date(2026, 6, 1, 14, 0, 0, 0, time.UTC)
		c := newCampaign(uniq("records"))
		c.StartsAt = &start
		c.SummaryES = "Pida los registros."
		got, err := s.CreateCampaign(ctx, c, store.Audit{ActorID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		if got.ID == 0 || got.TemplateVersion != 1 || got.CreatedBy != u.ID || got.CreatedAt.IsZero() {
			t.Fatalf("created = %+v", got)
		}
		back, err := s.Campaign(ctx, got.ID)
		if err != nil {
			t.Fatal(err)
		}
		if back.Slug != c.Slug || back.Template != c.Template || back.Subject != c.Subject || back.OrganizationStatement != c.OrganizationStatement ||
			back.SummaryES != c.SummaryES || back.StartsAt == nil || !back.StartsAt.Equal(start) || back.EndsAt != nil ||
			back.Targets.Summary() != campaign.TargetBoth.Summary() || back.Status != campaign.Draft || back.TemplateVersion != 1 {
			t.Errorf("read back = %+v", back)
		}
		if bySlug, err := s.CampaignBySlug(ctx, c.Slug); err != nil || bySlug.ID != got.ID {
			t.Errorf("by slug: %v %+v", err, bySlug)
		}
		list, err := s.Campaigns(ctx)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, l := range list {
			found = found || (l.ID == got.ID && l.Template == c.Template)
		}
		if !found {
			t.Error("new campaign not listed with its letter")
		}
		if a := auditFor(t, s, got.ID); len(a) != 1 || a[0].Action != "campaign.create" || a[0].ActorID != u.ID {
			t.Errorf("audit = %+v", a)
		}

		// the same slug again: refused, and nothing of it is stored
		before, _ := s.Campaigns(ctx)
		dup := newCampaign(c.Slug)
		dup.Title = "Another"
		if _, err := s.CreateCampaign(ctx, dup, store.Audit{ActorID: u.ID}); !errors.Is(err, campaign.ErrSlugTaken) {
			t.Fatalf("duplicate slug: %v", err)
		}
		after, _ := s.Campaigns(ctx)
		if len(after) != len(before) {
			t.Errorf("a refused campaign was stored: %d -> %d", len(before), len(after))
		}
		// renaming another campaign to the taken slug
		other, err := s.CreateCampaign(ctx, newCampaign(uniq("other")), store.Audit{ActorID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		other.Slug = c.Slug
		if _, err := s.UpdateCampaign(ctx, other, store.Audit{ActorID: u.ID}); !errors.Is(err, campaign.ErrSlugTaken) {
			t.Errorf("update to a taken slug: %v", err)
		}

		if _, err := s.Campaign(ctx, 1<<40); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing campaign: %v", err)
		}
		if _, err := s.CampaignVersions(ctx, 1<<40); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("versions of a missing campaign: %v", err)
		}
	})
}

func TestCampaignVersionsOnlyWhenTheLetterChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := campaignUser(t, s)
		c, err := s.CreateCampaign(ctx, newCampaign(uniq("versions")), store.Audit{ActorID: u.ID})
		if err != nil {
			t.Fatal(err)
		}

		// same letter, other fields changed: no new version
		c.Title = "A better title"
		c2, err := s.UpdateCampaign(ctx, c, store.Audit{ActorID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		if c2.TemplateVersion != 1 || c2.Title != "A better title" {
			t.Fatalf("after a title change: version %d title %q", c2.TemplateVersion, c2.Title)
		}

		// body changed: version 2
		c2.Template = "{{.salutation}}:\n\nPlease ask for the records now.\n"
		c3, err := s.UpdateCampaign(ctx, c2, store.Audit{ActorID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		if c3.TemplateVersion != 2 {
			t.Fatalf("after a body change: version %d", c3.TemplateVersion)
		}
		// statement changed: version 3; then the same save again: still 3
		c3.OrganizationStatement = ""
		c4, err := s.UpdateCampaign(ctx, c3, store.Audit{ActorID: u.ID})
		if err != nil || c4.TemplateVersion != 3 {
			t.Fatalf("after a statement change: %v version %d", err, c4.TemplateVersion)
		}
		c5, err := s.UpdateCampaign(ctx, c4, store.Audit{ActorID: u.ID})
		if err != nil || c5.TemplateVersion != 3 || !c5.UpdatedAt.Equal(c4.UpdatedAt) {
			t.Fatalf("unchanged save: %v version %d", err, c5.TemplateVersion)
		}

		vs, err := s.CampaignVersions(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != 3 || vs[0].Number != 3 || vs[2].Number != 1 {
			t.Fatalf("versions = %+v", vs)
		}
		if vs[2].Body != newCampaign("").Template || vs[1].Body != c2.Template || vs[0].OrganizationStatement != "" ||
			vs[0].CreatedBy != u.ID || vs[0].CreatedByEmail != u.Email {
			t.Errorf("version contents = %+v", vs)
		}
		v1, err := s.CampaignVersion(ctx, c.ID, 1)
		if err != nil || v1.Subject != newCampaign("").Subject || v1.OrganizationStatement == "" {
			t.Errorf("version 1: %v %+v", err, v1)
		}
		if _, err := s.CampaignVersion(ctx, c.ID, 9); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("version 9: %v", err)
		}

		// versions are immutable, in the database itself
		if _, err := s.DB().ExecContext(ctx, `UPDATE campaign_versions SET body = 'x' WHERE campaign_id = `+itoa(c.ID)); err == nil {
			t.Error("a version row could be updated")
		}

		// an editor who started from version 2 cannot overwrite version 3
		stale := c5
		stale.TemplateVersion = 2
		stale.Template = "{{.salutation}}: mine\n"
		if _, err := s.UpdateCampaign(ctx, stale, store.Audit{ActorID: u.ID}); !errors.Is(err, campaign.ErrStaleVersion) {
			t.Errorf("stale save: %v", err)
		}

		// status changes: audited separately; going back to draft from live is refused
		c5.Status = campaign.Live
		c6, err := s.UpdateCampaign(ctx, c5, store.Audit{ActorID: u.ID})
		if err != nil || c6.Status != campaign.Live {
			t.Fatalf("going live: %v %s", err, c6.Status)
		}
		c6.Status = campaign.Draft
		var ve *campaign.ValidationError
		if _, err := s.UpdateCampaign(ctx, c6, store.Audit{ActorID: u.ID}); !errors.As(err, &ve) || ve.For("status") == nil {
			t.Errorf("live -> draft: %v", err)
		}

		var actions []string
		for _, e := range auditFor(t, s, c.ID) {
			actions = append(actions, e.Action+" "+e.Detail)
		}
		got := strings.Join(actions, "\n")
		for _, want := range []string{
			"campaign.create slug=", "campaign.update changed=title version=1", "campaign.update changed=letter version=2",
			"campaign.update changed=letter version=3", "campaign.update changed=status version=3", "campaign.status from=draft to=live",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("audit lacks %q:\n%s", want, got)
			}
		}
		if len(actions) != 6 {
			t.Errorf("%d audit entries, want 6 (an unchanged save writes none):\n%s", len(actions), got)
		}
	})
}

func TestCampaignWriteIsAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := campaignUser(t, s)
		count := func(table string) int {
			var n int
			if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		campaigns, versions, audits := count("campaigns"), count("campaign_versions"), count("audit_log")

		// The campaign row is valid, the version row is not (empty body):
		// the campaign row written first must be rolled back with it.
		bad := newCampaign(uniq("rollback"))
		bad.Template = ""
		if _, err := s.CreateCampaign(ctx, bad, store.Audit{ActorID: u.ID}); err == nil {
			t.Fatal("a campaign without a letter body was stored")
		}
		if _, err := s.CampaignBySlug(ctx, bad.Slug); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the refused campaign is there: %v", err)
		}

		// An update whose campaign row breaks a constraint after the new
		// version was written: neither is kept.
		c, err := s.CreateCampaign(ctx, newCampaign(uniq("rollback")), store.Audit{ActorID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		campaigns, versions, audits = campaigns+1, versions+1, audits+1
		start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
		end := start.Add(-time.Hour)
		next := c
		next.Template = "{{.salutation}}: changed\n"
		next.StartsAt, next.EndsAt = &start, &end
		if _, err := s.UpdateCampaign(ctx, next, store.Audit{ActorID: u.ID}); err == nil {
			t.Fatal("an end before the start was stored")
		}
		if got, _ := s.Campaign(ctx, c.ID); got.TemplateVersion != 1 || got.Template != c.Template || got.StartsAt != nil {
			t.Errorf("after a refused update: %+v", got)
		}
		if n := count("campaigns"); n != campaigns {
			t.Errorf("campaigns %d, want %d", n, campaigns)
		}
		if n := count("campaign_versions"); n != versions {
			t.Errorf("versions %d, want %d", n, versions)
		}
		if n := count("audit_log"); n != audits {
			t.Errorf("audit entries %d, want %d", n, audits)
		}
	})
}
