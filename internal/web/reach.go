package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/contacts"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/dispatch"
)

// Reaching every office: the office contacts directory (where the email
// channel writes to an office), a campaign's own delivery settings, and
// the coverage view (which channel each office's letters take).

func (s *Server) reachRoutes(adm, api *echo.Group) {
	s.staff(api, http.MethodGet, "/offices/:office/contacts", auth.PermViewDeliveries, s.apiOfficeContacts)
	s.staff(api, http.MethodPut, "/offices/:office/contacts", auth.PermManageDelivery, s.apiPutOfficeContacts)
	s.staff(api, http.MethodGet, "/campaigns/:id/coverage", auth.PermViewDeliveries, s.apiCoverage)
	s.staff(adm, http.MethodGet, "/contacts", auth.PermViewDeliveries, s.contactsPage)
	s.staff(adm, http.MethodPost, "/contacts/import", auth.PermManageDelivery, s.importContacts)
	s.staff(adm, http.MethodGet, "/offices/:office/contacts", auth.PermViewDeliveries, s.officeContactsPage)
	s.staff(adm, http.MethodPost, "/offices/:office/contacts", auth.PermManageDelivery, s.saveOfficeContacts)
	s.staff(adm, http.MethodGet, "/campaigns/:id/coverage", auth.PermViewDeliveries, s.coveragePage)
}

func (s *Server) knownMember(id string) bool {
	_, ok := s.deps.Congress.Member(id)
	return ok
}

// office finds the sitting member of the :office parameter (a bioguide
// id); 404 otherwise.
func (s *Server) office(c echo.Context) (*congress.Member, error) {
	m, ok := s.deps.Congress.Member(strings.ToUpper(strings.TrimSpace(c.Param("office"))))
	if !ok {
		return nil, echo.NewHTTPError(http.StatusNotFound, "no sitting member of Congress has this bioguide id")
	}
	return m, nil
}

// --- API: an office's contacts ---

type officeJSON struct {
	BioguideID string `json:"bioguide_id"`
	Name       string `json:"name"`
	Title      string `json:"title"`
	Chamber    string `json:"chamber"`
	State      string `json:"state"`
	District   *int   `json:"district"`
}

func officeJSONOf(m *congress.Member) officeJSON {
	return officeJSON{BioguideID: m.BioguideID, Name: m.Name, Title: m.Title, Chamber: string(m.Chamber), State: m.State, District: m.District}
}

type contactJSON struct {
	Name  string `json:"name"`
	Role  string `json:"role"`
	Email string `json:"email"`
	Fax   string `json:"fax"`
}

type officeContactsJSON struct {
	Office   officeJSON    `json:"office"`
	Contacts []contactJSON `json:"contacts"`
	// Email is where the email channel sends this office's letters: its
	// first contact with an email address ("" when none has one).
	Email string `json:"email"`
}

func (s *Server) officeContactsJSON(ctx context.Context, m *congress.Member) (officeContactsJSON, error) {
	list, err := s.deps.Store.OfficeContacts(ctx, m.BioguideID)
	if err != nil {
		return officeContactsJSON{}, err
	}
	out := officeContactsJSON{Office: officeJSONOf(m), Contacts: []contactJSON{}}
	plain := make([]contacts.Contact, len(list))
	for i, c := range list {
		out.Contacts = append(out.Contacts, contactJSON{Name: c.Name, Role: c.Role, Email: c.Email, Fax: c.Fax})
		plain[i] = c.Contact
	}
	out.Email = contacts.Primary(plain)
	return out, nil
}

func (s *Server) apiOfficeContacts(c echo.Context) error {
	m, err := s.office(c)
	if err != nil {
		return err
	}
	out, err := s.officeContactsJSON(c.Request().Context(), m)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// apiPutOfficeContacts replaces the office's contacts with the body's
// {"contacts": [...]}, in order; [] removes them. 422 with field_errors
// (contacts[i].email, ...) when anything is refused: nothing is saved.
func (s *Server) apiPutOfficeContacts(c echo.Context) error {
	m, err := s.office(c)
	if err != nil {
		return err
	}
	var in struct {
		Contacts *[]contactJSON `json:"contacts"`
		// Read-only fields of the GET answer, accepted and ignored.
		Office json.RawMessage `json:"office"`
		Email  json.RawMessage `json:"email"`
	}
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) {
			return err
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return &campaign.ValidationError{Object: "list of contacts", Errors: []campaign.FieldError{{Field: te.Field, Message: "must be " + jsonKind(te)}}}
		}
		if strings.HasPrefix(err.Error(), "json: unknown field ") {
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return &campaign.ValidationError{Object: "list of contacts", Errors: []campaign.FieldError{{Field: name, Message: "is not a contact field (name, role, email, fax)"}}}
		}
		if errors.Is(err, io.EOF) {
			return echo.NewHTTPError(http.StatusBadRequest, `send {"contacts": [{"name": ..., "role": ..., "email": ..., "fax": ...}]}`)
		}
		return echo.NewHTTPError(http.StatusBadRequest, "the request body is not valid JSON")
	}
	if in.Contacts == nil {
		return &campaign.ValidationError{Object: "list of contacts", Errors: []campaign.FieldError{{Field: "contacts", Message: "is required: the office's whole list, in order ([] removes them all)"}}}
	}
	list := make([]contacts.Contact, len(*in.Contacts))
	for i, x := range *in.Contacts {
		list[i] = contacts.Contact{Name: x.Name, Role: x.Role, Email: x.Email, Fax: x.Fax}
	}
	if errs := contacts.CheckOffice(m.BioguideID, list, s.knownMember); len(errs) > 0 {
		ve := &campaign.ValidationError{Object: "list of contacts"}
		for _, e := range errs {
			field := e.Field
			if field != "contacts" && field != "bioguide_id" {
				field = fmt.Sprintf("contacts[%d].%s", e.Index, e.Field)
			}
			ve.Errors = append(ve.Errors, campaign.FieldError{Field: field, Message: e.Message})
		}
		return ve
	}
	if err := s.deps.Store.ReplaceOfficeContacts(c.Request().Context(), m.BioguideID, list, audit(c, "contacts.update", "", "")); err != nil {
		return err
	}
	out, err := s.officeContactsJSON(c.Request().Context(), m)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func jsonKind(te *json.UnmarshalTypeError) string {
	switch te.Type.Kind().String() {
	case "slice":
		return "a list"
	case "struct":
		return "an object"
	case "int", "int64":
		return "a whole number"
	}
	return "a string"
}

// --- Coverage ---

// coverageOffice is one office of a campaign: the channel its letters
// take now, and how many of its letters wait for a channel.
type coverageOffice struct {
	BioguideID string `json:"bioguide_id"`
	Name       string `json:"name"`
	Title      string `json:"title"`
	Chamber    string `json:"chamber"`
	State      string `json:"state"`
	District   *int   `json:"district"`
	OfficeCode string `json:"office_code"`
	// Channel is the channel name ("cwc", "sendgrid", "packet", "outbox"),
	// or "none" when no configured channel in the campaign's order reaches
	// the office (its letters would fail).
	Channel string `json:"channel"`
	Email   bool   `json:"has_email"` // a contact email in the directory
	Waiting int64  `json:"waiting"`
	Label   string `json:"-"`
}

type coverageTotal struct {
	Channel string `json:"channel"`
	Label   string `json:"-"`
	Offices int    `json:"offices"`
	Waiting int64  `json:"waiting"`
}

type coverageJSON struct {
	CampaignID int64            `json:"campaign_id"`
	Channels   []string         `json:"channels"` // the campaign's order
	Configured []string         `json:"configured"`
	Totals     []coverageTotal  `json:"totals"`
	Offices    []coverageOffice `json:"offices"`
}

// officeOf is the delivery office of a member, as letters name it.
func officeOf(m *congress.Member) delivery.Office {
	o := delivery.Office{BioguideID: m.BioguideID, Name: m.Name, Title: m.Title, Gender: m.Gender, Chamber: string(m.Chamber), State: m.State, District: m.District}
	if d, ok := m.Seat(); ok {
		o.Code = d.Code()
	} else {
		o.Code = fmt.Sprintf("S%s%02d", m.State, m.SenateClass)
	}
	return o
}

// coverage answers, for every office the campaign writes to (and any
// other with letters waiting), the channel the worker would pick now and
// the letters waiting.
func (s *Server) coverage(ctx context.Context, camp campaign.Campaign) (coverageJSON, error) {
	d, err := s.campaignDelivery(ctx, camp.ID)
	if err != nil {
		return coverageJSON{}, err
	}
	order := make([]delivery.Channel, len(d.Channels))
	for i, c := range d.Channels {
		order[i] = delivery.Channel(c)
	}
	emails, err := s.deps.Store.OfficeEmails(ctx)
	if err != nil {
		return coverageJSON{}, err
	}
	waiting, err := s.deps.Store.WaitingByOffice(ctx, camp.ID)
	if err != nil {
		return coverageJSON{}, err
	}
	senders := s.deps.Senders
	out := coverageJSON{CampaignID: camp.ID, Channels: d.Channels, Configured: []string{}, Totals: []coverageTotal{}, Offices: []coverageOffice{}}
	for _, sd := range senders {
		out.Configured = append(out.Configured, string(sd.Channel()))
	}
	byID := map[string]int{}
	add := func(o delivery.Office) int {
		if i, ok := byID[o.BioguideID]; ok {
			return i
		}
		o.Email = emails[o.BioguideID]
		ch, ok := dispatch.Route(ctx, senders, order, o)
		name := string(ch)
		switch {
		case camp.Demo:
			name = "outbox" // the demonstration campaign's letters reach nobody
		case !ok:
			name = "none"
		}
		out.Offices = append(out.Offices, coverageOffice{BioguideID: o.BioguideID, Name: o.Name, Title: o.Title, Chamber: o.Chamber, State: o.State,
			District: o.District, OfficeCode: o.Code, Channel: name, Email: o.Email != "", Label: channelLabel(name)})
		byID[o.BioguideID] = len(out.Offices) - 1
		return len(out.Offices) - 1
	}
	for _, m := range camp.Targets.Offices(s.deps.Congress) {
		add(officeOf(m))
	}
	for _, w := range waiting {
		o := delivery.Office{BioguideID: w.BioguideID, Code: w.OfficeCode}
		if m, ok := s.deps.Congress.Member(w.BioguideID); ok {
			o = officeOf(m)
		}
		out.Offices[add(o)].Waiting += w.N
	}
	sort.SliceStable(out.Offices, func(i, j int) bool {
		a, b := out.Offices[i], out.Offices[j]
		if a.Waiting != b.Waiting {
			return a.Waiting > b.Waiting
		}
		if a.State != b.State {
			return a.State < b.State
		}
		return a.OfficeCode < b.OfficeCode
	})
	totals := map[string]*coverageTotal{}
	var names []string
	for _, o := range out.Offices {
		t, ok := totals[o.Channel]
		if !ok {
			t = &coverageTotal{Channel: o.Channel, Label: channelLabel(o.Channel)}
			totals[o.Channel] = t
			names = append(names, o.Channel)
		}
		t.Offices++
		t.Waiting += o.Waiting
	}
	// In the campaign's order, then "none".
	rank := func(n string) int {
		for i, c := range d.Channels {
			if c == n {
				return i
			}
		}
		return len(d.Channels)
	}
	sort.SliceStable(names, func(i, j int) bool { return rank(names[i]) < rank(names[j]) })
	for _, n := range names {
		out.Totals = append(out.Totals, *totals[n])
	}
	return out, nil
}

func (s *Server) apiCoverage(c echo.Context) error {
	camp, err := s.loadCampaign(c)
	if err != nil {
		return err
	}
	out, err := s.coverage(c.Request().Context(), camp)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

type coverageView struct {
	Campaign campaign.Campaign
	Coverage coverageJSON
	Offices  []coverageOffice // after the filter
	Filter   string           // a channel name, or "" for all
	State    string           // a state's code, or "" for all
	Waiting  bool             // only offices with letters waiting
	Options  []option
	CanEdit  bool

	ChannelChoice, StateChoice choice
}

func (s *Server) coveragePage(c echo.Context) error {
	camp, err := s.loadCampaign(c)
	if err != nil {
		return err
	}
	cov, err := s.coverage(c.Request().Context(), camp)
	if err != nil {
		return err
	}
	v := coverageView{Campaign: camp, Coverage: cov, Filter: c.QueryParam("channel"), Waiting: c.QueryParam("waiting") == "1",
		CanEdit: currentUser(c).Role.Can(auth.PermEditCampaigns)}
	v.Options = []option{{Value: "", Label: "All channels", Selected: v.Filter == ""}}
	for _, t := range cov.Totals {
		v.Options = append(v.Options, option{Value: t.Channel, Label: t.Label, Selected: v.Filter == t.Channel})
	}
	v.ChannelChoice = choice{Name: "channel", Label: "Channel", Options: v.Options}
	// The states of the campaign's offices, by name: a state with no
	// office in the campaign is not offered.
	v.State = strings.ToUpper(strings.TrimSpace(c.QueryParam("state")))
	states := map[string]bool{}
	for _, o := range cov.Offices {
		states[o.State] = true
	}
	v.StateChoice = choice{Name: "state", Label: "State", Options: []option{{Value: "", Label: "All states", Selected: v.State == ""}}}
	for _, code := range slices.SortedFunc(maps.Keys(states), func(a, b string) int { return strings.Compare(stateName(a), stateName(b)) }) {
		v.StateChoice.Options = append(v.StateChoice.Options, option{Value: code, Label: stateName(code), Selected: v.State == code})
	}
	if v.State != "" && !states[v.State] {
		v.StateChoice.Error = fmt.Sprintf("No office of this campaign is in %q: choose a state from the list.", c.QueryParam("state"))
	}
	for _, o := range cov.Offices {
		if (v.Filter == "" || o.Channel == v.Filter) && (v.State == "" || o.State == v.State) && (!v.Waiting || o.Waiting > 0) {
			v.Offices = append(v.Offices, o)
		}
	}
	return s.render(c, http.StatusOK, "coverage", v, false)
}

// --- Admin pages: the contacts directory ---

type contactsOfficeRow struct {
	Member  *congress.Member
	Label   string
	N       int
	Email   string
	Missing bool // contacts of an office no longer in the congressional data
	ID      string
}

type contactsView struct {
	Offices  []contactsOfficeRow
	Query    string
	Matches  []option
	CanEdit  bool
	Problems []contacts.FieldError
	Error    string
	Rows     int
}

func (s *Server) contactsView(c echo.Context) (contactsView, error) {
	all, err := s.deps.Store.AllOfficeContacts(c.Request().Context())
	if err != nil {
		return contactsView{}, err
	}
	v := contactsView{Query: strings.TrimSpace(c.QueryParam("q")), CanEdit: currentUser(c).Role.Can(auth.PermManageDelivery)}
	idx := map[string]int{}
	for _, x := range all {
		i, ok := idx[x.BioguideID]
		if !ok {
			row := contactsOfficeRow{ID: x.BioguideID, Label: x.BioguideID}
			if m, ok := s.deps.Congress.Member(x.BioguideID); ok {
				row.Member, row.Label = m, memberLabel(m)
			} else {
				row.Missing = true
			}
			v.Offices = append(v.Offices, row)
			i = len(v.Offices) - 1
			idx[x.BioguideID] = i
		}
		v.Offices[i].N++
		if v.Offices[i].Email == "" {
			v.Offices[i].Email = x.Email
		}
	}
	sort.SliceStable(v.Offices, func(i, j int) bool { return v.Offices[i].Label < v.Offices[j].Label })
	if v.Query != "" {
		for _, m := range campaign.FindMembers(s.deps.Congress.Members(), stateNames, v.Query, maxMatches) {
			v.Matches = append(v.Matches, option{Value: m.BioguideID, Label: memberLabel(m)})
		}
	}
	return v, nil
}

func (s *Server) contactsPage(c echo.Context) error {
	v, err := s.contactsView(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "contacts", v, false)
}

// importContacts takes a CSV upload (field "file"), all or nothing.
func (s *Server) importContacts(c echo.Context) error {
	refuse := func(status int, p []contacts.FieldError, msg string, rows int) error {
		v, err := s.contactsView(c)
		if err != nil {
			return err
		}
		v.Problems, v.Error, v.Rows = p, msg, rows
		return s.render(c, status, "contacts", v, false)
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return refuse(http.StatusUnprocessableEntity, nil, "Choose a CSV file to import.", 0)
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	p, err := contacts.ParseCSV(f, s.knownMember)
	if err != nil {
		return refuse(http.StatusUnprocessableEntity, nil, "Nothing was imported: "+err.Error()+".", 0)
	}
	if len(p.Errors) > 0 {
		return refuse(http.StatusUnprocessableEntity, p.Errors, fmt.Sprintf("Nothing was imported: %d problem(s) in %d rows.", len(p.Errors), p.Rows), p.Rows)
	}
	n, err := s.deps.Store.ImportOfficeContacts(c.Request().Context(), p, audit(c, "contacts.import", "", ""))
	if err != nil {
		return err
	}
	flash(c, fmt.Sprintf("Imported %d contacts of %d offices.", n, len(p.Offices)))
	return c.Redirect(http.StatusSeeOther, "/admin/contacts")
}

// contactRowView is one row of an office's contacts form, as typed.
type contactRowView struct {
	N                      int
	Name, Role, Email, Fax string
	Errors                 map[string]string
}

// Inputs are the row's four inputs (each row's ids end in its number).
func (r contactRowView) Inputs() []fieldView {
	return []fieldView{
		{Name: "name", Label: "Name", Type: "text", Value: r.Name, Error: r.Errors["name"]},
		{Name: "role", Label: "Role (like immigration legislative assistant)", Type: "text", Value: r.Role, Error: r.Errors["role"]},
		{Name: "email", Label: "Email", Type: "email", Value: r.Email, Error: r.Errors["email"]},
		{Name: "fax", Label: "Fax (optional)", Type: "tel", Value: r.Fax, Error: r.Errors["fax"]},
	}
}

type officeContactsView struct {
	Member  *congress.Member
	Label   string
	Rows    []contactRowView
	Errors  []string
	CanEdit bool
	Email   string
}

// blankRows are the empty rows the form offers for new contacts.
const blankRows = 3

func (s *Server) officeContactsPage(c echo.Context) error {
	m, err := s.office(c)
	if err != nil {
		return err
	}
	list, err := s.deps.Store.OfficeContacts(c.Request().Context(), m.BioguideID)
	if err != nil {
		return err
	}
	v := officeContactsView{Member: m, Label: memberLabel(m), CanEdit: currentUser(c).Role.Can(auth.PermManageDelivery)}
	plain := make([]contacts.Contact, len(list))
	for i, x := range list {
		v.Rows = append(v.Rows, contactRowView{Name: x.Name, Role: x.Role, Email: x.Email, Fax: x.Fax})
		plain[i] = x.Contact
	}
	v.Email = contacts.Primary(plain)
	return s.renderOfficeContacts(c, http.StatusOK, v)
}

func (s *Server) renderOfficeContacts(c echo.Context, status int, v officeContactsView) error {
	if v.CanEdit {
		for range blankRows {
			v.Rows = append(v.Rows, contactRowView{})
		}
	}
	for i := range v.Rows {
		v.Rows[i].N = i + 1
	}
	return s.render(c, status, "office_contacts", v, false)
}

// saveOfficeContacts replaces the office's contacts with the form's rows
// (blank rows are skipped), or shows the form again as typed with each
// problem at its row.
func (s *Server) saveOfficeContacts(c echo.Context) error {
	m, err := s.office(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	names, roles, emails, faxes := form["name"], form["role"], form["email"], form["fax"]
	at := func(xs []string, i int) string {
		if i < len(xs) {
			return xs[i]
		}
		return ""
	}
	var rows []contactRowView
	var list []contacts.Contact
	var rowOf []int // list index -> rows index
	for i := range max(len(names), len(roles), len(emails), len(faxes)) {
		r := contactRowView{Name: at(names, i), Role: at(roles, i), Email: at(emails, i), Fax: at(faxes, i)}
		if strings.TrimSpace(r.Name+r.Role+r.Email+r.Fax) == "" {
			continue
		}
		rows = append(rows, r)
		list = append(list, contacts.Contact{Name: r.Name, Role: r.Role, Email: r.Email, Fax: r.Fax})
		rowOf = append(rowOf, len(rows)-1)
	}
	v := officeContactsView{Member: m, Label: memberLabel(m), CanEdit: true, Rows: rows}
	if errs := contacts.CheckOffice(m.BioguideID, list, s.knownMember); len(errs) > 0 {
		for _, e := range errs {
			if e.Field == "contacts" || e.Field == "bioguide_id" {
				v.Errors = append(v.Errors, e.Field+": "+e.Message)
				continue
			}
			r := &v.Rows[rowOf[e.Index]]
			if r.Errors == nil {
				r.Errors = map[string]string{}
			}
			if _, ok := r.Errors[e.Field]; !ok {
				r.Errors[e.Field] = e.Message
			}
			v.Errors = append(v.Errors, fmt.Sprintf("Contact %d, %s: %s", rowOf[e.Index]+1, e.Field, e.Message))
		}
		return s.renderOfficeContacts(c, http.StatusUnprocessableEntity, v)
	}
	if err := s.deps.Store.ReplaceOfficeContacts(c.Request().Context(), m.BioguideID, list, audit(c, "contacts.update", "", "")); err != nil {
		return err
	}
	flash(c, fmt.Sprintf("Saved %d contacts for %s.", len(list), memberLabel(m)))
	return c.Redirect(http.StatusSeeOther, "/admin/offices/"+m.BioguideID+"/contacts")
}
