package web

import (
	"encoding/json"
	"net/http"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/congress"
)

// apiMember is the public JSON shape of a member. District is always
// present: null for senators.
type apiMember struct {
	BioguideID    string            `json:"bioguide_id"`
	Name          string            `json:"name"`
	FirstName     string            `json:"first_name"`
	LastName      string            `json:"last_name"`
	Title         string            `json:"title"`
	Chamber       congress.Chamber  `json:"chamber"`
	State         string            `json:"state"`
	District      *int              `json:"district"`
	Party         string            `json:"party"`
	StateRank     string            `json:"state_rank,omitempty"`
	Phone         string            `json:"phone"`
	URL           string            `json:"url"`
	ContactForm   string            `json:"contact_form"`
	OfficeAddress string            `json:"office_address"`
	Offices       []congress.Office `json:"offices"`
	Committees    []apiSeat         `json:"committees"`
}

type apiVacancy struct {
	Chamber  congress.Chamber `json:"chamber"`
	State    string           `json:"state"`
	District *int             `json:"district"`
}

type apiRepresentatives struct {
	DataAsOf     string              `json:"data_as_of"`
	ResolvedBy   string              `json:"resolved_by"`
	Split        bool                `json:"split"`
	NeedsAddress bool                `json:"needs_address"`
	States       []string            `json:"states"`
	Districts    []congress.District `json:"districts"`
	Members      []apiMember         `json:"members"`
	Vacancies    []apiVacancy        `json:"vacancies"`
}

// zipCache holds the encoded answer per precomputed Result: ZIP answers
// are immutable for the life of the process, so each is encoded once.
type zipCache struct{ m sync.Map } // *congress.Result -> []byte

// apiRepresentatives answers GET /api/v1/representatives?zip= | address= |
// lat=&lon= (and district= to settle a split ZIP).
func (s *Server) apiRepresentatives(c echo.Context) error {
	in := lookupInput{
		Query:    c.QueryParam("zip"),
		District: c.QueryParam("district"),
		Lat:      c.QueryParam("lat"),
		Lon:      c.QueryParam("lon"),
	}
	if addr := c.QueryParam("address"); addr != "" && in.Query == "" {
		in.Query = addr
	} else if in.Query != "" && !looksLikeZIP(in.Query) {
		return congress.ErrInvalidZIP
	}
	res, err := s.resolve(c.Request().Context(), in)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=3600")
	if res.By == "zip" && !res.UsedZIP {
		if b, ok := s.zips.m.Load(res.Result); ok {
			return c.JSONBlob(http.StatusOK, b.([]byte))
		}
	}
	b, err := json.Marshal(s.apiAnswer(res))
	if err != nil {
		return err
	}
	if res.By == "zip" && !res.UsedZIP {
		s.zips.m.Store(res.Result, b)
	}
	return c.JSONBlob(http.StatusOK, b)
}

func (s *Server) apiAnswer(res resolution) apiRepresentatives {
	r := res.Result
	out := apiRepresentatives{
		DataAsOf:     s.deps.Congress.AsOf(),
		ResolvedBy:   res.By,
		Split:        r.Split,
		NeedsAddress: r.NeedsAddress,
		States:       nonNil(r.States),
		Districts:    nonNil(r.Districts),
		Members:      make([]apiMember, 0, len(r.Members)),
		Vacancies:    make([]apiVacancy, 0, len(r.Vacancies)),
	}
	for _, m := range r.Members {
		out.Members = append(out.Members, apiMember{
			BioguideID: m.BioguideID, Name: m.Name, FirstName: m.FirstName, LastName: m.LastName,
			Title: m.Title, Chamber: m.Chamber, State: m.State, District: m.District, Party: m.Party,
			StateRank: m.StateRank, Phone: m.Phone, URL: m.URL, ContactForm: m.ContactURL(),
			OfficeAddress: m.OfficeAddress, Offices: nonNil(m.Offices),
			Committees: apiSeatsOf(s.deps.Congress, m.BioguideID),
		})
	}
	for _, v := range r.Vacancies {
		out.Vacancies = append(out.Vacancies, apiVacancy{Chamber: v.Chamber, State: v.State, District: v.District})
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
