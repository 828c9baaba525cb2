package mailing_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/delivery/deliverytest"
	"github.com/outreach-org/outreach/internal/mailing"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/supporters"
	"github.com/outreach-org/outreach/internal/usstate"
)

var (
	dirOnce sync.Once
	dir     *congress.Directory
	dirErr  error
)

func directory(t testing.TB) *congress.Directory {
	t.Helper()
	dirOnce.Do(func() { dir, dirErr = congress.LoadEmbedded() })
	if dirErr != nil {
		t.Fatal(dirErr)
	}
	return dir
}

// addSupporter writes one confirmed opt-in with the list's columns.
func addSupporter(t testing.TB, st *store.Store, keys *seal.Keys, email, state string, district int, source string, joined time.Time) {
	t.Helper()
	idx := keys.Index("email", email)
	sealed, err := keys.SealJSON(map[string]string{"email": email, "first_name": "Ana"}, action.OptInAAD(idx))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().ExecContext(context.Background(), "INSERT INTO optins (email_index, sealed, lang, requested_at, confirmed_at, state, district, source, origin)"+
		" VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)", idx, sealed, "en", joined.UTC(), joined.UTC(), state, district, source, store.OriginAction); err != nil {
		t.Fatal(err)
	}
}

// TestSegmentIsTheListFilter: a mailing's segment is the supporter list's
// filter. For each filter (district, source, join dates, the states of a
// committee's members) there is a supporter it keeps and one it leaves
// out, and the list's count (GET /api/v1/supporters reads it so), the
// count before sending, the total when sending began and the addresses
// SendGrid was given are the same people; and nobody who joined after
// sending began gets it.
func TestSegmentIsTheListFilter(t *testing.T) {
	cong := supporters.DirectoryOf(directory(t))
	_, judiciary, ok := cong.CommitteeStates("SSJU")
	if !ok || len(judiciary) == 0 {
		t.Fatal("no SSJU in the congressional data")
	}
	in := judiciary[0]
	out := ""
	for _, code := range usstate.Codes() {
		if usstate.Represented(code) && !slices.Contains(judiciary, code) && cong.District(store.District{State: code, Number: 1}) {
			out = code
			break
		}
	}
	if out == "" {
		t.Fatal("every state has a Judiciary member")
	}
	storetest.EachEmpty(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		keys, _, _ := newKeys(t)
		march := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		june := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
		addSupporter(t, st, keys, "ca12@example.org", "CA", 12, "radio", march)
		addSupporter(t, st, keys, "ca13@example.org", "CA", 13, "news", june)
		addSupporter(t, st, keys, "in@example.org", in, 1, "radio", june)
		addSupporter(t, st, keys, "out@example.org", out, 1, "news", march)
		addSupporter(t, st, keys, "gone@example.org", "CA", 12, "radio", march)
		if err := st.Unsubscribe(ctx, keys.Index("email", "gone@example.org"), "unsubscribe"); err != nil {
			t.Fatal(err)
		}
		campaigns := func(ref string) (int64, error) { return strconv.ParseInt(ref, 10, 64) }
		fake := deliverytest.NewSendGrid(t)
		w := &mailing.Worker{Store: st, Sender: newSender(t, fake), Keys: keys, BaseURL: "https://act.example.org", OrgName: "Families Together",
			Congress: cong}
		for _, tc := range []struct {
			name   string
			params map[string]string
			seg    mailing.Segment
			want   []string
		}{
			{"district", map[string]string{"district": "CA-12"}, mailing.Segment{Districts: []string{"CA-12"}}, []string{"ca12"}},
			{"state and district", map[string]string{"state": "CA", "district": "CA-13"}, mailing.Segment{States: []string{"CA"}, Districts: []string{"CA-13"}}, []string{"ca13"}},
			{"source", map[string]string{"source": "radio"}, mailing.Segment{Source: "radio"}, []string{"ca12", "in"}},
			{"joined from", map[string]string{"from": "2026-06-01"}, mailing.Segment{JoinedFrom: "2026-06-01"}, []string{"ca13", "in"}},
			{"joined to", map[string]string{"to": "2026-03-10"}, mailing.Segment{JoinedTo: "2026-03-10"}, []string{"ca12", "out"}},
			{"committee", map[string]string{"committee": "SSJU"}, mailing.Segment{Committee: "ssju"}, wantIn(slices.Contains(judiciary, "CA"))},
			{"committee and source", map[string]string{"committee": "SSJU", "source": "news"}, mailing.Segment{Committee: "SSJU", Source: "news"}, wantNews(slices.Contains(judiciary, "CA"))},
		} {
			t.Run(tc.name, func(t *testing.T) {
				lf, err := supporters.ParseFilter(func(k string) string { return tc.params[k] }, campaigns, cong)
				if err != nil {
					t.Fatal(err)
				}
				listed, err := st.CountSupporters(ctx, lf)
				if err != nil {
					t.Fatal(err)
				}
				m := createMailing(t, st, mailing.Draft{Name: tc.name, SubjectEN: "Hi", BodyEN: "Hi {{.first_name}}", Segment: tc.seg})
				seg, err := mailing.SegmentOf(m)
				if err != nil {
					t.Fatal(err)
				}
				if got := seg.Values(); len(got) != len(tc.params) {
					t.Errorf("segment as the list's query = %v, want %v", got, tc.params)
				}
				mf, err := seg.Filter(campaigns, cong)
				if err != nil {
					t.Fatal(err)
				}
				counts, err := st.CountMailingRecipients(ctx, mailing.Query(mf, time.Now()))
				if err != nil {
					t.Fatal(err)
				}
				before := len(fake.Requests(0))
				if err := w.Run(ctx, m.ID, time.Now().Add(time.Minute)); err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, r := range fake.Requests(0)[before:] {
					for _, d := range r.Mail.Expand() {
						got = append(got, d.To)
					}
				}
				slices.Sort(got)
				var want []string
				for _, w := range tc.want {
					want = append(want, w+"@example.org")
				}
				slices.Sort(want)
				want = slices.Compact(want)
				m, _ = st.Mailing(ctx, m.ID)
				if !slices.Equal(got, want) || listed != int64(len(want)) || counts["en"] != len(want) || m.Total != len(want) {
					t.Errorf("sent to %v, want %v; the list counts %d, the count before sending %d, the total when sending began %d", got, want, listed, counts["en"], m.Total)
				}
			})
		}
		// Whoever joins after sending began is not a recipient (here: joined
		// "in an hour", as if during the send).
		addSupporter(t, st, keys, "late@example.org", "CA", 12, "radio", time.Now().Add(time.Hour))
		late := createMailing(t, st, mailing.Draft{Name: "late", SubjectEN: "Hi", BodyEN: "Hi", Segment: mailing.Segment{Districts: []string{"CA-12"}}})
		before := len(fake.Requests(0))
		if err := w.Run(ctx, late.ID, time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range fake.Requests(0)[before:] {
			for _, d := range r.Mail.Expand() {
				got = append(got, d.To)
			}
		}
		if late, _ = st.Mailing(ctx, late.ID); !slices.Equal(got, []string{"ca12@example.org"}) || late.Total != 1 {
			t.Errorf("with a supporter who joined after sending began: sent to %v, total %d", got, late.Total)
		}
		// A committee needs the congressional data: without it the mailing
		// fails, saying why, and sends nothing.
		m := createMailing(t, st, mailing.Draft{Name: "no data", SubjectEN: "Hi", BodyEN: "Hi", Segment: mailing.Segment{Committee: "SSJU"}})
		before = len(fake.Requests(0))
		bare := &mailing.Worker{Store: st, Sender: newSender(t, fake), Keys: keys, BaseURL: "https://act.example.org", OrgName: "Families Together"}
		_ = bare.Run(ctx, m.ID, time.Now().Add(time.Minute))
		if m, _ = st.Mailing(ctx, m.ID); m.Status != store.MailingFailed || !strings.Contains(m.Detail, "committee") || len(fake.Requests(0)) != before {
			t.Errorf("committee without the data: %s %q", m.Status, m.Detail)
		}
	})
}

// wantIn is who the Judiciary committee's states keep: the supporter of a
// state in it, and the Californians when California is in it.
func wantIn(ca bool) []string {
	if ca {
		return []string{"ca12", "ca13", "in"}
	}
	return []string{"in"}
}

func wantNews(ca bool) []string {
	if ca {
		return []string{"ca13"}
	}
	return nil
}

// TestSegmentErrorsNameTheirField: every filter that cannot be used is
// named, at once.
func TestSegmentErrorsNameTheirField(t *testing.T) {
	cong := supporters.DirectoryOf(directory(t))
	seg := mailing.Segment{States: []string{"AZ"}, Districts: []string{"CA-12"}, Committee: "XXJU", Source: "a@b", Lang: "fr",
		JoinedFrom: "yesterday", Origin: "web"}
	_, err := seg.Filter(nil, cong)
	msg := fmt.Sprint(err)
	for _, f := range []string{"segment.districts", "segment.committee", "segment.source", "segment.lang", "segment.joined_from", "segment.origin"} {
		if !containsField(err, f) {
			t.Errorf("%s not named in %s", f, msg)
		}
	}
	if _, err := (mailing.Segment{Districts: []string{"WY-3"}}).Filter(nil, cong); !containsField(err, "segment.districts") {
		t.Errorf("a district without a seat: %v", err)
	}
	if _, err := (mailing.Segment{Districts: []string{"WY-0"}, Committee: "SSJU"}).Filter(nil, cong); err != nil {
		t.Errorf("a good segment: %v", err)
	}
}

func containsField(err error, field string) bool {
	var ve *campaign.ValidationError
	if !errors.As(err, &ve) {
		return false
	}
	for _, fe := range ve.Errors {
		if fe.Field == field && fe.Message != "" {
			return true
		}
	}
	return false
}
