package letter

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
	"unicode/utf8"
)

// FieldError is one refusal. Field names the form field ("template" for
// the letter body, "subject" for the subject line). Line and Column are
// 1-based, Column counted in characters; both are 0 when the error is
// about the template as a whole.
type FieldError struct {
	Field   string `json:"field"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

func (e FieldError) Error() string {
	if e.Line == 0 {
		return e.Field + ": " + e.Message
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.Field, e.Line, e.Column, e.Message)
}

// ValidationError is returned by Parse, ParseSubject and ParseLetter when
// a template is refused. Errors are ordered by field, then position.
type ValidationError struct {
	Errors        []FieldError `json:"errors"`
	ValidFields   []string     `json:"valid_fields"`    // FieldNames()
	ValidStatKeys []string     `json:"valid_stat_keys"` // the statKeys passed to Parse, sorted
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("letter: invalid template: ")
	unknownField := false
	for i, fe := range e.Errors {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(fe.Error())
		unknownField = unknownField || strings.HasPrefix(fe.Message, "unknown field")
	}
	if unknownField {
		b.WriteString(" (valid fields: ")
		b.WriteString(strings.Join(e.ValidFields, ", "))
		b.WriteString(")")
	}
	return b.String()
}

// Template is a validated letter or subject template. It is immutable
// and safe for concurrent use.
type Template struct {
	name     string
	text     string
	subject  bool
	prog     []op               // compiled program (exec.go)
	ref      *template.Template // the same tree for text/template (reference executor)
	fields   []int              // indexes into fields used by the template
	stats    []string           // statistic keys used, sorted
	avail    []string           // keys tested with stat_available, sorted
	release  bool               // uses release_id or release_date
	unguard  []StatUse          // statistics used outside a stat_available guard
	blank    []FieldUse         // often-empty fields printed outside an {{if}} on them
	sizeHint int
}

// FieldUse is a merge field printed at a 1-based line and column.
type FieldUse struct {
	Field  string
	Line   int
	Column int
}

// OftenEmpty are the merge fields that are empty for most offices (most
// members sit on none of the committees a campaign names), so that a
// sentence around one printed unconditionally reads "As , please" in
// most letters.
var OftenEmpty = []string{"committee_names", "committee_roles"}

// UnguardedBlank returns where the template prints an OftenEmpty field
// outside an {{if .field}} (or {{with .field}}) on it, in order.
func (t *Template) UnguardedBlank() []FieldUse { return slices.Clone(t.blank) }

// StatUse is a statistic used outside a {{if stat_available "key"}}
// guard, at a 1-based line and column (in characters).
type StatUse struct {
	Key    string
	Line   int
	Column int
}

// Unguarded returns the statistics the template uses outside a
// {{if stat_available "key"}} guard for the same key, in the order they
// appear: each would be printed (or tested) whatever the release says.
func (t *Template) Unguarded() []StatUse { return slices.Clone(t.unguard) }

// UsesRelease reports whether the template prints {{release_id}} or
// {{release_date}}.
func (t *Template) UsesRelease() bool { return t.release }

// QuotesRelease reports whether anything the template prints depends on
// a statistics release: a statistic, a guard or the release's id or date.
func (t *Template) QuotesRelease() bool {
	return len(t.stats) > 0 || len(t.avail) > 0 || t.release
}

// Name returns the name given to Parse.
func (t *Template) Name() string { return t.name }

// Text returns the template source.
func (t *Template) Text() string { return t.text }

// IsSubject reports whether t was parsed with ParseSubject.
func (t *Template) IsSubject() bool { return t.subject }

// Fields returns the merge fields the template uses, sorted.
func (t *Template) Fields() []string {
	out := make([]string, len(t.fields))
	for i, f := range t.fields {
		out[i] = fields[f].name
	}
	return out
}

// StatKeys returns the statistic keys the template uses, sorted. Render
// needs a value for each of them.
func (t *Template) StatKeys() []string { return slices.Clone(t.stats) }

// Letter is a subject template and a body template parsed together.
type Letter struct {
	Subject *Template
	Body    *Template
}

// ParseLetter parses a subject and a body with the same statistic keys.
// On failure it returns one *ValidationError holding the errors of both
// (subject first) and no Letter.
func ParseLetter(name, subject, body string, statKeys []string) (*Letter, error) {
	s, serr := ParseSubject(name, subject, statKeys)
	b, berr := Parse(name, body, statKeys)
	if serr == nil && berr == nil {
		return &Letter{Subject: s, Body: b}, nil
	}
	var out *ValidationError
	for _, err := range []error{serr, berr} {
		var ve *ValidationError
		if errors.As(err, &ve) {
			if out == nil {
				out = &ValidationError{ValidFields: ve.ValidFields, ValidStatKeys: ve.ValidStatKeys}
			}
			out.Errors = append(out.Errors, ve.Errors...)
		} else if err != nil {
			return nil, err
		}
	}
	return nil, out
}

// Render renders the subject and the body of a letter.
func (l *Letter) Render(data Data, stats StatSource) (subject, body string, err error) {
	if subject, err = l.Subject.Render(data, stats); err != nil {
		return "", "", err
	}
	if body, err = l.Body.Render(data, stats); err != nil {
		return "", "", err
	}
	return subject, body, nil
}

// Parse validates a letter-body template. statKeys is the set of valid
// statistic keys. On failure it returns *ValidationError (Field
// "template") and a nil Template. name is only informational (Name).
func Parse(name, text string, statKeys []string) (*Template, error) {
	return parseTemplate(name, text, statKeys, false)
}

// ParseSubject validates a subject-line template: the same language as
// Parse, and in addition its text must not contain line breaks or HTML
// tags and at most MaxSubjectRunes characters of it may be fixed text.
// Errors carry Field "subject".
func ParseSubject(name, text string, statKeys []string) (*Template, error) {
	return parseTemplate(name, text, statKeys, true)
}

// treeName is the name used for text/template; it appears in the
// standard library's error messages, which are parsed below.
const treeName = "letter"

// statVarPrefix prefixes the data-map keys holding statistic values. It
// contains bytes a template field name cannot contain, so a template can
// reach a statistic only through stat. availVarPrefix does the same for
// stat_available, releaseVarPrefix for release_id and release_date.
const (
	statVarPrefix    = "\x00stat:"
	availVarPrefix   = "\x00avail:"
	releaseVarPrefix = "\x00release:"
)

// problem is an error at a byte offset (-1: the whole template).
type problem struct {
	off int
	msg string
}

func parseTemplate(name, text string, statKeys []string, subject bool) (*Template, error) {
	field, limit := "template", MaxTemplateBytes
	if subject {
		field, limit = "subject", MaxSubjectTemplateBytes
	}
	fail := func(ps ...problem) error { return newValidationError(field, text, ps, statKeys) }
	switch {
	case len(text) > limit:
		return nil, fail(problem{-1, fmt.Sprintf("is too long: %d bytes, the limit is %d", len(text), limit)})
	case !utf8.ValidString(text):
		return nil, fail(problem{firstInvalidUTF8(text), "contains bytes that are not valid UTF-8 text"})
	case strings.TrimSpace(text) == "":
		return nil, fail(problem{-1, "is empty"})
	}

	items := lexAll(text)
	ps := prescan(items)
	tree, err := parseTree(text)
	if err != nil {
		if len(ps) == 0 { // otherwise the refused keyword is the likely cause
			ps = append(ps, locateSyntaxError(text, items, err))
		}
		return nil, fail(ps...)
	}
	keys := make(map[string]bool, len(statKeys))
	for _, k := range statKeys {
		keys[k] = true
	}
	c := &checker{
		text:            text,
		statKeys:        keys,
		statList:        sortedUnique(statKeys),
		reportForbidden: len(ps) == 0,
		used:            map[string]bool{},
		stats:           map[string]bool{},
		avail:           map[string]bool{},
		guards:          map[string]int{},
		fieldGuards:     map[string]int{},
		unknownFields:   map[string]string{},
	}
	c.list(tree.Root, kNone)
	ps = append(ps, c.problems...)
	if subject {
		ps = append(ps, subjectTextProblems(text, tree.Root)...)
	}
	if len(ps) > 0 {
		return nil, fail(ps...)
	}

	tmpl, err := template.New(treeName).Option("missingkey=error").AddParseTree(treeName, tree)
	if err != nil {
		return nil, fail(problem{-1, err.Error()})
	}
	t := &Template{name: name, text: text, subject: subject, ref: tmpl, sizeHint: len(text) + 512}
	for i, f := range fields {
		if c.used[f.name] {
			t.fields = append(t.fields, i)
		}
	}
	for k := range c.stats {
		t.stats = append(t.stats, k)
	}
	sort.Strings(t.stats)
	for k := range c.avail {
		t.avail = append(t.avail, k)
	}
	sort.Strings(t.avail)
	t.release = c.release
	for _, u := range c.unguarded {
		line, col := lineCol(text, u.off)
		t.unguard = append(t.unguard, StatUse{Key: u.msg, Line: line, Column: col})
	}
	for _, u := range c.blank {
		line, col := lineCol(text, u.off)
		t.blank = append(t.blank, FieldUse{Field: u.msg, Line: line, Column: col})
	}
	if t.prog, err = compileList(tree.Root, t.stats, t.avail); err != nil {
		return nil, fail(problem{-1, err.Error()})
	}

	// Trial render with the sample supporter: catches templates that
	// are too large, subjects that are too long, and (defensively) any
	// execution error the checks above did not foresee.
	if _, err := t.Render(SampleSupporter(), sampleSource{}); err != nil {
		return nil, fail(trialProblem(err))
	}
	return t, nil
}

func parseTree(text string) (*parse.Tree, error) {
	tr := parse.New(treeName)
	tr.Mode = parse.SkipFuncCheck // functions are checked by the checker, with positions
	treeSet := map[string]*parse.Tree{}
	if _, err := tr.Parse(text, "", "", treeSet); err != nil {
		return nil, err
	}
	if len(treeSet) != 1 || treeSet[treeName] != tr {
		// Only {{define}}/{{block}} add trees; prescan refuses them.
		return nil, errors.New("template: " + treeName + ":1: template definitions are not allowed")
	}
	return tr, nil
}

func newValidationError(field, text string, ps []problem, statKeys []string) *ValidationError {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].off < ps[j].off })
	ps = slices.CompactFunc(ps, func(a, b problem) bool { return a == b })
	if len(ps) > maxErrors {
		ps = ps[:maxErrors]
	}
	ve := &ValidationError{ValidFields: FieldNames(), ValidStatKeys: sortedUnique(statKeys)}
	for _, p := range ps {
		line, col := lineCol(text, p.off)
		ve.Errors = append(ve.Errors, FieldError{Field: field, Line: line, Column: col, Message: p.msg})
	}
	return ve
}

// lineCol converts a byte offset to a 1-based line and a 1-based column
// counted in runes. A negative offset gives 0, 0.
func lineCol(text string, off int) (line, col int) {
	if off < 0 {
		return 0, 0
	}
	off = min(off, len(text))
	before := text[:off]
	line = 1 + strings.Count(before, "\n")
	start := strings.LastIndexByte(before, '\n') + 1
	return line, 1 + utf8.RuneCountInString(before[start:])
}

// offsetOf converts a 1-based line and 0-based byte column (as in
// text/template execution errors) to a byte offset.
func offsetOf(text string, line, byteCol int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := strings.IndexByte(text[off:], '\n')
		if i < 0 {
			return -1
		}
		off += i + 1
	}
	if off+byteCol > len(text) {
		return -1
	}
	return off + byteCol
}

func firstInvalidUTF8(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, w := utf8.DecodeRuneInString(s[i:]); w == 1 {
				return i
			}
		}
	}
	return 0
}

func sortedUnique(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return slices.Compact(out)
}

// prescan refuses forbidden keywords and variables straight from the
// token stream, so they are reported at the keyword even when they also
// make the template unparseable (e.g. "{{define}}").
func prescan(items []item) []problem {
	var ps []problem
	for _, it := range items {
		var msg string
		switch it.typ {
		case itemRange:
			msg = "{{range}} is not allowed: a letter has no lists to loop over"
		case itemTemplate:
			msg = "{{template}} is not allowed: a letter cannot include other templates"
		case itemDefine:
			msg = "{{define}} is not allowed: a letter cannot define templates"
		case itemBlock:
			msg = "{{block}} is not allowed: a letter cannot define templates"
		case itemBreak, itemContinue:
			msg = "{{" + it.val + "}} is not allowed: a letter has no loops"
		case itemVariable:
			msg = varMessage(it.val)
		default:
			continue
		}
		ps = append(ps, problem{it.pos, msg})
	}
	return ps
}

func varMessage(name string) string {
	return fmt.Sprintf("variables such as %s are not supported; use the fields directly, e.g. {{.first_name}}", name)
}

var parseErrRE = regexp.MustCompile(`(?s)^template: ` + treeName + `:(\d+): (.*)$`)

// locateSyntaxError turns a text/template parse error, which carries
// only a line, into a problem at the offending token.
//
// The parser stops at the last token it read from the lexer. The token
// is found by parsing prefixes of the text that end after token k: for k
// at or past the offending token the prefix fails with exactly the same
// error (the parser saw the same tokens), before it the parser meets the
// premature end instead. A binary search finds the first such k.
// Errors that are about the end of input itself (a lexer error or
// "unexpected EOF") are placed directly.
func locateSyntaxError(text string, items []item, err error) problem {
	full := err.Error()
	m := parseErrRE.FindStringSubmatch(full)
	if m == nil {
		return problem{-1, full}
	}
	line, _ := strconv.Atoi(m[1])
	raw := m[2]
	msg := strings.ReplaceAll(raw, " started at "+treeName+":", " started at line ")
	last := items[len(items)-1]
	off := -1
	switch {
	case last.typ == itemError && strings.HasPrefix(raw, last.val):
		off = last.pos
	case last.typ == itemEOF && strings.HasPrefix(raw, "unexpected EOF"):
		off = last.pos
		if open, ok := unclosedBlock(items); ok {
			l, c := lineCol(text, open.pos)
			msg = fmt.Sprintf("unexpected end of template: the {{%s}} at line %d, column %d has no matching {{end}}", open.val, l, c)
		} else {
			msg = "unexpected end of template"
		}
	default:
		k := sort.Search(len(items), func(k int) bool {
			cut := len(text)
			if it := items[k]; it.typ != itemEOF && it.typ != itemError {
				cut = it.pos + len(it.val)
			}
			_, perr := parseTree(text[:cut])
			return perr != nil && perr.Error() == full
		})
		if k < len(items) && items[k].line == line {
			off = items[k].pos
			// An error about a whole action ("unexpected {{end}}",
			// "expected end; found {{else}}") is reported at its "{{".
			if items[k].typ == itemRightDelim && strings.Contains(raw, "{{") {
				for j := k - 1; j >= 0; j-- {
					if items[j].typ == itemLeftDelim {
						off = items[j].pos
						break
					}
				}
			}
		}
	}
	if off < 0 {
		// Fallback: the first token on the reported line.
		off = offsetOf(text, line, 0)
		for _, it := range items {
			if it.line == line && it.typ != itemText && it.typ != itemSpace {
				off = it.pos
				break
			}
		}
	}
	return problem{off, msg}
}

// unclosedBlock returns the keyword of the innermost block left open at
// the end of the token stream.
func unclosedBlock(items []item) (item, bool) {
	var stack []item
	atStart := false
	for _, it := range items {
		switch it.typ {
		case itemLeftDelim:
			atStart = true
			continue
		case itemSpace:
			continue
		}
		if atStart {
			switch it.typ {
			case itemIf, itemWith, itemRange, itemBlock, itemDefine:
				stack = append(stack, it)
			case itemEnd:
				if len(stack) > 0 {
					stack = stack[:len(stack)-1]
				}
			}
		}
		atStart = false
	}
	if len(stack) == 0 {
		return item{}, false
	}
	return stack[len(stack)-1], true
}

func trialProblem(err error) problem {
	switch {
	case errors.Is(err, ErrTooLarge):
		return problem{-1, fmt.Sprintf("renders to more than %d KiB with the sample supporter", DefaultMaxBytes>>10)}
	case errors.Is(err, ErrSubjectTooLong):
		return problem{-1, strings.TrimPrefix(err.Error(), "letter: ") + " (with the sample supporter)"}
	case errors.Is(err, ErrTimeout):
		return problem{-1, "takes too long to render"}
	}
	var ee *execError
	if errors.As(err, &ee) {
		return problem{ee.off, ee.msg}
	}
	return problem{-1, err.Error()}
}

// Value kinds for static checks of function arguments.
type vkind uint8

const (
	kNone  vkind = iota // no value: dot outside {{with}}
	kAny                // unknown at parse time
	kText               // fields, statistics, quoted strings
	kInt                // len, whole-number literals
	kFloat              // decimal literals
	kBool               // true, false, eq, ne, not
)

func (k vkind) String() string {
	switch k {
	case kText:
		return "text"
	case kInt:
		return "a whole number"
	case kFloat:
		return "a decimal number"
	case kBool:
		return "true/false"
	}
	return "a value"
}

// funcArity gives the minimum and maximum (-1: any) argument counts.
var funcArity = map[string][2]int{
	"and": {1, -1}, "or": {1, -1}, "not": {1, 1},
	"eq": {2, -1}, "ne": {2, 2}, "len": {1, 1},
}

var funcUsage = map[string]string{
	"and": `and needs at least one value, e.g. {{if and .city .state}}`,
	"or":  `or needs at least one value, e.g. {{if or .city .state}}`,
	"not": `not needs exactly one value, e.g. {{if not .personal_note}}`,
	"eq":  `eq needs two or more values to compare, e.g. {{if eq .chamber "senate"}}`,
	"ne":  `ne needs exactly two values to compare, e.g. {{if ne .district ""}}`,
	"len": `len needs exactly one value, e.g. {{len .personal_note}}`,
}

// builtinFuncs are text/template's other predefined functions; they
// exist at execution time, so they are refused explicitly.
var builtinFuncs = map[string]bool{
	"call": true, "html": true, "index": true, "slice": true, "js": true,
	"print": true, "printf": true, "println": true, "urlquery": true,
	"lt": true, "le": true, "gt": true, "ge": true,
}

// checker walks a parse tree, refuses everything outside the letter
// language and rewrites what it accepts for execution:
//
//   - a field .x becomes the variable chain $.x, so fields always mean
//     the letter's field (also inside {{with}}, where dot changes);
//   - {{stat "k"}} becomes $.<statVarPrefix>k, a value the renderer puts
//     in the data map; no function can reach the StatSource.
type checker struct {
	text            string
	statKeys        map[string]bool
	statList        []string
	reportForbidden bool // false when prescan already reported keywords/variables
	problems        []problem
	used            map[string]bool
	stats           map[string]bool
	avail           map[string]bool   // keys tested with stat_available
	release         bool              // release_id or release_date used
	guards          map[string]int    // keys guarded at this point of the walk
	unguarded       []problem         // statistics used outside a guard (msg: the key)
	fieldGuards     map[string]int    // fields tested non-empty at this point of the walk
	blank           []problem         // OftenEmpty fields printed outside such a test (msg: the field)
	unknownFields   map[string]string // message per unknown name (suggestions are not free)
}

func (c *checker) add(pos parse.Pos, format string, args ...any) {
	c.problems = append(c.problems, problem{int(pos), fmt.Sprintf(format, args...)})
}

func (c *checker) forbid(pos parse.Pos, msg string) {
	if c.reportForbidden {
		c.add(pos, "%s", msg)
	}
}

func (c *checker) list(l *parse.ListNode, dot vkind) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		c.node(n, dot)
	}
}

func (c *checker) node(n parse.Node, dot vkind) {
	switch n := n.(type) {
	case *parse.TextNode, *parse.CommentNode:
	case *parse.ActionNode:
		c.printed(n.Pipe)
		c.pipe(n.Pipe, dot)
	case *parse.IfNode:
		fields, negated := fieldTests(n.Pipe) // before pipe rewrites the fields
		c.pipe(n.Pipe, dot)
		keys := guardKeys(n.Pipe)
		for _, k := range keys {
			c.guards[k]++
		}
		c.guardFields(fields, !negated, func() { c.list(n.List, dot) })
		for _, k := range keys {
			c.guards[k]--
		}
		c.guardFields(fields, negated, func() { c.list(n.ElseList, dot) })
	case *parse.WithNode:
		fields, negated := fieldTests(n.Pipe)
		k := c.pipe(n.Pipe, dot)
		c.guardFields(fields, !negated, func() { c.list(n.List, max(k, kAny)) })
		c.list(n.ElseList, dot)
	case *parse.ListNode:
		c.list(n, dot)
	case *parse.RangeNode:
		c.forbid(n.Position(), "{{range}} is not allowed: a letter has no lists to loop over")
		c.pipe(n.Pipe, dot)
		c.list(n.List, kAny)
		c.list(n.ElseList, dot)
	case *parse.TemplateNode:
		c.forbid(n.Position(), "{{template}} is not allowed: a letter cannot include other templates")
	case *parse.BreakNode, *parse.ContinueNode:
		c.forbid(n.Position(), "{{break}} and {{continue}} are not allowed: a letter has no loops")
	default:
		c.add(n.Position(), "%s is not supported", n)
	}
}

// pipe checks a pipeline and returns the kind of its value.
func (c *checker) pipe(p *parse.PipeNode, dot vkind) vkind {
	if p == nil {
		return kAny
	}
	if len(p.Decl) > 0 {
		c.forbid(p.Decl[0].Position(), varMessage(p.Decl[0].Ident[0]))
	}
	k := kAny
	for i, cmd := range p.Cmds {
		k = c.command(cmd, dot, i > 0, k)
	}
	return k
}

// command checks one command of a pipeline; piped reports that the
// previous command's value (of kind in) is passed as the last argument.
func (c *checker) command(cmd *parse.CommandNode, dot vkind, piped bool, in vkind) vkind {
	if len(cmd.Args) == 0 {
		return kAny
	}
	id, isFunc := cmd.Args[0].(*parse.IdentifierNode)
	if !isFunc {
		if piped {
			c.add(cmd.Args[0].Position(), "only a function (%s) can follow |", strings.Join(allowedFuncNames, ", "))
		}
		var k vkind
		var desc string
		if len(cmd.Args) > 1 {
			desc = cmd.Args[0].String() // before the rewrite; only on error (String is O(size))
		}
		cmd.Args[0], k = c.operand(cmd.Args[0], dot)
		if len(cmd.Args) > 1 {
			c.add(cmd.Args[1].Position(), "%s is not a function and cannot take arguments; to compare values use eq, e.g. {{if eq .chamber \"senate\"}}", desc)
			for i := 1; i < len(cmd.Args); i++ {
				cmd.Args[i], _ = c.operand(cmd.Args[i], dot)
			}
		}
		return k
	}
	switch id.Ident {
	case "stat", "stat_available":
		return c.stat(cmd, id, dot, piped)
	case "release_id", "release_date":
		if piped || len(cmd.Args) != 1 {
			c.add(id.Position(), "%s takes no values: write {{%s}}", id.Ident, id.Ident)
			for i := 1; i < len(cmd.Args); i++ {
				cmd.Args[i], _ = c.operand(cmd.Args[i], dot)
			}
			return kText
		}
		c.release = true
		cmd.Args[0] = &parse.VariableNode{NodeType: parse.NodeVariable, Pos: id.Pos, Ident: []string{"$", releaseVarPrefix + id.Ident}}
		return kText
	}
	kinds := make([]vkind, 0, len(cmd.Args))
	for i := 1; i < len(cmd.Args); i++ {
		var k vkind
		cmd.Args[i], k = c.operand(cmd.Args[i], dot)
		kinds = append(kinds, k)
	}
	if piped {
		kinds = append(kinds, in)
	}
	ar, ok := funcArity[id.Ident]
	if !ok {
		c.add(id.Position(), "%s", c.unknownFunc(id.Ident))
		return kAny
	}
	if len(kinds) < ar[0] || ar[1] >= 0 && len(kinds) > ar[1] {
		c.add(id.Position(), "%s", funcUsage[id.Ident])
	}
	switch id.Ident {
	case "eq", "ne":
		for _, k := range kinds[min(1, len(kinds)):] {
			if kinds[0] > kAny && k > kAny && k != kinds[0] {
				c.add(id.Position(), "%s cannot compare %s with %s", id.Ident, kinds[0], k)
				break
			}
		}
		return kBool
	case "not":
		return kBool
	case "len":
		if len(kinds) > 0 && kinds[0] != kText && kinds[0] != kAny {
			c.add(id.Position(), "len needs text, not %s", kinds[0])
		}
		return kInt
	default: // and, or: the value of one of the arguments
		k := kAny
		for i, ki := range kinds {
			if i == 0 {
				k = ki
			} else if ki != k {
				k = kAny
			}
		}
		return max(k, kAny)
	}
}

func (c *checker) stat(cmd *parse.CommandNode, id *parse.IdentifierNode, dot vkind, piped bool) vkind {
	usage := `stat needs exactly one statistic key in quotes, e.g. {{stat "children_separated"}}`
	kind, prefix := kText, statVarPrefix
	if id.Ident == "stat_available" {
		usage = `stat_available needs exactly one statistic key in quotes, e.g. {{if stat_available "children_separated"}}...{{end}}`
		kind, prefix = kBool, availVarPrefix
	}
	if piped || len(cmd.Args) != 2 {
		c.add(id.Position(), "%s", usage)
		for i := 1; i < len(cmd.Args); i++ {
			cmd.Args[i], _ = c.operand(cmd.Args[i], dot)
		}
		return kind
	}
	s, ok := cmd.Args[1].(*parse.StringNode)
	if !ok {
		c.add(cmd.Args[1].Position(), "the statistic key must be written in quotes, e.g. {{%s \"children_separated\"}}", id.Ident)
		cmd.Args[1], _ = c.operand(cmd.Args[1], dot)
		return kind
	}
	if !c.statKeys[s.Text] {
		msg := fmt.Sprintf("unknown statistic %q", s.Text)
		if len(c.statList) == 0 {
			msg += "; no statistics are available"
		} else {
			if sug := suggest(s.Text, c.statList); sug != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", sug)
			}
			msg += "; valid statistics: " + strings.Join(c.statList, ", ")
		}
		c.add(s.Position(), "%s", msg)
		return kind
	}
	if kind == kBool {
		c.avail[s.Text] = true
	} else {
		c.stats[s.Text] = true
		if c.guards[s.Text] == 0 {
			c.unguarded = append(c.unguarded, problem{int(id.Pos), s.Text})
		}
	}
	cmd.Args = []parse.Node{&parse.VariableNode{
		NodeType: parse.NodeVariable, Pos: id.Pos, Ident: []string{"$", prefix + s.Text},
	}}
	return kind
}

// guardKeys returns the keys an {{if}} pipeline (already checked and
// rewritten) guards in its first branch: {{if stat_available "k"}}, or
// {{if and (stat_available "a") (stat_available "b") ...}}, where every
// argument of and is such a test.
func guardKeys(p *parse.PipeNode) []string {
	if p == nil || len(p.Cmds) != 1 || len(p.Decl) > 0 {
		return nil
	}
	availKey := func(n parse.Node) (string, bool) {
		if pn, ok := n.(*parse.PipeNode); ok && len(pn.Cmds) == 1 && len(pn.Decl) == 0 && len(pn.Cmds[0].Args) == 1 {
			n = pn.Cmds[0].Args[0]
		}
		v, ok := n.(*parse.VariableNode)
		if !ok || len(v.Ident) != 2 || v.Ident[0] != "$" {
			return "", false
		}
		return strings.CutPrefix(v.Ident[1], availVarPrefix)
	}
	args := p.Cmds[0].Args
	if len(args) == 1 {
		if k, ok := availKey(args[0]); ok {
			return []string{k}
		}
		return nil
	}
	if id, ok := args[0].(*parse.IdentifierNode); !ok || id.Ident != "and" {
		return nil
	}
	var keys []string
	for _, a := range args[1:] {
		k, ok := availKey(a)
		if !ok {
			return nil
		}
		keys = append(keys, k)
	}
	return keys
}

// operand checks (and possibly rewrites) a term used as a value.
func (c *checker) operand(n parse.Node, dot vkind) (parse.Node, vkind) {
	switch n := n.(type) {
	case *parse.FieldNode:
		return c.field(n)
	case *parse.StringNode:
		return n, kText
	case *parse.BoolNode:
		return n, kBool
	case *parse.NumberNode:
		return n, c.number(n)
	case *parse.DotNode:
		if dot == kNone {
			c.add(n.Position(), "{{.}} can only be used inside {{with}}; use a field such as {{.first_name}}")
			return n, kAny
		}
		return n, dot
	case *parse.PipeNode:
		return n, c.pipe(n, dot)
	case *parse.NilNode:
		c.add(n.Position(), "nil is not allowed; an empty field is written \"\"")
		return n, kAny
	case *parse.VariableNode:
		c.forbid(n.Position(), varMessage(n.Ident[0]))
		return n, kAny
	case *parse.ChainNode:
		c.add(n.Position(), "fields have no sub-fields or methods: %s", n)
		n.Node, _ = c.operand(n.Node, dot)
		return n, kAny
	case *parse.IdentifierNode:
		if _, ok := funcArity[n.Ident]; ok || n.Ident == "stat" || n.Ident == "stat_available" || n.Ident == "release_id" || n.Ident == "release_date" {
			c.add(n.Position(), "function %s used as a value must be in parentheses with its arguments, e.g. (%s ...)", n.Ident, n.Ident)
		} else {
			c.add(n.Position(), "%s", c.unknownFunc(n.Ident))
		}
		return n, kAny
	}
	c.add(n.Position(), "%s is not supported", n)
	return n, kAny
}

func (c *checker) field(n *parse.FieldNode) (parse.Node, vkind) {
	name := n.Ident[0]
	start := int(n.Pos)
	if len(n.Ident) > 1 {
		// The parser positions a dotted path at its second element.
		if s := start - 1 - len(name); s >= 0 && strings.HasPrefix(c.text[s:], "."+name) {
			start = s
		}
	}
	if _, ok := fieldIndex[name]; !ok {
		msg, ok := c.unknownFields[name]
		if !ok {
			msg = fmt.Sprintf("unknown field {{.%s}}", name)
			if sug := suggest(name, FieldNames()); sug != "" {
				msg += fmt.Sprintf("; did you mean {{.%s}}?", sug)
			}
			c.unknownFields[name] = msg
		}
		c.problems = append(c.problems, problem{start, msg})
		return n, kText
	}
	if len(n.Ident) > 1 {
		c.add(n.Pos, "fields have no sub-fields or methods: write {{.%s}}, not {{.%s}}", name, strings.Join(n.Ident, "."))
		return n, kText
	}
	c.used[name] = true
	return &parse.VariableNode{NodeType: parse.NodeVariable, Pos: n.Pos, Ident: []string{"$", name}}, kText
}

func (c *checker) number(n *parse.NumberNode) vkind {
	switch {
	case n.IsComplex:
		c.add(n.Position(), "complex numbers are not supported")
		return kAny
	case n.IsFloat && !isHexInt(n.Text) && !strings.HasPrefix(n.Text, "'") && strings.ContainsAny(n.Text, ".eEpP"):
		return kFloat
	case n.IsInt && int64(int(n.Int64)) == n.Int64:
		return kInt
	}
	c.add(n.Position(), "number %s is too large", n.Text)
	return kAny
}

func isHexInt(s string) bool {
	return len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && !strings.ContainsAny(s, "pP")
}

func (c *checker) unknownFunc(name string) string {
	allowed := strings.Join(allowedFuncNames, ", ")
	if _, ok := fieldIndex[name]; ok {
		return fmt.Sprintf("unknown function %q; to insert the field write {{.%s}}", name, name)
	}
	if builtinFuncs[name] {
		return fmt.Sprintf("function %q is not allowed; allowed functions: %s", name, allowed)
	}
	msg := fmt.Sprintf("unknown function %q", name)
	if sug := suggest(name, FieldNames()); sug != "" {
		msg += fmt.Sprintf("; did you mean the field {{.%s}}?", sug)
	}
	return msg + "; allowed functions: " + allowed
}

var tagRE = regexp.MustCompile(`<[A-Za-z!/?][^<>]*>`)

// subjectTextProblems checks the fixed text of a subject template.
func subjectTextProblems(text string, root *parse.ListNode) []problem {
	var ps []problem
	var newline, tag bool
	runes := 0
	var walk func(*parse.ListNode)
	walk = func(l *parse.ListNode) {
		if l == nil {
			return
		}
		for _, n := range l.Nodes {
			switch n := n.(type) {
			case *parse.TextNode:
				s, base := string(n.Text), int(n.Pos)
				if i := strings.IndexAny(s, "\r\n"); i >= 0 && !newline {
					newline = true
					ps = append(ps, problem{base + i, "a subject must be a single line (remove the line break)"})
				}
				if loc := tagRE.FindStringIndex(s); loc != nil && !tag {
					tag = true
					ps = append(ps, problem{base + loc[0], fmt.Sprintf("a subject cannot contain HTML tags such as %s", s[loc[0]:loc[1]])})
				}
				for i := range s {
					runes++
					if runes == MaxSubjectRunes+1 {
						ps = append(ps, problem{base + i, fmt.Sprintf("a subject can be at most %d characters long", MaxSubjectRunes)})
					}
				}
			case *parse.IfNode:
				walk(n.List)
				walk(n.ElseList)
			case *parse.WithNode:
				walk(n.List)
				walk(n.ElseList)
			}
		}
	}
	walk(root)
	return ps
}

// suggest returns the candidate closest to s (ignoring case and
// underscores, then by edit distance ≤ 2 or as a prefix of at least 4
// characters), or "".
func suggest(s string, candidates []string) string {
	norm := func(x string) string { return strings.ReplaceAll(strings.ToLower(x), "_", "") }
	ns := norm(s)
	best, bestD := "", 3
	for _, c := range candidates {
		if norm(c) == ns {
			return c
		}
		d := editDistance(ns, norm(c))
		if len(ns) >= 4 && strings.HasPrefix(norm(c), ns) {
			d = min(d, 2) // a truncated name: .personal for .personal_note
		}
		if d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the optimal-string-alignment distance (Levenshtein
// plus adjacent transpositions) between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return 1 << 30
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// printed records an OftenEmpty field printed by itself ({{.committee_roles}})
// where no enclosing {{if}} or {{with}} has tested it.
func (c *checker) printed(p *parse.PipeNode) {
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return
	}
	f, ok := p.Cmds[0].Args[0].(*parse.FieldNode)
	if !ok || len(f.Ident) != 1 || !slices.Contains(OftenEmpty, f.Ident[0]) || c.fieldGuards[f.Ident[0]] > 0 {
		return
	}
	c.blank = append(c.blank, problem{int(f.Pos), f.Ident[0]})
}

// guardFields runs walk with fields counted as tested non-empty when on.
func (c *checker) guardFields(fields []string, on bool, walk func()) {
	if on {
		for _, f := range fields {
			c.fieldGuards[f]++
		}
	}
	walk()
	if on {
		for _, f := range fields {
			c.fieldGuards[f]--
		}
	}
}

// fieldTests returns the fields an {{if}} or {{with}} pipeline (not yet
// rewritten) tests non-empty: {{if .f}}, {{if and .f .g ...}} (other
// arguments of and may be anything), or, negated, {{if not .f}}, whose
// else branch has .f non-empty.
func fieldTests(p *parse.PipeNode) (fields []string, negated bool) {
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) != 1 {
		return nil, false
	}
	field := func(n parse.Node) (string, bool) {
		if pn, ok := n.(*parse.PipeNode); ok && len(pn.Cmds) == 1 && len(pn.Decl) == 0 && len(pn.Cmds[0].Args) == 1 {
			n = pn.Cmds[0].Args[0]
		}
		f, ok := n.(*parse.FieldNode)
		if !ok || len(f.Ident) != 1 {
			return "", false
		}
		return f.Ident[0], true
	}
	args := p.Cmds[0].Args
	if len(args) == 1 {
		if f, ok := field(args[0]); ok {
			return []string{f}, false
		}
		return nil, false
	}
	id, ok := args[0].(*parse.IdentifierNode)
	switch {
	case !ok:
		return nil, false
	case id.Ident == "not" && len(args) == 2:
		if f, ok := field(args[1]); ok {
			return []string{f}, true
		}
	case id.Ident == "and":
		for _, a := range args[1:] {
			if f, ok := field(a); ok {
				fields = append(fields, f)
			}
		}
	}
	return fields, false
}
