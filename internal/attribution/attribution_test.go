package attribution

import "testing"

func TestToken(t *testing.T) {
	for raw, want := range map[string]string{
		"newsletter":       "newsletter",
		"  Share-SMS ":     "share-sms",
		"Fall Mailer":      "fall-mailer",
		"fall+mailer":      "fall-mailer",
		"email-20261205":   "email-20261205",
		"partner.org_list": "partner.org_list",
		"":                 "",
		"jane@example.org": "", // an address is personal data
		"call-5555550123":  "", // a phone number too
		"5555550123":       "", // and a bare one
		"<script>":         "", // markup
		"caf\u00e9":        "", // outside the token characters
		"a/b":              "", // a path
		"x-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": "", // too long
		"--email--": "email",
	} {
		if got := Token(raw); got != want {
			t.Errorf("Token(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestFrom(t *testing.T) {
	q := map[string]string{"utm_source": "Newsletter", "utm_medium": "email", "utm_campaign": "jane@example.org"}
	a := From(func(k string) string { return q[k] })
	if a != (Attribution{Source: "newsletter", UTMSource: "newsletter", UTMMedium: "email"}) {
		t.Errorf("utm only: %+v", a)
	}
	q["source"] = "share-email"
	a = From(func(k string) string { return q[k] })
	if a.Source != "share-email" || a.UTMSource != "newsletter" {
		t.Errorf("source and utm_source: %+v", a)
	}
	// carried as hidden fields and read back, it is the same
	vals := map[string]string{}
	for _, f := range a.Fields() {
		vals[f.Name] = f.Value
	}
	if b := From(func(k string) string { return vals[k] }); b != a {
		t.Errorf("round trip %+v != %+v", b, a)
	}
}
