package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// The demonstration campaign asks for calls after the letters, with a
// script in English and Spanish that quotes no figure (its figures are
// synthetic, and a script quoting them is never shown) and names each
// member as Spanish does, with the article: "pedirle al senador", "a la
// representante".
func TestDemoCallScript(t *testing.T) {
	ctx := context.Background()
	st := storetest.SQLite(t)
	if err := seedDemoCampaign(ctx, st, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	c, err := st.CampaignBySlug(ctx, demoSlug)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := campaign.Validate(&c, nil)
	if err != nil {
		t.Fatalf("the demonstration campaign does not validate: %v", err)
	}
	if !c.HasCalls() || cp.Script == nil || cp.Script.ES == nil {
		t.Fatal("the demonstration campaign has no call script in both languages")
	}
	dir, err := congress.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	// A synthetic release: the script must render anyway.
	rel := campaign.Release{Synthetic: true}
	day := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ id, en, es string }{
		{"P000145", "I am calling to ask Senator Alex Padilla to demand", "Llamo para pedirle al senador Alex Padilla que exija"},
		{"P000197", "I am calling to ask Representative Nancy Pelosi to demand", "Llamo para pedirle a la representante Nancy Pelosi que exija"},
	} {
		m, ok := dir.Member(tc.id)
		if !ok {
			t.Fatalf("no member %s", tc.id)
		}
		en, err := cp.Script.RenderScript(ctx, m, day, rel, false)
		if err != nil || !strings.HasPrefix(en, tc.en) {
			t.Errorf("%s English: %q %v", tc.id, en, err)
		}
		es, err := cp.Script.RenderScript(ctx, m, day, rel, true)
		if err != nil || !strings.HasPrefix(es, tc.es) {
			t.Errorf("%s Spanish: %q %v", tc.id, es, err)
		}
	}
}
