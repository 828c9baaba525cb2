package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestPasswords(t *testing.T) {
	if _, err := HashPassword("short"); !errors.Is(err, ErrWeakPassword) {
		t.Errorf("short password: %v", err)
	}
	if _, err := HashPassword(strings.Repeat("x", 257)); !errors.Is(err, ErrLongPassword) {
		t.Errorf("long password: %v", err)
	}
	h, err := HashPassword("correct horse battery")
	if err != nil || !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q %v", h, err)
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	if !VerifyPassword(h, "correct horse battery") || VerifyPassword(h, "correct horse batterY") {
		t.Error("verification is wrong")
	}
	for _, bad := range []string{"", "$argon2id$", "$bcrypt$x$y$z$w", strings.Replace(h, "m=19456", "m=99999999", 1)} {
		if VerifyPassword(bad, "correct horse battery") {
			t.Errorf("accepted malformed hash %q", bad)
		}
	}
}

func TestRolesDenyByDefault(t *testing.T) {
	if Role("intern").Can(PermStaff) {
		t.Error("an unknown role has a permission")
	}
	if !Admin.Can(PermExportPII) || Campaigner.Can(PermExportPII) || Organizer.Can(PermEditCampaigns) || CaseEditor.Can(PermViewCampaigns) {
		t.Error("role table is not as documented")
	}
	for _, r := range Roles {
		if !r.Can(PermStaff) {
			t.Errorf("%s cannot use its own account", r)
		}
		if got, err := ParseRole(string(r)); err != nil || got != r {
			t.Errorf("ParseRole(%s) = %s %v", r, got, err)
		}
	}
	if _, err := ParseRole("root"); err == nil {
		t.Error("ParseRole accepted root")
	}
}

func TestEmailsAndSecrets(t *testing.T) {
	if e, err := NormalizeEmail("  Ana@Example.ORG "); err != nil || e != "ana@example.org" {
		t.Errorf("normalize: %q %v", e, err)
	}
	for _, bad := range []string{"", "ana", "ana@localhost", "Ana <ana@example.org>", "a\r\nb@example.org", "a b@example.org"} {
		if _, err := NormalizeEmail(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	s1, h1, err := NewSecret(SessionPrefix)
	s2, _, _ := NewSecret(SessionPrefix)
	if err != nil || s1 == s2 || !strings.HasPrefix(s1, SessionPrefix) || HashSecret(s1) != h1 || h1 == s1 {
		t.Errorf("secrets: %q %q %q %v", s1, s2, h1, err)
	}
	tok, prefix, hash, err := NewAPIToken()
	if err != nil || !strings.HasPrefix(tok, prefix) || len(prefix) != len(TokenPrefix)+6 || HashSecret(tok) != hash {
		t.Errorf("api token: %q %q %v", tok, prefix, err)
	}
	if ThrottleKey("acct", "A@x.org") != ThrottleKey("acct", "a@x.org") || strings.Contains(ThrottleKey("acct", "a@x.org"), "x.org") {
		t.Error("throttle keys must be case-insensitive hashes")
	}
}
