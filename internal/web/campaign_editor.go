package web

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/letter"
)

// problemView is one refusal of the campaign form as staff read it:
// "Summary (English) is required", and for a template error the line it
// is on, split at the column so the page can mark the spot.
type problemView struct {
	campaign.FieldError
	Text      string `json:"text"`
	Excerpt   bool   `json:"excerpt"`
	Before    string `json:"before,omitempty"`
	At        string `json:"at,omitempty"`
	After     string `json:"after,omitempty"`
	LineText  string `json:"-"`
	FieldName string `json:"-"`
}

// letterProblems are the preview's refusals of the letter's three texts.
func letterProblems(errs []campaign.FieldError, subject, body, statement string) []problemView {
	return problemViews(errs, map[string]string{"subject": "Subject line", "template": "Letter", "organization_statement": "Organization statement"},
		map[string]string{"subject": subject, "template": body, "organization_statement": statement})
}

// sentenceStarts are the verbs a validation message starts with when it
// reads after the field's name ("is required", "must be after the start").
var sentenceStarts = []string{"is ", "must ", "may ", "cannot ", "has ", "needs "}

// problemViews turns the refusals into sentences that name the field by
// its label, and quotes the offending template line.
func problemViews(errs []campaign.FieldError, labels map[string]string, texts map[string]string) []problemView {
	out := make([]problemView, 0, len(errs))
	for _, fe := range errs {
		label := labels[fe.Field]
		if label == "" {
			label = fe.Field
		}
		p := problemView{FieldError: fe, FieldName: label}
		where := label
		if fe.Line > 0 {
			where += ", line " + strconv.Itoa(fe.Line) + ", column " + strconv.Itoa(fe.Column)
		}
		joined := false
		for _, v := range sentenceStarts {
			if strings.HasPrefix(fe.Message, v) && fe.Line == 0 {
				p.Text, joined = label+" "+fe.Message, true
				break
			}
		}
		if !joined {
			p.Text = where + ": " + fe.Message
		}
		if src, ok := texts[fe.Field]; ok && fe.Line > 0 {
			lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
			if fe.Line <= len(lines) {
				line := lines[fe.Line-1]
				p.Excerpt, p.LineText = true, line
				p.Before, p.At, p.After = splitAtColumn(line, fe.Column)
			}
		}
		out = append(out, p)
	}
	return out
}

// splitAtColumn splits line around its col-th character (1-based); past
// the end, the mark is a space after the line.
func splitAtColumn(line string, col int) (before, at, after string) {
	if col < 1 {
		col = 1
	}
	i := 0
	for n := 1; n < col && i < len(line); n++ {
		_, size := utf8.DecodeRuneInString(line[i:])
		i += size
	}
	if i >= len(line) {
		return line, " ", ""
	}
	_, size := utf8.DecodeRuneInString(line[i:])
	return line[:i], line[i : i+size], line[i+size:]
}

// pickerGroup is one group of the editor's "insert a field" list; each
// item is the exact text inserted at the cursor.
type pickerGroup struct {
	Label string
	Items []pickerItem
}

type pickerItem struct {
	Insert, Label string
}

// picker lists the real merge fields (with their example values) and the
// current release's figures (with the value a letter would quote today;
// a figure the release does not publish is offered inside its guard).
func (s *Server) picker(ctx context.Context) []pickerGroup {
	fields := pickerGroup{Label: "Supporter and member fields"}
	for _, d := range letter.FieldDocs() {
		l := d.Name + ": " + d.Description
		if d.Example != "" {
			l += " (e.g. " + d.Example + ")"
		}
		fields.Items = append(fields.Items, pickerItem{Insert: "{{." + d.Name + "}}", Label: l})
	}
	out := []pickerGroup{fields}
	rel, err := s.latestRelease(ctx)
	if err != nil || rel.Figures == nil {
		stats := pickerGroup{Label: "Statistics (no release published yet)"}
		for _, k := range campaign.StatKeys() {
			stats.Items = append(stats.Items, pickerItem{Insert: `{{if stat_available "` + k + `"}}{{stat "` + k + `"}}{{end}}`, Label: k})
		}
		return append(out, stats)
	}
	id, date, _ := rel.Release()
	head := "Statistics (release " + id + " of " + date
	if rel.Synthetic {
		head += ", synthetic demonstration figures"
	}
	stats := pickerGroup{Label: head + ")"}
	for _, k := range campaign.StatKeys() {
		if v, ok := rel.Stat(k); ok && rel.StatAvailable(k) {
			stats.Items = append(stats.Items, pickerItem{Insert: `{{stat "` + k + `"}}`, Label: k + ": " + v})
		} else {
			stats.Items = append(stats.Items, pickerItem{Insert: `{{if stat_available "` + k + `"}}{{stat "` + k + `"}}{{end}}`,
				Label: k + ": not published (kept out of letters until it is)"})
		}
	}
	stats.Items = append(stats.Items, pickerItem{Insert: "{{release_id}}", Label: "release_id: the release's number (" + id + ")"},
		pickerItem{Insert: "{{release_date}}", Label: "release_date: the release's date (" + date + ")"})
	return append(out, stats)
}

// fieldLabels are the campaign form's labels by field name, for the
// refusal summary.
func (v campaignEditView) fieldLabels() map[string]string {
	out := map[string]string{}
	for n, f := range v.Inputs {
		out[n] = shortLabel(f.Label)
	}
	for n, t := range v.Texts {
		out[n] = shortLabel(t.Label)
	}
	for n, ch := range v.Choices {
		out[n] = shortLabel(ch.Label)
	}
	for _, f := range v.Delivery.Inputs {
		out[f.Name] = shortLabel(f.Label)
	}
	for _, ch := range v.Delivery.Places {
		out[ch.Name] = shortLabel(ch.Label)
	}
	out["targets"] = "Write to"
	return out
}

// shortLabel is a label without its explanation: "Slug: the address…"
// is "Slug"; "Subject line (a template; …)" is "Subject line".
func shortLabel(l string) string {
	if i := strings.Index(l, ":"); i > 0 {
		l = l[:i]
	}
	if i := strings.Index(l, " (a template"); i > 0 {
		l = l[:i]
	}
	if i := strings.Index(l, " (optional)"); i > 0 {
		l = l[:i]
	}
	return strings.TrimSpace(l)
}
