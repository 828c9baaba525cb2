package action

import (
	"errors"
	"net/url"
	"regexp"
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

// TestRedactTokens: every kind of link a supporter email carries keeps its
// address but loses its token, so a link shown to staff does not work.
func TestRedactTokens(t *testing.T) {
	keys := seal.NewRandom()
	sg := NewSigner(keys.Index)
	now := time.Now()
	idx := keys.Index("email", "ana@example.org")
	links := map[string]string{
		"confirm": "https://act.example.org/c/demo/confirm?lang=en&t=" + sg.Sign("confirm", "42", now.Add(48*time.Hour)),
		"unsub":   "https://act.example.org/u?lang=es&t=" + sg.Sign("unsub", idx, time.Time{}),
		"forget":  "https://act.example.org/forget?t=" + sg.Sign("forget", idx, time.Time{}) + "&lang=en",
		"optin":   "https://act.example.org/optin?lang=en&t=" + sg.Sign("optin", idx, now.Add(7*24*time.Hour)),
		"survey":  "https://act.example.org/c/demo/survey?a=replied&lang=en&t=" + sg.Sign("survey", "7", now.Add(time.Hour)),
	}
	for purpose, link := range links {
		text := "Hi Ana,\nfollow " + link + "\nor <" + link + ">."
		got := RedactTokens(text)
		u := regexp.MustCompile(`https://\S+[^>.\s]`).FindString(got)
		parsed, err := url.Parse(u)
		if err != nil {
			t.Fatalf("%s: %v", purpose, err)
		}
		if parsed.Query().Get("t") != RemovedToken || strings.Count(got, RemovedToken) != 2 {
			t.Errorf("%s: token left in %q", purpose, got)
		}
		if _, err := sg.Verify(purpose, parsed.Query().Get("t"), now); err == nil {
			t.Errorf("%s: the redacted link still works", purpose)
		}
		if !strings.HasPrefix(got, "Hi Ana,\nfollow https://act.example.org/") {
			t.Errorf("%s: text around the link changed: %q", purpose, got)
		}
	}
}
