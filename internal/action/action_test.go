package action

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/seal"
)

func validForm() Form {
	return Form{Prefix: "Ms.", FirstName: "Ana María", LastName: "García-López", Email: "Ana@Example.org", Address1: "3200 24th St",
		City: "San Francisco", State: "ca", ZIP: "94110-1234", Phone: "(415) 555-0134", Note: "Families belong together.\nPlease act."}
}

func TestValidate(t *testing.T) {
	f := validForm()
	f.Normalize()
	if errs := f.Validate(); len(errs) != 0 {
		t.Fatalf("valid form refused: %v", errs)
	}
	if f.Email != "ana@example.org" || f.State != "CA" || f.Phone != "415-555-0134" {
		t.Errorf("normalized: %+v", f)
	}
	cases := []struct {
		edit  func(*Form)
		field string
	}{
		{func(f *Form) { f.Prefix = "King" }, "prefix"},
		{func(f *Form) { f.FirstName = "" }, "first_name"},
		{func(f *Form) { f.LastName = "Smith\r\nBcc: x@example.org" }, "last_name"},
		{func(f *Form) { f.LastName = "<b>Smith</b>" }, "last_name"},
		{func(f *Form) { f.FirstName = strings.Repeat("a", 51) }, "first_name"},
		{func(f *Form) { f.Email = "not-an-email" }, "email"},
		{func(f *Form) { f.Email = "a@localhost" }, "email"},
		{func(f *Form) { f.Address1 = "" }, "address1"},
		{func(f *Form) { f.Address1 = "1 Main <script>" }, "address1"},
		{func(f *Form) { f.City = "San\tFrancisco" }, "city"},
		{func(f *Form) { f.State = "ZZ" }, "state"},
		{func(f *Form) { f.ZIP = "9411" }, "zip"},
		{func(f *Form) { f.Phone = "555-0134" }, "phone"},
		{func(f *Form) { f.Phone = "call me" }, "phone"},
		{func(f *Form) { f.Note = strings.Repeat("é", MaxNote+1) }, "note"},
		{func(f *Form) { f.Note = "hello <script>alert(1)</script>" }, "note"},
		{func(f *Form) { f.Note = "bell\a" }, "note"},
	}
	for i, c := range cases {
		f := validForm()
		f.State = "CA"
		c.edit(&f)
		errs := f.Validate()
		if _, ok := errs[c.field]; !ok || len(errs) != 1 {
			t.Errorf("case %d: errors %v, want only %s", i, errs, c.field)
		}
	}
	// near misses that must pass
	f = validForm()
	f.LastName, f.Note, f.Phone = "O’Brien", "I <3 my family", "+1 415 555 0134"
	f.Normalize()
	if errs := f.Validate(); len(errs) != 0 {
		t.Errorf("near misses refused: %v", errs)
	}
	f.Note = strings.Repeat("é", MaxNote)
	if errs := f.Validate(); len(errs) != 0 {
		t.Errorf("a paragraph of exactly %d characters refused: %v", MaxNote, errs)
	}
}

func TestTokens(t *testing.T) {
	sg := NewSigner(seal.NewRandom().Index)
	now := time.Now()
	tok := sg.Sign("confirm", "42", now.Add(time.Hour))
	if v, err := sg.Verify("confirm", tok, now); err != nil || v != "42" {
		t.Fatalf("verify: %q %v", v, err)
	}
	if _, err := sg.Verify("forget", tok, now); !errors.Is(err, ErrBadToken) {
		t.Errorf("token used for another purpose: %v", err)
	}
	if _, err := sg.Verify("confirm", tok, now.Add(2*time.Hour)); !errors.Is(err, ErrExpiredToken) {
		t.Errorf("expired token: %v", err)
	}
	forged := strings.Replace(tok, "NDI", "NDM", 1) // "42" -> "43"
	if forged == tok {
		t.Fatal("test did not forge anything")
	}
	if _, err := sg.Verify("confirm", forged, now); !errors.Is(err, ErrBadToken) {
		t.Errorf("forged value accepted: %v", err)
	}
	other := NewSigner(seal.NewRandom().Index)
	if _, err := other.Verify("confirm", tok, now); !errors.Is(err, ErrBadToken) {
		t.Errorf("token accepted under another key: %v", err)
	}
	for _, bad := range []string{"", "a.b", "a.b.c.d", strings.Repeat("x", 600)} {
		if _, err := sg.Verify("confirm", bad, now); !errors.Is(err, ErrBadToken) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	never := sg.Sign("unsub", "idx", time.Time{})
	if v, err := sg.Verify("unsub", never, now.Add(10*365*24*time.Hour)); err != nil || v != "idx" {
		t.Errorf("a token without expiry: %q %v", v, err)
	}
}
