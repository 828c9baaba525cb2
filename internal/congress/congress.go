// Package congress answers "who represents me in Congress?" for a ZIP code,
// a point, or a named district, using offline data for the 119th Congress.
//
// The data comes from public upstream files (congress-legislators, a
// ZCTA→district crosswalk and the Census 119th district boundaries). Import
// turns them into a small, deterministic form that is embedded in the binary
// (see data/), so lookups need no network and no database. An operator can
// run Import into a directory and pass it to Load to override the embedded
// snapshot without rebuilding.
//
// How a ZIP is answered (LookupZIP), in order:
//   - a Census ZCTA in the crosswalk: its districts and the senators of
//     each of their states. The crosswalk joins at tract level, so a split
//     ZIP may list a district that holds none of its addresses; offer the
//     choice (Split) and let the supporter or a geocoder settle it
//     (ForDistrict).
//   - island ZIPs the crosswalk lacks, by USPS range: VI 008xx, GU
//     96910–96938, MP 9695x, AS 96799.
//   - ZIPs of Palau, Micronesia and the Marshall Islands: ErrOutsideUS.
//   - military prefixes 090–098, 340, 962–966: ErrMilitaryZIP.
//   - any other ZIP (PO boxes, single-firm ZIPs): the states owning its
//     3-digit prefix, as seen in the crosswalk, with NeedsAddress; or the
//     full answer when that is one state with a single seat.
//   - otherwise ErrUnknownZIP.
//
// Regenerate the embedded data after updating /work/shared/data with
//
//	go test ./internal/congress -run TestImportReproducesEmbedded -update
//
// All values returned by a Directory (Results, Members, Districts inside
// Results) are shared and immutable: callers must not modify them.
package congress

import (
	"errors"
	"strconv"
)

// Chamber is the chamber of Congress a member sits in.
type Chamber string

// The two chambers. The values are what the web layer sends to clients.
const (
	House  Chamber = "house"
	Senate Chamber = "senate"
)

// Errors returned by lookups. Their messages are plain English so the web
// layer may show them to a supporter as they are. Map ErrInvalidZIP and
// ErrInvalidPoint to 400; ErrUnknownZIP, ErrMilitaryZIP, ErrOutsideUS and
// ErrUnknownDistrict to 404.
//
// They are sentinels rather than values carrying the input so that the
// lookup hot path never allocates.
var (
	ErrInvalidZIP      = errors.New("a ZIP code must be 5 digits, or ZIP+4 such as 94110-1234")
	ErrUnknownZIP      = errors.New("this ZIP code is not in use in any U.S. state or territory we know of")
	ErrMilitaryZIP     = errors.New("military (APO/FPO/DPO) ZIP codes have no congressional district; use the address where you are registered to vote")
	ErrOutsideUS       = errors.New("this location is not in any U.S. congressional district")
	ErrInvalidPoint    = errors.New("latitude must be between -90 and 90 and longitude between -180 and 180")
	ErrUnknownDistrict = errors.New("there is no such congressional district")
)

// District is one House seat. Number is 0 for at-large states and for the
// six non-voting seats (DC, PR and the island areas), as in the upstream
// data.
type District struct {
	State  string `json:"state"`
	Number int    `json:"district"`
}

// Label is the short name people use: "CA-11", "AK at-large", "DC delegate",
// "PR resident commissioner".
func (d District) Label() string {
	if d.Number == 0 {
		switch {
		case d.State == "PR":
			return "PR resident commissioner"
		case !hasSenators(d.State):
			return d.State + " delegate"
		default:
			return d.State + " at-large"
		}
	}
	return d.State + "-" + strconv.Itoa(d.Number)
}

// String returns Label, so districts print readably.
func (d District) String() string { return d.Label() }

// Code is the House office code used by the Communicating with Congress
// (CWC) API: "H" + state + two-digit district, e.g. "HCA11", "HAK00".
func (d District) Code() string {
	n := d.Number
	if n < 0 || n > 99 {
		n = 0
	}
	return "H" + d.State + string([]byte{byte('0' + n/10), byte('0' + n%10)})
}

// Office is one district (state) office of a member.
type Office struct {
	Address  string `json:"address"`
	Suite    string `json:"suite,omitempty"`
	Building string `json:"building,omitempty"`
	City     string `json:"city"`
	State    string `json:"state"`
	ZIP      string `json:"zip"`
	Phone    string `json:"phone,omitempty"`
}

// Member is a sitting member of Congress (senator, representative,
// delegate or resident commissioner) in their current term.
//
// Empty strings mean the upstream data has no value (for example a member
// sworn in days before the snapshot may have no phone or office yet).
type Member struct {
	BioguideID string `json:"bioguide_id"`
	Name       string `json:"name"` // official full name, or "First Last" when upstream has none
	FirstName  string `json:"first_name"`
	MiddleName string `json:"middle_name,omitempty"`
	LastName   string `json:"last_name"`
	Suffix     string `json:"suffix,omitempty"`
	Nickname   string `json:"nickname,omitempty"`
	// Gender is upstream's "F" or "M" ("" when it has none): Spanish
	// pages say "Senadora" or "Senador" rather than "Senador(a)".
	Gender  string  `json:"gender,omitempty"`
	Party   string  `json:"party"` // "Democrat", "Republican", "Independent", as upstream
	Chamber Chamber `json:"chamber"`
	// Title is "Senator", "Representative", "Delegate" or
	// "Resident Commissioner".
	Title       string `json:"title"`
	State       string `json:"state"`
	District    *int   `json:"district,omitempty"`     // nil for senators; 0 for at-large and non-voting seats
	SenateClass int    `json:"senate_class,omitempty"` // 1, 2 or 3; 0 for the House
	StateRank   string `json:"state_rank,omitempty"`   // "senior" or "junior"; senators only
	Phone       string `json:"phone,omitempty"`        // Washington office
	URL         string `json:"url,omitempty"`
	// ContactForm is the member's web contact form when upstream lists one
	// (almost only senators). Use ContactURL for a link that always works.
	ContactForm   string `json:"contact_form,omitempty"`
	OfficeAddress string `json:"office_address,omitempty"` // Washington office postal address
	TermStart     string `json:"term_start"`               // YYYY-MM-DD
	// TermEnd is the scheduled end of the current term. It may be in the
	// past (an appointee whose special election has been held but whose
	// successor is not in the snapshot): such members are still listed.
	TermEnd     string   `json:"term_end"`
	TermEndType string   `json:"term_end_type,omitempty"` // e.g. "special-election"
	Offices     []Office `json:"offices,omitempty"`
}

// ContactURL is the best web link for writing to the member: the contact
// form if known, else the member's site (the House publishes no per-member
// contact form in the upstream data).
func (m *Member) ContactURL() string {
	if m.ContactForm != "" {
		return m.ContactForm
	}
	return m.URL
}

// Seat returns the member's House district, and false for senators.
func (m *Member) Seat() (District, bool) {
	if m.District == nil {
		return District{}, false
	}
	return District{State: m.State, Number: *m.District}, true
}

// Vacancy is a seat with no sitting member in the snapshot. It is part of
// an answer, not an error: the supporter's seat exists but nobody holds it.
type Vacancy struct {
	Chamber  Chamber `json:"chamber"`
	State    string  `json:"state"`
	District *int    `json:"district,omitempty"` // nil for a Senate seat
}

// Result is the answer to a lookup. Results are precomputed and shared:
// callers must not modify them or the slices and Members they hold.
type Result struct {
	// Split is true when the input matches more than one House district
	// (or, with NeedsAddress, more than one state).
	Split bool `json:"split"`
	// States holds every state or territory of the answer, sorted.
	States []string `json:"states"`
	// Districts holds every candidate House district, sorted; empty when
	// NeedsAddress is true.
	Districts []District `json:"districts"`
	// Members are the House members of Districts, in district order, then
	// the senators of each state in States (senior first).
	Members []*Member `json:"members"`
	// Vacancies lists candidate seats that nobody holds.
	Vacancies []Vacancy `json:"vacancies"`
	// NeedsAddress is true when the House seat cannot be told from the
	// input: a real ZIP with no Census ZCTA (PO boxes, single-firm ZIPs).
	// Ask the supporter for a street address.
	NeedsAddress bool `json:"needs_address"`
}

// hasSenators reports whether st elects senators. DC, PR and the island
// areas have one non-voting House seat and no senators; that is a
// constitutional fact, not data, so it lives in code.
func hasSenators(st string) bool {
	switch st {
	case "AS", "DC", "GU", "MP", "PR", "VI":
		return false
	}
	return true
}
