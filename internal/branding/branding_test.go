package branding_test

import (
	"math"
	"testing"

	"github.com/outreach-org/outreach/internal/branding"
)

func TestValidate(t *testing.T) {
	ok := branding.Branding{Name: "Families Together", LogoURL: "https://example.org/logo.png", Color: "#0B4F8A",
		PrivacyURL: "https://example.org/privacy", ContactURL: "mailto:help@example.org"}
	ok.Normalize()
	if errs := ok.Validate(); len(errs) != 0 || ok.Color != "#0b4f8a" {
		t.Fatalf("valid branding refused: %v (%s)", errs, ok.Color)
	}
	for _, tc := range []struct {
		b     branding.Branding
		field string
	}{
		{branding.Branding{Color: "#ffcc00"}, "color"}, // white on yellow: unreadable
		{branding.Branding{Color: "blue"}, "color"},
		{branding.Branding{Color: "#12345"}, "color"},
		{branding.Branding{LogoURL: "http://example.org/logo.png"}, "logo_url"},
		{branding.Branding{LogoURL: "javascript:alert(1)"}, "logo_url"},
		{branding.Branding{PrivacyURL: "/privacy"}, "privacy_url"},
		{branding.Branding{ContactURL: "mailto:nobody"}, "contact_url"},
		{branding.Branding{Name: "<b>Org</b>"}, "name"},
	} {
		tc.b.Normalize()
		if errs := tc.b.Validate(); errs[tc.field] == "" {
			t.Errorf("%+v: no error for %s (%v)", tc.b, tc.field, errs)
		}
	}
	short := branding.Branding{Color: "#036"}
	short.Normalize()
	if short.Color != "#003366" || len(short.Validate()) != 0 {
		t.Errorf("#036 became %s", short.Color)
	}
}

func TestContrastAndDark(t *testing.T) {
	if c := branding.Contrast("#000000", "#ffffff"); math.Abs(c-21) > 0.01 {
		t.Errorf("black on white: %.2f", c)
	}
	if c := branding.Contrast("#0b4f8a", "#ffffff"); c < 7 {
		t.Errorf("the default colour on white: %.2f", c)
	}
	if d := (branding.Branding{Color: "#804020"}).DarkColor(); d != "#603018" {
		t.Errorf("dark colour: %s", d)
	}
	if o := (branding.Branding{LogoURL: "https://cdn.example.org/a/logo.svg"}).LogoOrigin(); o != "https://cdn.example.org" {
		t.Errorf("logo origin: %s", o)
	}
}
