package campaign

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// MaxEmbedOrigins bounds a campaign's embed allow-list: each origin goes
// into the frame-ancestors directive of every embed response.
const MaxEmbedOrigins = 20

// NormalizeOrigin turns what staff typed ("https://Example.org/",
// "https://example.org:443") into the origin a browser sends
// ("https://example.org"), or says why it is not one. Only an origin is
// accepted: scheme and host with an optional port, https, or http for
// localhost and 127.0.0.1 only (a page being built on the organizer's own
// machine); no path, query, user or wildcard, because the value is placed
// as is in a Content-Security-Policy frame-ancestors directive.
func NormalizeOrigin(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("is empty")
	}
	if strings.ContainsAny(s, " \t;,'\"*") {
		return "", fmt.Errorf("%q is not an origin: write one like https://www.example.org (no spaces, quotes, commas or wildcards)", s)
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("%q is not an origin: write one like https://www.example.org", s)
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", fmt.Errorf("%q is not an origin: write only the scheme and host, like https://www.example.org, without a path, query or user", s)
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	local := host == "localhost" || host == "127.0.0.1"
	switch {
	case scheme == "https":
	case scheme == "http" && local:
	case scheme == "http":
		return "", fmt.Errorf("%q must use https (http is accepted only for localhost and 127.0.0.1)", s)
	default:
		return "", fmt.Errorf("%q must start with https:// (http:// only for localhost and 127.0.0.1)", s)
	}
	if host == "" || strings.HasPrefix(host, "[") || strings.Contains(host, ":") {
		return "", fmt.Errorf("%q must name a host such as www.example.org (IPv6 addresses are not accepted)", s)
	}
	if ip := net.ParseIP(host); ip != nil && !local {
		return "", fmt.Errorf("%q must name the site by its domain name, not an IP address (127.0.0.1 excepted)", s)
	}
	if ip := net.ParseIP(host); ip == nil && !validHost(host) {
		return "", fmt.Errorf("%q has a host that is not a domain name", s)
	}
	if port != "" {
		var n int
		if _, err := fmt.Sscanf(port, "%d", &n); err != nil || n < 1 || n > 65535 || fmt.Sprint(n) != port {
			return "", fmt.Errorf("%q has a port that is not a number from 1 to 65535", s)
		}
		if (scheme == "https" && n == 443) || (scheme == "http" && n == 80) {
			port = "" // the browser leaves the default port out of the origin
		}
	}
	out := scheme + "://" + host
	if port != "" {
		out += ":" + port
	}
	return out, nil
}

// validHost accepts letters, digits, hyphens and dots, labels not
// starting or ending with a hyphen (punycode for other scripts).
func validHost(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// ParseOrigins splits the editor's text box into entries: one origin a
// line (commas and spaces also separate). Validate checks each.
func ParseOrigins(text string) []string {
	f := strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ' ' || r == '\t' })
	return f
}

// checkEmbedOrigins normalizes c.EmbedOrigins in place, adding one
// refusal per bad entry (naming it) under the field embed_origins.
func checkEmbedOrigins(add addFunc, c *Campaign) {
	if len(c.EmbedOrigins) > MaxEmbedOrigins {
		add("embed_origins", "may list at most %d sites (it lists %d)", MaxEmbedOrigins, len(c.EmbedOrigins))
		return
	}
	seen := map[string]bool{}
	out := make([]string, 0, len(c.EmbedOrigins))
	for _, o := range c.EmbedOrigins {
		n, err := NormalizeOrigin(o)
		if err != nil {
			add("embed_origins", "%s", err.Error())
			continue
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	c.EmbedOrigins = out
}
