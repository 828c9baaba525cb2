package redact

import "testing"

func TestKnown(t *testing.T) {
	text := "Dear Senator Padilla,\nI am Ana García (ANA@example.org), 3200 24th St, San Francisco 94110.\nBanana bread.\nSincerely,\nana garcía"
	got := Known(text, Value{"name", "Ana"}, Value{"name", "García"}, Value{"email", "ana@example.org"},
		Value{"address", "3200 24th St"}, Value{"ZIP", "94110"}, Value{"initial", "A"}, Value{"empty", "  "})
	want := "Dear Senator Padilla,\nI am [name] [name] ([email]), [address], San Francisco [ZIP].\nBanana bread.\nSincerely,\n[name] [name]"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	// accents are letters: "José" is hidden as a word, not inside "Josélito"
	if got := Known("José, Josélito", Value{"name", "José"}); got != "[name], Josélito" {
		t.Errorf("accents: %q", got)
	}
}

func TestEmailAndDigits(t *testing.T) {
	if got := Email("ana@example.org"); got != "a•••@•••.org" {
		t.Errorf("email: %q", got)
	}
	if got := Email("not an address"); got != "•••" {
		t.Errorf("no address: %q", got)
	}
	if got := Digits("(415) 555-0134"); got != "4155550134" {
		t.Errorf("digits: %q", got)
	}
}
