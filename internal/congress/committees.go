package congress

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Committee is a committee or subcommittee of the House, the Senate or
// both (joint). Oversight is done by committees, so campaigns can target
// the members who sit on one, or its chair and ranking member.
type Committee struct {
	// ID is the upstream thomas_id: "SSJU" for a committee, the parent's id
	// and the subcommittee's two digits for a subcommittee ("SSJU04").
	ID string `json:"id"`
	// Name is the full name: "Senate Committee on the Judiciary", or for
	// a subcommittee "Subcommittee on Border Security and Immigration".
	Name string `json:"name"`
	// Chamber is "house", "senate" or "joint".
	Chamber  string `json:"chamber"`
	ParentID string `json:"parent_id,omitempty"`
	URL      string `json:"url,omitempty"`
	// Seats are the members, majority first, each side in rank order.
	Seats []Seat `json:"seats"`
}

// Seat is one member's place on a committee.
type Seat struct {
	BioguideID string `json:"bioguide_id"`
	// Side is "majority" or "minority", as upstream.
	Side string `json:"side"`
	Rank int    `json:"rank,omitempty"`
	// Title is the upstream title as written ("Chairman", "Ranking
	// Member", "Vice Chair", "Ex Officio"); empty for a plain member.
	Title string `json:"title,omitempty"`
}

// Roles of a seat, normalized from the upstream titles.
const (
	RoleChair         = "chair"
	RoleRankingMember = "ranking_member"
	RoleViceChair     = "vice_chair"
	RoleExOfficio     = "ex_officio"
	RoleMember        = "member"
)

// Role normalizes Title: Chair, Chairman, Chairwoman and Cochairman are
// all "chair", so targeting "the chair" does not depend on wording.
func (s Seat) Role() string {
	t := strings.ToLower(s.Title)
	switch {
	case t == "":
		return RoleMember
	case strings.HasPrefix(t, "vice chair"):
		return RoleViceChair
	case strings.Contains(t, "chair"):
		return RoleChair
	case t == "ranking member":
		return RoleRankingMember
	case t == "ex officio":
		return RoleExOfficio
	}
	return RoleMember
}

// Leader reports whether the seat is the chair or the ranking member.
func (s Seat) Leader() bool {
	r := s.Role()
	return r == RoleChair || r == RoleRankingMember
}

// MemberSeat is one committee seat of a member, with its committee (and
// the parent committee for a subcommittee seat).
type MemberSeat struct {
	Committee *Committee
	Parent    *Committee // nil for a committee seat
	Seat
}

// committeesFile is the content of committees.json.gz.
type committeesFile struct {
	Committees []*Committee `json:"committees"`
}

// Upstream congress-legislators committees-current records.
type upCommittee struct {
	Type          text `yaml:"type"`
	Name          text `yaml:"name"`
	ThomasID      text `yaml:"thomas_id"`
	URL           text `yaml:"url"`
	Subcommittees []struct {
		Name     text `yaml:"name"`
		ThomasID text `yaml:"thomas_id"`
	} `yaml:"subcommittees"`
}

type upSeat struct {
	Name     text `yaml:"name"`
	Party    text `yaml:"party"`
	Rank     int  `yaml:"rank"`
	Title    text `yaml:"title"`
	Bioguide text `yaml:"bioguide"`
}

// parseCommittees reads committees-current and committee-membership-current
// (YAML, the only edition upstream publishes) and joins them to members.
// Committees keep upstream order, each followed by its subcommittees. A
// seat held by someone who is not a current member is an error: the two
// files and the members must come from the same snapshot.
func parseCommittees(cPath string, cb []byte, mPath string, mb []byte, members []*Member) ([]*Committee, error) {
	var ups []upCommittee
	if err := yaml.Unmarshal(cb, &ups); err != nil {
		return nil, fmt.Errorf("congress import: %s: %w", cPath, err)
	}
	var seats map[string][]upSeat
	if err := yaml.Unmarshal(mb, &seats); err != nil {
		return nil, fmt.Errorf("congress import: %s: %w", mPath, err)
	}
	known := map[string]bool{}
	for _, m := range members {
		known[m.BioguideID] = true
	}
	var out []*Committee
	byID := map[string]*Committee{}
	add := func(c *Committee) error {
		if c.ID == "" || c.Name == "" {
			return fmt.Errorf("congress import: %s: a committee without thomas_id or name (%q %q)", cPath, c.ID, c.Name)
		}
		if byID[c.ID] != nil {
			return fmt.Errorf("congress import: %s: committee %s listed twice", cPath, c.ID)
		}
		byID[c.ID] = c
		out = append(out, c)
		return nil
	}
	for _, u := range ups {
		ch := u.Type.s()
		if ch != "house" && ch != "senate" && ch != "joint" {
			return nil, fmt.Errorf("congress import: %s: %s: unknown type %q", cPath, u.ThomasID.s(), ch)
		}
		c := &Committee{ID: u.ThomasID.s(), Name: u.Name.s(), Chamber: ch, URL: u.URL.s(), Seats: []Seat{}}
		if err := add(c); err != nil {
			return nil, err
		}
		for _, s := range u.Subcommittees {
			name := s.Name.s()
			if !strings.Contains(name, "Subcommittee") {
				name = "Subcommittee on " + name
			}
			if err := add(&Committee{ID: c.ID + s.ThomasID.s(), Name: name, Chamber: ch, ParentID: c.ID, Seats: []Seat{}}); err != nil {
				return nil, err
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("congress import: %s: no committees", cPath)
	}
	ids := make([]string, 0, len(seats))
	for id := range seats {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		c := byID[id]
		if c == nil {
			return nil, fmt.Errorf("congress import: %s: seats for %s, which %s does not list", mPath, id, cPath)
		}
		for _, s := range seats[id] {
			bio, side := s.Bioguide.s(), s.Party.s()
			if !known[bio] {
				return nil, fmt.Errorf("congress import: %s: %s: %s (%s) is not a current member", mPath, id, bio, s.Name.s())
			}
			if side != "majority" && side != "minority" {
				return nil, fmt.Errorf("congress import: %s: %s: %s: party %q, want majority or minority", mPath, id, bio, side)
			}
			c.Seats = append(c.Seats, Seat{BioguideID: bio, Side: side, Rank: s.Rank, Title: s.Title.s()})
		}
		slices.SortStableFunc(c.Seats, func(a, b Seat) int {
			if a.Side != b.Side {
				return strings.Compare(a.Side, b.Side) // majority < minority
			}
			return a.Rank - b.Rank
		})
	}
	return out, nil
}

func encodeCommittees(cs []*Committee) ([]byte, error) {
	return encodeJSONLines("{\"committees\":[\n", "]}\n", cs)
}

func decodeCommittees(b []byte) ([]*Committee, error) {
	var f committeesFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", committeesFileName, err)
	}
	return f.Committees, nil
}

// buildCommittees indexes committees by id and seats by member.
func (dir *Directory) buildCommittees(cs []*Committee) error {
	dir.committees = cs
	dir.committeeByID = make(map[string]*Committee, len(cs))
	dir.seatsOf = map[string][]MemberSeat{}
	for _, c := range cs {
		if c.ID == "" || dir.committeeByID[c.ID] != nil {
			return fmt.Errorf("%s: missing or repeated committee id %q", committeesFileName, c.ID)
		}
		dir.committeeByID[c.ID] = c
	}
	for _, c := range cs {
		var parent *Committee
		if c.ParentID != "" {
			if parent = dir.committeeByID[c.ParentID]; parent == nil {
				return fmt.Errorf("%s: %s has unknown parent %q", committeesFileName, c.ID, c.ParentID)
			}
		}
		for _, s := range c.Seats {
			if dir.byID[s.BioguideID] == nil {
				return fmt.Errorf("%s: %s: unknown member %s", committeesFileName, c.ID, s.BioguideID)
			}
			dir.seatsOf[s.BioguideID] = append(dir.seatsOf[s.BioguideID], MemberSeat{Committee: c, Parent: parent, Seat: s})
		}
	}
	return nil
}

// Committees returns every committee, each followed by its subcommittees,
// in upstream order. The slice is a copy; the Committees are shared.
func (dir *Directory) Committees() []*Committee { return slices.Clone(dir.committees) }

// Committee finds a committee or subcommittee by id ("SSJU", "HSJU01").
func (dir *Directory) Committee(id string) (*Committee, bool) {
	c, ok := dir.committeeByID[strings.ToUpper(strings.TrimSpace(id))]
	return c, ok
}

// Subcommittees returns the subcommittees of committee id, in upstream
// order.
func (dir *Directory) Subcommittees(id string) []*Committee {
	var out []*Committee
	for _, c := range dir.committees {
		if c.ParentID == id {
			out = append(out, c)
		}
	}
	return out
}

// SeatsOf returns the committee seats of a member, committees before
// their subcommittees, in upstream order. The slice is shared: do not
// modify it.
func (dir *Directory) SeatsOf(bioguideID string) []MemberSeat { return dir.seatsOf[bioguideID] }

// SeatOn returns m's seat on committee id, if they hold one.
func (dir *Directory) SeatOn(bioguideID, committeeID string) (MemberSeat, bool) {
	for _, s := range dir.seatsOf[bioguideID] {
		if s.Committee.ID == committeeID {
			return s, true
		}
	}
	return MemberSeat{}, false
}

// Leaders returns the chair and the ranking member of committee id (in
// that order; either may be missing from the data).
func (dir *Directory) Leaders(id string) []*Member {
	c := dir.committeeByID[id]
	if c == nil {
		return nil
	}
	var chair, ranking []*Member
	for _, s := range c.Seats {
		switch s.Role() {
		case RoleChair:
			chair = append(chair, dir.byID[s.BioguideID])
		case RoleRankingMember:
			ranking = append(ranking, dir.byID[s.BioguideID])
		}
	}
	return append(chair, ranking...)
}
