package store_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

func intp(n int) *int { return &n }

// joinViaAction is a supporter who wrote to campaign (one letter to their
// House office), asked to join and confirmed the double opt-in: it
// returns the email index and the letter's id.
func joinViaAction(t *testing.T, s *store.Store, campaignID int64, state string, district int, source, lang string) (string, int64) {
	t.Helper()
	ctx := context.Background()
	idx := uniq("sup")
	sub, err := s.CreateSubmission(ctx, store.Submission{CampaignID: campaignID, EmailIndex: idx, Lang: lang, Source: source},
		func(int64) (string, error) { return "-", nil })
	if err != nil {
		t.Fatal(err)
	}
	var letter int64
	ids, err := s.Confirm(ctx, sub.ID, store.Confirmation{Now: time.Now(), Build: func(sub store.Submission, _ map[string]bool) (store.Confirmed, error) {
		if sub.Source != source {
			t.Errorf("confirmed submission's source = %q, want %q", sub.Source, source)
		}
		return store.Confirmed{
			Letters: []store.NewLetter{{CampaignID: campaignID, SubmissionID: sub.ID, BioguideID: "H" + state + strings.Repeat("0", 5), OfficeCode: "H" + state,
				Chamber: "house", State: state, District: intp(district), Party: "Democrat", TemplateVer: 1, DeliveryID: uniq("d"), ReplyToken: uniq("r"),
				Seal: func(int64) (string, error) { return "-", nil }}},
			OptIn: &store.OptInRequest{Sealed: "sealed-" + idx, Lang: lang, State: state, District: intp(district), Source: source},
		}, nil
	}})
	if err != nil || len(ids) != 1 {
		t.Fatalf("confirm: %v %v", ids, err)
	}
	letter = ids[0]
	if err := s.ConfirmOptIn(ctx, idx); err != nil {
		t.Fatal(err)
	}
	return idx, letter
}

func segment(t *testing.T, s *store.Store, f store.SupporterFilter) []string {
	t.Helper()
	var out []string
	err := s.EachSupporterBatch(context.Background(), f, 2, func(b []store.Supporter) error {
		if len(b) > 2 {
			t.Errorf("batch of %d, asked for 2", len(b))
		}
		for _, sp := range b {
			if !sp.Sendable() {
				t.Errorf("segment streamed an unsendable supporter %+v", sp)
			}
			out = append(out, sp.EmailIndex)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func sorted(xs ...string) []string {
	slices.Sort(xs)
	return xs
}

// TestSupporterSegments: every filter of a segment is SQL on the list's
// columns, unsubscribed and suppressed supporters never stream, and the
// campaign conditions (has not written, office has not replied) hold.
func TestSupporterSegments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := campaignUser(t, s)
		c1, err := s.CreateCampaign(ctx, newCampaign(uniq("seg1")), store.Audit{ActorID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		c2, err := s.CreateCampaign(ctx, newCampaign(uniq("seg2")), store.Audit{ActorID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		src := uniq("src")
		ca12, ca12Letter := joinViaAction(t, s, c1.ID, "CA", 12, src, "en")
		ca13, _ := joinViaAction(t, s, c1.ID, "CA", 13, src, "es")
		tx7, _ := joinViaAction(t, s, c1.ID, "TX", 7, "", "en")
		ak, _ := joinViaAction(t, s, c2.ID, "AK", 0, src, "en")
		gone, _ := joinViaAction(t, s, c1.ID, "CA", 12, src, "en")
		bounced, _ := joinViaAction(t, s, c1.ID, "CA", 12, src, "en")
		// asked, never confirmed: not on the list
		pendingIdx := uniq("pending")
		sub, err := s.CreateSubmission(ctx, store.Submission{CampaignID: c1.ID, EmailIndex: pendingIdx, Lang: "en", Source: src},
			func(int64) (string, error) { return "-", nil })
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Confirm(ctx, sub.ID, store.Confirmation{Now: time.Now(), Build: func(store.Submission, map[string]bool) (store.Confirmed, error) {
			return store.Confirmed{OptIn: &store.OptInRequest{Sealed: "x", Lang: "en", State: "CA", District: intp(12), Source: src}}, nil
		}}); err != nil {
			t.Fatal(err)
		}
		if err := s.Unsubscribe(ctx, gone, "unsubscribe"); err != nil {
			t.Fatal(err)
		}
		if err := s.Suppress(ctx, bounced, "bounce"); err != nil {
			t.Fatal(err)
		}

		bySource := store.SupporterFilter{Source: src}
		if got, want := segment(t, s, bySource), sorted(ca12, ca13, ak); !slices.Equal(got, want) {
			t.Errorf("source segment = %v, want %v (no unsubscribed, suppressed or unconfirmed)", got, want)
		}
		// the staff list's other statuses
		left, err := s.ListSupporters(ctx, store.SupporterFilter{Source: src, Status: store.SupportersLeft}, 10, 0)
		if err != nil || len(left) != 2 {
			t.Fatalf("left = %+v, %v", left, err)
		}
		if n, err := s.CountSupporters(ctx, store.SupporterFilter{Source: src, Status: store.SupportersAll}); err != nil || n != 5 {
			t.Errorf("all = %d, %v", n, err)
		}
		if _, err := s.CountSupporters(ctx, store.SupporterFilter{Status: "bogus"}); err == nil {
			t.Error("unknown status accepted")
		}
		cases := []struct {
			name string
			f    store.SupporterFilter
			want []string
		}{
			{"state", store.SupporterFilter{Source: src, States: []string{"CA"}}, sorted(ca12, ca13)},
			{"district", store.SupporterFilter{Source: src, Districts: []store.District{{State: "CA", Number: 13}, {State: "AK", Number: 0}}}, sorted(ca13, ak)},
			{"lang", store.SupporterFilter{Source: src, Lang: "es"}, sorted(ca13)},
			{"campaign", store.SupporterFilter{CampaignID: c2.ID}, sorted(ak)},
			{"not written", store.SupporterFilter{Source: src, NotWrittenCampaignID: c1.ID}, sorted(ak)},
			{"not replied (none yet)", store.SupporterFilter{CampaignID: c1.ID, NotRepliedCampaignID: c1.ID}, sorted(ca12, ca13, tx7)},
			{"joined in the future", store.SupporterFilter{Source: src, From: time.Now().Add(time.Hour)}, nil},
			{"joined before now", store.SupporterFilter{Source: src, To: time.Now().Add(time.Minute)}, sorted(ca12, ca13, ak)},
			{"origin import", store.SupporterFilter{Source: src, Origin: store.OriginImport}, nil},
		}
		for _, tc := range cases {
			if got := segment(t, s, tc.f); !slices.Equal(got, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			}
		}
		// CA-12's office replies: its supporters leave the "not replied" segment.
		if _, err := s.LogResponse(ctx, store.ResponseLog{LetterID: ca12Letter, Kind: "written_reply", Substance: "acknowledgement", OccurredAt: time.Now()},
			store.Audit{Action: "response.log"}); err != nil {
			t.Fatal(err)
		}
		if got, want := segment(t, s, store.SupporterFilter{CampaignID: c1.ID, NotRepliedCampaignID: c1.ID}), sorted(ca13, tx7); !slices.Equal(got, want) {
			t.Errorf("not replied after CA-12's reply = %v, want %v", got, want)
		}
		counts, err := s.CountSupportersBy(ctx, bySource)
		if err != nil || counts.Total != 3 || counts.ByState["CA"] != 2 || counts.BySource[src] != 3 {
			t.Errorf("counts = %+v, %v", counts, err)
		}
		sp, err := s.SupporterByIndex(ctx, ca12)
		if err != nil || sp.State != "CA" || sp.District == nil || *sp.District != 12 || sp.Source != src || sp.CampaignID != c1.ID ||
			sp.Origin != store.OriginAction || sp.Sealed != "sealed-"+ca12 {
			t.Errorf("supporter = %+v, %v", sp, err)
		}
		if _, err := s.SupporterByIndex(ctx, pendingIdx); err == nil {
			t.Error("an unconfirmed opt-in is on the list")
		}
	})
}

// TestSupporterImport: consenting rows join the list, sealed as given;
// an unsubscribed or suppressed address is refused by line (never
// subscribed again), as is a repeat of an address in the file; the import
// is audited with counts only.
func TestSupporterImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := campaignUser(t, s)
		c, err := s.CreateCampaign(ctx, newCampaign(uniq("imp")), store.Audit{ActorID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		src := uniq("imp")
		member, _ := joinViaAction(t, s, c.ID, "CA", 12, "", "en")
		gone, _ := joinViaAction(t, s, c.ID, "CA", 12, "", "en")
		if err := s.Unsubscribe(ctx, gone, "unsubscribe"); err != nil {
			t.Fatal(err)
		}
		bounced := uniq("bounced") // never on the list, but suppressed
		if err := s.Suppress(ctx, bounced, "bounce"); err != nil {
			t.Fatal(err)
		}
		fresh, fresh2 := uniq("fresh"), uniq("fresh")
		rows := []store.SupporterImport{
			{Line: 2, EmailIndex: fresh, Sealed: "s1", Lang: "es", State: "NY", District: intp(10), Source: src},
			{Line: 3, EmailIndex: gone, Sealed: "s2", Lang: "en", Source: src},
			{Line: 4, EmailIndex: bounced, Sealed: "s3", Lang: "en", Source: src},
			{Line: 5, EmailIndex: member, Sealed: "s4", Lang: "en", Source: src},
			{Line: 6, EmailIndex: fresh, Sealed: "s5", Lang: "en", Source: src},
			{Line: 7, EmailIndex: fresh2, Sealed: "s6", Lang: "en", CampaignID: c.ID, Source: src},
		}
		rep, err := s.ImportSupporters(ctx, rows, time.Now(), store.Audit{ActorID: u.ID, Action: "supporters.import"})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Added != 2 || rep.Already != 1 || len(rep.Refused) != 3 {
			t.Fatalf("report = %+v", rep)
		}
		for i, line := range []int{3, 4, 6} {
			if rep.Refused[i].Line != line {
				t.Errorf("refused %d: %+v, want line %d", i, rep.Refused[i], line)
			}
		}
		if got, want := segment(t, s, store.SupporterFilter{Source: src}), sorted(fresh, fresh2); !slices.Equal(got, want) {
			t.Errorf("imported segment = %v, want %v", got, want)
		}
		if got := segment(t, s, store.SupporterFilter{Origin: store.OriginImport, CampaignID: c.ID}); !slices.Equal(got, []string{fresh2}) {
			t.Errorf("imported into campaign = %v", got)
		}
		sp, err := s.SupporterByIndex(ctx, fresh)
		if err != nil || sp.Sealed != "s1" || sp.Lang != "es" || sp.State != "NY" || *sp.District != 10 || sp.Origin != store.OriginImport {
			t.Errorf("imported supporter = %+v, %v", sp, err)
		}
		g, err := s.SupporterByIndex(ctx, gone)
		if err != nil || g.Sendable() {
			t.Errorf("unsubscribed supporter after import = %+v, %v", g, err)
		}
		if err := s.ConfirmOptIn(ctx, gone); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an unsubscribed address confirmed a new opt-in: %v", err)
		}
		log, err := s.AuditLog(ctx, 0, 20)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range log {
			if e.Action == "supporters.import" {
				found = true
				if e.Detail != "added 2, confirmed 0, already on the list 1, refused 3" {
					t.Errorf("audit detail %q", e.Detail)
				}
			}
		}
		if !found {
			t.Error("import not audited")
		}
	})
}

// TestSourceGrouping: letters, submissions and confirmations by the
// source of the link, from the rollups and the submission counts.
func TestSourceGrouping(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := campaignUser(t, s)
		c, err := s.CreateCampaign(ctx, newCampaign(uniq("src")), store.Audit{ActorID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		joinViaAction(t, s, c.ID, "CA", 12, "newsletter", "en")
		joinViaAction(t, s, c.ID, "CA", 13, "newsletter", "en")
		joinViaAction(t, s, c.ID, "TX", 7, "", "en")
		// a submission never confirmed
		if _, err := s.CreateSubmission(ctx, store.Submission{CampaignID: c.ID, EmailIndex: uniq("p"), Lang: "en", Source: "share-sms"},
			func(int64) (string, error) { return "-", nil }); err != nil {
			t.Fatal(err)
		}
		if err := s.RefreshRollups(ctx); err != nil {
			t.Fatal(err)
		}
		gs, err := s.ResponseMetrics(ctx, store.MetricsQuery{GroupBy: "source", CampaignID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		nl := groupOf(t, gs, "newsletter")
		if nl.Letters != 2 || nl.Submissions != 2 || nl.Confirmed != 2 {
			t.Errorf("newsletter = %+v", nl)
		}
		if none := groupOf(t, gs, ""); none.Letters != 1 || none.Confirmed != 1 {
			t.Errorf("no source = %+v", none)
		}
		if sms := groupOf(t, gs, "share-sms"); sms.Letters != 0 || sms.Submissions != 1 || sms.Confirmed != 0 {
			t.Errorf("share-sms = %+v", sms)
		}
		// the other groupings still add up to every letter once
		tot, err := s.ResponseMetrics(ctx, store.MetricsQuery{CampaignID: c.ID})
		if err != nil || len(tot) != 1 || tot[0].Letters != 3 {
			t.Errorf("total = %+v, %v", tot, err)
		}
		// a changed office's refresh keeps the sources apart
		if _, _, err := s.RefreshChangedRollups(ctx, 100); err != nil {
			t.Fatal(err)
		}
		gs, err = s.ResponseMetrics(ctx, store.MetricsQuery{GroupBy: "source", CampaignID: c.ID, FromMonth: time.Now().UTC().Format("2006-01")})
		if err != nil || groupOf(t, gs, "newsletter").Letters != 2 {
			t.Errorf("by source in this month = %+v, %v", gs, err)
		}
	})
}

// TestSupportersMigrationGoesDownAndUp runs migration 00026 down and up
// again on both dialects: the schema ends as it started, and the
// submissions made before it are counted (no source) by the month they
// were made.
func TestSupportersMigrationGoesDownAndUp(t *testing.T) {
	storetest.EachEmpty(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		u := campaignUser(t, st)
		c, err := st.CreateCampaign(ctx, newCampaign(uniq("mig26")), store.Audit{ActorID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		joinViaAction(t, st, c.ID, "CA", 12, "newsletter", "en")
		if err := st.RefreshRollups(ctx); err != nil {
			t.Fatal(err)
		}
		before := schema(t, st)
		p := migrationsOf(t, st)
		if _, err := p.DownTo(ctx, 25); err != nil {
			t.Fatalf("down: %v", err)
		}
		if cols := schema(t, st)["optins"]; slices.Contains(cols, "source") {
			t.Fatalf("after down: %v", cols)
		}
		if _, err := p.Up(ctx); err != nil {
			t.Fatalf("up again: %v", err)
		}
		if after := schema(t, st); !reflect.DeepEqual(before, after) {
			t.Errorf("schema changed:\nbefore %v\nafter  %v", before, after)
		}
		if err := st.RefreshRollups(ctx); err != nil {
			t.Fatal(err)
		}
		gs, err := st.ResponseMetrics(ctx, store.MetricsQuery{GroupBy: "source", CampaignID: c.ID, FromMonth: time.Now().UTC().Format("2006-01")})
		if err != nil || len(gs) != 1 || gs[0].Key != "" || gs[0].Submissions != 1 || gs[0].Confirmed != 1 || gs[0].Letters != 1 {
			t.Fatalf("after down and up (the source went with the column) = %+v, %v", gs, err)
		}
	})
}
