package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/config"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/outbox"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/supportermail"
)

// TestMain runs the tests, or, with OUTREACH_TEST_RUN_MAIN=1, outreach
// itself with the arguments given (tests that kill a real process).
func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
	}
	os.Exit(storetest.Main(m))
}

// TestQueueWorksSupporterMail: the queue of outreach serve and outreach
// worker sends a confirmed submission's copy and opt-in request (to the
// outbox, with no mail channel configured) and delivers its letters.
func TestQueueWorksSupporterMail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		env := map[string]string{"OUTREACH_DATA_DIR": t.TempDir(), "OUTREACH_BASE_URL": "http://act.example.org", "OUTREACH_ORG_NAME": "Families Together"}
		cfg, err := config.Load(func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		log := newLogger(cfg, &logs)
		keys := seal.NewRandom()
		q, err := newQueue(cfg, st, keys, log, true)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.start(ctx); err != nil {
			t.Fatal(err)
		}
		defer q.stop(log)

		slug := strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
		camp, err := st.CreateCampaign(ctx, campaign.Campaign{Slug: slug, Title: "Reunite separated families", Targets: campaign.TargetBoth,
			LOCTopic: "Immigration", Status: campaign.Live, Subject: "S", Template: "{{.salutation}}"}, store.Audit{Action: "test"})
		if err != nil {
			t.Fatal(err)
		}
		f := action.Form{FirstName: "Ana", LastName: "García", Email: "ana-" + slug + "@example.org", ZIP: "94110", State: "CA", OptIn: true}
		idx := keys.Index("email", f.Email)
		sub, err := st.CreateSubmission(ctx, store.Submission{CampaignID: camp.ID, EmailIndex: idx, Lang: "en"},
			func(id int64) (string, error) {
				return keys.SealJSON(action.Sealed{Form: f, Lang: "en"}, action.SubmissionAAD(id))
			})
		if err != nil {
			t.Fatal(err)
		}
		office := delivery.Office{BioguideID: "P000197", Name: "Nancy Pelosi", Title: "Representative", Chamber: "house", State: "CA", Code: "CA11"}
		sealed := delivery.Sealed{Subject: "Oversight", Body: "Dear Representative Pelosi", Office: office,
			From: delivery.Constituent{FirstName: f.FirstName, LastName: f.LastName, Email: f.Email, ZIP: f.ZIP, State: f.State}}
		ids, err := st.Confirm(ctx, sub.ID, store.Confirmation{CampaignID: camp.ID, Now: time.Now(),
			Build: func(sub store.Submission, _ map[string]bool) (store.Confirmed, error) {
				return store.Confirmed{Letters: []store.NewLetter{{CampaignID: camp.ID, SubmissionID: sub.ID, BioguideID: office.BioguideID,
					OfficeCode: office.Code, Chamber: office.Chamber, State: office.State, DeliveryID: delivery.NewDeliveryID(),
					ReplyToken: delivery.NewReplyToken(), Seal: func(id int64) (string, error) { return keys.SealJSON(sealed, delivery.LetterAAD(id)) }}},
					OptIn: &store.OptInRequest{Sealed: "-", Lang: "en"}, Mail: []string{supportermail.KindCopy, supportermail.KindOptIn}, MailLang: "en"}, nil
			},
			Jobs: confirmJobs(q)})
		if err != nil || len(ids) != 1 {
			t.Fatalf("confirm: %v %v", ids, err)
		}
		// Wait for the workers (no time budget: the deadline only ends a
		// hung test).
		deadline := time.Now().Add(30 * time.Second)
		var subjects []string
		for {
			subjects = subjects[:0]
			msgs, err := st.Outbox(ctx, "supporter", 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				o, err := outbox.Open(keys, m.ID, m.Sealed)
				if err != nil || o.Email == nil {
					t.Fatalf("open outbox message: %v", err)
				}
				if o.Email.To == f.Email {
					subjects = append(subjects, o.Email.Subject)
				}
			}
			l, _ := st.LetterByID(ctx, ids[0])
			if len(subjects) >= 2 && l.Status == delivery.StatusOutbox {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after 30 s: supporter emails %q, letter %s\n%s", subjects, l.Status, logs.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
		got := strings.Join(subjects, "|")
		if len(subjects) != 2 || !strings.Contains(got, "Your letters to Congress") || !strings.Contains(got, "Confirm that you want to hear from Families Together") {
			t.Errorf("supporter emails: %q", subjects)
		}
	})
}

// confirmJobs inserts with the client outreach serve gives the web server
// (Deps.Jobs), as the confirmation page does.
func confirmJobs(q *queue) func(ctx context.Context, tx *sql.Tx, sub store.Submission, ids []int64) error {
	return func(ctx context.Context, tx *sql.Tx, sub store.Submission, ids []int64) error {
		_, err := q.client.InsertManyTx(ctx, tx, append(dispatch.JobParams(ids), supportermail.JobParams(sub.ID, supportermail.KindCopy, supportermail.KindOptIn)...))
		return err
	}
}
