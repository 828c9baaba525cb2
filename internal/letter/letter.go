// Package letter parses, validates and renders oversight-request letter
// templates.
//
// Advocacy staff write a letter template (and a subject-line template)
// once; every supporter's letter is then filled in for the member of
// Congress it is addressed to. Templates use Go's text/template syntax
// with a deliberately small language:
//
//   - Merge fields, written {{.first_name}}. The valid names are returned
//     by FieldNames (and described by FieldDocs). A field always means the
//     letter's field, also inside {{with}}. Nested paths ({{.a.b}}) and
//     method calls ({{.first_name.Foo}}, {{(.x).y}}) are refused.
//   - Statistics, written {{stat "children_separated"}}. The key must be a
//     string literal from the set the caller passes to Parse (the
//     statistics package declares it); values come from a StatSource at
//     render time.
//   - {{if}}, {{else}}, {{else if}}, {{with}}, {{else with}}, {{end}},
//     comments ({{/* ... */}}) and trim markers ({{- and -}}).
//     Inside {{with X}} ... {{end}}, {{.}} is the value of X; anywhere
//     else {{.}} is refused.
//   - The functions eq, ne, and, or, not, len and stat, with argument
//     counts and argument types checked at parse time.
//   - The release a letter quotes: {{release_id}} (its number) and
//     {{release_date}} (its date, written like {{.date}}), from a
//     StatSource that implements ReleaseSource.
//   - Guards: {{if stat_available "key"}}...{{end}} is true when the
//     release publishes a figure for key (StatAvailability). A statistic
//     used outside such a guard is "unguarded" (Template.Unguarded): the
//     campaign refuses a template whose unguarded statistic the current
//     release does not publish, and rendering refuses to print a value the
//     source says is not published (ErrStatNotPublished), so "not
//     published" never lands inside a sentence.
//
// Refused at parse (save) time, each with its line and column:
// define, block, template, range, break, continue, every other builtin
// function (printf, print, println, call, index, slice, html, js,
// urlquery, lt, le, gt, ge, ...), variables of any kind ($, $x := ...,
// $x = ...; there is nothing a variable is needed for when there are no
// loops), nil, and complex numbers. A template can therefore reach
// nothing but the letter's own string fields: no file system, network,
// other data, recursion or loops.
//
// Parse and ParseSubject return *ValidationError on failure. Lines are
// 1-based; columns are 1-based and counted in characters (runes), so
// "Hernández" counts as 9 columns. Line and column are 0 when an error
// concerns the template as a whole.
//
// Parsing uses text/template/parse, so the syntax, trim markers and
// comments are exactly text/template's. The validated tree is compiled
// to a small program executed without reflection (exec.go); the same
// tree also runs on text/template's executor in the tests, which check
// that both give identical output. Rendering writes into a buffer that
// refuses to grow past the output cap (ErrTooLarge, before anything is
// copied) and checks a wall-clock deadline and the context (ErrTimeout).
// Bodies are text/plain and field values (including the personal note)
// are inserted verbatim; len counts bytes. Subject lines are forced onto a single line: control
// characters (CR, LF, tab, U+2028, ...) in field values become spaces,
// HTML tags are removed, and a subject longer than MaxSubjectRunes is
// refused with ErrSubjectTooLong.
package letter

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Data is everything a template can refer to. All values are plain
// text; Date is pre-formatted by the caller.
type Data struct {
	FirstName    string
	LastName     string
	City         string
	State        string
	PersonalNote string
	Salutation   string
	MemberName   string
	MemberTitle  string
	// MemberPhrase is the member as a sentence names them; empty means
	// the title and name ("Senator Mark Kelly"). Spanish (a call script,
	// a letter's Spanish rendering) sets it with the article that agrees
	// ("el senador Mark Kelly"), which running text needs and a title
	// alone lacks.
	MemberPhrase string
	Chamber      string
	MemberState  string
	District     string
	Date         string
	// Follow-up (second) letters only: the date of the first letter to
	// the office and how many constituents wrote it.
	FirstLetterDate  string
	ConstituentCount string
	// Committee letters: the member's seats on the committees the
	// campaign targets (or that oversee its issue), by name and with role.
	CommitteeNames string
	CommitteeRoles string
}

// FieldDoc documents one merge field for the template editor.
type FieldDoc struct {
	Name        string `json:"name"`        // e.g. "first_name", written {{.first_name}}
	Description string `json:"description"` // one line
	Example     string `json:"example"`     // value for the sample supporter
}

// StatSource supplies statistic values (from the latest published
// statistics release) by key.
type StatSource interface {
	Stat(key string) (value string, ok bool)
}

// StatAvailability is implemented by a StatSource that knows whether its
// release publishes a figure for a key ("fewer than 11" is a figure; a
// value hidden to protect others, shown as "not published", is not).
// Sources without it publish every key they have.
type StatAvailability interface {
	StatAvailable(key string) bool
}

// ReleaseSource is implemented by a StatSource that knows the statistics
// release it quotes: its id ("7") and date ("November 3, 2026"). ok is
// false when there is no release; {{release_id}} and {{release_date}}
// then fail to render with ErrNoRelease.
type ReleaseSource interface {
	Release() (id, date string, ok bool)
}

// StatFunc adapts a function to StatSource.
type StatFunc func(key string) (string, bool)

// Stat implements StatSource.
func (f StatFunc) Stat(key string) (string, bool) { return f(key) }

// StatMap is a StatSource backed by a map.
type StatMap map[string]string

// Stat implements StatSource.
func (m StatMap) Stat(key string) (string, bool) {
	v, ok := m[key]
	return v, ok
}

// Limits and sizes.
const (
	// DefaultMaxBytes caps a rendered letter body.
	DefaultMaxBytes = 64 << 10
	// MaxSubjectRunes caps a rendered subject line, in characters.
	MaxSubjectRunes = 200
	// MaxTemplateBytes caps the source of a letter template.
	MaxTemplateBytes = 64 << 10
	// MaxSubjectTemplateBytes caps the source of a subject template.
	MaxSubjectTemplateBytes = 4 << 10
	// maxSubjectBytes caps the raw subject output before tags are
	// stripped and the character limit is applied.
	maxSubjectBytes = 4 << 10
	// maxErrors caps the number of errors reported for one template.
	maxErrors = 50
)

// Render errors.
var (
	// ErrTooLarge: the rendered output would exceed the byte cap.
	ErrTooLarge = errors.New("letter: rendered output is too large")
	// ErrTimeout: rendering exceeded its wall-clock limit.
	ErrTimeout = errors.New("letter: rendering took too long")
	// ErrSubjectTooLong: the rendered subject exceeds MaxSubjectRunes.
	ErrSubjectTooLong = errors.New("letter: subject line is too long")
	// ErrStatUnavailable: the template uses a statistic the StatSource
	// does not have (wrapped with the key).
	ErrStatUnavailable = errors.New("letter: statistic not available")
	// ErrStatNotPublished: the template prints, outside a stat_available
	// guard, a statistic the release does not publish (wrapped with the
	// key). It is also an ErrStatUnavailable.
	ErrStatNotPublished = fmt.Errorf("%w: not published in the statistics release", ErrStatUnavailable)
	// ErrNoRelease: the template prints {{release_id}} or
	// {{release_date}} and the source has no release. It is also an
	// ErrStatUnavailable.
	ErrNoRelease = fmt.Errorf("%w: no statistics release to cite", ErrStatUnavailable)
)

type fieldSpec struct {
	name string
	desc string
	get  func(*Data) string
}

// fields is sorted by name.
var fields = [...]fieldSpec{
	{"chamber", `Chamber of the member: "senate" or "house".`, func(d *Data) string { return d.Chamber }},
	{"city", "Supporter's city.", func(d *Data) string { return d.City }},
	{"committee_names", "Committees the campaign targets on which the member sits, e.g. \"Senate Committee on the Judiciary and Subcommittee on Border Security and Immigration\"; empty when none.", func(d *Data) string { return d.CommitteeNames }},
	{"committee_roles", "The member's roles on them, e.g. \"member of the Senate Committee on the Judiciary and Ranking Member of the Subcommittee on Border Security and Immigration\"; empty when none.", func(d *Data) string { return d.CommitteeRoles }},
	{"constituent_count", "Follow-up letters: how many constituents wrote to this office.", func(d *Data) string { return d.ConstituentCount }},
	{"date", "Date of the letter, already formatted.", func(d *Data) string { return d.Date }},
	{"district", "Member's congressional district; empty for senators.", func(d *Data) string { return d.District }},
	{"first_letter_date", "Follow-up letters: date of the first letter to this office.", func(d *Data) string { return d.FirstLetterDate }},
	{"first_name", "Supporter's first name.", func(d *Data) string { return d.FirstName }},
	{"last_name", "Supporter's last name.", func(d *Data) string { return d.LastName }},
	{"member_name", "Member's full name.", func(d *Data) string { return d.MemberName }},
	{"member_phrase", `The member as a sentence names them: "Senator Mark Kelly". In Spanish (a call script, a letter's Spanish rendering), with the article that agrees: "el senador Mark Kelly", "la senadora Alex Padilla" ("a" or "de" before it become "al" or "del").`, func(d *Data) string { return d.memberPhrase() }},
	{"member_state", "Member's state or territory (two-letter code).", func(d *Data) string { return d.MemberState }},
	{"member_title", "Member's title: Senator, Representative, Delegate or Resident Commissioner.", func(d *Data) string { return d.MemberTitle }},
	{"personal_note", "Supporter's own words, inserted verbatim as plain text; may be empty.", func(d *Data) string { return d.PersonalNote }},
	{"salutation", `Greeting line, e.g. "Dear Senator Padilla".`, func(d *Data) string { return d.Salutation }},
	{"state", "Supporter's state (two-letter code).", func(d *Data) string { return d.State }},
}

// value is field i of the fields table (no closures, so Data does not
// escape), computed only for the fields a template uses: member_phrase's
// default is put together when asked for, not on every render.
func (d *Data) value(i int) string {
	switch i {
	case 0:
		return d.Chamber
	case 1:
		return d.City
	case 2:
		return d.CommitteeNames
	case 3:
		return d.CommitteeRoles
	case 4:
		return d.ConstituentCount
	case 5:
		return d.Date
	case 6:
		return d.District
	case 7:
		return d.FirstLetterDate
	case 8:
		return d.FirstName
	case 9:
		return d.LastName
	case 10:
		return d.MemberName
	case 11:
		return d.memberPhrase()
	case 12:
		return d.MemberState
	case 13:
		return d.MemberTitle
	case 14:
		return d.PersonalNote
	case 15:
		return d.Salutation
	case 16:
		return d.State
	}
	return ""
}

// memberPhrase is MemberPhrase, or the title and name when it is unset.
func (d *Data) memberPhrase() string {
	if d.MemberPhrase != "" {
		return d.MemberPhrase
	}
	return strings.TrimSpace(d.MemberTitle + " " + d.MemberName)
}

// numFields is the number of merge fields.
const numFields = len(fields)

var fieldIndex = func() map[string]int {
	m := make(map[string]int, len(fields))
	for i, f := range fields {
		m[f.name] = i
	}
	return m
}()

// FieldNames returns the merge-field names, sorted.
func FieldNames() []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.name
	}
	return out
}

// FieldDocs documents every merge field, sorted by name; Example is the
// value from SampleSupporter.
func FieldDocs() []FieldDoc {
	d := SampleSupporter()
	out := make([]FieldDoc, len(fields))
	for i, f := range fields {
		out[i] = FieldDoc{Name: f.name, Description: f.desc, Example: f.get(&d)}
	}
	return out
}

// AllowedFuncs returns the functions a template may call, sorted.
func AllowedFuncs() []string { return slices.Clone(allowedFuncNames) }

var allowedFuncNames = []string{"and", "eq", "len", "ne", "not", "or", "release_date", "release_id", "stat", "stat_available"}

// sampleSource is what the trial render at parse time quotes: every
// statistic published, release 12 of March 3, 2026.
type sampleSource struct{}

func (sampleSource) Stat(string) (string, bool)          { return "1,234", true }
func (sampleSource) StatAvailable(string) bool           { return true }
func (sampleSource) Release() (id, date string, ok bool) { return "12", "March 3, 2026", true }

// SampleSupporter returns the data used for previews and for the trial
// render done by Parse: Ana García of Tucson, AZ, with a personal note,
// writing to Senator Mark Kelly. The date is fixed so previews are
// deterministic; callers may overwrite any field.
func SampleSupporter() Data {
	return Data{
		FirstName:        "Ana",
		LastName:         "García",
		City:             "Tucson",
		State:            "AZ",
		PersonalNote:     "My cousin was separated from her daughter for three months. Please ask for the records.",
		Salutation:       Salutation("Senator", "Kelly"),
		MemberName:       "Mark Kelly",
		MemberTitle:      Title("senate", "AZ"),
		Chamber:          "senate",
		MemberState:      "AZ",
		District:         "",
		Date:             "March 3, 2026",
		FirstLetterDate:  "February 10, 2026",
		ConstituentCount: "12",
		CommitteeNames:   "Senate Committee on Armed Services",
		CommitteeRoles:   "member of the Senate Committee on Armed Services",
	}
}
