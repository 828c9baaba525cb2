package tracking

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/outreach-org/outreach/internal/congress"
)

// Group is the sums of one group of letters (an office, a state, a month,
// ...), with the observations its time-to-reply estimate rests on.
type Group struct {
	Key         string
	Chamber     string // set when grouped by office
	Party       string
	State       string
	Letters     int64
	Delivered   int64
	Failed      int64
	Replied     int64
	Substantive int64
	Times       []Obs
	// Submissions and Confirmed count the supporters' submissions and
	// those confirmed by email (the confirmation rate). Only the source
	// grouping fills them: a submission is not per office.
	Submissions int64
	Confirmed   int64
	// Calls are the calls supporters reported to the group's offices
	// (campaigns with a call script), counted apart from the letters.
	Calls CallTally
}

// CallTally is a count of reported calls per outcome, and their total.
type CallTally struct {
	Reached   int64 `json:"reached"`   // talked to staff
	Voicemail int64 `json:"voicemail"` // left a voicemail
	Busy      int64 `json:"busy"`      // busy, or the mailbox was full
	Skipped   int64 `json:"skipped"`   // did not call
	Total     int64 `json:"total"`
}

// Add counts n calls with outcome o (campaign.Outcome's names); an
// unknown outcome counts nothing.
func (t *CallTally) Add(o string, n int64) {
	switch o {
	case "reached":
		t.Reached += n
	case "voicemail":
		t.Voicemail += n
	case "busy":
		t.Busy += n
	case "skipped":
		t.Skipped += n
	default:
		return
	}
	t.Total += n
}

// Plus is the sum of two tallies.
func (t CallTally) Plus(u CallTally) CallTally {
	return CallTally{Reached: t.Reached + u.Reached, Voicemail: t.Voicemail + u.Voicemail, Busy: t.Busy + u.Busy,
		Skipped: t.Skipped + u.Skipped, Total: t.Total + u.Total}
}

// Dimension is a column of the rollups that figures can be read by
// directly. The store maps each to its SQL; adding one needs a migration.
type Dimension string

// The rollups' dimensions. DimNone reads one total.
const (
	DimNone     Dimension = ""
	DimOffice   Dimension = "office"
	DimState    Dimension = "state"
	DimParty    Dimension = "party"
	DimChamber  Dimension = "chamber"
	DimCampaign Dimension = "campaign"
	DimChannel  Dimension = "channel"
	DimMonth    Dimension = "month"
	// DimSource is the source code of the link that brought the letter
	// (?source= or utm_source on the campaign link).
	DimSource Dimension = "source"
)

// A Grouping is one way the dashboard, the CSV export and the response
// rates API split the figures (group_by=Name, table=Name).
type Grouping struct {
	Name string
	// Title names the grouping on the dashboard ("Party").
	Title string
	// Dim is the rollup dimension the figures are read by. A grouping
	// with Keys reads the offices (DimOffice) and adds them up.
	Dim Dimension
	// Keys, when set, derives the grouping from the office groups: an
	// office's figures count under each key it returns (none: under no
	// group). dir may be nil.
	Keys func(dir *congress.Directory, office Group) []string
	// Label names a group for people; nil: the key itself.
	Label func(dir *congress.Directory, key string) string
	// Dashboard: shown in the dashboard's table of groupings.
	Dashboard bool
}

// Groupings are every grouping, in the order they are offered. Adding a
// grouping is one entry here: see the package documentation.
var Groupings = []Grouping{
	{Name: "office", Title: "Office", Dim: DimOffice, Label: officeLabel},
	{Name: "state", Title: "State", Dim: DimState},
	{Name: "party", Title: "Party", Dim: DimParty, Dashboard: true},
	{Name: "chamber", Title: "Chamber", Dim: DimChamber, Dashboard: true, Label: func(_ *congress.Directory, key string) string {
		return map[string]string{"house": "House", "senate": "Senate"}[key]
	}},
	{Name: "campaign", Title: "Campaign", Dim: DimCampaign},
	{Name: "channel", Title: "Channel", Dim: DimChannel, Dashboard: true},
	{Name: "month", Title: "Month", Dim: DimMonth},
	{Name: "source", Title: "Source", Dim: DimSource, Dashboard: true},
	CommitteeGrouping(nil),
}

// CommitteeGrouping groups offices by committee, an office counting under
// each committee it sits on: ids lists the committees and subcommittees to
// count (a campaign's targeted ones); nil means every full committee.
func CommitteeGrouping(ids []string) Grouping {
	return Grouping{Name: "committee", Title: "Committee", Dim: DimOffice, Dashboard: true,
		Keys: func(dir *congress.Directory, o Group) []string {
			if dir == nil {
				return nil
			}
			var out []string
			for _, s := range dir.SeatsOf(o.Key) {
				if (ids == nil && s.Parent == nil) || slices.Contains(ids, s.Committee.ID) {
					out = append(out, s.Committee.ID)
				}
			}
			return out
		},
		Label: func(dir *congress.Directory, key string) string {
			if dir == nil {
				return ""
			}
			c, ok := dir.Committee(key)
			if !ok {
				return ""
			}
			if p, ok := dir.Committee(c.ParentID); ok {
				return c.Name + " (" + p.Name + ")"
			}
			return c.Name
		}}
}

// Total is the grouping of everything into one group (group_by "").
var Total = Grouping{Name: "", Title: "All letters", Dim: DimNone,
	Label: func(*congress.Directory, string) string { return "All letters" }}

// Lookup finds a grouping by name; "" is Total.
func Lookup(name string) (Grouping, bool) {
	if name == "" {
		return Total, true
	}
	for _, g := range Groupings {
		if g.Name == name {
			return g, true
		}
	}
	return Grouping{}, false
}

// Names lists the groupings for an error message: "office, state or month".
func Names(extra ...string) string {
	names := make([]string, 0, len(Groupings)+len(extra))
	for _, g := range Groupings {
		names = append(names, g.Name)
	}
	names = append(names, extra...)
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Derived tells a grouping computed from the office groups rather than
// read by its own dimension: one with Keys, or one on an attribute every
// office group carries (state, party, chamber, the total).
func (g Grouping) Derived() bool {
	switch {
	case g.Keys != nil:
		return true
	case g.Dim == DimNone, g.Dim == DimState, g.Dim == DimParty, g.Dim == DimChamber:
		return true
	}
	return false
}

// keys is what an office counts under in g.
func (g Grouping) keys(dir *congress.Directory, office Group) []string {
	if g.Keys != nil {
		return g.Keys(dir, office)
	}
	switch g.Dim {
	case DimNone:
		return []string{""}
	case DimOffice:
		return []string{office.Key}
	case DimState:
		return []string{office.State}
	case DimParty:
		return []string{office.Party}
	case DimChamber:
		return []string{office.Chamber}
	}
	panic(fmt.Sprintf("tracking: grouping %q cannot be derived from offices", g.Name))
}

// FromOffices adds up office groups (those read by DimOffice) under g
// (Derived must be true): the offices' rollups carry their chamber, party
// and state, so those groupings need no further query.
func (g Grouping) FromOffices(dir *congress.Directory, offices []Group) []Group {
	return Merge(offices, func(o Group) []string { return g.keys(dir, o) })
}

// LabelOf names a group for people: members by name, party and state; a
// group without a key is "(none)".
func (g Grouping) LabelOf(dir *congress.Directory, key string) string {
	if g.Label != nil {
		if l := g.Label(dir, key); l != "" {
			return l
		}
	}
	if key == "" {
		return "(none)"
	}
	return key
}

func officeLabel(dir *congress.Directory, key string) string {
	if dir == nil {
		return ""
	}
	m, ok := dir.Member(key)
	if !ok {
		return ""
	}
	party := "?"
	if m.Party != "" {
		party = m.Party[:1]
	}
	return fmt.Sprintf("%s (%s-%s)", m.Name, party, m.State)
}

// Merge adds up groups under the keys each is given (a group given
// several keys counts in each), sorted by key. The time-to-reply
// observations of a merged group are added up by day (Compact).
func Merge(gs []Group, keys func(Group) []string) []Group {
	idx := map[string]int{}
	var out []Group
	var days []dayAcc
	for _, g := range gs {
		for _, k := range keys(g) {
			i, ok := idx[k]
			if !ok {
				i = len(out)
				idx[k] = i
				out = append(out, Group{Key: k})
				days = append(days, dayAcc{})
			}
			m := &out[i]
			m.Letters += g.Letters
			m.Delivered += g.Delivered
			m.Failed += g.Failed
			m.Replied += g.Replied
			m.Substantive += g.Substantive
			m.Submissions += g.Submissions
			m.Confirmed += g.Confirmed
			days[i].add(g.Times)
			m.Calls = m.Calls.Plus(g.Calls)
		}
	}
	for i := range out {
		out[i].Times = days[i].obs()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// denseDays bounds the days added up in an array; later ones (rare: the
// rollups count them in 30-day steps) go to a map.
const denseDays = 1024

// dayAcc adds up observations by day.
type dayAcc struct {
	dense []Obs // by day
	far   map[int]Obs
	neg   Obs // negative days (day 0 to the estimate)
}

func (a *dayAcc) add(obs []Obs) {
	for _, o := range obs {
		if o.Events == 0 && o.Censored == 0 {
			continue
		}
		var b *Obs
		switch {
		case o.Days < 0:
			b = &a.neg
		case o.Days < denseDays:
			if o.Days >= len(a.dense) {
				a.dense = append(a.dense, make([]Obs, max(o.Days+1, 2*len(a.dense))-len(a.dense))...)
			}
			b = &a.dense[o.Days]
		default:
			if a.far == nil {
				a.far = map[int]Obs{}
			}
			f := a.far[o.Days]
			f.Events, f.Censored = f.Events+o.Events, f.Censored+o.Censored
			a.far[o.Days] = f
			continue
		}
		b.Events += o.Events
		b.Censored += o.Censored
	}
}

// obs is what was added up, by day.
func (a *dayAcc) obs() []Obs {
	var out []Obs
	if a.neg.Events != 0 || a.neg.Censored != 0 {
		out = append(out, Obs{Days: -1, Events: a.neg.Events, Censored: a.neg.Censored})
	}
	for d, o := range a.dense {
		if o.Events != 0 || o.Censored != 0 {
			out = append(out, Obs{Days: d, Events: o.Events, Censored: o.Censored})
		}
	}
	start := len(out)
	for d, o := range a.far {
		if o.Events != 0 || o.Censored != 0 {
			out = append(out, Obs{Days: d, Events: o.Events, Censored: o.Censored})
		}
	}
	sort.Slice(out[start:], func(i, j int) bool { return out[start+i].Days < out[start+j].Days })
	return out
}

// Rates are a group's shares: NaN when undefined (no letter to divide by).
type Rates struct {
	Failure     float64 // of letters delivered or failed, those that failed
	Reply       float64 // of delivered letters, those answered
	Substantive float64 // of delivered letters, those answered in substance
}

// RatesOf computes a group's rates.
func RatesOf(g Group) Rates {
	return Rates{Failure: Rate(g.Failed, g.Delivered+g.Failed), Reply: Rate(g.Replied, g.Delivered),
		Substantive: Rate(g.Substantive, g.Delivered)}
}
