package campaign

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/outreach-org/outreach/internal/casestats"
	"github.com/outreach-org/outreach/internal/letter"
	"github.com/outreach-org/outreach/internal/plaintext"
)

// Limits on what staff may type. Lengths are in characters, except the
// templates, whose limits are the letter package's (in bytes).
const (
	MaxTitle        = 200
	MaxSlug         = 64
	MaxSummary      = 2000
	MaxCallToAction = 500
	MaxStatement    = 5000
	MaxTemplate     = letter.MaxTemplateBytes        // 64 KiB
	MaxSubject      = letter.MaxSubjectTemplateBytes // 4 KiB of template; 200 characters rendered
)

var slugRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// reservedSlugs are path names the site uses or may use, which a campaign
// page (/c/{slug}) or a short link must never shadow.
var reservedSlugs = map[string]bool{
	"admin": true, "api": true, "static": true, "c": true, "healthz": true, "readyz": true,
	"favicon-ico": true, "webhooks": true, "login": true, "logout": true, "setup": true,
	"new": true, "edit": true, "preview": true, "versions": true, "diff": true, "campaigns": true,
	"assets": true, "help": true, "about": true, "privacy": true, "terms": true, "www": true,
	"robots-txt": true, "sitemap": true, "unsubscribe": true, "confirm": true, "es": true, "en": true,
}

// ReservedSlug reports whether slug is kept for the site's own pages.
func ReservedSlug(slug string) bool { return reservedSlugs[slug] }

// StatKeys are the statistic keys templates may quote with {{stat "key"}}:
// every figure a statistics release publishes (casestats.Keys).
func StatKeys() []string { return casestats.Keys() }

// Normalize tidies what a form or an API client sent without changing its
// meaning: surrounding spaces go from one-line fields, and Windows line
// endings (browsers send textareas with CRLF) become "\n" in multi-line
// fields, so that re-saving unchanged text does not make a new version;
// times become UTC, to the second.
// The subject is left alone: a line break in it is refused, not repaired.
func (c *Campaign) Normalize() {
	c.Title = strings.TrimSpace(c.Title)
	c.Slug = strings.TrimSpace(c.Slug)
	c.LOCTopic = strings.TrimSpace(c.LOCTopic)
	c.TitleES = strings.TrimSpace(c.TitleES)
	c.Targets.Normalize()
	for _, p := range []*string{&c.SummaryEN, &c.SummaryES, &c.CallToActionEN, &c.CallToActionES, &c.Template, &c.OrganizationStatement, &c.TemplateES, &c.CallScriptEN, &c.CallScriptES} {
		*p = strings.ReplaceAll(*p, "\r\n", "\n")
	}
	for _, p := range []*string{&c.CallScriptEN, &c.CallScriptES} {
		if strings.TrimSpace(*p) == "" {
			*p = ""
		}
	}
	for _, p := range []*string{&c.SummaryEN, &c.SummaryES, &c.CallToActionEN, &c.CallToActionES} {
		*p = strings.TrimSpace(*p)
	}
	if strings.TrimSpace(c.OrganizationStatement) == "" {
		c.OrganizationStatement = ""
	}
	for _, p := range []**time.Time{&c.StartsAt, &c.EndsAt} {
		if *p != nil {
			t := (*p).UTC().Truncate(time.Second)
			*p = &t
		}
	}
}

// Validate checks a campaign about to be saved (after Normalize) and
// compiles its letter. prev is the stored campaign for an update, nil for
// a new one: it decides which status changes are allowed and whether the
// slug may still change. On failure it returns *ValidationError listing
// every problem found, in form order.
func Validate(c *Campaign, prev *Campaign) (*Compiled, error) {
	v := &ValidationError{}
	add := func(field, format string, args ...any) {
		v.Errors = append(v.Errors, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}

	oneLine(add, "title", c.Title, MaxTitle, true)
	oneLine(add, "title_es", c.TitleES, MaxTitle, false)
	switch {
	case c.Slug == "":
		add("slug", "is required: lower-case letters, digits and single hyphens, like family-separation-records")
	case utf8.RuneCountInString(c.Slug) > MaxSlug:
		add("slug", "may have at most %d characters", MaxSlug)
	case !slugRE.MatchString(c.Slug):
		add("slug", "may have only lower-case letters a-z, digits and single hyphens between them, like family-separation-records")
	case ReservedSlug(c.Slug):
		add("slug", "%q is kept for the site's own pages; choose another", c.Slug)
	case prev != nil && prev.Slug != c.Slug && prev.Status.hasBeenPublic():
		add("slug", "cannot change once the campaign has been live: supporters' links use it")
	}
	multiLine(add, "summary_en", c.SummaryEN, MaxSummary)
	multiLine(add, "summary_es", c.SummaryES, MaxSummary)
	multiLine(add, "call_to_action_en", c.CallToActionEN, MaxCallToAction)
	multiLine(add, "call_to_action_es", c.CallToActionES, MaxCallToAction)
	if c.SummaryEN == "" {
		add("summary_en", "is required")
	}
	if c.CallToActionEN == "" {
		add("call_to_action_en", "is required")
	}
	// A constituent campaign refuses the leaders rule (see RuleLeaders); a
	// sign-on letter goes to committee offices and named offices only.
	// Committee and office ids are checked against the congressional data
	// by CheckTargets, which has it.
	switch k, ok := ParseKind(string(c.Kind)); {
	case !ok:
		add("kind", "must be constituent (supporters write to their own members) or signon (one letter from organizations to committee offices)")
	case prev != nil && k != kindOf(prev) && prev.Status.hasBeenPublic():
		add("kind", "cannot change once the campaign has been live: its letters or signatories were collected as a %s campaign", kindOf(prev))
	default:
		c.Kind = k
	}
	v.Errors = append(v.Errors, c.Targets.Check(c.Organizational())...)
	if c.Organizational() {
		v.Errors = append(v.Errors, c.Targets.CheckSignOn()...)
		if c.CallsOnly || c.CallScriptEN != "" || c.CallScriptES != "" {
			add("calls_only", "a sign-on letter asks organizations to sign, not supporters to call: leave the call script empty")
		}
		if c.Status == Scheduled || c.Status == Live {
			if c.EndsAt == nil {
				add("ends_at", "is required for a sign-on letter before it is scheduled or live: it is the closing date, after which no organization can sign")
			}
		}
	}
	if !IsLOCTopic(c.LOCTopic) {
		add("loc_topic", "must be one of the %d Library of Congress policy areas CWC accepts, such as Immigration or Families", len(LOCTopics))
	}

	if _, ok := ParseStatus(string(c.Status)); !ok {
		add("status", "must be draft, scheduled, live, paused or closed")
	} else {
		if prev != nil && !prev.Status.CanBecome(c.Status) {
			add("status", "cannot change from %s to %s; from %s it can become %s", prev.Status, c.Status, prev.Status, joinStatuses(transitions[prev.Status]))
		}
		if c.Status == Scheduled && c.StartsAt == nil {
			add("starts_at", "is required for a scheduled campaign: it goes live then")
		}
		if c.Status == Scheduled || c.Status == Live {
			if c.SummaryES == "" {
				add("summary_es", "is required before the campaign is scheduled or live: supporters read it in Spanish too")
			}
			if c.CallToActionES == "" {
				add("call_to_action_es", "is required before the campaign is scheduled or live: supporters read it in Spanish too")
			}
		}
	}
	if c.StartsAt != nil && c.EndsAt != nil && !c.EndsAt.After(*c.StartsAt) {
		add("ends_at", "must be after the start")
	}

	multiLine(add, "call_script_en", c.CallScriptEN, MaxCallScript)
	multiLine(add, "call_script_es", c.CallScriptES, MaxCallScript)
	switch {
	case c.CallsOnly && c.CallScriptEN == "":
		add("call_script_en", "is required for a calls-only campaign: it is what supporters read when they call")
	case c.CallScriptEN == "" && c.CallScriptES != "":
		add("call_script_en", "is required when there is a Spanish script: supporters read it in English too")
	case c.CallScriptEN != "" && c.CallScriptES == "" && (c.Status == Scheduled || c.Status == Live):
		add("call_script_es", "is required before the campaign is scheduled or live: supporters read it in Spanish too")
	}

	checkEmbedOrigins(add, c)

	cp, lerr := CompileCampaign(*c)
	if lerr != nil {
		v.Errors = append(v.Errors, lerr.Errors...)
		v.ValidFields, v.ValidStatKeys = lerr.ValidFields, lerr.ValidStatKeys
	} else if c.Organizational() {
		v.Errors = append(v.Errors, signOnFields(c)...)
	}
	// The Spanish rendering uses the same template language; it is never
	// sent, but a broken one would break the Spanish review page.
	switch {
	case c.TemplateES == "" && c.SubjectES != "":
		add("template_es", "is required with a Spanish subject: write the Spanish letter too, or leave both empty")
	case c.TemplateES != "":
		subject := c.SubjectES
		if subject == "" {
			subject = c.Subject
		}
		if _, serr := Compile(subject, c.TemplateES, ""); serr != nil {
			for _, e := range serr.Errors {
				switch e.Field {
				case "subject":
					e.Field = "subject_es"
				case "template":
					e.Field = "template_es"
				}
				v.Errors = append(v.Errors, e)
			}
		}
	}
	if len(v.Errors) > 0 {
		sortByForm(v.Errors)
		return nil, v
	}
	return cp, nil
}

func joinStatuses(ss []Status) string {
	if len(ss) == 0 {
		return "nothing else"
	}
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, ", ")
}

// formOrder is the order of fields on the form; errors are listed in it.
var formOrder = []string{"title", "title_es", "slug", "kind", "status", "targets", "loc_topic", "starts_at", "ends_at",
	"summary_en", "summary_es", "call_to_action_en", "call_to_action_es", "subject", "template", "organization_statement", "subject_es", "template_es",
	"calls_only", "call_script_en", "call_script_es", "embed_origins"}

func sortByForm(errs []FieldError) {
	rank := func(f string) int {
		if i := slices.Index(formOrder, f); i >= 0 {
			return i
		}
		return len(formOrder)
	}
	slices.SortStableFunc(errs, func(a, b FieldError) int { return rank(a.Field) - rank(b.Field) })
}

type addFunc func(field, format string, args ...any)

// oneLine checks a single-line text field.
func oneLine(add addFunc, field, s string, max int, required bool) {
	switch {
	case s == "" && required:
		add(field, "is required")
	case !utf8.ValidString(s):
		add(field, "contains bytes that are not valid UTF-8 text")
	case utf8.RuneCountInString(s) > max:
		add(field, "may have at most %d characters (it has %d)", max, utf8.RuneCountInString(s))
	case strings.ContainsAny(s, "\r\n\u2028\u2029"):
		add(field, "must be a single line")
	case hasControl(s, false):
		add(field, "contains control characters")
	case hasInvisible(s):
		r, _ := plaintext.Find(s)
		add(field, "contains an invisible formatting character (%s) that can make the text display differently from what it says; delete it", plaintext.Name(r))
	}
}

func hasInvisible(s string) bool { _, ok := plaintext.Find(s); return ok }

// multiLine checks a text field that may hold several lines.
func multiLine(add addFunc, field, s string, max int) {
	switch {
	case !utf8.ValidString(s):
		add(field, "contains bytes that are not valid UTF-8 text")
	case utf8.RuneCountInString(s) > max:
		add(field, "may have at most %d characters (it has %d)", max, utf8.RuneCountInString(s))
	case hasControl(s, true):
		add(field, "contains control characters")
	case hasInvisible(s):
		r, _ := plaintext.Find(s)
		add(field, "contains an invisible formatting character (%s) that can make the text display differently from what it says; delete it", plaintext.Name(r))
	}
}

func hasControl(s string, newlinesOK bool) bool {
	for _, r := range s {
		if newlinesOK && (r == '\n' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}

// Compiled is a campaign's letter, parsed and ready to render.
type Compiled struct {
	Letter    *letter.Letter   // nil for a calls-only campaign without a letter
	Statement *letter.Template // nil when the campaign has no statement
	Script    *Script          // nil when the campaign has no call script (set by Validate)
}

// Compile parses the subject, body and organization statement templates
// with the statistic keys of StatKeys. Errors carry the fields "subject",
// "template" and "organization_statement" with line and column.
func Compile(subject, body, statement string) (*Compiled, *ValidationError) {
	keys := StatKeys()
	var v *ValidationError
	merge := func(err error, field string) {
		var le *letter.ValidationError
		if !errors.As(err, &le) {
			le = &letter.ValidationError{Errors: []FieldError{{Field: field, Message: err.Error()}}}
		}
		if v == nil {
			v = &ValidationError{}
		}
		for _, fe := range le.Errors {
			if field != "" {
				fe.Field = field
			}
			v.Errors = append(v.Errors, fe)
		}
		v.ValidFields, v.ValidStatKeys = letter.FieldNames(), slices.Sorted(slices.Values(keys))
	}
	l, err := letter.ParseLetter("letter", subject, body, keys)
	if err != nil {
		merge(err, "")
	}
	var st *letter.Template
	switch {
	case statement == "":
	case utf8.RuneCountInString(statement) > MaxStatement:
		merge(&letter.ValidationError{Errors: []FieldError{{Field: "organization_statement",
			Message: fmt.Sprintf("may have at most %d characters (it has %d)", MaxStatement, utf8.RuneCountInString(statement))}}}, "")
	default:
		st, err = letter.Parse("organization_statement", statement, keys)
		if err != nil {
			merge(err, "organization_statement")
		} else if slices.Contains(st.Fields(), "personal_note") {
			line, col := position(statement, ".personal_note")
			merge(&letter.ValidationError{Errors: []FieldError{{Field: "organization_statement", Line: line, Column: col,
				Message: "cannot use {{.personal_note}}: the statement is the organization's own text, delivered after the letter (CWC OrganizationStatement), and the supporter's words belong in the letter; put it in the letter instead"}}}, "")
		}
	}
	if v != nil {
		return nil, v
	}
	return &Compiled{Letter: l, Statement: st}, nil
}

// position is the 1-based line and column (in characters) of the first
// occurrence of word in text, or 0, 0.
func position(text, word string) (line, col int) {
	i := strings.Index(text, word)
	if i < 0 {
		return 0, 0
	}
	before := text[:i]
	line = strings.Count(before, "\n") + 1
	col = utf8.RuneCountInString(before[strings.LastIndexByte(before, '\n')+1:]) + 1
	return line, col
}

// constituentFields are the merge fields a supporter fills in. A sign-on
// letter has no supporter: the organizations are listed after the text.
var constituentFields = []string{"first_name", "last_name", "city", "state", "personal_note"}

// signOnFields refuses, in a sign-on letter's subject, body and statement,
// the merge fields only a constituent's letter has.
func signOnFields(c *Campaign) []FieldError {
	var out []FieldError
	for _, t := range []struct{ field, text string }{{"subject", c.Subject}, {"template", c.Template}, {"organization_statement", c.OrganizationStatement}} {
		for _, f := range constituentFields {
			if line, col := position(t.text, "."+f); line > 0 && fieldUsed(t.text, f) {
				out = append(out, FieldError{Field: t.field, Line: line, Column: col,
					Message: fmt.Sprintf("cannot use {{.%s}} in a sign-on letter: it comes from organizations, not from a constituent; the signatories are listed after the text", f)})
			}
		}
	}
	return out
}

// fieldUsed reports whether text refers to merge field f ({{.f}}, {{if .f}}).
func fieldUsed(text, f string) bool {
	l, err := letter.Parse("x", text, StatKeys())
	if err != nil {
		return false
	}
	return slices.Contains(l.Fields(), f)
}

// kindOf is c's kind, Constituent for a campaign that names none.
func kindOf(c *Campaign) Kind {
	if k, ok := ParseKind(string(c.Kind)); ok {
		return k
	}
	return c.Kind
}
