package store_test

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// TestConfirm: the submission is confirmed and read back with the offices
// its email wrote to before; the opt-in request and the jobs are written
// in the same transaction; a second confirmation, an erased submission
// and another campaign's are told apart.
func TestConfirm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		slug := strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
		camp, err := st.CreateCampaign(ctx, campaign.Campaign{Slug: slug, Title: "T", Targets: campaign.TargetBoth, LOCTopic: "Immigration",
			Status: campaign.Live, Subject: "S", Template: "{{.salutation}}"}, store.Audit{Action: "test"})
		if err != nil {
			t.Fatal(err)
		}
		sub := func(email string) store.Submission {
			s, err := st.CreateSubmission(ctx, store.Submission{CampaignID: camp.ID, EmailIndex: email, Lang: "en"},
				func(int64) (string, error) { return "sealed-" + email, nil })
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		letter := func(s store.Submission, bioguide string) store.NewLetter {
			return store.NewLetter{CampaignID: camp.ID, SubmissionID: s.ID, BioguideID: bioguide, OfficeCode: bioguide, Chamber: "house", State: "CA",
				DeliveryID: "d-" + bioguide + strconv.FormatInt(s.ID, 10), ReplyToken: "r-" + bioguide + strconv.FormatInt(s.ID, 10), Seal: func(int64) (string, error) { return "x", nil }}
		}
		confirm := func(s store.Submission, campaignID int64, optIn bool) (store.Submission, map[string]bool, []int64, int, error) {
			var got store.Submission
			var already map[string]bool
			jobs := 0
			ids, err := st.Confirm(ctx, s.ID, store.Confirmation{CampaignID: campaignID, Now: time.Now(),
				Build: func(sub store.Submission, a map[string]bool) (store.Confirmed, error) {
					got, already = sub, a
					var out store.Confirmed
					for _, b := range []string{"A000001", "B000002"} {
						if !a[b] {
							out.Letters = append(out.Letters, letter(sub, b))
						}
					}
					if optIn {
						out.OptIn = &store.OptInRequest{Sealed: "optin", Lang: "es"}
					}
					return out, nil
				},
				Jobs: func(_ context.Context, tx *sql.Tx, _ store.Submission, ids []int64) error {
					if tx == nil {
						return errors.New("no transaction")
					}
					jobs++
					return nil
				}})
			return got, already, ids, jobs, err
		}
		first := sub("idx-ana")
		got, already, ids, jobs, err := confirm(first, camp.ID, true)
		if err != nil || len(ids) != 2 || jobs != 1 {
			t.Fatalf("confirm: %v %v, %d job calls", ids, err, jobs)
		}
		if got.ID != first.ID || got.Status != "confirmed" || got.ConfirmedAt == nil || got.Sealed != "sealed-idx-ana" || got.EmailIndex != "idx-ana" ||
			got.CampaignID != camp.ID || len(already) != 0 {
			t.Errorf("confirmed submission read back: %+v, already %v", got, already)
		}
		if _, _, _, _, err := confirm(first, camp.ID, false); !errors.Is(err, store.ErrAlreadyDone) {
			t.Errorf("second confirmation: %v", err)
		}
		// a repeat action by the same email sees the offices written to
		again := sub("idx-ana")
		if _, already, _, _, err := confirm(again, camp.ID, false); err != nil || !already["A000001"] || !already["B000002"] || len(already) != 2 {
			t.Errorf("repeat: already %v, %v", already, err)
		}
		// another campaign's link, an unknown or erased submission: not found
		other := sub("idx-bea")
		if _, _, _, _, err := confirm(other, camp.ID+1, false); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another campaign's submission: %v", err)
		}
		if _, _, _, _, err := confirm(store.Submission{ID: 1 << 40}, 0, false); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown submission: %v", err)
		}
		if _, err := st.EraseSupporter(ctx, "idx-bea", store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
		if _, _, _, _, err := confirm(other, camp.ID, false); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("erased submission: %v", err)
		}
		if s, _ := st.SubmissionByID(ctx, other.ID); s.Status != "erased" {
			t.Errorf("erased submission is now %s", s.Status)
		}
		// the opt-in request was written with the confirmation, unconfirmed
		if err := st.ConfirmOptIn(ctx, "idx-ana"); err != nil {
			t.Errorf("no opt-in request after confirming with the box ticked: %v", err)
		}
	})
}
