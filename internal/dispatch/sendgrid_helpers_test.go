package dispatch_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/deliverytest"
	"github.com/outreach-org/outreach/internal/delivery/sendgrid"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/jobs"
	"github.com/outreach-org/outreach/internal/store"
)

// fastSettings send by SendGrid only, at any hour, with no pacing, a
// short grace window and short retries, so a test sees several retries
// in a few seconds.
func fastSettings(grace, backoffBase time.Duration) dispatch.Settings {
	s := dispatch.DefaultSettings()
	s.Channels = []delivery.Channel{sendgrid.Name}
	s.OfficeDays, s.OfficeOpen, s.OfficeClose, s.TimeZone = "sun-sat", "00:00", "24:00", "UTC"
	s.OfficeHourlyCap = 0
	s.ChannelRate = nil
	s.Grace = grace
	s.BackoffBase = backoffBase
	return s
}

// sgClient is the real SendGrid adapter pointed at the fake.
func sgClient(t testing.TB, fake *deliverytest.SendGrid, apiKey string) *sendgrid.Client {
	t.Helper()
	c, err := sendgrid.New(sendgrid.Config{APIKey: apiKey, BaseURL: fake.URL, FromEmail: "letters@outreach.example.org",
		FromName: "Families Together", ReplyDomain: "reply.outreach.example.org"},
		&http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func campInfo(st *store.Store) dispatch.CampaignInfo {
	return func(ctx context.Context, id int64) (delivery.Campaign, error) {
		c, err := st.Campaign(ctx, id)
		return delivery.Campaign{ID: c.ID, Slug: c.Slug, Title: c.Title, LOCTopic: c.LOCTopic, Demo: c.Demo}, err
	}
}

// officeEmail is the published address of an office in these tests.
func officeEmail(code string) string { return strings.ToLower(code) + "@mail.house.example.gov" }

// emailLetters makes n letters from the env's submission, to the test
// offices in turn, each with an email address (so SendGrid accepts the
// office). Bioguide ids are made up per letter (prefix + number) because a
// submission writes to an office once.
func (e *env) emailLetters(n int, prefix string) []store.NewLetter {
	from := delivery.Constituent{Prefix: "Ms.", FirstName: "Ana", LastName: "García", Address1: "3200 24th St", City: "San Francisco",
		State: "CA", ZIP: "94110", Email: "ana@example.org"}
	out := make([]store.NewLetter, 0, n)
	for i := range n {
		o := offices[i%len(offices)]
		o.Email = officeEmail(o.Code)
		o.BioguideID = fmt.Sprintf("%s%06d", prefix, i)
		out = append(out, store.NewLetter{
			CampaignID: e.camp.ID, SubmissionID: e.sub.ID, BioguideID: o.BioguideID, OfficeCode: o.Code, Chamber: o.Chamber, State: o.State,
			TemplateVer: 1, DeliveryID: delivery.NewDeliveryID(), ReplyToken: delivery.NewReplyToken(),
			Seal: func(id int64) (string, error) {
				return e.keys.SealJSON(delivery.Sealed{Subject: "Oversight of family separations",
					Body: "Dear " + o.Title + " " + o.Name + ",\n\nPlease hold an oversight hearing.\n\nAna García", From: from, Office: o},
					delivery.LetterAAD(id))
			},
		})
	}
	return out
}

// newClient builds a River client working the delivery queue with w, not
// yet started (so a test can create letters and program the fake first).
func newClient(t testing.TB, st *store.Store, w *dispatch.Worker, maxWorkers int, id string) *jobs.Client {
	t.Helper()
	workers := river.NewWorkers()
	dispatch.Register(workers, w)
	client, err := jobs.New(st.DB(), st.Dialect() == store.Postgres, jobs.Options{
		Workers: workers, Queues: map[string]river.QueueConfig{dispatch.Queue: {MaxWorkers: maxWorkers}},
		Logger: quiet(), FetchPollInterval: 20 * time.Millisecond, ID: id,
	})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// start runs the client until the test ends.
func start(t testing.TB, client *jobs.Client) {
	t.Helper()
	if err := client.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = client.Stop(ctx)
	})
}

// timeline is a letter's event kinds joined by commas.
func timeline(t testing.TB, st *store.Store, id int64) (string, []store.LetterEvent) {
	t.Helper()
	ev, err := st.Timeline(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	kinds := make([]string, len(ev))
	for i, e := range ev {
		kinds[i] = e.Kind
	}
	return strings.Join(kinds, ","), ev
}

// eventually polls cond every 20ms until it holds or d passes.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func loadLetter(t testing.TB, st *store.Store, id int64) store.Letter {
	t.Helper()
	l, err := st.LetterByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// waitJobsSettled waits until no delivery job for these letters is
// waiting or running (River rows are shared by the package's tests on
// PostgreSQL, so jobs are matched by their letter id).
func waitJobsSettled(t testing.TB, client *jobs.Client, ids []int64, d time.Duration) {
	t.Helper()
	want := map[int64]bool{}
	for _, id := range ids {
		want[id] = true
	}
	eventually(t, d, "delivery jobs to settle", func() bool {
		res, err := client.JobList(context.Background(), river.NewJobListParams().Queues(dispatch.Queue).
			States(rivertype.JobStateAvailable, rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled, rivertype.JobStatePending).
			First(10000))
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range res.Jobs {
			for _, id := range dispatch.JobLetters(j.Kind, j.EncodedArgs) {
				if want[id] {
					return false
				}
			}
		}
		return true
	})
}
