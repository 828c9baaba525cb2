package mailing

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template/parse"
	"unicode/utf8"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/letter"
)

// Fields are the merge fields of a mobilization email, for one supporter.
type Fields struct {
	FirstName      string
	Members        string // "Senator A, Senator B and Representative C"
	Senators       string
	Representative string
	State          string
	District       string
	CampaignTitle  string
	CampaignLink   string
	OrgName        string
}

type fieldSpec struct {
	name, desc, example string
	get                 func(*Fields) string
}

var fields = []fieldSpec{
	{"campaign_link", "Link to the campaign's page, carrying source=mailing-<id> so the letters it brings are counted.", "https://act.example.org/c/reunite?source=mailing-7", func(f *Fields) string { return f.CampaignLink }},
	{"campaign_title", "The campaign's title in the supporter's language.", "Reunite separated families", func(f *Fields) string { return f.CampaignTitle }},
	{"district", "The supporter's congressional district (e.g. AZ-7); empty when unknown.", "AZ-7", func(f *Fields) string { return f.District }},
	{"first_name", "The supporter's first name.", "Ana", func(f *Fields) string { return f.FirstName }},
	{"members", "The supporter's members of Congress with their titles, in the supporter's language; empty when unknown.", "Senator Mark Kelly, Senator Ruben Gallego and Representative Adelita Grijalva", func(f *Fields) string { return f.Members }},
	{"org_name", "The organization's name.", "Families Together", func(f *Fields) string { return f.OrgName }},
	{"representative", "The supporter's member of the House with title (the one they wrote to, else the one of their district); empty when unknown.", "Representative Adelita Grijalva", func(f *Fields) string { return f.Representative }},
	{"senators", "The supporter's senators with titles; empty when unknown.", "Senator Mark Kelly and Senator Ruben Gallego", func(f *Fields) string { return f.Senators }},
	{"state", "The supporter's state (two-letter code).", "AZ", func(f *Fields) string { return f.State }},
}

var fieldIndex = func() map[string]int {
	m := map[string]int{}
	for i, f := range fields {
		m[f.name] = i
	}
	return m
}()

// FieldNames lists the merge fields, sorted.
func FieldNames() []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.name
	}
	return out
}

// FieldDocs documents the merge fields for the editor.
func FieldDocs() []letter.FieldDoc {
	out := make([]letter.FieldDoc, len(fields))
	for i, f := range fields {
		out[i] = letter.FieldDoc{Name: f.name, Description: f.desc, Example: f.example}
	}
	return out
}

// Sample is the supporter previews use when none is chosen.
func Sample() Fields {
	var f Fields
	for _, s := range fields {
		*fieldPtr(&f, s.name) = s.example
	}
	return f
}

func fieldPtr(f *Fields, name string) *string {
	switch name {
	case "campaign_link":
		return &f.CampaignLink
	case "campaign_title":
		return &f.CampaignTitle
	case "district":
		return &f.District
	case "first_name":
		return &f.FirstName
	case "members":
		return &f.Members
	case "org_name":
		return &f.OrgName
	case "representative":
		return &f.Representative
	case "senators":
		return &f.Senators
	}
	return &f.State
}

// Limits on what staff may write.
const (
	MaxBody    = 32 << 10 // bytes of a body template
	MaxSubject = 1 << 10  // bytes of a subject template
	// MaxSubjectRunes caps a rendered subject, in characters.
	MaxSubjectRunes = 200
)

// Template is a validated subject or body template: text/template's
// syntax with merge fields ({{.first_name}}) and conditions ({{if
// .members}}...{{else}}...{{end}}) only. It is compiled into fixed text
// and dynamic parts, so that a bulk send carries the fixed text once and
// each recipient only the values of the dynamic parts (SendGrid's
// substitutions).
type Template struct {
	text  string
	parts []part
}

// part is fixed text (node nil) or a dynamic part rendered per supporter.
type part struct {
	lit  string
	node parse.Node
}

// Text is the template's source.
func (t *Template) Text() string { return t.text }

// Parse validates a template. field names the form field in errors
// ("subject_en", "body_es", ...). Errors are a *campaign.ValidationError
// whose field errors carry a line and a column (1-based, in characters).
func Parse(field, text string, subject bool) (*Template, error) {
	limit := MaxBody
	if subject {
		limit = MaxSubject
	}
	fail := func(errs ...letter.FieldError) error {
		return &campaign.ValidationError{Errors: errs, Object: "mailing"}
	}
	switch {
	case strings.TrimSpace(text) == "":
		return nil, fail(letter.FieldError{Field: field, Message: "is empty"})
	case len(text) > limit:
		return nil, fail(letter.FieldError{Field: field, Message: fmt.Sprintf("is too long: %d bytes, the limit is %d", len(text), limit)})
	case !utf8.ValidString(text):
		return nil, fail(letter.FieldError{Field: field, Message: "contains bytes that are not valid UTF-8 text"})
	case subject && strings.ContainsAny(text, "\r\n"):
		line, col := lineCol(text, strings.IndexAny(text, "\r\n"))
		return nil, fail(letter.FieldError{Field: field, Line: line, Column: col, Message: "must be one line"})
	}
	tr := parse.New("mailing")
	tr.Mode = parse.SkipFuncCheck | parse.ParseComments
	if _, err := tr.Parse(text, "", "", map[string]*parse.Tree{}); err != nil {
		line, col, msg := syntaxPosition(text, err)
		return nil, fail(letter.FieldError{Field: field, Line: line, Column: col, Message: msg})
	}
	c := checker{text: text, field: field}
	c.list(tr.Root)
	if len(c.errs) > 0 {
		return nil, fail(c.errs...)
	}
	t := &Template{text: text}
	for _, n := range tr.Root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			t.parts = append(t.parts, part{lit: string(n.Text)})
		case *parse.CommentNode:
		default:
			t.parts = append(t.parts, part{node: n})
		}
	}
	return t, nil
}

var syntaxRE = regexp.MustCompile(`^template: mailing:(\d+)(?::(\d+))?: (.*)$`)

// syntaxPosition reads the line (and column, when the parser gives one)
// of a syntax error; without a column it points at the line's first
// action, where the parser stopped.
func syntaxPosition(text string, err error) (int, int, string) {
	m := syntaxRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, 0, err.Error()
	}
	line, _ := strconv.Atoi(m[1])
	msg := m[3]
	lines := strings.Split(text, "\n")
	col := 1
	if line >= 1 && line <= len(lines) {
		if i := strings.Index(lines[line-1], "{{"); i >= 0 {
			col = 1 + utf8.RuneCountInString(lines[line-1][:i])
		}
	}
	if m[2] != "" {
		col, _ = strconv.Atoi(m[2])
	}
	if strings.HasPrefix(msg, "unexpected EOF") {
		msg = "unexpected end of template: an {{if}} has no matching {{end}}"
	}
	return line, col, msg
}

type checker struct {
	text  string
	field string
	errs  []letter.FieldError
}

func (c *checker) add(pos parse.Pos, format string, args ...any) {
	line, col := lineCol(c.text, int(pos))
	c.errs = append(c.errs, letter.FieldError{Field: c.field, Line: line, Column: col, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) list(l *parse.ListNode) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		c.node(n)
	}
}

func (c *checker) node(n parse.Node) {
	switch n := n.(type) {
	case *parse.TextNode, *parse.CommentNode:
	case *parse.ActionNode:
		if len(n.Pipe.Decl) > 0 {
			c.add(n.Pos, "variables are not allowed")
			return
		}
		c.pipe(n.Pipe)
	case *parse.IfNode:
		c.pipe(n.Pipe)
		c.list(n.List)
		c.list(n.ElseList)
	default:
		pos := n.Position()
		if i := strings.LastIndex(c.text[:min(int(pos), len(c.text))], "{{"); i >= 0 {
			pos = parse.Pos(i) // the action's "{{", not its argument
		}
		c.add(pos, "only merge fields ({{.first_name}}) and {{if}} ... {{else}} ... {{end}} are allowed here")
	}
}

// pipe accepts a single merge field: {{.first_name}}, {{if .members}}.
func (c *checker) pipe(p *parse.PipeNode) {
	if p == nil || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		pos := parse.Pos(0)
		if p != nil {
			pos = p.Pos
		}
		c.add(pos, "write a merge field such as {{.first_name}}; functions and pipelines are not allowed")
		return
	}
	f, ok := p.Cmds[0].Args[0].(*parse.FieldNode)
	if !ok {
		c.add(p.Cmds[0].Args[0].Position(), "write a merge field such as {{.first_name}}; functions and pipelines are not allowed")
		return
	}
	if len(f.Ident) != 1 {
		c.add(f.Pos, "unknown field %q", "."+strings.Join(f.Ident, "."))
		return
	}
	if _, ok := fieldIndex[f.Ident[0]]; !ok {
		c.add(f.Pos, "unknown field %q (valid fields: %s)", "."+f.Ident[0], strings.Join(FieldNames(), ", "))
	}
}

// lineCol converts a byte offset to a 1-based line and a 1-based column
// counted in characters.
func lineCol(text string, off int) (int, int) {
	if off < 0 {
		return 0, 0
	}
	off = min(off, len(text))
	before := text[:off]
	start := strings.LastIndexByte(before, '\n') + 1
	return 1 + strings.Count(before, "\n"), 1 + utf8.RuneCountInString(before[start:])
}

// Render writes the template for one supporter.
func (t *Template) Render(f *Fields) string {
	var b strings.Builder
	for _, p := range t.parts {
		if p.node == nil {
			b.WriteString(p.lit)
		} else {
			render(&b, p.node, f)
		}
	}
	return b.String()
}

// Dynamic is how many dynamic parts the template has.
func (t *Template) Dynamic() int {
	n := 0
	for _, p := range t.parts {
		if p.node != nil {
			n++
		}
	}
	return n
}

// Skeleton is the template's fixed text with key(i) in place of the i-th
// dynamic part (SendGrid's substitution keys).
func (t *Template) Skeleton(key func(i int) string) string {
	var b strings.Builder
	i := 0
	for _, p := range t.parts {
		if p.node == nil {
			b.WriteString(p.lit)
			continue
		}
		b.WriteString(key(i))
		i++
	}
	return b.String()
}

// Values appends the dynamic parts' values for one supporter to out.
func (t *Template) Values(f *Fields, out []string) []string {
	var b strings.Builder
	for _, p := range t.parts {
		if p.node == nil {
			continue
		}
		b.Reset()
		render(&b, p.node, f)
		out = append(out, b.String())
	}
	return out
}

func render(b *strings.Builder, n parse.Node, f *Fields) {
	switch n := n.(type) {
	case *parse.TextNode:
		b.Write(n.Text)
	case *parse.ActionNode:
		b.WriteString(value(n.Pipe, f))
	case *parse.IfNode:
		l := n.ElseList
		if value(n.Pipe, f) != "" {
			l = n.List
		}
		if l != nil {
			for _, c := range l.Nodes {
				render(b, c, f)
			}
		}
	}
}

func value(p *parse.PipeNode, f *Fields) string {
	name := p.Cmds[0].Args[0].(*parse.FieldNode).Ident[0]
	return fields[fieldIndex[name]].get(f)
}
