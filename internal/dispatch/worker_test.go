package dispatch_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/outbox"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/jobs"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// env is a store with a live campaign and one submission, and helpers to
// make letters to real offices.
type env struct {
	st   *store.Store
	keys *seal.Keys
	camp campaign.Campaign
	sub  store.Submission
}

var envSeq atomic.Int64

func newEnv(t testing.TB, st *store.Store) *env {
	t.Helper()
	ctx := context.Background()
	slug := "deliv-" + strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if len(slug) > 50 {
		slug = slug[:50]
	}
	slug += "-" + strconv.FormatInt(envSeq.Add(1), 10)
	c, err := st.CreateCampaign(ctx, campaign.Campaign{
		Slug: slug, Title: "Reunite families", Targets: campaign.TargetBoth, LOCTopic: "Immigration", Status: campaign.Live,
		Subject: "Oversight of family separations", Template: "{{.salutation}},\n\nPlease hold an oversight hearing.\n\n{{.first_name}} {{.last_name}}",
	}, store.Audit{Action: "test.campaign"})
	if err != nil {
		t.Fatal(err)
	}
	keys := seal.NewRandom()
	sub, err := st.CreateSubmission(ctx, store.Submission{CampaignID: c.ID, EmailIndex: keys.Index("email", "ana@example.org"), Lang: "es"},
		func(id int64) (string, error) {
			return keys.SealJSON(map[string]string{"email": "ana@example.org"}, "submission")
		})
	if err != nil {
		t.Fatal(err)
	}
	return &env{st: st, keys: keys, camp: c, sub: sub}
}

var offices = []delivery.Office{
	{BioguideID: "P000197", Name: "Nancy Pelosi", Title: "Representative", Chamber: "house", State: "CA", Code: "HCA11"},
	{BioguideID: "P000145", Name: "Alex Padilla", Title: "Senator", Chamber: "senate", State: "CA", Code: "SCA01"},
	{BioguideID: "S001150", Name: "Adam B. Schiff", Title: "Senator", Chamber: "senate", State: "CA", Code: "SCA02"},
}

func (e *env) letters() []store.NewLetter {
	from := delivery.Constituent{Prefix: "Ms.", FirstName: "Ana", LastName: "García", Address1: "3200 24th St", City: "San Francisco", State: "CA", ZIP: "94110", Email: "ana@example.org"}
	var out []store.NewLetter
	for _, o := range offices {
		o := o
		out = append(out, store.NewLetter{
			CampaignID: e.camp.ID, SubmissionID: e.sub.ID, BioguideID: o.BioguideID, OfficeCode: o.Code, Chamber: o.Chamber, State: o.State,
			TemplateVer: 1, DeliveryID: delivery.NewDeliveryID(), ReplyToken: delivery.NewReplyToken(),
			Seal: func(id int64) (string, error) {
				return e.keys.SealJSON(delivery.Sealed{Subject: "Oversight", Body: "Dear " + o.Title + " " + o.Name + ",\n\nPlease act.", From: from, Office: o}, delivery.LetterAAD(id))
			},
		})
	}
	return out
}

// runWorkers starts River with the delivery worker until the test ends.
func runWorkers(t *testing.T, st *store.Store, w *dispatch.Worker) *jobs.Client {
	t.Helper()
	workers := river.NewWorkers()
	dispatch.Register(workers, w)
	client, err := jobs.New(st.DB(), st.Dialect() == store.Postgres, jobs.Options{
		Workers: workers, Queues: map[string]river.QueueConfig{dispatch.Queue: {MaxWorkers: 4}},
		Logger: quiet(), FetchPollInterval: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = client.Stop(ctx)
	})
	return client
}

func waitStatus(t *testing.T, st *store.Store, ids []int64, want string) {
	t.Helper()
	// 30 s, and more for many letters (the crash test's recovery sends
	// thousands, under the race detector in CI).
	deadline := time.Now().Add(30*time.Second + time.Duration(len(ids))*20*time.Millisecond)
	for {
		all := true
		for _, id := range ids {
			l, err := st.LetterByID(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if l.Status != want {
				all = false
			}
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			for _, id := range ids {
				l, _ := st.LetterByID(context.Background(), id)
				ev, _ := st.Timeline(context.Background(), id)
				t.Logf("letter %d: %s %q %+v", id, l.Status, l.LastError, ev)
			}
			t.Fatalf("letters did not reach %s", want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestOutboxDeliveryEndToEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st)
		defaults := dispatch.DefaultSettings()
		defaults.Channels = []delivery.Channel{outbox.Name}
		ob := outbox.New(st, e.keys)
		campInfo := func(ctx context.Context, id int64) (delivery.Campaign, error) {
			c, err := st.Campaign(ctx, id)
			return delivery.Campaign{ID: c.ID, Slug: c.Slug, Title: c.Title, LOCTopic: c.LOCTopic}, err
		}
		w := dispatch.NewWorker(st, e.keys, []delivery.Sender{ob}, campInfo, defaults, quiet(), nil)
		client := runWorkers(t, st, w)

		ids, err := st.CreateLetters(ctx, e.letters(), dispatch.Enqueuer{Client: client}.EnqueueTx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != 3 {
			t.Fatalf("created %d letters", len(ids))
		}
		waitStatus(t, st, ids, delivery.StatusOutbox)

		// the same letters again: the unique (submission, office) rule adds none
		again, err := st.CreateLetters(ctx, e.letters(), dispatch.Enqueuer{Client: client}.EnqueueTx)
		if err != nil || len(again) != 0 {
			t.Fatalf("repeat created %v %v", again, err)
		}
		// a duplicate job for a delivered letter changes nothing
		if _, err := client.Insert(ctx, dispatch.DeliverArgs{LetterID: ids[0]}, nil); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		msgs, err := st.Outbox(ctx, "letter", 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, m := range msgs {
			if m.LetterID != nil && (*m.LetterID == ids[0] || *m.LetterID == ids[1] || *m.LetterID == ids[2]) {
				n++
				stored, err := outbox.Open(e.keys, m.ID, m.Sealed)
				if err != nil || stored.Letter == nil || !strings.HasPrefix(stored.Letter.Body, "Dear ") || stored.Letter.From.LastName != "García" {
					t.Errorf("outbox message %d: %+v %v", m.ID, stored, err)
				}
				if strings.Contains(m.Sealed, "García") {
					t.Error("outbox message stored in clear")
				}
			}
		}
		if n != 3 {
			t.Errorf("%d outbox messages for 3 letters", n)
		}
		ev, _ := st.Timeline(ctx, ids[0])
		var kinds []string
		for _, x := range ev {
			kinds = append(kinds, x.Kind)
		}
		if strings.Join(kinds, ",") != "created,attempt,sent" {
			t.Errorf("timeline = %v", kinds)
		}
	})
}

func TestOfficeHours(t *testing.T) {
	h, err := dispatch.ParseOfficeHours("mon-fri", "09:00", "17:00", "America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	ny, _ := time.LoadLocation("America/New_York")
	cases := []struct {
		at   time.Time
		want time.Duration
	}{
		{time.Date(2026, 11, 25, 10, 0, 0, 0, ny), 0},                    // Wednesday morning
		{time.Date(2026, 11, 25, 8, 30, 0, 0, ny), 30 * time.Minute},     // before opening
		{time.Date(2026, 11, 27, 17, 0, 0, 0, ny), 64 * time.Hour},       // Friday at closing: Monday 09:00
		{time.Date(2026, 11, 28, 12, 0, 0, 0, ny), 45 * time.Hour},       // Saturday noon
		{time.Date(2026, 3, 7, 12, 0, 0, 0, ny), 44 * time.Hour},         // Saturday before the spring DST change: 1 hour less
		{time.Date(2026, 10, 31, 12, 0, 0, 0, ny), 46 * time.Hour},       // Saturday before the autumn change: 1 hour more
		{time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC), 0},              // 10:00 in New York
		{time.Date(2026, 11, 25, 23, 0, 0, 0, time.UTC), 15 * time.Hour}, // 18:00 in New York: Thursday 09:00
	}
	for _, c := range cases {
		if got := h.Until(c.at); got != c.want {
			t.Errorf("Until(%v) = %v, want %v", c.at, got, c.want)
		}
	}
	for _, bad := range [][4]string{{"mon-fri", "9", "17:00", "America/New_York"}, {"funday", "09:00", "17:00", "UTC"}, {"mon", "17:00", "09:00", "UTC"}, {"mon", "09:00", "17:00", "Mars/Olympus"}} {
		if _, err := dispatch.ParseOfficeHours(bad[0], bad[1], bad[2], bad[3]); err == nil {
			t.Errorf("accepted %v", bad)
		}
	}
}

func TestBackoff(t *testing.T) {
	prev := time.Duration(0)
	for a := 1; a <= 12; a++ {
		d := dispatch.Backoff(a)
		base := 10 * time.Second << (a - 1)
		if base > time.Hour {
			base = time.Hour
		}
		if d < base*3/4 || d > base*5/4 {
			t.Errorf("attempt %d: %v outside %v ±25%%", a, d, base)
		}
		if a > 1 && base < time.Hour && d < prev/2 {
			t.Errorf("backoff shrank at attempt %d", a)
		}
		prev = d
	}
}

// A letter left "sending" by a process that stopped mid-send (kill -9
// after the claim) is sent by the next worker, and both attempts are on
// its timeline: the stopped one, written by the new claim (its own claim
// wrote no row), then the one the channel accepted.
func TestStoppedAttemptStaysOnTimeline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st)
		defaults := dispatch.DefaultSettings()
		defaults.Channels = []delivery.Channel{outbox.Name}
		campInfo := func(ctx context.Context, id int64) (delivery.Campaign, error) {
			c, err := st.Campaign(ctx, id)
			return delivery.Campaign{ID: c.ID, Slug: c.Slug, Title: c.Title}, err
		}
		w := dispatch.NewWorker(st, e.keys, []delivery.Sender{outbox.New(st, e.keys)}, campInfo, defaults, quiet(), nil)
		ids, err := st.CreateLetters(ctx, e.letters(), nil)
		if err != nil {
			t.Fatal(err)
		}
		stopped := time.Now().Add(-time.Minute).UTC().Truncate(time.Millisecond)
		if ok, err := st.ClaimForSending(ctx, ids[0], string(outbox.Name), stopped); err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		if err := w.Work(ctx, &river.Job[dispatch.DeliverArgs]{Args: dispatch.DeliverArgs{LetterID: ids[0]}}); err != nil {
			t.Fatal(err)
		}
		l, err := st.LetterByID(ctx, ids[0])
		if err != nil || l.Status != delivery.StatusOutbox || l.Attempts != 2 {
			t.Fatalf("after the next worker: %q, %d attempts (%v)", l.Status, l.Attempts, err)
		}
		ev, _ := st.Timeline(ctx, ids[0])
		var kinds []string
		for _, x := range ev {
			kinds = append(kinds, x.Kind)
		}
		if strings.Join(kinds, ",") != "created,attempt,attempt,sent" || !ev[1].At.Equal(stopped) || !ev[2].At.After(stopped) {
			t.Errorf("timeline = %v (%+v), want the stopped attempt at %v, then the accepted one", kinds, ev, stopped)
		}
	})
}
