package campaign

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/letter"
)

// StatsProvider supplies the statistic values letters quote: those of the
// latest published statistics release, and that release's id (which each
// letter records). The statistics integration implements it; until then
// SampleStats stands in.
type StatsProvider interface {
	Latest(ctx context.Context) (stats letter.StatSource, releaseID int64, err error)
}

// SampleStats is the StatsProvider used while no statistics release is
// wired in: it answers every key of StatKeys with a clearly marked sample
// value such as "[children_separated: figure from the latest statistics
// release]", and release id 0 (no release). Previews say so; real letters
// must never be rendered from it.
type SampleStats struct{}

// Latest implements StatsProvider.
func (SampleStats) Latest(context.Context) (letter.StatSource, int64, error) {
	return sampleSource{}, 0, nil
}

// sampleSource answers every statistic with its sample value and the
// release functions with marked placeholders.
type sampleSource struct{}

func (sampleSource) Stat(key string) (string, bool) { return SampleStat(key) }
func (sampleSource) Release() (id, date string, ok bool) {
	return "[number of the latest statistics release]", "[date of the latest statistics release]", true
}

var statKeySet = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range StatKeys() {
		m[k] = true
	}
	return m
}()

// SampleStat is the sample value of a known statistic key.
func SampleStat(key string) (string, bool) {
	if !statKeySet[key] {
		return "", false
	}
	return "[" + key + ": figure from the latest statistics release]", true
}

// District is how letters name a member's seat: "" for senators,
// "at-large" for an at-large seat (and the single seats of DC and the
// territories), otherwise the district number.
func District(m *congress.Member) string {
	if m.Chamber == congress.Senate || m.District == nil {
		return ""
	}
	if *m.District == 0 {
		return "at-large"
	}
	return strconv.Itoa(*m.District)
}

// MemberData returns letter data with the member fields filled in from m
// (salutation, member_name, member_title, chamber, member_state,
// district) and the supporter fields empty.
func MemberData(m *congress.Member) letter.Data {
	chamber := string(m.Chamber)
	title := letter.Title(chamber, m.State)
	return letter.Data{
		Salutation:  letter.Salutation(title, m.LastName),
		MemberName:  m.Name,
		MemberTitle: title,
		Chamber:     chamber,
		MemberState: m.State,
		District:    District(m),
	}
}

// PreviewData is the letter data of a preview for m: the sample supporter
// of letter.SampleSupporter writing to m. To stay a plausible constituent
// the supporter lives in the member's state, in the city of the member's
// first district office (when the data lists one; otherwise the sample
// supporter's own city and state are kept).
func PreviewData(m *congress.Member) letter.Data {
	d := letter.SampleSupporter()
	md := MemberData(m)
	d.Salutation, d.MemberName, d.MemberTitle = md.Salutation, md.MemberName, md.MemberTitle
	d.Chamber, d.MemberState, d.District = md.Chamber, md.MemberState, md.District
	if len(m.Offices) > 0 && m.Offices[0].City != "" {
		d.City, d.State = m.Offices[0].City, m.State
	}
	return d
}

// Preview is what one office would receive.
type Preview struct {
	Subject               string
	Body                  string
	OrganizationStatement string // "" when the campaign has none
	Member                *congress.Member
	// Targeted is false when no rule of the campaign selects the member:
	// the office would then receive nothing.
	Targeted bool
	// StatsReleaseID is the statistics release quoted; 0 with sample
	// values (SampleStats).
	StatsReleaseID int64
}

// Preview renders the letter for member m with the preview supporter
// (PreviewData), m's committee seats and the given statistics. Body is the letter as
// delivery.Compose makes it (greeting when the template has none, body,
// figures citation). Render errors (a subject too long with these values,
// say) are returned as they are.
func (cp *Compiled) Preview(ctx context.Context, targeted bool, seats Seats, m *congress.Member, stats letter.StatSource, releaseID int64) (Preview, error) {
	p := Preview{Member: m, Targeted: targeted, StatsReleaseID: releaseID}
	d := PreviewData(m)
	seats.Apply(&d)
	r, err := cp.Render(ctx, d, stats)
	if err != nil {
		return p, err
	}
	c := delivery.Compose(r.Message(), delivery.NoSender)
	p.Subject, p.Body, p.OrganizationStatement = c.Subject, c.Letter(), c.Statement
	return p, nil
}

// Rendered is one letter's parts, rendered for a supporter and an office:
// what is sealed with the letter and composed (delivery.Compose) for the
// review page and every channel.
type Rendered struct {
	Subject    string
	Salutation string // the greeting when the template has none of its own
	Body       string
	// Citation is the figures citation line, composed after the body on
	// the review page and in every channel (delivery.Composed.Citation).
	// Render leaves it empty until the campaign's citation line is set
	// here.
	Citation  string
	Statement string // "" when the campaign has none
}

// Message is r as the text parts of a delivery.Message.
func (r Rendered) Message() delivery.Message {
	return delivery.Message{Subject: r.Subject, Salutation: r.Salutation, Body: r.Body, Citation: r.Citation, OrganizationStatement: r.Statement}
}

// Render renders the subject, the body and the organization statement
// with d and stats. A body template that addresses the member nowhere
// (none of {{.salutation}}, {{.member_name}}, {{.member_title}}) gets
// d.Salutation as its greeting line: a letter to Congress starts with
// one, and a template that names the member has its own.
func (cp *Compiled) Render(ctx context.Context, d letter.Data, stats letter.StatSource) (Rendered, error) {
	var r Rendered
	var err error
	if cp.Letter == nil {
		return r, ErrNoLetter
	}
	if r.Subject, err = cp.Letter.Subject.RenderWith(ctx, d, stats, letter.Limits{}); err != nil {
		return r, err
	}
	if r.Body, err = cp.Letter.Body.RenderWith(ctx, d, stats, letter.Limits{}); err != nil {
		return r, err
	}
	if cp.Statement != nil {
		if r.Statement, err = cp.Statement.RenderWith(ctx, d, stats, letter.Limits{}); err != nil {
			return r, err
		}
	}
	if !addressesMember(cp.Letter.Body.Fields()) && strings.TrimSpace(d.Salutation) != "" {
		r.Salutation = d.Salutation + ","
	}
	return r, nil
}

func addressesMember(fields []string) bool {
	for _, f := range fields {
		switch f {
		case "salutation", "member_name", "member_phrase", "member_title":
			return true
		}
	}
	return false
}

// FindMembers returns the members matching a search typed by staff, in
// the directory's order (state, House before Senate, district, name), at
// most limit of them: a two-letter state code or a state name gives that
// state's members; otherwise members whose name contains the query
// (ignoring case and accents) or whose bioguide id it is.
func FindMembers(members []*congress.Member, stateNames map[string]string, q string, limit int) []*congress.Member {
	q = strings.TrimSpace(q)
	if q == "" || len(q) > 100 {
		return nil
	}
	var out []*congress.Member
	keep := func(m *congress.Member) bool {
		out = append(out, m)
		return limit <= 0 || len(out) < limit
	}
	state := ""
	if len(q) == 2 {
		if _, ok := stateNames[strings.ToUpper(q)]; ok {
			state = strings.ToUpper(q)
		}
	}
	for code, name := range stateNames {
		if strings.EqualFold(name, q) {
			state = code
		}
	}
	if state != "" {
		for _, m := range members {
			if m.State == state && !keep(m) {
				break
			}
		}
		return out
	}
	fq := fold(q)
	for _, m := range members {
		if (strings.EqualFold(m.BioguideID, q) || strings.Contains(fold(m.Name), fq)) && !keep(m) {
			break
		}
	}
	return slices.Clip(out)
}

var accents = strings.NewReplacer(
	"á", "a", "à", "a", "â", "a", "ä", "a", "ã", "a", "å", "a",
	"é", "e", "è", "e", "ê", "e", "ë", "e",
	"í", "i", "ì", "i", "î", "i", "ï", "i",
	"ó", "o", "ò", "o", "ô", "o", "ö", "o", "õ", "o",
	"ú", "u", "ù", "u", "û", "u", "ü", "u",
	"ñ", "n", "ç", "c",
)

func fold(s string) string { return accents.Replace(strings.ToLower(s)) }
