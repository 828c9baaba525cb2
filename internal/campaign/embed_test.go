package campaign_test

import (
	"strings"
	"testing"

	"github.com/outreach-org/outreach/internal/campaign"
)

func TestNormalizeOrigin(t *testing.T) {
	ok := map[string]string{
		"https://www.example.org":        "https://www.example.org",
		" HTTPS://WWW.Example.ORG/ ":     "https://www.example.org",
		"https://example.org:443":        "https://example.org",
		"https://example.org:8443":       "https://example.org:8443",
		"http://localhost:8000":          "http://localhost:8000",
		"http://127.0.0.1:5173":          "http://127.0.0.1:5173",
		"http://localhost:80":            "http://localhost",
		"https://xn--espaol-zwa.example": "https://xn--espaol-zwa.example",
	}
	for in, want := range ok {
		got, err := campaign.NormalizeOrigin(in)
		if err != nil || got != want {
			t.Errorf("campaign.NormalizeOrigin(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := map[string]string{
		"http://www.example.org":          "must use https",
		"www.example.org":                 "not an origin",
		"https://www.example.org/action":  "without a path",
		"https://www.example.org?x=1":     "without a path, query",
		"https://user@www.example.org":    "user",
		"https://*.example.org":           "wildcards",
		"https://a.org https://b.org":     "no spaces",
		"https://example.org; script-src": "no spaces",
		"ftp://example.org":               "must start with https://",
		"javascript:alert(1)":             "not an origin",
		"https://93.184.216.34":           "not an IP address",
		"http://10.0.0.1":                 "must use https",
		"https://example.org:0":           "port",
		"https://example.org:99999":       "port",
		"https://exa_mple.org":            "not a domain name",
		"https://[::1]:8000":              "IPv6",
		"'self'":                          "quotes",
	}
	for in, want := range bad {
		got, err := campaign.NormalizeOrigin(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("campaign.NormalizeOrigin(%q) = %q, %v; want an error saying %q", in, got, err, want)
		}
	}
}

// TestValidateEmbedOrigins: campaign.Validate normalizes the list, drops
// duplicates, and names every bad entry under embed_origins.
func TestValidateEmbedOrigins(t *testing.T) {
	c := valid()
	c.EmbedOrigins = campaign.ParseOrigins("https://Example.org/\nhttps://example.org, http://localhost:3000")
	if _, err := campaign.Validate(&c, nil); err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.EmbedOrigins, " ") != "https://example.org http://localhost:3000" {
		t.Errorf("origins = %q", c.EmbedOrigins)
	}
	c.EmbedOrigins = []string{"http://example.org", "https://ok.example", "example.net"}
	_, err := campaign.Validate(&c, nil)
	ve, ok := err.(*campaign.ValidationError)
	if !ok {
		t.Fatalf("err = %v", err)
	}
	var msgs []string
	for _, fe := range ve.Errors {
		if fe.Field == "embed_origins" {
			msgs = append(msgs, fe.Message)
		}
	}
	if len(msgs) != 2 || !strings.Contains(msgs[0], `"http://example.org"`) || !strings.Contains(msgs[1], `"example.net"`) {
		t.Errorf("refusals = %q", msgs)
	}
	c.EmbedOrigins = make([]string, campaign.MaxEmbedOrigins+1)
	for i := range c.EmbedOrigins {
		c.EmbedOrigins[i] = "https://example.org"
	}
	if _, err := campaign.Validate(&c, nil); err == nil || !strings.Contains(err.Error(), "at most 20") {
		t.Errorf("21 origins: %v", err)
	}
}
