package campaign

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/i18n"
	"github.com/outreach-org/outreach/internal/letter"
)

// Calls, 5 Calls style: a campaign may carry a call script (English and
// Spanish) that supporters read to each of their offices, and may ask
// for calls only (no letters). The script uses the letter package's
// language with the member's fields and the statistics; the supporter's
// own fields are refused, because the call page knows nothing about the
// supporter (and needs nothing: outcomes are counted without personal
// data).

// MaxCallScript caps a call script's source, in bytes (a script is read
// aloud in a minute or two).
const MaxCallScript = 8 << 10

// scriptFields are the merge fields a call script may use: the member's
// and the date.
var scriptFields = []string{"chamber", "date", "district", "member_name", "member_phrase", "member_state", "member_title", "salutation"}

// ScriptFields lists the merge fields a call script may use, sorted.
func ScriptFields() []string { return slices.Clone(scriptFields) }

// Outcome is what a supporter reports after calling an office.
type Outcome string

// The outcomes, in the order the call page offers them.
const (
	Reached   Outcome = "reached"   // spoke to staff
	Voicemail Outcome = "voicemail" // left a voicemail
	Busy      Outcome = "busy"      // busy, or the mailbox was full
	Skipped   Outcome = "skipped"   // did not call this office
)

// Outcomes lists every outcome in the order the call page shows them.
var Outcomes = []Outcome{Reached, Voicemail, Busy, Skipped}

// ParseOutcome validates an outcome name.
func ParseOutcome(s string) (Outcome, bool) {
	for _, o := range Outcomes {
		if string(o) == s {
			return o, true
		}
	}
	return "", false
}

// HasCalls reports whether supporters are asked to call: the campaign has
// a call script (calls-only campaigns must have one).
func (c *Campaign) HasCalls() bool { return c.CallScriptEN != "" }

// Script is a campaign's call script, parsed; ES is nil when there is no
// Spanish script (Spanish readers then get the English one).
type Script struct {
	EN, ES *letter.Template
}

// CompileScript parses the English and Spanish call scripts. Errors
// carry the fields "call_script_en" and "call_script_es" with line and
// column; it returns nil, nil when there is no script.
func CompileScript(en, es string) (*Script, *ValidationError) {
	var v *ValidationError
	add := func(fe FieldError) {
		if v == nil {
			v = &ValidationError{ValidFields: ScriptFields(), ValidStatKeys: slices.Sorted(slices.Values(StatKeys()))}
		}
		v.Errors = append(v.Errors, fe)
	}
	parse := func(field, text string) *letter.Template {
		if strings.TrimSpace(text) == "" {
			return nil
		}
		if len(text) > MaxCallScript {
			add(FieldError{Field: field, Message: fmt.Sprintf("is too long: %d bytes, the limit is %d (a script is read aloud in a minute or two)", len(text), MaxCallScript)})
			return nil
		}
		t, err := letter.Parse(field, text, StatKeys())
		if err != nil {
			var le *letter.ValidationError
			if !errors.As(err, &le) {
				add(FieldError{Field: field, Message: err.Error()})
				return nil
			}
			for _, fe := range le.Errors {
				fe.Field = field
				add(fe)
			}
			return nil
		}
		for _, f := range t.Fields() {
			if !slices.Contains(scriptFields, f) {
				line, col := position(text, "."+f)
				add(FieldError{Field: field, Line: line, Column: col, Message: fmt.Sprintf(
					"cannot use {{.%s}}: the call page knows only the member, not the supporter (they say their own name and town); "+
						"a script may use %s and the statistics", f, strings.Join(wrapFields(scriptFields), ", "))})
				return nil
			}
		}
		return t
	}
	s := &Script{EN: parse("call_script_en", en), ES: parse("call_script_es", es)}
	if v != nil {
		return nil, v
	}
	if s.EN == nil && s.ES == nil {
		return nil, nil
	}
	return s, nil
}

func wrapFields(fs []string) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = "{{." + f + "}}"
	}
	return out
}

// QuotesRelease reports whether the script depends on a statistics
// release (a statistic, a guard, its id or date).
func (s *Script) QuotesRelease() bool {
	return s != nil && ((s.EN != nil && s.EN.QuotesRelease()) || (s.ES != nil && s.ES.QuotesRelease()))
}

// Unpublished lists, with line and column, every statistic the script
// prints outside a {{if stat_available}} guard that rel does not publish:
// saving such a script is refused, as a letter is.
func (s *Script) Unpublished(rel Release) []FieldError {
	if s == nil || rel.Figures == nil {
		return nil
	}
	var out []FieldError
	for _, p := range []struct {
		field string
		t     *letter.Template
	}{{"call_script_en", s.EN}, {"call_script_es", s.ES}} {
		if p.t == nil {
			continue
		}
		seen := map[string]bool{}
		for _, u := range p.t.Unguarded() {
			if seen[u.Key] || rel.StatAvailable(u.Key) {
				continue
			}
			seen[u.Key] = true
			out = append(out, FieldError{Field: p.field, Line: u.Line, Column: u.Column, Message: fmt.Sprintf(
				"the statistic %q (%s) is not published in statistics release %d of %s: a caller would read \"not published\" here; "+
					"put the sentence inside {{if stat_available %q}}...{{end}} or quote another figure",
				u.Key, statLabel(rel.Figures, u.Key), rel.ID, ReleaseDate(rel.AsOf), u.Key)})
		}
	}
	return out
}

// ErrNoLetter is returned when rendering the letter of a calls-only
// campaign that has none.
var ErrNoLetter = errors.New("campaign: this calls-only campaign has no letter")

// CompileCampaign compiles a campaign's letter (none for a calls-only
// campaign without one) and call script. Errors of both are listed, with
// their fields, lines and columns.
func CompileCampaign(c Campaign) (*Compiled, *ValidationError) {
	cp := &Compiled{}
	var v *ValidationError
	if !c.CallsOnly || strings.TrimSpace(c.Subject) != "" || strings.TrimSpace(c.Template) != "" || c.OrganizationStatement != "" {
		cp, v = Compile(c.Subject, c.Template, c.OrganizationStatement)
	}
	s, serr := CompileScript(c.CallScriptEN, c.CallScriptES)
	switch {
	case serr != nil && v != nil:
		v.Errors = append(v.Errors, serr.Errors...)
	case serr != nil:
		v = serr
	}
	if v != nil {
		return nil, v
	}
	cp.Script = s
	return cp, nil
}

// ErrSyntheticScript is returned by RenderScript when the script quotes a
// release computed from the synthetic demonstration records: synthetic
// figures never reach an office, so no caller reads them to one.
var ErrSyntheticScript = errors.New("campaign: the call script quotes synthetic demonstration figures")

// ScriptData is the merge data of a call to m on date, in Spanish when
// es is set: the member's title and phrase agree with them ("Senadora",
// "la senadora Alex Padilla"; "Senador(a)" without a gender).
func ScriptData(m *congress.Member, date time.Time, es bool) letter.Data {
	d := MemberData(m)
	d.Date = date.Format("January 2, 2006")
	if es {
		title := i18n.Spanish.TG("lookup.title."+m.Title, m.Gender)
		d.MemberTitle = title
		d.Salutation = title + " " + m.LastName
		d.MemberPhrase = i18n.Spanish.MemberPhrase(m.Title, m.Gender, m.Name)
		d.Date = SpanishDate(date)
	}
	return d
}

var spanishMonths = [...]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"}

// SpanishDate writes a date as Spanish does: "5 de diciembre de 2026".
func SpanishDate(t time.Time) string {
	return fmt.Sprintf("%d de %s de %d", t.Day(), spanishMonths[t.Month()-1], t.Year())
}

// langStats answers statistics in one language (the Spanish display of a
// figure reads "menos de 11"), keeping the release's availability and id.
type langStats struct {
	rel Release
	es  bool
}

func (l langStats) Stat(key string) (string, bool) {
	if l.rel.Figures == nil {
		return "", false
	}
	if l.es {
		return l.rel.Figures.ValueLang(key, "es")
	}
	return l.rel.Figures.Stat(key)
}

func (l langStats) StatAvailable(key string) bool { return l.rel.StatAvailable(key) }

func (l langStats) Release() (id, date string, ok bool) {
	id, date, ok = l.rel.Release()
	if ok && l.es {
		date = SpanishDate(l.rel.AsOf.UTC())
	}
	return id, date, ok
}

// RenderScript renders the script for a call to m on date: the Spanish
// script when es is set and there is one ("a" or "de" before the member's
// phrase contracted: i18n.Lang.Contract), else the English one. A script
// quoting a synthetic release is refused with ErrSyntheticScript; one
// quoting a figure rel does not publish outside a guard fails with the
// letter package's ErrStatNotPublished (the page then shows no script).
func (s *Script) RenderScript(ctx context.Context, m *congress.Member, date time.Time, rel Release, es bool) (string, error) {
	t := s.EN
	switch {
	case es && s.ES != nil:
		t = s.ES
	case t == nil:
		t = s.ES
	default:
		es = false
	}
	if t.QuotesRelease() && rel.Synthetic {
		return "", ErrSyntheticScript
	}
	out, err := t.RenderWith(ctx, ScriptData(m, date, es), langStats{rel: rel, es: es}, letter.Limits{})
	if err != nil || !es {
		return out, err
	}
	return i18n.Spanish.Contract(out), nil
}
