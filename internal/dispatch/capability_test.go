package dispatch_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/deliverytest"
	"github.com/outreach-org/outreach/internal/delivery/outbox"
	"github.com/outreach-org/outreach/internal/delivery/packet"
	"github.com/outreach-org/outreach/internal/delivery/sendgrid"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// noJobs stores letters without delivery jobs: these tests give each
// letter its turn by calling the worker directly.
func noJobs(context.Context, *sql.Tx, []int64) error { return nil }

// turn gives letter id one turn of the worker, as its River job would.
func turn(t *testing.T, w *dispatch.Worker, id int64) {
	t.Helper()
	_ = w.Work(context.Background(), &river.Job[dispatch.DeliverArgs]{Args: dispatch.DeliverArgs{LetterID: id}})
}

// lastEvent is the kind and detail of a letter's latest timeline event.
func lastEvent(t *testing.T, st *store.Store, id int64) string {
	t.Helper()
	ev, err := st.Timeline(context.Background(), id)
	if err != nil || len(ev) == 0 {
		t.Fatalf("timeline of %d: %v %v", id, ev, err)
	}
	return ev[len(ev)-1].Kind + ": " + ev[len(ev)-1].Detail
}

// TestPacingIsTheChannelsChoice: on a Sunday night, outside the default
// office hours, the outbox (delivery.Pacer: not paced, it reaches no
// office) delivers at once, while the packet channel, paced like any
// channel that does not opt out, holds its letter for office hours.
func TestPacingIsTheChannelsChoice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ny, err := time.LoadLocation("America/New_York")
		if err != nil {
			t.Fatal(err)
		}
		sunday := time.Date(2026, 11, 15, 3, 0, 0, 0, ny)
		if sunday.Weekday() != time.Sunday {
			t.Fatalf("%s is not a Sunday", sunday)
		}
		clock := func() time.Time { return sunday }
		for _, tc := range []struct {
			sender func(e *env) delivery.Sender
			status string
			event  string
		}{
			{func(e *env) delivery.Sender { return outbox.New(st, e.keys) }, delivery.StatusOutbox, "sent: stored in the outbox"},
			{func(*env) delivery.Sender { return packet.Sender{} }, delivery.StatusQueued, "held: waiting for office hours (mon-fri 09:00-17:00 America/New_York)"},
		} {
			e := newEnv(t, st)
			sender := tc.sender(e)
			s := dispatch.DefaultSettings()
			s.Channels = []delivery.Channel{sender.Channel()}
			w := dispatch.NewWorker(st, e.keys, []delivery.Sender{sender}, campInfo(st), s, quiet(), clock)
			ids, err := st.CreateLetters(ctx, e.letters()[:1], noJobs)
			if err != nil || len(ids) != 1 {
				t.Fatalf("created %v, %v", ids, err)
			}
			turn(t, w, ids[0])
			if l := loadLetter(t, st, ids[0]); l.Status != tc.status {
				t.Errorf("%s on a Sunday night: %s, want %s", sender.Channel(), l.Status, tc.status)
			}
			if got := lastEvent(t, st, ids[0]); !strings.HasPrefix(got, tc.event) {
				t.Errorf("%s: last event %q, want %q", sender.Channel(), got, tc.event)
			}
		}
	})
}

// TestChannelRateComesFromTheSender: a SendGrid channel configured at one
// letter per 1,000 seconds (delivery.RateLimited) sends one letter and
// holds the next; Settings.ChannelRate, when it names the channel,
// overrides that (0: no limit).
func TestChannelRateComesFromTheSender(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		fake := deliverytest.NewSendGrid(t)
		for _, tc := range []struct {
			name     string
			override map[delivery.Channel]float64
			second   string
		}{
			{"sender's rate", nil, delivery.StatusQueued},
			{"override", map[delivery.Channel]float64{sendgrid.Name: 0}, delivery.StatusSent},
		} {
			e := newEnv(t, st)
			sg, err := sendgrid.New(sendgrid.Config{APIKey: "SG.rate", BaseURL: fake.URL, FromEmail: "letters@outreach.example.org",
				FromName: "Families Together", Rate: 0.001}, nil)
			if err != nil {
				t.Fatal(err)
			}
			s := fastSettings(time.Minute, time.Second)
			s.Burst = 1
			s.ChannelRate = tc.override
			w := dispatch.NewWorker(st, e.keys, []delivery.Sender{sg}, campInfo(st), s, quiet(), nil)
			ids, err := st.CreateLetters(ctx, e.emailLetters(2, "R"), noJobs)
			if err != nil || len(ids) != 2 {
				t.Fatalf("created %v, %v", ids, err)
			}
			turn(t, w, ids[0])
			turn(t, w, ids[1])
			if l := loadLetter(t, st, ids[0]); l.Status != delivery.StatusSent {
				t.Errorf("%s: first letter %s", tc.name, l.Status)
			}
			if l := loadLetter(t, st, ids[1]); l.Status != tc.second {
				t.Errorf("%s: second letter %s, want %s (%s)", tc.name, l.Status, tc.second, lastEvent(t, st, ids[1]))
			}
			if tc.second == delivery.StatusQueued && lastEvent(t, st, ids[1]) != "held: channel rate limit" {
				t.Errorf("%s: second letter's last event %q", tc.name, lastEvent(t, st, ids[1]))
			}
		}
	})
}
