package web

import (
	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/i18n"
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
