package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// The call script and the calls-only option are stored with the campaign
// and named (never their text) in the audit log.
func TestCampaignCallScriptStored(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := campaignUser(t, s)
		c := newCampaign(uniq("calls"))
		c.CallScriptEN, c.CallScriptES, c.CallsOnly = "Hello {{.salutation}}.", "Hola {{.salutation}}.", true
		got, err := s.CreateCampaign(ctx, c, store.Audit{ActorID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		back, err := s.Campaign(ctx, got.ID)
		if err != nil || back.CallScriptEN != c.CallScriptEN || back.CallScriptES != c.CallScriptES || !back.CallsOnly {
			t.Fatalf("read back %+v %v", back, err)
		}
		back.CallScriptES, back.CallsOnly = "Buenos días.", false
		if _, err := s.UpdateCampaign(ctx, back, store.Audit{ActorID: u.ID}); err != nil {
			t.Fatal(err)
		}
		again, _ := s.CampaignBySlug(ctx, c.Slug)
		if again.CallScriptES != "Buenos días." || again.CallsOnly || again.TemplateVersion != 1 {
			t.Errorf("after update: %+v", again)
		}
		entries := auditFor(t, s, got.ID)
		if len(entries) == 0 || entries[0].Detail != "changed=call_script_es,calls_only version=1" {
			t.Errorf("audit %+v", entries)
		}
		// A calls-only campaign without a letter is stored (both the
		// subject and the body empty); half a letter never is.
		only := newCampaign(uniq("calls-only"))
		only.CallsOnly, only.CallScriptEN, only.Subject, only.Template, only.OrganizationStatement = true, "Hello.", "", "", ""
		stored, err := s.CreateCampaign(ctx, only, store.Audit{ActorID: u.ID})
		if err != nil || stored.Template != "" || stored.Subject != "" || !stored.CallsOnly {
			t.Fatalf("calls-only without a letter: %+v %v", stored, err)
		}
		half := newCampaign(uniq("calls-half"))
		half.CallsOnly, half.CallScriptEN, half.Template = true, "Hello.", ""
		if _, err := s.CreateCampaign(ctx, half, store.Audit{ActorID: u.ID}); err == nil {
			t.Error("a subject without a body was stored")
		}
	})
}

// One outcome per office per call page: a second report, a replay, or
// forty parallel reports of the same page and office count one call;
// other offices and other pages count on their own. Nothing about the
// caller is stored, and expired claims are pruned.
func TestLogCallCountsOncePerPageAndOffice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := campaignUser(t, s)
		cm, err := s.CreateCampaign(ctx, newCampaign(uniq("calls")), store.Audit{ActorID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 12, 5, 15, 0, 0, 0, time.UTC)
		log := func(nonce, office, outcome string, at time.Time) (bool, string) {
			t.Helper()
			ok, first, err := s.LogCall(ctx, store.CallLog{Nonce: nonce, CampaignID: cm.ID, BioguideID: office, Chamber: "senate",
				State: "CA", Party: "Democrat", Outcome: outcome, At: at, Expires: now.Add(12 * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			return ok, first
		}
		n1, n2 := uniq("page"), uniq("page")
		if ok, first := log(n1, "P000145", "reached", now); !ok || first != "reached" {
			t.Fatalf("first report: %v %q", ok, first)
		}
		if ok, first := log(n1, "P000145", "voicemail", now); ok || first != "reached" {
			t.Errorf("second report of the same office on the same page counted: %v %q", ok, first)
		}
		log(n1, "S001150", "voicemail", now)
		log(n2, "P000145", "busy", now)
		log(n2, "S001150", "skipped", now.AddDate(0, 1, 0)) // January

		// Parallel reports of one page and office: exactly one counts.
		n3 := uniq("page")
		var wg sync.WaitGroup
		var mu sync.Mutex
		counted := 0
		for range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, _, err := s.LogCall(ctx, store.CallLog{Nonce: n3, CampaignID: cm.ID, BioguideID: "P000145", Chamber: "senate",
					State: "CA", Party: "Democrat", Outcome: "reached", At: now, Expires: now.Add(time.Hour)})
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					mu.Lock()
					counted++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if counted != 1 {
			t.Errorf("%d of 40 parallel reports counted, want 1", counted)
		}

		claims, err := s.CallClaims(ctx, n1)
		if err != nil || len(claims) != 2 || claims["P000145"] != "reached" || claims["S001150"] != "voicemail" {
			t.Errorf("claims %v %v", claims, err)
		}

		byOffice, err := s.CallMetrics(ctx, store.MetricsQuery{GroupBy: "office", CampaignID: cm.ID})
		if err != nil || len(byOffice) != 2 {
			t.Fatalf("by office %+v %v", byOffice, err)
		}
		want := map[string]store.CallTally{
			"P000145": {Reached: 2, Busy: 1, Total: 3},
			"S001150": {Voicemail: 1, Skipped: 1, Total: 2},
		}
		for _, g := range byOffice {
			if g.CallTally != want[g.Key] || g.Chamber != "senate" || g.State != "CA" || g.Party != "Democrat" {
				t.Errorf("office %s: %+v, want %+v", g.Key, g, want[g.Key])
			}
		}
		total, err := s.CallMetrics(ctx, store.MetricsQuery{CampaignID: cm.ID})
		if err != nil || len(total) != 1 || total[0].Total != 5 {
			t.Errorf("total %+v %v", total, err)
		}
		dec, err := s.CallMetrics(ctx, store.MetricsQuery{GroupBy: "month", CampaignID: cm.ID, FromMonth: "2026-12", ToMonth: "2026-12"})
		if err != nil || len(dec) != 1 || dec[0].Key != "2026-12" || dec[0].Total != 4 {
			t.Errorf("December %+v %v", dec, err)
		}
		ch, err := s.CallMetrics(ctx, store.MetricsQuery{GroupBy: "channel", CampaignID: cm.ID})
		if err != nil || len(ch) != 1 || ch[0].Key != "phone" || ch[0].Total != 5 {
			t.Errorf("by channel %+v %v", ch, err)
		}
		byCampaign, err := s.CallMetrics(ctx, store.MetricsQuery{GroupBy: "campaign", State: "CA"})
		found := false
		for _, g := range byCampaign {
			found = found || (g.Key == itoa(cm.ID) && g.Total == 5)
		}
		if err != nil || !found {
			t.Errorf("by campaign %+v %v", byCampaign, err)
		}
		if _, err := s.CallMetrics(ctx, store.MetricsQuery{GroupBy: "nonsense"}); err == nil {
			t.Error("unknown grouping accepted")
		}

		// The response metrics carry the calls of each group, beside the
		// letters (none here).
		rm, err := s.ResponseMetrics(ctx, store.MetricsQuery{GroupBy: "office", CampaignID: cm.ID})
		if err != nil || len(rm) != 2 || rm[0].Key != "P000145" || rm[0].Calls != want["P000145"] || rm[0].Letters != 0 ||
			rm[0].Chamber != "senate" || rm[1].Calls != want["S001150"] {
			t.Errorf("response metrics %+v %v", rm, err)
		}
		if rm, err := s.ResponseMetrics(ctx, store.MetricsQuery{GroupBy: "channel", CampaignID: cm.ID}); err != nil || len(rm) != 1 ||
			rm[0].Key != "phone" || rm[0].Calls.Total != 5 {
			t.Errorf("response metrics by channel %+v %v", rm, err)
		}

		// The pages expire: their claims go, the counts stay.
		pruned, err := s.PruneCallClaims(ctx, now.Add(13*time.Hour))
		if err != nil || pruned < 5 {
			t.Errorf("pruned %d %v", pruned, err)
		}
		if claims, _ := s.CallClaims(ctx, n1); len(claims) != 0 {
			t.Errorf("claims after pruning: %v", claims)
		}
		if total, _ := s.CallMetrics(ctx, store.MetricsQuery{CampaignID: cm.ID}); len(total) != 1 || total[0].Total != 5 {
			t.Errorf("counts after pruning %+v", total)
		}
	})
}
