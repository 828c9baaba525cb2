package dispatch_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/packet"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// constituentOnly is a channel that, like CWC, carries constituents' mail
// only (delivery.ConstituentOnly), and counts what it is handed.
type constituentOnly struct{ sent atomic.Int64 }

func (*constituentOnly) Channel() delivery.Channel                     { return "cwc" }
func (*constituentOnly) ConstituentOnly() bool                         { return true }
func (*constituentOnly) Accepts(context.Context, delivery.Office) bool { return true }
func (c *constituentOnly) Send(context.Context, delivery.Message) (delivery.Result, error) {
	c.sent.Add(1)
	return delivery.Result{ProviderID: "cwc-1"}, nil
}

// TestOrganizationalLetterSkipsCWC: with CWC first in the channel order, a
// sign-on (organizational) letter goes to the next channel that accepts
// its office (here the printed packet), and a constituent's letter still
// goes through CWC.
func TestOrganizationalLetterSkipsCWC(t *testing.T) {
	storetest.EachEmpty(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ny, _ := time.LoadLocation("America/New_York")
		tuesday := func() time.Time { return time.Date(2026, 11, 17, 11, 0, 0, 0, ny) }
		for _, org := range []bool{true, false} {
			e := newEnv(t, st)
			cwc := &constituentOnly{}
			s := dispatch.DefaultSettings()
			s.Channels = []delivery.Channel{"cwc", packet.Name}
			info := func(ctx context.Context, id int64) (delivery.Campaign, error) {
				c, err := campInfo(st)(ctx, id)
				c.Organizational = org
				return c, err
			}
			w := dispatch.NewWorker(st, e.keys, []delivery.Sender{cwc, packet.Sender{}}, info, s, quiet(), tuesday)
			ids, err := st.CreateLetters(ctx, e.letters()[:1], noJobs)
			if err != nil || len(ids) != 1 {
				t.Fatalf("created %v, %v", ids, err)
			}
			turn(t, w, ids[0])
			l := loadLetter(t, st, ids[0])
			want := "cwc"
			if org {
				want = string(packet.Name)
			}
			if l.Channel != want {
				t.Errorf("organizational=%v: channel %q (%s), want %q", org, l.Channel, lastEvent(t, st, ids[0]), want)
			}
			if got := cwc.sent.Load(); (got > 0) == org {
				t.Errorf("organizational=%v: CWC was handed %d letters", org, got)
			}
		}
	})
}
