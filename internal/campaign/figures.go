package campaign

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/outreach-org/outreach/internal/casestats"
	"github.com/outreach-org/outreach/internal/letter"
)

// Release is a published statistics release as letters quote it: the
// letter package's StatSource (with StatAvailability and ReleaseSource),
// answering {{stat}}, {{if stat_available}}, {{release_id}} and
// {{release_date}}. The zero value is "no release": every statistic is
// unavailable.
type Release struct {
	ID        int64
	AsOf      time.Time // when it was published
	Synthetic bool      // computed from the synthetic demonstration records
	Figures   *casestats.Figures
}

// Stat implements letter.StatSource (the English text a letter quotes).
func (r Release) Stat(key string) (string, bool) {
	if r.Figures == nil {
		return "", false
	}
	return r.Figures.Stat(key)
}

// StatAvailable implements letter.StatAvailability: false for a figure
// the release shows as "not published".
func (r Release) StatAvailable(key string) bool {
	return r.Figures != nil && r.Figures.StatAvailable(key)
}

// Release implements letter.ReleaseSource: "7", "November 3, 2026" (the
// day it was published, UTC, as /stats shows it).
func (r Release) Release() (id, date string, ok bool) {
	if r.Figures == nil || r.ID == 0 {
		return "", "", false
	}
	return strconv.FormatInt(r.ID, 10), ReleaseDate(r.AsOf), true
}

// ReleaseDate writes a release's date as letters do: "November 3, 2026".
func ReleaseDate(t time.Time) string { return t.UTC().Format("January 2, 2006") }

// Citation is the line appended to a letter that quotes figures, unless
// the campaign turns it off: "Figures: Families Together statistics
// release 7 of November 3, 2026, https://example.org/stats". A synthetic
// release is always cited, and says what it is: "Figures: synthetic
// demonstration data, not real cases (statistics release 2 of ...)". It
// is "" without a release.
func Citation(org, statsURL string, r Release) string {
	id, date, ok := r.Release()
	if !ok {
		return ""
	}
	if r.Synthetic {
		return fmt.Sprintf("Figures: synthetic demonstration data, not real cases (%s statistics release %s of %s, %s).", org, id, date, statsURL)
	}
	return fmt.Sprintf("Figures: %s statistics release %s of %s, %s.", org, id, date, statsURL)
}

// CitationFor is the citation line of a letter of campaign c quoting rel:
// "" when the letter quotes nothing of a release or the campaign turned
// the line off (NoCitation), except that a synthetic release is always
// cited, labelled as such.
func (cp *Compiled) CitationFor(c Campaign, org, statsURL string, rel Release) string {
	if !cp.QuotesRelease() || (c.NoCitation && !rel.Synthetic) {
		return ""
	}
	return Citation(org, statsURL, rel)
}

// QuotesRelease reports whether any part of the letter depends on a
// statistics release: a statistic, a stat_available guard, or the
// release's id or date. Only such letters record their release and carry
// the citation line.
func (cp *Compiled) QuotesRelease() bool {
	if cp.Letter != nil && (cp.Letter.Subject.QuotesRelease() || cp.Letter.Body.QuotesRelease()) {
		return true
	}
	return cp.Statement != nil && cp.Statement.QuotesRelease()
}

// Refusals lists what saving (and the preview) refuses in a letter that
// compiles: the figures rel does not publish (Unpublished) and the
// committee fields printed where they would be empty (Blank).
func (cp *Compiled) Refusals(rel Release) []FieldError {
	return append(cp.Unpublished(rel), cp.Blank()...)
}

// Blank lists, with line and column, every committee field
// ({{.committee_names}}, {{.committee_roles}}) the letter prints outside an
// {{if}} on it: most members sit on none of the committees, and their
// letters would read "As , please". One error per field and part, at its
// first use.
func (cp *Compiled) Blank() []FieldError {
	var out []FieldError
	check := func(field string, t *letter.Template) {
		if t == nil {
			return
		}
		seen := map[string]bool{}
		for _, u := range t.UnguardedBlank() {
			if seen[u.Field] {
				continue
			}
			seen[u.Field] = true
			out = append(out, FieldError{Field: field, Line: u.Line, Column: u.Column, Message: fmt.Sprintf(
				"{{.%s}} is empty for members who sit on none of the committees, and the letter would read as if a word were "+
					"missing; put the sentence inside {{if .%s}}...{{end}} (with {{else}} for the others, if you like)", u.Field, u.Field)})
		}
	}
	if cp.Letter != nil {
		check("subject", cp.Letter.Subject)
		check("template", cp.Letter.Body)
	}
	check("organization_statement", cp.Statement)
	return out
}

// Unpublished lists, as field errors with line and column, every
// statistic the letter prints outside a {{if stat_available "key"}} guard
// that rel does not publish (it would read "not published" in a
// sentence). One error per statistic and field, at its first use.
func (cp *Compiled) Unpublished(rel Release) []FieldError {
	var out []FieldError
	for _, u := range cp.unpublished(rel) {
		out = append(out, FieldError{Field: u.field, Line: u.Line, Column: u.Column, Message: fmt.Sprintf(
			"the statistic %q (%s) is not published in statistics release %d of %s: a letter would read \"not published\" here; "+
				"put the sentence inside {{if stat_available %q}}...{{end}} so letters leave it out while the figure is not published",
			u.Key, statLabel(rel.Figures, u.Key), rel.ID, ReleaseDate(rel.AsOf), u.Key)})
	}
	return out
}

type fieldUse struct {
	field string
	letter.StatUse
}

func (cp *Compiled) unpublished(rel Release) []fieldUse {
	if rel.Figures == nil {
		return nil
	}
	var out []fieldUse
	check := func(field string, t *letter.Template) {
		if t == nil {
			return
		}
		seen := map[string]bool{}
		for _, u := range t.Unguarded() {
			if seen[u.Key] || rel.StatAvailable(u.Key) {
				continue
			}
			seen[u.Key] = true
			out = append(out, fieldUse{field, u})
		}
	}
	if cp.Letter != nil {
		check("subject", cp.Letter.Subject)
		check("template", cp.Letter.Body)
	}
	check("organization_statement", cp.Statement)
	return out
}

// HoldReason is why a live campaign's letters are held after rel was
// published: the statistics its letter prints unguarded that rel does not
// publish; "" when there are none.
func (cp *Compiled) HoldReason(rel Release) string {
	var keys []string
	seen := map[string]bool{}
	for _, u := range cp.unpublished(rel) {
		if !seen[u.Key] {
			seen[u.Key] = true
			keys = append(keys, fmt.Sprintf("%q (%s)", u.Key, statLabel(rel.Figures, u.Key)))
		}
	}
	if len(keys) == 0 {
		return ""
	}
	return fmt.Sprintf("statistics release %d of %s does not publish %s, which the letter prints outside {{if stat_available}}: "+
		"its letters are not delivered until the template is fixed (or a later release publishes the figure)",
		rel.ID, ReleaseDate(rel.AsOf), strings.Join(keys, ", "))
}

// statLabel is the English label of a statistic key.
func statLabel(f *casestats.Figures, key string) string {
	if f != nil {
		for _, fig := range f.Figures {
			if fig.Key == key && fig.Label != "" {
				return fig.Label
			}
		}
	}
	return casestats.KeyLabel(key)
}

// ValidateWith is Validate, and in addition refuses a letter that prints,
// outside a stat_available guard, a statistic rel (the latest release)
// does not publish. With no release (rel.Figures nil) it is Validate.
func ValidateWith(c *Campaign, prev *Campaign, rel Release) (*Compiled, error) {
	cp, err := Validate(c, prev)
	if err != nil {
		return nil, err
	}
	if errs := append(cp.Refusals(rel), cp.Script.Unpublished(rel)...); len(errs) > 0 {
		v := &ValidationError{Errors: errs, ValidFields: letter.FieldNames(), ValidStatKeys: StatKeys()}
		sortByForm(v.Errors)
		return nil, v
	}
	return cp, nil
}
