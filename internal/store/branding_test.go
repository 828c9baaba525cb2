package store_test

import (
	"context"
	"testing"

	"github.com/outreach-org/outreach/internal/branding"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// TestBrandingRoundTrip: the branding is empty until set, is saved whole
// with its audit entry, and a second save replaces the first.
func TestBrandingRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if b, err := s.Branding(ctx); err != nil || b != (branding.Branding{}) {
			// PostgreSQL's database is shared: start from a known state.
			if err := s.SetBranding(ctx, branding.Branding{}, store.Audit{}); err != nil {
				t.Fatal(err)
			}
		}
		want := branding.Branding{Name: "Families Together", LogoURL: "https://example.org/logo.png", Color: "#0b4f8a",
			PrivacyURL: "https://example.org/privacy", ContactURL: "mailto:help@example.org"}
		if err := s.SetBranding(ctx, want, store.Audit{Action: "branding.update"}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Branding(ctx); err != nil || got != want {
			t.Fatalf("read back %+v, %v", got, err)
		}
		want.LogoURL = ""
		if err := s.SetBranding(ctx, want, store.Audit{}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Branding(ctx); got != want {
			t.Errorf("second save: %+v", got)
		}
		log, err := s.AuditLog(ctx, 0, 5)
		if err != nil || len(log) == 0 || log[0].Action != "branding.update" {
			t.Errorf("audit: %+v %v", log, err)
		}
		if err := s.SetBranding(ctx, branding.Branding{}, store.Audit{}); err != nil {
			t.Fatal(err)
		}
	})
}
