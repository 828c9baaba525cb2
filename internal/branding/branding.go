// Package branding is how the organization presents itself to supporters:
// its name, logo, colour, privacy policy and contact, set by an admin and
// shown in the header and footer of public pages and in supporters'
// emails. Supporters trust a page that says whose it is and how to reach
// them; a colour that makes text unreadable is refused, not applied.
package branding

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Branding is the organization's public presentation. Zero fields fall
// back to the site's defaults (the configured organization name, the
// built-in colour, no logo, no links).
type Branding struct {
	Name       string `json:"name"`
	LogoURL    string `json:"logo_url"`    // https, shown at most 40 px tall
	Color      string `json:"color"`       // #rrggbb: header, buttons, links
	PrivacyURL string `json:"privacy_url"` // the organization's privacy policy
	ContactURL string `json:"contact_url"` // a page, or mailto:address
}

// MinContrast is the contrast white text needs on the colour (and the
// colour as text needs on white): WCAG AA for normal text.
const MinContrast = 4.5

var hexColor = regexp.MustCompile(`^#[0-9a-f]{6}$`)

// Normalize trims what was typed and lower-cases the colour.
func (b *Branding) Normalize() {
	b.Name = strings.Join(strings.Fields(b.Name), " ")
	b.LogoURL, b.PrivacyURL, b.ContactURL = strings.TrimSpace(b.LogoURL), strings.TrimSpace(b.PrivacyURL), strings.TrimSpace(b.ContactURL)
	b.Color = strings.ToLower(strings.TrimSpace(b.Color))
	if len(b.Color) == 4 && strings.HasPrefix(b.Color, "#") { // #abc
		b.Color = "#" + strings.Repeat(b.Color[1:2], 2) + strings.Repeat(b.Color[2:3], 2) + strings.Repeat(b.Color[3:4], 2)
	}
}

// Validate answers each field's problem (field name -> a sentence for
// staff); empty when the branding may be saved.
func (b Branding) Validate() map[string]string {
	errs := map[string]string{}
	if utf8.RuneCountInString(b.Name) > 100 {
		errs["name"] = "Use at most 100 characters."
	} else if strings.ContainsAny(b.Name, "<>") {
		errs["name"] = "Use plain text, without < or >."
	}
	if b.Color != "" {
		if !hexColor.MatchString(b.Color) {
			errs["color"] = "Use a colour like #0b4f8a (a # and six hexadecimal digits)."
		} else if c := Contrast(b.Color, "#ffffff"); c < MinContrast {
			errs["color"] = fmt.Sprintf("This colour is too light: white text on it has a contrast of %.1f:1, and pages need at least %.1f:1 to be readable. Choose a darker colour.", c, MinContrast)
		}
	}
	checkURL := func(field, v string, mailto bool) {
		if v == "" {
			return
		}
		u, err := url.Parse(v)
		switch {
		case err != nil || len(v) > 500:
			errs[field] = "This is not a web address."
		case mailto && u.Scheme == "mailto" && strings.Contains(u.Opaque, "@"):
		case u.Scheme != "https" || u.Host == "":
			if mailto {
				errs[field] = "Use a web address starting with https://, or mailto: and an email address."
			} else {
				errs[field] = "Use a web address starting with https://."
			}
		}
	}
	checkURL("logo_url", b.LogoURL, false)
	checkURL("privacy_url", b.PrivacyURL, false)
	checkURL("contact_url", b.ContactURL, true)
	return errs
}

// LogoOrigin is the scheme and host of the logo ("" without a logo): the
// pages' Content-Security-Policy allows images from it.
func (b Branding) LogoOrigin() string {
	u, err := url.Parse(b.LogoURL)
	if err != nil || b.LogoURL == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// DarkColor is the colour darkened by a quarter, for hover states.
func (b Branding) DarkColor() string {
	r, g, bl, ok := rgb(b.Color)
	if !ok {
		return ""
	}
	d := func(v float64) int { return int(math.Round(v * 255 * 0.75)) }
	return fmt.Sprintf("#%02x%02x%02x", d(r), d(g), d(bl))
}

// Contrast is the WCAG contrast ratio of two #rrggbb colours (1 to 21).
func Contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(hex string) float64 {
	r, g, b, ok := rgb(hex)
	if !ok {
		return 1
	}
	lin := func(c float64) float64 {
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

func rgb(hex string) (r, g, b float64, ok bool) {
	if !hexColor.MatchString(hex) {
		return 0, 0, 0, false
	}
	v := func(s string) float64 { n, _ := strconv.ParseUint(s, 16, 8); return float64(n) / 255 }
	return v(hex[1:3]), v(hex[3:5]), v(hex[5:7]), true
}
