package web

import (
	"context"
	"html/template"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/i18n"
)

// lookupView is the data of the lookup page.
type lookupView struct {
	Query      string
	Error      string
	Result     *congress.Result
	UsedZIP    bool
	Choose     bool // show the split-district chooser
	GeocoderOn bool
	// POBox: a PO-box ZIP without the geocoder, so the page offers the
	// state's districts; CrossState names the states of a ZIP that
	// crosses state lines; NoSenators explains DC's and the
	// territories' missing senators.
	POBox      bool
	CrossState string
	NoSenators []string
	Candidates []candidateView
	Members    []memberView
	Vacancies  []string
}

type candidateView struct {
	Value  string
	Label  string
	Member string
}

type memberView struct {
	ID, Chamber, ChamberLabel, Title, Name, Party, Area string
	Phone, URL, ContactForm, OfficeAddress              string
	Tel                                                 template.URL
	Offices                                             []officeView
	Committees                                          []committeeView
}

type officeView struct {
	Address, Phone string
	Tel            template.URL
}

// lookupPage is the public home page: the form, and the answer when the
// query string carries one (GET, so it works without JavaScript and can be
// bookmarked or shared).
func (s *Server) lookupPage(c echo.Context) error {
	lang := langOf(c)
	in := lookupInput{
		Query:    c.QueryParam("q"),
		District: c.QueryParam("district"),
		Lat:      c.QueryParam("lat"),
		Lon:      c.QueryParam("lon"),
	}
	v := lookupView{Query: strings.TrimSpace(in.Query), GeocoderOn: s.deps.Geocoder != nil}
	if len(v.Query) > 200 {
		v.Query = v.Query[:200]
	}
	if in.Query == "" && in.Lat == "" && in.Lon == "" {
		return s.render(c, http.StatusOK, "lookup", v, true)
	}
	res, err := s.resolve(c.Request().Context(), in)
	if err != nil {
		status, msg := classify(err, lang)
		if status >= 500 && status != http.StatusServiceUnavailable && status != http.StatusNotImplemented {
			return err
		}
		v.Error = msg
		return s.render(c, status, "lookup", v, true)
	}
	if (res.By == "zip" && !res.UsedZIP) || res.By == "district" {
		// The page of a ZIP code or a district is the same for everyone
		// until the data changes: render it once per query and language
		// for a few seconds. Nothing a person typed beyond the ZIP or
		// district is in the key (addresses are never cached).
		key := "lookup|" + string(lang) + "|" + c.QueryString()
		page, err := s.pageCache.Load(c.Request().Context(), key, func(context.Context) ([]byte, error) {
			s.fillResult(&v, res, lang)
			return s.renderBytes(c, "lookup", v, true, csrfSlot)
		})
		if err != nil {
			return err
		}
		return s.cachedPage(c, page)
	}
	s.fillResult(&v, res, lang)
	return s.render(c, http.StatusOK, "lookup", v, true)
}

func (s *Server) fillResult(v *lookupView, res resolution, lang i18n.Lang) {
	r := res.Result
	v.Result = r
	v.UsedZIP = res.UsedZIP
	v.Choose = r.Split && !r.NeedsAddress && len(r.Districts) > 1
	cands := r.Districts
	if r.NeedsAddress && !v.GeocoderOn && len(r.States) == 1 {
		v.POBox, v.Choose, cands = true, true, s.stateDistricts(r.States)
	}
	if len(r.States) > 1 {
		var names []string
		for _, st := range r.States {
			names = append(names, stateNameIn(st, lang))
		}
		v.CrossState = strings.Join(names, lang.T("lookup.and"))
	}
	for _, st := range r.States {
		if noSenators(st) {
			v.NoSenators = append(v.NoSenators, lang.T("lookup.no_senators."+st))
		}
	}
	if v.POBox {
		// The answer holds the senators only: each district's member
		// comes from the directory.
		v.Candidates = s.candidates(cands, lang)
	} else if v.Choose {
		for _, d := range cands {
			cv := candidateView{Value: districtValue(d), Label: areaLabel(d, lang)}
			for _, m := range r.Members {
				if md, ok := m.Seat(); ok && md == d {
					cv.Member = lang.TG("lookup.title."+m.Title, m.Gender) + " " + m.Name
				}
			}
			if cv.Member == "" {
				cv.Member = lang.T("lookup.vacant")
			}
			v.Candidates = append(v.Candidates, cv)
		}
	}
	for _, m := range r.Members {
		mv := memberViewOf(m, lang)
		mv.Committees = committeeViewsOf(s.deps.Congress, m.BioguideID, lang)
		v.Members = append(v.Members, mv)
	}
	for _, vac := range r.Vacancies {
		if vac.District != nil {
			d := congress.District{State: vac.State, Number: *vac.District}
			v.Vacancies = append(v.Vacancies, lang.T("lookup.vacant_house", areaLabel(d, lang)))
		} else {
			v.Vacancies = append(v.Vacancies, lang.T("lookup.vacant_senate", stateNameIn(vac.State, lang)))
		}
	}
}

func areaLabel(d congress.District, lang i18n.Lang) string {
	name := stateNameIn(d.State, lang)
	switch {
	case d.Number == 0 && (d.State == "DC" || d.State == "PR" || d.State == "GU" || d.State == "VI" || d.State == "AS" || d.State == "MP"):
		return lang.T("lookup.delegate_area", name)
	case d.Number == 0:
		return lang.T("lookup.at_large", name)
	default:
		return lang.T("lookup.district", name, d.Number)
	}
}

func memberViewOf(m *congress.Member, lang i18n.Lang) memberView {
	mv := memberView{
		ID:            m.BioguideID,
		Chamber:       string(m.Chamber),
		Title:         lang.TG("lookup.title."+m.Title, m.Gender),
		Name:          m.Name,
		Party:         lang.T("lookup.party." + m.Party),
		Phone:         m.Phone,
		Tel:           tel(m.Phone),
		URL:           m.URL,
		ContactForm:   m.ContactForm,
		OfficeAddress: m.OfficeAddress,
	}
	if strings.HasPrefix(mv.Party, "[") {
		mv.Party = m.Party
	}
	if d, ok := m.Seat(); ok {
		mv.ChamberLabel = lang.T("lookup.house")
		mv.Area = areaLabel(d, lang)
	} else {
		mv.ChamberLabel = lang.T("lookup.senate")
		mv.Area = stateNameIn(m.State, lang)
		switch m.StateRank {
		case "senior":
			mv.Area += " · " + lang.TG("lookup.senior", m.Gender)
		case "junior":
			mv.Area += " · " + lang.TG("lookup.junior", m.Gender)
		}
	}
	for _, o := range m.Offices {
		parts := []string{o.Address}
		if o.Suite != "" {
			parts = append(parts, o.Suite)
		}
		parts = append(parts, o.City+", "+o.State+" "+o.ZIP)
		mv.Offices = append(mv.Offices, officeView{Address: strings.Join(parts, ", "), Phone: o.Phone, Tel: tel(o.Phone)})
	}
	return mv
}

// tel builds a tel: link from the digits of a phone number (+1 prefix).
// Only digits and '+' survive, so the URL is safe to mark as trusted.
func tel(phone string) template.URL {
	var b strings.Builder
	for _, r := range phone {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	switch {
	case d == "":
		return ""
	case len(d) == 10:
		return template.URL("tel:+1" + d)
	default:
		return template.URL("tel:+" + d)
	}
}
