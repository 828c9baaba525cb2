package signon

import (
	"strings"
	"testing"
)

// TestDuplicateKeys: the keys staff see duplicates by ignore what names
// and addresses vary in, and tell apart what differs.
func TestDuplicateKeys(t *testing.T) {
	for _, c := range []struct{ a, b string }{
		{"The Florence Project, Inc.", "florence project"},
		{"Coalición de Derechos Humanos", "Coalicion de derechos humanos"},
		{"Al Otro Lado", "AL OTRO LADO  "},
		{"Kids in Need of Defense (KIND)", "kids in need defense kind"},
	} {
		if NameKey(c.a) != NameKey(c.b) {
			t.Errorf("NameKey(%q) = %q, NameKey(%q) = %q", c.a, NameKey(c.a), c.b, NameKey(c.b))
		}
	}
	if NameKey("Florence Project") == NameKey("Florence Immigrant Project") {
		t.Error("different names share a key")
	}
	if SiteKey("https://www.Example.org/about") != "example.org" || SiteKey("example.org") != "example.org" || SiteKey("") != "" {
		t.Errorf("SiteKey: %q %q", SiteKey("https://www.Example.org/about"), SiteKey("example.org"))
	}
	if OrgDomain("ana@Florence-Project.org") != "florence-project.org" || OrgDomain("ana@gmail.com") != "" {
		t.Error("OrgDomain: webmail is no organization")
	}
}

// TestValidate: each field's refusal is named, and a website gets its
// scheme.
func TestValidate(t *testing.T) {
	f := Form{Organization: " Al Otro  Lado ", City: "San Diego", State: "ca", ContactName: "Erika Pinheiro", Email: " Erika@AlOtroLado.org ", Website: "alotrolado.org"}
	f.Normalize()
	if e := f.Validate(); len(e) != 0 {
		t.Fatalf("valid form refused: %v", e)
	}
	if f.Organization != "Al Otro Lado" || f.State != "CA" || f.Email != "erika@alotrolado.org" || f.Website != "https://alotrolado.org" {
		t.Errorf("normalized: %+v", f)
	}
	bad := Form{Organization: "<b>x</b>", City: "", State: "XX", ContactName: "A\u200bB", Email: "not-an-email", Website: "javascript:alert(1)"}
	bad.Normalize()
	e := bad.Validate()
	want := map[string]string{"organization": "act.err.plain_text", "city": "sign.err.required.city", "state": "sign.err.state",
		"contact_name": "act.err.invisible", "email": "act.err.email", "org_website": "sign.err.website"}
	for k, v := range want {
		if e[k] != v {
			t.Errorf("%s: %q, want %q", k, e[k], v)
		}
	}
	long := Form{Organization: strings.Repeat("a", MaxOrganization+1), City: "X", State: "TX", ContactName: "A", Email: "a@b.org"}
	if e := long.Validate(); e["organization"] != "sign.err.too_long" {
		t.Errorf("long name: %v", e)
	}
}

func TestList(t *testing.T) {
	got := List([]Org{{"Al Otro Lado", "San Diego", "CA"}, {"Florence Project", "Tucson", "AZ"}})
	want := "Signed by 2 organizations:\n\nAl Otro Lado (San Diego, CA)\nFlorence Project (Tucson, AZ)"
	if got != want {
		t.Errorf("List:\n%s\nwant:\n%s", got, want)
	}
	if List(nil) != "" || !strings.HasPrefix(List([]Org{{"A", "B", "TX"}}), "Signed by 1 organization:") {
		t.Error("List of none or one")
	}
}
