package web

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/i18n"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/tracking"
)

// apiSeat is one committee seat of a member in the lookup API: a seat on
// a committee has no subcommittee fields; a seat on a subcommittee names
// its parent committee too.
type apiSeat struct {
	CommitteeID    string `json:"committee_id"`
	Committee      string `json:"committee"`
	SubcommitteeID string `json:"subcommittee_id,omitempty"`
	Subcommittee   string `json:"subcommittee,omitempty"`
	// Role is chair, ranking_member, vice_chair, ex_officio or member;
	// Title is the upstream wording ("Chairman", "Ranking Member").
	Role  string `json:"role"`
	Title string `json:"title,omitempty"`
}

func apiSeatsOf(dir *congress.Directory, bioguideID string) []apiSeat {
	seats := dir.SeatsOf(bioguideID)
	out := make([]apiSeat, 0, len(seats))
	for _, s := range seats {
		a := apiSeat{CommitteeID: s.Committee.ID, Committee: s.Committee.Name, Role: s.Role(), Title: s.Title}
		if s.Parent != nil {
			a.CommitteeID, a.Committee = s.Parent.ID, s.Parent.Name
			a.SubcommitteeID, a.Subcommittee = s.Committee.ID, s.Committee.Name
		}
		out = append(out, a)
	}
	return out
}

// committeeView is a committee seat on the lookup page, with the
// member's subcommittee seats under it.
type committeeView struct {
	Name string
	Role string // "" for a plain member
	Subs []committeeView
}

func committeeViewsOf(dir *congress.Directory, bioguideID string, lang i18n.Lang) []committeeView {
	var out []committeeView
	at := map[string]int{}
	for _, s := range dir.SeatsOf(bioguideID) {
		v := committeeView{Name: s.Committee.Name}
		if r := s.Role(); r != congress.RoleMember {
			v.Role = lang.T("role." + r)
		}
		if s.Parent == nil {
			at[s.Committee.ID] = len(out)
			out = append(out, v)
			continue
		}
		i, ok := at[s.Parent.ID]
		if !ok { // a subcommittee seat without the parent seat (rare upstream)
			at[s.Parent.ID] = len(out)
			out = append(out, committeeView{Name: s.Parent.Name})
			i = len(out) - 1
		}
		out[i].Subs = append(out[i].Subs, v)
	}
	return out
}

// seatLabels is the seats seats holds in the reader's language:
// "Presidencia, Senate Committee on the Judiciary" (committee names are
// official English names). The letter says the same in English
// (seats.Roles).
func seatLabels(dir *congress.Directory, seats campaign.Seats, lang i18n.Lang) string {
	out := make([]string, len(seats.Held))
	for i, st := range seats.Held {
		out[i] = lang.T("role."+st.Role()) + ", " + committeeName(dir, st.Committee, lang)
	}
	return strings.Join(out, "; ")
}

// committeeName is the full name of a committee in lang, a subcommittee
// naming its parent ("Subcommittee on Border Security and Immigration of
// the Senate Committee on the Judiciary").
func committeeName(dir *congress.Directory, c *congress.Committee, lang i18n.Lang) string {
	if c.ParentID == "" {
		return c.Name
	}
	if p, ok := dir.Committee(c.ParentID); ok {
		return lang.T("committee.sub_of", c.Name, p.Name)
	}
	return c.Name
}

// oversees is the "which oversees ..." clause for c: its own entry in the
// oversight table, else its parent committee's.
func oversees(c *congress.Committee, lang i18n.Lang) (string, bool) {
	if s, ok := lang.Oversees(c.ID); ok {
		return s, true
	}
	if c.ParentID != "" {
		return lang.Oversees(c.ParentID)
	}
	return "", false
}

// whyOffice says why member m matters to a campaign with targets: one
// sentence per seat m holds on a committee the rules name, or, when the
// rules name none, on a committee or subcommittee that is itself in the
// oversight table ("Senator
// Padilla sits on the Senate Committee on the Judiciary, which oversees
// immigration law, the immigration courts and DHS detention.").
func whyOffice(dir *congress.Directory, targets campaign.Targets, m *congress.Member, lang i18n.Lang) []string {
	named := targets.Committees()
	var out []string
	who := lang.TG("lookup.title."+m.Title, m.Gender) + " " + m.LastName
	for _, s := range dir.SeatsOf(m.BioguideID) {
		what, ok := oversees(s.Committee, lang)
		_, own := lang.Oversees(s.Committee.ID)
		switch {
		case len(named) > 0 && !slices.Contains(named, s.Committee.ID):
			continue
		case len(named) == 0 && !own:
			// Without named committees, a seat is worth a sentence when
			// its own committee is in the oversight table: every
			// subcommittee of Judiciary repeating Judiciary's oversight
			// buried the seats that matter (five sentences a senator).
			continue
		}
		key := "why." + s.Role()
		if ok {
			out = append(out, lang.T(key+"_oversees", who, committeeName(dir, s.Committee, lang), what))
		} else {
			out = append(out, lang.T(key, who, committeeName(dir, s.Committee, lang)))
		}
	}
	return out
}

// noTargetsMessage explains to a supporter none of whose members the
// campaign's rules select who their members are and whom the campaign
// writes to, instead of an empty page.
func noTargetsMessage(dir *congress.Directory, targets campaign.Targets, own []*congress.Member, lang i18n.Lang) string {
	var names []string
	for _, m := range own {
		names = append(names, lang.TG("lookup.title."+m.Title, m.Gender)+" "+m.Name)
	}
	var cs []string
	for _, id := range targets.Committees() {
		if c, ok := dir.Committee(id); ok {
			cs = append(cs, committeeName(dir, c, lang))
		}
	}
	if len(cs) == 0 || len(names) == 0 {
		return lang.T("why.none_match_generic", strings.Join(names, ", "))
	}
	return lang.T("why.none_match", strings.Join(cs, lang.T("why.or")), strings.Join(names, ", "))
}

// seatsFor is the committee merge data of m for a campaign with targets.
func (s *Server) seatsFor(targets campaign.Targets, m *congress.Member) campaign.Seats {
	return campaign.SeatsFor(s.deps.Congress, targets, m, func(id string) bool {
		_, ok := i18n.English.Oversees(id)
		return ok
	})
}

// committeeGrouping is the committee grouping of a view: for a campaign
// whose rules name committees, exactly those (subcommittees included), so
// staff see how many letters reached the members of each targeted
// committee; otherwise every full committee.
func (t *tracker) committeeGrouping(ctx context.Context, campaignID int64) (tracking.Grouping, error) {
	if campaignID != 0 {
		c, err := t.s.deps.Store.Campaign(ctx, campaignID)
		switch {
		case err == nil:
			if ids := c.Targets.Committees(); len(ids) > 0 {
				return tracking.CommitteeGrouping(ids), nil
			}
		case !errors.Is(err, store.ErrNotFound):
			return tracking.Grouping{}, err
		}
	}
	return tracking.CommitteeGrouping(nil), nil
}

// campaignCommittees is, per committee the campaign's rules name, a
// sentence for the campaign page: whom the letters go to and what the
// committee oversees.
func campaignCommittees(dir *congress.Directory, targets campaign.Targets, lang i18n.Lang) []string {
	var out []string
	for _, r := range targets {
		if r.Kind != campaign.RuleCommittee {
			continue
		}
		c, ok := dir.Committee(r.Committee)
		if !ok {
			continue
		}
		if what, ok := oversees(c, lang); ok {
			out = append(out, lang.T("why.campaign_oversees", committeeName(dir, c, lang), what))
		} else {
			out = append(out, lang.T("why.campaign", committeeName(dir, c, lang)))
		}
	}
	return out
}
