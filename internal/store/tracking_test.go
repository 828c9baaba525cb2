package store_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/tracking"
)

type trackFixture struct {
	campaignID int64
	a, b       []int64 // letters to office A (house, CA, D) and B (senate, TX, R)
}

// trackLetters writes n submissions, each with one letter to A and one to B.
func trackLetters(t *testing.T, s *store.Store, n int) trackFixture {
	t.Helper()
	ctx := context.Background()
	u := campaignUser(t, s)
	c, err := s.CreateCampaign(ctx, newCampaign(uniq("track")), store.Audit{ActorID: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	f := trackFixture{campaignID: c.ID}
	for i := 0; i < n; i++ {
		sub, err := s.CreateSubmission(ctx, store.Submission{CampaignID: c.ID, EmailIndex: uniq("e"), Lang: "en"},
			func(int64) (string, error) { return "-", nil })
		if err != nil {
			t.Fatal(err)
		}
		ids, err := s.CreateLetters(ctx, []store.NewLetter{
			{CampaignID: c.ID, SubmissionID: sub.ID, BioguideID: "A000001", OfficeCode: "HCA11", Chamber: "house", State: "CA", Party: "Democrat",
				TemplateVer: 1, DeliveryID: uniq("d"), ReplyToken: uniq("r"), Seal: func(int64) (string, error) { return "-", nil }},
			{CampaignID: c.ID, SubmissionID: sub.ID, BioguideID: "B000002", OfficeCode: "STX01", Chamber: "senate", State: "TX", Party: "Republican",
				TemplateVer: 1, DeliveryID: uniq("d"), ReplyToken: uniq("r"), Seal: func(int64) (string, error) { return "-", nil }},
		}, nil)
		if err != nil || len(ids) != 2 {
			t.Fatalf("letters %v %v", ids, err)
		}
		f.a, f.b = append(f.a, ids[0]), append(f.b, ids[1])
	}
	return f
}

func groupOf(t *testing.T, gs []store.MetricGroup, key string) store.MetricGroup {
	t.Helper()
	for _, g := range gs {
		if g.Key == key {
			return g
		}
	}
	t.Fatalf("no group %q in %+v", key, gs)
	return store.MetricGroup{}
}

// A hand-built data set with known answers:
// office A: 6 letters, 5 delivered 20 days ago and 1 failed; replies after 2 days
// (substantive, staff), 4 days (acknowledgement, staff), and a survey saying
// "substantive" today (day 20); one survey says "no reply yet" (censored), one
// letter has nothing (censored). KM: n=5, S(2)=4/5, S(4)=3/5, S(20)=2/5:
// median 20 days, 90th percentile undefined.
// office B: 6 letters, 2 delivered 10 days ago answered by one office-level
// meeting 7 days ago (day 3), 4 still pending (not delivered, not counted).
// All: 7 delivered; S(2)=6/7, S(3)=4/7, S(4)=3/7: median 4 days.
func TestTrackingMetricsKnownAnswers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := trackLetters(t, s, 6)
		now := time.Now().UTC()
		for _, id := range f.a[:5] {
			if err := s.MarkSent(ctx, id, "cwc", "p", "ok", true, now.Add(-20*24*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.MarkFailed(ctx, f.a[5], "cwc", "refused", now); err != nil {
			t.Fatal(err)
		}
		for _, id := range f.b[:2] {
			if err := s.MarkSent(ctx, id, "sendgrid", "p", "ok", true, now.Add(-10*24*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		log := func(r store.ResponseLog) int {
			t.Helper()
			n, err := s.LogResponse(ctx, r, store.Audit{Action: "response.log"})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		log(store.ResponseLog{LetterID: f.a[0], Kind: "written_reply", Substance: "substantive", OccurredAt: now.Add(-18 * 24 * time.Hour)})
		log(store.ResponseLog{LetterID: f.a[1], Kind: "call", Substance: "acknowledgement", OccurredAt: now.Add(-16*24*time.Hour + time.Hour)})
		if err := s.RecordSurveyAnswer(ctx, f.a[2], "no_reply_yet", ""); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordSurveyAnswer(ctx, f.a[2], "replied_substantive", "they wrote back"); err != nil { // replaces the first
			t.Fatal(err)
		}
		if err := s.RecordSurveyAnswer(ctx, f.a[3], "no_reply_yet", ""); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordSurveyAnswer(ctx, f.a[3], "maybe", ""); !errors.Is(err, store.ErrInvalidResponse) {
			t.Fatalf("unknown answer: %v", err)
		}
		if n := log(store.ResponseLog{CampaignID: f.campaignID, BioguideID: "B000002", AllOpen: true, Kind: "meeting", Substance: "substantive",
			OccurredAt: now.Add(-7 * 24 * time.Hour)}); n != 2 {
			t.Fatalf("office-level response applied to %d letters, want 2", n)
		}
		if _, err := s.LogResponse(ctx, store.ResponseLog{CampaignID: f.campaignID, BioguideID: "B000002", AllOpen: true, Kind: "meeting",
			Substance: "substantive", OccurredAt: now}, store.Audit{}); !errors.Is(err, store.ErrInvalidResponse) {
			t.Fatalf("no open letters left: %v", err)
		}
		if _, err := s.LogResponse(ctx, store.ResponseLog{LetterID: f.a[4], Kind: "call", Substance: "substantive", Note: "<b>hi</b>",
			OccurredAt: now}, store.Audit{}); !errors.Is(err, store.ErrInvalidResponse) {
			t.Fatalf("markup in note: %v", err)
		}
		if err := s.RefreshRollups(ctx); err != nil {
			t.Fatal(err)
		}
		gs, err := s.ResponseMetrics(ctx, store.MetricsQuery{GroupBy: "office", CampaignID: f.campaignID})
		if err != nil {
			t.Fatal(err)
		}
		a, b := groupOf(t, gs, "A000001"), groupOf(t, gs, "B000002")
		if a.Letters != 6 || a.Delivered != 5 || a.Failed != 1 || a.Replied != 3 || a.Substantive != 2 {
			t.Errorf("office A %+v", a)
		}
		if b.Letters != 6 || b.Delivered != 2 || b.Failed != 0 || b.Replied != 2 || b.Substantive != 2 {
			t.Errorf("office B %+v", b)
		}
		ka := tracking.KaplanMeier(a.Times)
		if m, ok := ka.Median(); !ok || m != 20 || ka.N != 5 || ka.Censored != 2 {
			t.Errorf("A median %d %v, curve %+v", m, ok, ka)
		}
		if _, ok := ka.Quantile(0.9); ok {
			t.Error("A p90 should be undefined")
		}
		if s := ka.Steps[1].Survival; math.Abs(s-0.6) > 1e-9 {
			t.Errorf("A S(4) = %v", s)
		}
		kb := tracking.KaplanMeier(b.Times)
		if m, _ := kb.Median(); m != 3 {
			t.Errorf("B median %d", m)
		}
		tot, err := s.ResponseMetrics(ctx, store.MetricsQuery{CampaignID: f.campaignID})
		if err != nil || len(tot) != 1 {
			t.Fatalf("total %v %v", tot, err)
		}
		if m, _ := tracking.KaplanMeier(tot[0].Times).Median(); m != 4 || tot[0].Delivered != 7 || tot[0].Replied != 5 {
			t.Errorf("total median %d, %+v", m, tot[0])
		}
		if m := store.MergeGroups(gs, func(store.MetricGroup) string { return "" }); len(m) != 1 || m[0].Delivered != 7 || m[0].Replied != 5 ||
			len(tracking.KaplanMeier(m[0].Times).Steps) != len(tracking.KaplanMeier(tot0(t, s, f.campaignID)).Steps) {
			t.Errorf("offices added up %+v", m)
		}
		if a.Party != "Democrat" || a.Chamber != "house" || a.State != "CA" {
			t.Errorf("office attributes %+v", a)
		}
		// filters and other groupings
		sen, err := s.ResponseMetrics(ctx, store.MetricsQuery{GroupBy: "party", CampaignID: f.campaignID, Chamber: "senate"})
		if err != nil || len(sen) != 1 || sen[0].Key != "Republican" || sen[0].Replied != 2 {
			t.Errorf("senate by party %+v %v", sen, err)
		}
		byCh, err := s.ResponseMetrics(ctx, store.MetricsQuery{GroupBy: "channel", CampaignID: f.campaignID})
		if err != nil || groupOf(t, byCh, "sendgrid").Delivered != 2 || groupOf(t, byCh, "cwc").Delivered != 5 {
			t.Errorf("by channel %+v %v", byCh, err)
		}
		byCamp, err := s.ResponseMetrics(ctx, store.MetricsQuery{GroupBy: "campaign", CampaignID: f.campaignID})
		if err != nil || len(byCamp) != 1 || byCamp[0].Key != fmt.Sprint(f.campaignID) {
			t.Errorf("by campaign %+v %v", byCamp, err)
		}
		if _, err := s.ResponseMetrics(ctx, store.MetricsQuery{GroupBy: "x; DROP TABLE letters"}); !errors.Is(err, store.ErrInvalidResponse) {
			t.Errorf("bad group: %v", err)
		}

		// the export carries each letter's status and its reply
		seen, replied := 0, 0
		if err := s.ExportLetters(ctx, f.campaignID, false, func(e store.LetterExport) error {
			seen++
			if e.Response != nil && e.Response.Substance != store.SubstanceNone {
				replied++
			}
			return nil
		}); err != nil || seen != 12 || replied != 5 {
			t.Errorf("export: %d letters, %d replied, %v", seen, replied, err)
		}
	})
}

func TestTrackingInboundAndOptIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := trackLetters(t, s, 2)
		now := time.Now().UTC()
		if err := s.MarkSent(ctx, f.a[0], "sendgrid", "p", "ok", true, now.Add(-3*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		var sealedFor int64
		id, err := s.AddInboundReply(ctx, store.InboundReply{LetterID: f.a[0]}, func(id int64) (string, error) {
			sealedFor = id
			return "k.sealed-" + strconv.FormatInt(id, 10), nil
		})
		if err != nil || sealedFor != id {
			t.Fatalf("sealed for row %d, stored as %d: %v", sealedFor, id, err)
		}
		if _, err := s.AddInboundReply(ctx, store.InboundReply{LetterID: f.a[0]}, func(int64) (string, error) {
			return "", errors.New("no key")
		}); err == nil {
			t.Fatal("a reply that cannot be sealed was stored")
		}
		pend, err := s.InboundReplies(ctx, "pending", 500)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range pend {
			if r.ID == id {
				found = true
				if r.Sealed != "k.sealed-"+strconv.FormatInt(id, 10) || r.CampaignID != f.campaignID {
					t.Errorf("reply sealed %q, campaign %d", r.Sealed, r.CampaignID)
				}
			}
		}
		if !found {
			t.Fatal("reply not queued")
		}
		if err := s.ClassifyInboundReply(ctx, id, "bogus", store.Audit{}); !errors.Is(err, store.ErrInvalidResponse) {
			t.Fatal(err)
		}
		if err := s.ClassifyInboundReply(ctx, id, "acknowledgement", store.Audit{Action: "reply.classify"}); err != nil {
			t.Fatal(err)
		}
		if err := s.ClassifyInboundReply(ctx, id, "discard", store.Audit{}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second decision: %v", err)
		}
		gs, err := s.ResponseMetrics(ctx, store.MetricsQuery{GroupBy: "office", CampaignID: f.campaignID})
		if err != nil || groupOf(t, gs, "A000001").Replied != 1 {
			t.Fatalf("classified reply not in the rollups: %+v %v", gs, err)
		}
		if on, _ := s.PublicResponsiveness(ctx, f.campaignID); on {
			t.Fatal("opt-in should default off")
		}
		if err := s.SetPublicResponsiveness(ctx, f.campaignID, true, store.Audit{Action: "tracking.public"}); err != nil {
			t.Fatal(err)
		}
		if on, _ := s.PublicResponsiveness(ctx, f.campaignID); !on {
			t.Fatal("opt-in not saved")
		}
		if err := s.SetPublicResponsiveness(ctx, 99999999, true, store.Audit{}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown campaign: %v", err)
		}
	})
}

// The generator's data set has answers known from its rules.
func TestTrackingGeneratedDataSet(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := trackLetters(t, s, 0)
		now := time.Now().UTC().Truncate(time.Second)
		offices := []store.GenOffice{{"G1", "HCA01", "house", "CA", "Democrat"}, {"G2", "SNY01", "senate", "NY", "Republican"}}
		g := store.TrackingGen{CampaignID: f.campaignID, Offices: offices, Channels: []string{"cwc", "sendgrid"}, Letters: 1000, Now: now,
			Spread: 100 * 24 * time.Hour, FailEvery: 7, ReplyEvery: 3, SubstantiveEvery: 2, ReplyDays: []int{1, 5}}
		nl, nr, err := s.GenerateTracking(ctx, g)
		if err != nil || nl != 1000 {
			t.Fatal(nl, err)
		}
		// expected, from the rules
		var failed, replied, subst int64
		step := g.Spread / 1000
		for i := 0; i < 1000; i++ {
			if i%7 == 0 {
				failed++
				continue
			}
			if i%3 != 0 {
				continue
			}
			d := g.ReplyDays[(i/3)%2]
			at := now.Add(-time.Duration(i+1) * step).Add(time.Duration(d)*24*time.Hour + time.Hour)
			if at.After(now) {
				continue
			}
			replied++
			if i%2 == 0 {
				subst++
			}
		}
		if int64(nr) != replied {
			t.Fatalf("generator wrote %d responses, rules say %d", nr, replied)
		}
		if err := s.RefreshRollups(ctx); err != nil {
			t.Fatal(err)
		}
		tot, err := s.ResponseMetrics(ctx, store.MetricsQuery{CampaignID: f.campaignID})
		if err != nil || len(tot) != 1 {
			t.Fatal(tot, err)
		}
		got := tot[0]
		if got.Letters != 1000 || got.Failed != failed || got.Delivered != 1000-failed || got.Replied != replied || got.Substantive != subst {
			t.Errorf("got %+v, want failed %d replied %d substantive %d", got, failed, replied, subst)
		}
		c := tracking.KaplanMeier(got.Times)
		if c.N != int(got.Delivered) || c.Events != int(replied) {
			t.Errorf("curve rests on %d letters with %d replies", c.N, c.Events)
		}
		byMonth, err := s.ResponseMetrics(ctx, store.MetricsQuery{GroupBy: "month", CampaignID: f.campaignID})
		if err != nil || len(byMonth) < 3 {
			t.Errorf("by month %d groups %v", len(byMonth), err)
		}
		var sum int64
		for _, m := range byMonth {
			sum += m.Letters
		}
		if sum != 1000 {
			t.Errorf("months add up to %d", sum)
		}
	})
}

func tot0(t *testing.T, s *store.Store, campaignID int64) []tracking.Obs {
	t.Helper()
	gs, err := s.ResponseMetrics(context.Background(), store.MetricsQuery{CampaignID: campaignID})
	if err != nil || len(gs) != 1 {
		t.Fatal(gs, err)
	}
	return gs[0].Times
}

// Requests to refresh the rollups that arrive together make one refresh:
// the check of when they were last refreshed is made under the refresh's
// lock, so the others find them fresh and write nothing; once the window
// has passed, the next refreshes.
func TestRefreshRollupsUnlessFreshRefreshesOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if err := s.RefreshRollups(ctx); err != nil { // an earlier refresh, long ago
			t.Fatal(err)
		}
		if err := s.SetSetting(ctx, "tracking.rollups_refreshed_at", time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)); err != nil {
			t.Fatal(err)
		}
		const n = 6
		var wg sync.WaitGroup
		refreshed := make([]bool, n)
		ats := make([]time.Time, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				refreshed[i], ats[i], errs[i] = s.RefreshRollupsUnlessFresh(ctx, time.Minute)
			}()
		}
		wg.Wait()
		count := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("refresh %d: %v", i, errs[i])
			}
			if refreshed[i] {
				count++
			}
			if time.Since(ats[i]) > 30*time.Second {
				t.Errorf("refresh %d says the rollups were refreshed at %v", i, ats[i])
			}
		}
		if count != 1 {
			t.Errorf("%d of %d concurrent requests refreshed the rollups, want 1", count, n)
		}
		if ok, _, err := s.RefreshRollupsUnlessFresh(ctx, time.Minute); err != nil || ok {
			t.Errorf("a request within the window refreshed: %v %v", ok, err)
		}
		if ok, _, err := s.RefreshRollupsUnlessFresh(ctx, time.Nanosecond); err != nil || !ok {
			t.Errorf("a request past the window did not refresh: %v %v", ok, err)
		}
	})
}
