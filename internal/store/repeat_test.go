package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

func firstLetter(campID, subID int64, office string) store.NewLetter {
	tok := uniq(fmt.Sprintf("r%d-%s-", subID, office))
	return store.NewLetter{CampaignID: campID, SubmissionID: subID, BioguideID: office, OfficeCode: "H" + office, Chamber: "house", State: "CA",
		TemplateVer: 1, DeliveryID: tok, ReplyToken: tok, Seal: func(int64) (string, error) { return "x", nil }}
}

// TestConfirmOfTwoSubmissionsOfOneEmailWritesEachOfficeOnce: the letters
// of two submissions of one email, confirmed in parallel, go to each
// office once; the confirmation that lost an office is told so, and only
// written letters reach Jobs. A letter stored without an email index
// takes its submission's.
func TestConfirmOfTwoSubmissionsOfOneEmailWritesEachOfficeOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		camp, err := st.CreateCampaign(ctx, newCampaign(uniq("rep-")), store.Audit{Action: "test"})
		if err != nil {
			t.Fatal(err)
		}
		email := uniq("idx-")
		offices := []string{"A000001", "B000002", "C000003"}
		for round := range 10 {
			var subs []store.Submission
			for range 2 {
				sub, err := st.CreateSubmission(ctx, store.Submission{CampaignID: camp.ID, EmailIndex: fmt.Sprint(email, round)}, func(int64) (string, error) { return "x", nil })
				if err != nil {
					t.Fatal(err)
				}
				subs = append(subs, sub)
			}
			var mu sync.Mutex
			skipped := map[string]int{}
			jobbed := map[int64]bool{}
			var wg sync.WaitGroup
			gate := make(chan struct{})
			errs := make([]error, len(subs))
			for i, sub := range subs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-gate
					_, errs[i] = st.Confirm(ctx, sub.ID, store.Confirmation{Now: time.Now(),
						Build: func(sub store.Submission, already map[string]bool) (store.Confirmed, error) {
							var out store.Confirmed
							for _, o := range offices {
								if !already[o] {
									out.Letters = append(out.Letters, firstLetter(camp.ID, sub.ID, o))
								}
							}
							return out, nil
						},
						Skipped: func(o []string) {
							mu.Lock()
							defer mu.Unlock()
							for _, b := range o {
								skipped[b]++
							}
						},
						Jobs: func(_ context.Context, _ *sql.Tx, _ store.Submission, ids []int64) error {
							mu.Lock()
							defer mu.Unlock()
							for _, id := range ids {
								jobbed[id] = true
							}
							return nil
						}})
				}()
			}
			close(gate)
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			written, err := st.WrittenOffices(ctx, camp.ID, fmt.Sprint(email, round))
			if err != nil || len(written) != 3 {
				t.Fatalf("round %d: offices written = %v, %v", round, written, err)
			}
			n := 0
			for _, sub := range subs {
				ls, err := st.SubmissionLetters(ctx, sub.ID)
				if err != nil {
					t.Fatal(err)
				}
				n += len(ls)
				for _, l := range ls {
					if !jobbed[l.ID] {
						t.Errorf("round %d: letter %d was written but not given to Jobs", round, l.ID)
					}
				}
			}
			if n != 3 || len(jobbed) != 3 {
				t.Fatalf("round %d: %d letters, %d given to Jobs; want 3", round, n, len(jobbed))
			}
			for _, o := range offices {
				if skipped[o] > 1 {
					t.Errorf("round %d: %s reported skipped %d times", round, o, skipped[o])
				}
			}
		}
		// CreateLetters without an email index: the submission's is used,
		// so a repeat through the shared insert is skipped too.
		sub, _ := st.CreateSubmission(ctx, store.Submission{CampaignID: camp.ID, EmailIndex: email + "0"}, func(int64) (string, error) { return "x", nil })
		ids, err := st.CreateLetters(ctx, []store.NewLetter{firstLetter(camp.ID, sub.ID, "A000001"), firstLetter(camp.ID, sub.ID, "D000004")}, nil)
		if err != nil || len(ids) != 1 {
			t.Fatalf("CreateLetters with one repeat: %v %v", ids, err)
		}
		if l, _ := st.LetterByID(ctx, ids[0]); l.BioguideID != "D000004" {
			t.Errorf("the letter written is to %s", l.BioguideID)
		}
		// Erased, the supporter's letters no longer carry the email's
		// index: the same address starting over writes anew.
		if _, err := st.EraseSupporter(ctx, email+"0", store.Audit{Action: "supporter.erase"}); err != nil {
			t.Fatal(err)
		}
		var left int64
		if err := st.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM letters WHERE email_index = $1", email+"0").Scan(&left); err != nil || left != 0 {
			t.Fatalf("letters keep the erased email's index: %d %v", left, err)
		}
		if w, _ := st.WrittenOffices(ctx, camp.ID, email+"0"); len(w) != 0 {
			t.Errorf("offices written after erasure: %v", w)
		}
		again, _ := st.CreateSubmission(ctx, store.Submission{CampaignID: camp.ID, EmailIndex: email + "0"}, func(int64) (string, error) { return "x", nil })
		if ids, err := st.CreateLetters(ctx, []store.NewLetter{firstLetter(camp.ID, again.ID, "A000001")}, nil); err != nil || len(ids) != 1 {
			t.Fatalf("writing again after erasure: %v %v", ids, err)
		}
	})
}

// TestSubmissionLimitsHoldUnderParallelRequests: n goroutines released at
// once against a limit of m store exactly m submissions.
func TestSubmissionLimitsHoldUnderParallelRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		camp, err := st.CreateCampaign(ctx, newCampaign(uniq("lim-")), store.Audit{Action: "test"})
		if err != nil {
			t.Fatal(err)
		}
		email, ip := uniq("e-"), uniq("ip-")
		since := time.Now().Add(-time.Hour)
		const n = 24
		var wg sync.WaitGroup
		gate := make(chan struct{})
		results := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				_, results[i] = st.CreateSubmission(ctx, store.Submission{CampaignID: camp.ID, EmailIndex: email, IPHash: ip},
					func(int64) (string, error) { return "x", nil },
					store.SubmissionLimit{Column: "ip_hash", Value: ip, Max: 20, Since: since},
					store.SubmissionLimit{Column: "email_index", Value: email, Max: 5, Since: since})
			}()
		}
		close(gate)
		wg.Wait()
		ok, limited := 0, 0
		for _, err := range results {
			var le *store.LimitError
			switch {
			case err == nil:
				ok++
			case errors.As(err, &le) && le.Column == "email_index":
				limited++
			default:
				t.Fatalf("unexpected error: %v", err)
			}
		}
		if ok != 5 || limited != n-5 {
			t.Fatalf("%d stored, %d refused; want 5 and %d", ok, limited, n-5)
		}
		if c, _ := st.CountSubmissionsSince(ctx, "email_index", email, since); c != 5 {
			t.Fatalf("%d submissions stored", c)
		}
		// Per IP, other emails: 15 more fit under 20.
		results = make([]error, n)
		gate = make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				e := fmt.Sprint(email, "-", i)
				_, results[i] = st.CreateSubmission(ctx, store.Submission{CampaignID: camp.ID, EmailIndex: e, IPHash: ip},
					func(int64) (string, error) { return "x", nil },
					store.SubmissionLimit{Column: "ip_hash", Value: ip, Max: 20, Since: since},
					store.SubmissionLimit{Column: "email_index", Value: e, Max: 5, Since: since})
			}()
		}
		close(gate)
		wg.Wait()
		ok = 0
		for _, err := range results {
			if err == nil {
				ok++
			}
		}
		if c, _ := st.CountSubmissionsSince(ctx, "ip_hash", ip, since); ok != 15 || c != 20 {
			t.Fatalf("per IP: %d more stored, %d in all; want 15 and 20", ok, c)
		}
	})
}

// TestRepeatMigrationKeepsOldDuplicates: letters written twice before the
// constraint existed stay; the oldest keeps the email index, so the
// unique index can be built, and an erased supporter's letters have none.
func TestRepeatMigrationKeepsOldDuplicates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		camp, err := st.CreateCampaign(ctx, newCampaign(uniq("mig10-")), store.Audit{Action: "test"})
		if err != nil {
			t.Fatal(err)
		}
		email := uniq("dup-")
		var subs []store.Submission
		for range 3 {
			sub, err := st.CreateSubmission(ctx, store.Submission{CampaignID: camp.ID, EmailIndex: email}, func(int64) (string, error) { return "x", nil })
			if err != nil {
				t.Fatal(err)
			}
			subs = append(subs, sub)
		}
		p := migrationsOf(t, st)
		if _, err := p.DownTo(ctx, 9); err != nil {
			t.Fatalf("down: %v", err)
		}
		// The bug's leftovers: two first letters of one email to one office
		// (two submissions), and a letter of an erased submission.
		ins := `INSERT INTO letters (campaign_id, submission_id, bioguide_id, office_code, chamber, state, template_version, sealed, delivery_id, reply_token, status, created_at, updated_at, kind)
			VALUES ($1, $2, 'P000197', 'HCA11', 'house', 'CA', 1, 'x', $3, $3, 'sent', $4, $4, 'first') RETURNING id`
		var ids []int64
		for i, s := range subs {
			var id int64
			if err := st.DB().QueryRowContext(ctx, ins, camp.ID, s.ID, uniq(fmt.Sprint("m", i, "-")), time.Now().UTC()).Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		if _, err := st.DB().ExecContext(ctx, `UPDATE submissions SET status = 'erased', email_index = 'erased' WHERE id = $1`, subs[2].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Up(ctx); err != nil {
			t.Fatalf("up: %v", err)
		}
		got := map[int64]*string{}
		rows, err := st.DB().QueryContext(ctx, `SELECT id, email_index FROM letters WHERE campaign_id = $1`, camp.ID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			var idx *string
			if err := rows.Scan(&id, &idx); err != nil {
				t.Fatal(err)
			}
			got[id] = idx
		}
		rows.Close()
		if len(got) != 3 || got[ids[0]] == nil || *got[ids[0]] != email || got[ids[1]] != nil || got[ids[2]] != nil {
			t.Fatalf("email indexes after the migration: %v (letters %v)", got, ids)
		}
		if w, _ := st.WrittenOffices(ctx, camp.ID, email); !w["P000197"] {
			t.Error("the office written to before the migration is not known")
		}
		// and the constraint holds from now on
		fresh, _ := st.CreateSubmission(ctx, store.Submission{CampaignID: camp.ID, EmailIndex: email}, func(int64) (string, error) { return "x", nil })
		if ids, err := st.CreateLetters(ctx, []store.NewLetter{firstLetter(camp.ID, fresh.ID, "P000197")}, nil); err != nil || len(ids) != 0 {
			t.Fatalf("a third letter to the office: %v %v", ids, err)
		}
	})
}

// TestTablingEvents: the limit an event sets applies from its start to its
// end (or until staff end it), the highest of overlapping events wins,
// and each change is audited.
func TestTablingEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		camp, err := st.CreateCampaign(ctx, newCampaign(uniq("tab-")), store.Audit{Action: "test"})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC().Truncate(time.Second)
		if _, ok, err := st.TablingIPLimit(ctx, camp.ID, now); ok || err != nil {
			t.Fatalf("a limit before any event: %v %v", ok, err)
		}
		e1, err := st.CreateTablingEvent(ctx, campaign.TablingEvent{CampaignID: camp.ID, StartsAt: now, EndsAt: now.Add(3 * time.Hour), IPLimit: 100, Note: "County fair"},
			store.Audit{Action: "campaign.tabling.create"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateTablingEvent(ctx, campaign.TablingEvent{CampaignID: camp.ID, StartsAt: now.Add(time.Hour), EndsAt: now.Add(2 * time.Hour), IPLimit: 300},
			store.Audit{Action: "campaign.tabling.create"}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			at    time.Duration
			limit int
			ok    bool
		}{{-time.Second, 0, false}, {0, 100, true}, {90 * time.Minute, 300, true}, {2*time.Hour + time.Second, 100, true}, {3 * time.Hour, 0, false}} {
			if n, ok, err := st.TablingIPLimit(ctx, camp.ID, now.Add(tc.at)); n != tc.limit || ok != tc.ok || err != nil {
				t.Errorf("at %v: %d %v %v, want %d %v", tc.at, n, ok, err, tc.limit, tc.ok)
			}
		}
		ended, err := st.EndTablingEvent(ctx, camp.ID, e1.ID, now.Add(10*time.Minute), store.Audit{Action: "campaign.tabling.end"})
		if err != nil || ended.EndedAt == nil {
			t.Fatalf("end: %+v %v", ended, err)
		}
		if _, ok, _ := st.TablingIPLimit(ctx, camp.ID, now.Add(20*time.Minute)); ok {
			t.Error("an ended event still raises the limit")
		}
		if _, err := st.EndTablingEvent(ctx, camp.ID+1, e1.ID, now, store.Audit{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ending another campaign's event: %v", err)
		}
		evs, err := st.TablingEvents(ctx, camp.ID)
		if err != nil || len(evs) != 2 || evs[1].Note != "County fair" || evs[1].State(now.Add(time.Hour)) != "over" {
			t.Fatalf("events = %+v, %v", evs, err)
		}
		n := 0
		for _, a := range auditFor(t, st, camp.ID) {
			if a.Action == "campaign.tabling.create" || a.Action == "campaign.tabling.end" {
				n++
			}
		}
		if n != 3 {
			t.Errorf("%d audit entries for tabling events, want 3", n)
		}
		if _, err := st.CreateTablingEvent(ctx, campaign.TablingEvent{CampaignID: 987654321, StartsAt: now, EndsAt: now.Add(time.Hour), IPLimit: 50},
			store.Audit{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("event for a missing campaign: %v", err)
		}
	})
}
