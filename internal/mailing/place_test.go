package mailing_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/delivery/deliverytest"
	"github.com/outreach-org/outreach/internal/mailing"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// TestMembersOfWhereSupportersLive: a supporter who never wrote a letter
// (an imported list) gets the member fields of where they live: their
// state's senators, and their House member when the list knows their
// district; one whose place is unknown gets them empty. Before, every such
// supporter got "Su representante es ." while the preview showed a name.
func TestMembersOfWhereSupportersLive(t *testing.T) {
	dir, err := congress.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	res, err := dir.ForDistrict(congress.District{State: "AZ", Number: 7})
	if err != nil {
		t.Fatal(err)
	}
	var rep string
	var sens []string
	for _, m := range res.Members {
		if _, ok := m.Seat(); ok {
			rep = "Representative " + m.Name
		} else {
			sens = append(sens, "Senator "+m.Name)
		}
	}
	if rep == "" || len(sens) != 2 {
		t.Fatalf("AZ-7 in the data: %q, %q", rep, sens)
	}
	storetest.EachEmpty(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		keys, _, _ := newKeys(t)
		camp := newCampaign(t, st)
		past := time.Now().Add(-time.Hour)
		emails := addOptIns(t, st, keys, "place", "en", camp.ID, 3, past)
		for i, place := range []struct {
			state    string
			district any
		}{{"AZ", 7}, {"AZ", nil}} {
			if _, err := st.DB().ExecContext(ctx, "UPDATE optins SET state = $1, district = $2 WHERE email_index = $3", place.state, place.district, keys.Index("email", emails[i])); err != nil {
				t.Fatal(err)
			}
		}
		m := createMailing(t, st, mailing.Draft{Name: "Place", CampaignID: camp.ID, SubjectEN: "Write {{if .representative}}to {{.representative}}{{else}}today{{end}}",
			BodyEN:  "Rep: {{.representative}}. Senators: {{.senators}}. All: {{.members}}. State: {{.state}}. District: {{.district}}.\n",
			Segment: mailing.Segment{CampaignID: camp.ID}})
		// The preview's warning: one without any member field, one
		// without a representative.
		if noState, noDistrict, err := st.UnknownPlaces(ctx, store.RecipientQuery{Filter: store.SupporterFilter{CampaignID: camp.ID}, Cutoff: time.Now()}); err != nil || noState != 1 || noDistrict != 1 {
			t.Errorf("unknown places: %d without a state, %d without a district, %v", noState, noDistrict, err)
		}
		fake := deliverytest.NewSendGrid(t)
		w := &mailing.Worker{Store: st, Sender: newSender(t, fake), Keys: keys, BaseURL: "https://act.example.org", Member: dir.Member, Place: mailing.PlaceOf(dir)}
		if err := w.Run(ctx, m.ID, time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		want := map[string][2]string{
			emails[0]: {"Write to " + rep, "Rep: " + rep + ". Senators: " + sens[0] + " and " + sens[1] + ". All: " + sens[0] + ", " + sens[1] + " and " + rep + ". State: AZ. District: AZ-7."},
			emails[1]: {"Write today", "Rep: . Senators: " + sens[0] + " and " + sens[1] + ". All: " + sens[0] + " and " + sens[1] + ". State: AZ. District: ."},
			emails[2]: {"Write today", "Rep: . Senators: . All: . State: . District: ."},
		}
		seen := 0
		for _, r := range fake.Requests(0) {
			for _, d := range r.Mail.Expand() {
				w, ok := want[d.To]
				if !ok {
					continue
				}
				seen++
				if d.Subject != w[0] || !strings.HasPrefix(d.Text, w[1]) {
					t.Errorf("%s got %q\n%s\nwant %q\n%s", d.To, d.Subject, d.Text, w[0], w[1])
				}
			}
		}
		if seen != 3 {
			t.Errorf("%d of 3 supporters emailed", seen)
		}
	})
}
