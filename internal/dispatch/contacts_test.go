package dispatch_test

import (
	"context"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/contacts"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/deliverytest"
	"github.com/outreach-org/outreach/internal/delivery/packet"
	"github.com/outreach-org/outreach/internal/delivery/sendgrid"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// TestSendGridDeliversToOfficeContacts: the built-in data gives no office
// an email address, so without the contacts directory SendGrid never
// reaches an office. An office with a contact email gets its letter by
// SendGrid at that address (the first contact that has one), read when
// the letter is sent, not when it was written; an office without one
// takes the next channel (here the printed packet).
func TestSendGridDeliversToOfficeContacts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st)
		fake := deliverytest.NewSendGrid(t)
		settings := fastSettings(time.Minute, 100*time.Millisecond)
		settings.Channels = []delivery.Channel{sendgrid.Name, packet.Name}
		w := dispatch.NewWorker(st, e.keys, []delivery.Sender{sgClient(t, fake, "SG.contacts"), packet.Sender{}}, campInfo(st), settings, quiet(), nil)
		client := newClient(t, st, w, 4, "")
		ids, err := st.CreateLetters(ctx, e.letters(), dispatch.Enqueuer{Client: client}.EnqueueTx)
		if err != nil || len(ids) != len(offices) {
			t.Fatalf("letters %v %v", ids, err)
		}
		// The contacts arrive after the letters were written.
		pelosi := offices[0].BioguideID
		list := []contacts.Contact{
			{Name: "Front desk", Role: "Scheduler"}, // no email: skipped
			{Name: "Rosa Díaz", Role: "Immigration legislative assistant", Email: "rosa.diaz@mail.house.example.gov", Fax: "(202) 555-0143"},
			{Name: "Sam Lee", Role: "Chief of staff", Email: "sam.lee@mail.house.example.gov"},
		}
		if errs := contacts.CheckOffice(pelosi, list, nil); len(errs) > 0 {
			t.Fatal(errs)
		}
		if err := st.ReplaceOfficeContacts(ctx, pelosi, list, store.Audit{Action: "test.contacts"}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = st.ReplaceOfficeContacts(context.Background(), pelosi, nil, store.Audit{Action: "test.contacts"})
		})
		start(t, client)
		waitStatus(t, st, ids, delivery.StatusSent)

		reqs := fake.Requests(ids[0])
		if len(reqs) != 1 || len(reqs[0].Mail.Personalizations) != 1 || len(reqs[0].Mail.Personalizations[0].To) != 1 ||
			reqs[0].Mail.Personalizations[0].To[0].Email != "rosa.diaz@mail.house.example.gov" {
			t.Fatalf("SendGrid requests for the office with a contact: %+v", reqs)
		}
		if l := loadLetter(t, st, ids[0]); l.Channel != string(sendgrid.Name) {
			t.Errorf("office with a contact email went by %q", l.Channel)
		}
		for _, id := range ids[1:] {
			if l := loadLetter(t, st, id); l.Channel != string(packet.Name) || fake.Received(id) != 0 {
				t.Errorf("office without a contact: channel %q, %d SendGrid requests", l.Channel, fake.Received(id))
			}
		}
	})
}

// TestRoute is the channel an office's letters take (the coverage view
// asks the same question as the worker).
func TestRoute(t *testing.T) {
	fake := deliverytest.NewSendGrid(t)
	senders := []delivery.Sender{sgClient(t, fake, "SG.route"), packet.Sender{}}
	order := []delivery.Channel{"cwc", sendgrid.Name, packet.Name}
	o := offices[0]
	if ch, ok := dispatch.Route(context.Background(), senders, order, o); !ok || ch != packet.Name {
		t.Errorf("no email: %q %v", ch, ok)
	}
	o.Email = "ila@mail.house.example.gov"
	if ch, ok := dispatch.Route(context.Background(), senders, order, o); !ok || ch != sendgrid.Name {
		t.Errorf("with email: %q %v", ch, ok)
	}
	if ch, ok := dispatch.Route(context.Background(), senders, []delivery.Channel{"cwc"}, o); ok {
		t.Errorf("only an unconfigured channel: %q", ch)
	}
	m := dispatch.Merge(dispatch.DefaultSettings(), store.DeliverySettings{Channels: []string{"packet"}, OfficeHourlyCap: 7})
	if len(m.Channels) != 1 || m.Channels[0] != packet.Name || m.OfficeHourlyCap != 7 || m.OfficeDays != "mon-fri" {
		t.Errorf("merge: %+v", m)
	}
}
