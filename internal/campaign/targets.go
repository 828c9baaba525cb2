package campaign

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/letter"
)

// Kinds of target rule.
const (
	// RuleHouse: the supporter's House member (or delegate).
	RuleHouse = "house"
	// RuleSenate: the supporter's senators.
	RuleSenate = "senate"
	// RuleCommittee: those of the supporter's members who sit on
	// Committee (a committee or a subcommittee id).
	RuleCommittee = "committee"
	// RuleLeaders: the chair and ranking member of Committee, whoever
	// they represent. Organizational letters only: CWC accepts
	// constituent mail only from constituents, so a constituent campaign
	// refuses it.
	RuleLeaders = "leaders"
	// RuleOffices: a hand-picked list of offices (bioguide ids); a
	// supporter writes to those of them that represent them.
	RuleOffices = "offices"
)

// RuleKinds lists the kinds in the order forms show them.
var RuleKinds = []string{RuleHouse, RuleSenate, RuleCommittee, RuleLeaders, RuleOffices}

// Rule is one way a campaign chooses offices. A campaign's letters go to
// every office that any of its rules selects.
type Rule struct {
	Kind      string   `json:"kind"`
	Committee string   `json:"committee,omitempty"` // committee and leaders rules
	Offices   []string `json:"offices,omitempty"`   // offices rule: bioguide ids
}

// Targets are a campaign's rules, in the order staff listed them.
type Targets []Rule

// Equivalent rules of the former chamber switch; API clients may still
// send "house", "senate" or "both".
var (
	TargetHouse  = Targets{{Kind: RuleHouse}}
	TargetSenate = Targets{{Kind: RuleSenate}}
	TargetBoth   = Targets{{Kind: RuleHouse}, {Kind: RuleSenate}}
)

// UnmarshalJSON accepts a list of rules, or one of the former chamber
// names ("house", "senate", "both"), which become the equivalent rules.
func (t *Targets) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		switch s {
		case "house":
			*t = slices.Clone(TargetHouse)
		case "senate":
			*t = slices.Clone(TargetSenate)
		case "both":
			*t = slices.Clone(TargetBoth)
		default:
			return fmt.Errorf("targets: %q is not house, senate or both; send a list of rules", s)
		}
		return nil
	}
	var rs []Rule
	if err := json.Unmarshal(b, &rs); err != nil {
		return fmt.Errorf("targets: want a list of rules like [{\"kind\":\"committee\",\"committee\":\"SSJU\"}]: %w", err)
	}
	*t = rs
	return nil
}

// MarshalJSON writes an empty list rather than null.
func (t Targets) MarshalJSON() ([]byte, error) {
	if t == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]Rule(t))
}

// Has reports whether a rule of kind is present.
func (t Targets) Has(kind string) bool {
	return slices.ContainsFunc(t, func(r Rule) bool { return r.Kind == kind })
}

// Committees lists the committee ids named by committee and leaders
// rules, in order, once each.
func (t Targets) Committees() []string {
	var out []string
	for _, r := range t {
		if (r.Kind == RuleCommittee || r.Kind == RuleLeaders) && r.Committee != "" && !slices.Contains(out, r.Committee) {
			out = append(out, r.Committee)
		}
	}
	return out
}

// Normalize tidies rules: committee ids upper-case, offices trimmed,
// upper-case and without repeats. It writes only what changes, so the
// shared TargetHouse, TargetSenate and TargetBoth are never written to
// (campaigns built from them in parallel do not race).
func (t Targets) Normalize() {
	for i := range t {
		r := &t[i]
		if k := strings.TrimSpace(r.Kind); k != r.Kind {
			r.Kind = k
		}
		if c := strings.ToUpper(strings.TrimSpace(r.Committee)); c != r.Committee {
			r.Committee = c
		}
		var offs []string
		for _, o := range r.Offices {
			o = strings.ToUpper(strings.TrimSpace(o))
			if o != "" && !slices.Contains(offs, o) {
				offs = append(offs, o)
			}
		}
		if !slices.Equal(offs, r.Offices) {
			r.Offices = offs
		}
	}
}

// Check returns a message per malformed rule, keyed "targets" or
// "targets[i]" (0-based). organizational is false for a constituent
// campaign, which refuses the leaders rule. Whether the committees and
// offices exist is CheckIDs' business.
func (t Targets) Check(organizational bool) []FieldError {
	var out []FieldError
	add := func(i int, format string, args ...any) {
		out = append(out, FieldError{Field: fmt.Sprintf("targets[%d]", i), Message: fmt.Sprintf(format, args...)})
	}
	if len(t) == 0 {
		return []FieldError{{Field: "targets", Message: "needs at least one rule, such as \"my House member\" or \"my senators\""}}
	}
	for i, r := range t {
		switch r.Kind {
		case RuleHouse, RuleSenate:
			if r.Committee != "" || len(r.Offices) > 0 {
				add(i, "a %q rule takes no committee or offices", r.Kind)
			}
		case RuleCommittee, RuleLeaders:
			if r.Kind == RuleLeaders && !organizational {
				add(i, "the chair and ranking member of a committee can be written to only by an organizational (sign-on) letter: CWC accepts constituent mail only from a member's own constituents; use \"my members who sit on the committee\" instead")
			} else if r.Committee == "" {
				add(i, "needs a committee, such as SSJU (Senate Judiciary) or HSJU01 (a subcommittee)")
			}
		case RuleOffices:
			if len(r.Offices) == 0 {
				add(i, "needs at least one office (a bioguide id such as P000145)")
			}
		default:
			add(i, "kind %q is not one of %s", r.Kind, strings.Join(RuleKinds, ", "))
		}
		for j := range i {
			if t[j].Kind == r.Kind && t[j].Committee == r.Committee && slices.Equal(t[j].Offices, r.Offices) {
				add(i, "repeats rule %d", j+1)
				break
			}
		}
	}
	return out
}

// CheckSignOn refuses the rules a sign-on letter cannot use: "my House
// member" and "my senators" mean a constituent's own members, and a
// sign-on letter has no constituent. Its committee rule means every member
// of the committee (see Offices).
func (t Targets) CheckSignOn() []FieldError {
	var out []FieldError
	for i, r := range t {
		if r.Kind == RuleHouse || r.Kind == RuleSenate {
			out = append(out, FieldError{Field: fmt.Sprintf("targets[%d]", i),
				Message: fmt.Sprintf("a sign-on letter has no constituent, so %q (a supporter's own members) reaches no one; use the chair and ranking member of a committee, every member of a committee, or hand-picked offices", r.Label(nil))})
		}
	}
	return out
}

// SignOnOffices lists the offices a sign-on letter goes to, each once, in
// the directory's order: the chair and ranking member of each leaders
// rule's committee, every member of each committee rule's committee, and
// the hand-picked offices.
func (t Targets) SignOnOffices(dir *congress.Directory) []*congress.Member {
	want := map[string]bool{}
	for _, r := range t {
		switch r.Kind {
		case RuleLeaders:
			for _, m := range dir.Leaders(r.Committee) {
				want[m.BioguideID] = true
			}
		case RuleOffices:
			for _, o := range r.Offices {
				want[o] = true
			}
		}
	}
	var out []*congress.Member
	for _, m := range dir.Members() {
		if want[m.BioguideID] {
			out = append(out, m)
			continue
		}
		for _, r := range t {
			if r.Kind == RuleCommittee {
				if _, ok := dir.SeatOn(m.BioguideID, r.Committee); ok {
					out = append(out, m)
					break
				}
			}
		}
	}
	return out
}

// CheckIDs returns a message per committee or office id that the
// congressional data does not know.
func (t Targets) CheckIDs(dir *congress.Directory) []FieldError {
	var out []FieldError
	for i, r := range t {
		f := fmt.Sprintf("targets[%d]", i)
		if (r.Kind == RuleCommittee || r.Kind == RuleLeaders) && r.Committee != "" {
			if _, ok := dir.Committee(r.Committee); !ok {
				out = append(out, FieldError{Field: f, Message: fmt.Sprintf("%q is not a committee or subcommittee in the congressional data (as of %s)", r.Committee, dir.AsOf())})
			}
		}
		if r.Kind == RuleOffices {
			for _, o := range r.Offices {
				if _, ok := dir.Member(o); !ok {
					out = append(out, FieldError{Field: f, Message: fmt.Sprintf("%q is not the bioguide id of a sitting member (data as of %s)", o, dir.AsOf())})
				}
			}
		}
	}
	return out
}

// Selects reports whether rule r picks member m when m is one of the
// supporter's own members (constituent campaigns).
func (r Rule) Selects(dir *congress.Directory, m *congress.Member) bool {
	switch r.Kind {
	case RuleHouse:
		return m.Chamber == congress.House
	case RuleSenate:
		return m.Chamber == congress.Senate
	case RuleCommittee:
		_, ok := dir.SeatOn(m.BioguideID, r.Committee)
		return ok
	case RuleOffices:
		return slices.Contains(r.Offices, m.BioguideID)
	}
	return false // leaders: never a constituent's own-member rule
}

// Reaches reports whether a constituent of m would write to m: some rule
// selects m.
func (t Targets) Reaches(dir *congress.Directory, m *congress.Member) bool {
	for _, r := range t {
		if r.Selects(dir, m) {
			return true
		}
	}
	return false
}

// ReachesChamber reports whether a vacant seat of chamber ch would be
// written to if it were filled: only the chamber rules say so.
func (t Targets) ReachesChamber(ch congress.Chamber) bool {
	return (ch == congress.House && t.Has(RuleHouse)) || (ch == congress.Senate && t.Has(RuleSenate))
}

// Offices lists every member some rule could ever write to, across all
// constituents: the whole chamber for a chamber rule, every seat holder
// of a committee, the leaders, the hand-picked offices. Sorted as
// dir.Members.
func (t Targets) Offices(dir *congress.Directory) []*congress.Member {
	var out []*congress.Member
	leaders := map[string]bool{}
	for _, r := range t {
		if r.Kind == RuleLeaders {
			for _, m := range dir.Leaders(r.Committee) {
				leaders[m.BioguideID] = true
			}
		}
	}
	for _, m := range dir.Members() {
		if leaders[m.BioguideID] || t.Reaches(dir, m) {
			out = append(out, m)
		}
	}
	return out
}

// Label is how staff pages name a rule.
func (r Rule) Label(dir *congress.Directory) string {
	switch r.Kind {
	case RuleHouse:
		return "my House member"
	case RuleSenate:
		return "my senators"
	case RuleCommittee:
		return "my members who sit on " + committeeLabel(dir, r.Committee)
	case RuleLeaders:
		return "chair and ranking member of " + committeeLabel(dir, r.Committee)
	case RuleOffices:
		return "hand-picked offices: " + strings.Join(r.Offices, ", ")
	}
	return r.Kind
}

// Label is how staff pages name the targets: the rules joined by "; ".
func (t Targets) Label(dir *congress.Directory) string {
	if len(t) == 0 {
		return "no one"
	}
	var parts []string
	for _, r := range t {
		parts = append(parts, r.Label(dir))
	}
	return strings.Join(parts, "; ")
}

// Summary is Label without the congressional data, naming committees by
// id ("my members on SSJU"): for lists, where templates have no directory.
func (t Targets) Summary() string { return t.Label(nil) }

// committeeLabel names a committee for staff: its name (and, for a
// subcommittee, the parent's), or the id if the data lacks it.
func committeeLabel(dir *congress.Directory, id string) string {
	if dir == nil {
		return id
	}
	c, ok := dir.Committee(id)
	if !ok {
		return id
	}
	if c.ParentID != "" {
		if p, ok := dir.Committee(c.ParentID); ok {
			return c.Name + " (" + p.Name + ")"
		}
	}
	return c.Name
}

// ShortCommittee is a committee's name without the chamber prefix, for
// explanations: "Judiciary", "Homeland Security and Governmental Affairs",
// "Border Security and Immigration".
func ShortCommittee(c *congress.Committee) string {
	n := c.Name
	for _, p := range []string{"House Committee on ", "Senate Committee on ", "Subcommittee on ", "House Permanent Select Committee on ", "Senate Select Committee on ", "Senate Special Committee on ", "Committee on "} {
		if s, ok := strings.CutPrefix(n, p); ok {
			n = s
			break
		}
	}
	if s, ok := strings.CutPrefix(n, "the "); ok {
		n = s
	}
	return n
}

// Reach is what one rule selects for a sample ZIP, for staff.
type Reach struct {
	Rule  string `json:"rule"`
	Label string `json:"label"`
	// Offices are "Rep. Nancy Pelosi", "Sen. Alex Padilla (Judiciary)":
	// the office and, for committee rules, the seat that qualifies it.
	Offices []string `json:"offices"`
	// Note explains an empty or unusual answer.
	Note string `json:"note,omitempty"`
}

// Explanation is what a campaign's rules reach for a sample ZIP.
type Explanation struct {
	ZIP     string  `json:"zip"`
	Rules   []Reach `json:"rules"`
	Summary string  `json:"summary"` // "for ZIP 94110: Rep. Nancy Pelosi; Sen. Alex Padilla (Judiciary)"
}

// Explain says, rule by rule, which offices a supporter in zip would
// write to (for leaders rules: which offices the letter goes to). The
// members of a split ZIP are all considered.
func (t Targets) Explain(dir *congress.Directory, zip string) (Explanation, error) {
	res, err := dir.LookupZIP(zip)
	if err != nil {
		return Explanation{}, err
	}
	z, _ := congress.ParseZIP(zip)
	ex := Explanation{ZIP: fmt.Sprintf("%05d", z), Rules: []Reach{}}
	var all []string
	at := map[string]int{} // bioguide id → index in all
	for _, r := range t {
		rc := Reach{Rule: r.Kind, Label: r.Label(dir), Offices: []string{}}
		var ms []*congress.Member
		if r.Kind == RuleLeaders {
			ms = dir.Leaders(r.Committee)
		} else {
			for _, m := range res.Members {
				if r.Selects(dir, m) {
					ms = append(ms, m)
				}
			}
		}
		for _, m := range ms {
			s := short(m)
			if r.Kind == RuleCommittee || r.Kind == RuleLeaders {
				if seat, ok := dir.SeatOn(m.BioguideID, r.Committee); ok {
					s += " (" + ShortCommittee(seat.Committee)
					if role := seat.Role(); role != congress.RoleMember {
						s += ", " + strings.ReplaceAll(role, "_", " ")
					}
					s += ")"
				}
			}
			rc.Offices = append(rc.Offices, s)
			// One entry per office in the summary, the one naming a seat
			// when a committee rule reaches it too.
			if i, ok := at[m.BioguideID]; !ok {
				at[m.BioguideID] = len(all)
				all = append(all, s)
			} else if len(s) > len(all[i]) {
				all[i] = s
			}
		}
		switch {
		case len(ms) == 0 && r.Kind == RuleCommittee:
			rc.Note = "none of this ZIP's members sits on it"
		case len(ms) == 0:
			rc.Note = "reaches no office for this ZIP"
		}
		ex.Rules = append(ex.Rules, rc)
	}
	if len(all) == 0 {
		ex.Summary = "for ZIP " + ex.ZIP + ": no office; a supporter there would be told the campaign does not write to their members"
	} else {
		ex.Summary = "for ZIP " + ex.ZIP + ": " + strings.Join(all, "; ")
	}
	return ex, nil
}

// short is "Rep. Nancy Pelosi", "Sen. Alex Padilla", "Del. ...".
func short(m *congress.Member) string {
	switch m.Title {
	case "Senator":
		return "Sen. " + m.Name
	case "Representative":
		return "Rep. " + m.Name
	case "Delegate":
		return "Del. " + m.Name
	}
	return "Res. Comm. " + m.Name
}

// Seats are the merge fields about a member's committee seats
// (committee_names, committee_roles), in English like the letters.
type Seats struct {
	Names, Roles string
	// Held are the seats themselves, for pages that name them in the
	// reader's language.
	Held []congress.MemberSeat
}

// SeatsFor lists m's seats on the committees the rules name, or, when
// they name none, on the committees that oversee the organization's issue
// (those the oversight table lists: overseen reports whether an id is in
// it; nil means none).
func SeatsFor(dir *congress.Directory, t Targets, m *congress.Member, overseen func(id string) bool) Seats {
	if dir == nil || m == nil {
		return Seats{}
	}
	named := t.Committees()
	var names, roles []string
	var held []congress.MemberSeat
	for _, s := range dir.SeatsOf(m.BioguideID) {
		id := s.Committee.ID
		switch {
		case len(named) > 0 && !slices.Contains(named, id):
			continue
		case len(named) == 0 && (overseen == nil || !(overseen(id) || (s.Parent != nil && overseen(s.Parent.ID)))):
			continue
		}
		names = append(names, s.Committee.Name)
		held = append(held, s)
		role := "member"
		if s.Title != "" && s.Role() != congress.RoleMember {
			role = s.Title
			if s.Role() == congress.RoleExOfficio {
				role += " member"
			}
		}
		roles = append(roles, role+" of the "+s.Committee.Name)
	}
	return Seats{Names: andList(names), Roles: andList(roles), Held: held}
}

// Apply sets the seat fields of d.
func (s Seats) Apply(d *letter.Data) { d.CommitteeNames, d.CommitteeRoles = s.Names, s.Roles }

// andList joins "a", "a and b", "a, b and c".
func andList(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}
