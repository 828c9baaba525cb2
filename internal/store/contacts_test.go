package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/outreach-org/outreach/internal/contacts"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

func TestOfficeContacts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a := store.Audit{Action: "test.contacts"}
		// Made-up ids: the package's tests share a database.
		const x, y, z = "T100001", "T100002", "T100003"
		if err := s.ReplaceOfficeContacts(ctx, x, []contacts.Contact{{Name: "Old", Email: "old@x.gov"}}, a); err != nil {
			t.Fatal(err)
		}
		if err := s.ReplaceOfficeContacts(ctx, z, []contacts.Contact{{Name: "Kept", Email: "kept@z.gov"}}, a); err != nil {
			t.Fatal(err)
		}
		p, err := contacts.ParseCSV(strings.NewReader("bioguide_id,name,role,email,fax\n"+
			x+",Desk,,,\n"+x+",Rosa,LA,rosa@x.gov,\n"+x+",Sam,CoS,sam@x.gov,\n"+y+",Lee,LD,,202-555-0199\n"), nil)
		if err != nil || len(p.Errors) > 0 {
			t.Fatal(p.Errors, err)
		}
		n, err := s.ImportOfficeContacts(ctx, p, a)
		if err != nil || n != 4 {
			t.Fatalf("import %d %v", n, err)
		}
		got, err := s.OfficeContacts(ctx, x)
		if err != nil || len(got) != 3 || got[0].Name != "Desk" || got[1].Email != "rosa@x.gov" || got[2].Name != "Sam" || got[0].UpdatedAt.IsZero() {
			t.Fatalf("office x: %+v %v", got, err)
		}
		// The office the file does not name keeps its contacts.
		if got, _ := s.OfficeContacts(ctx, z); len(got) != 1 || got[0].Name != "Kept" {
			t.Errorf("office z: %+v", got)
		}
		emails, err := s.OfficeEmails(ctx)
		// The first contact with an email; none for an office with a fax only.
		if _, has := emails[y]; err != nil || emails[x] != "rosa@x.gov" || emails[z] != "kept@z.gov" || has {
			t.Errorf("emails %v %v", emails, err)
		}
		all, err := s.AllOfficeContacts(ctx)
		if err != nil || len(all) < 5 {
			t.Errorf("all %d %v", len(all), err)
		}
		if err := s.ReplaceOfficeContacts(ctx, x, nil, a); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.OfficeContacts(ctx, x); len(got) != 0 {
			t.Errorf("after removing: %+v", got)
		}
		entries, err := s.AuditLog(ctx, 0, 5)
		if err != nil || len(entries) == 0 || entries[0].ObjectType != "office" || entries[0].ObjectID != x {
			t.Errorf("audit %+v %v", entries, err)
		}
		for _, id := range []string{y, z} {
			_ = s.ReplaceOfficeContacts(ctx, id, nil, a)
		}
	})
}
