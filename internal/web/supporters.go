package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/supporters"
)

// The supporter list: supporters who completed the double opt-in (or were
// imported with consent), searched by campaign, state, district, source
// and date. Staff who see dashboards see counts and the non-personal
// columns; names and addresses only admins (PermViewPersonalData), each
// such read in the audit log, and the CSV export only admins
// (PermExportPII), audited too.
func (s *Server) supporterRoutes(adm, api *echo.Group) {
	s.staff(adm, http.MethodGet, "/supporters", auth.PermViewDashboards, s.supportersPage)
	s.staff(adm, http.MethodGet, "/supporters/export", auth.PermExportPII, s.supportersExport)
	s.staff(api, http.MethodGet, "/supporters", auth.PermViewDashboards, s.apiSupporters)
}

// supportersPerPage is a page of the list; the API takes per_page up to
// supportersMaxPerPage.
const (
	supportersPerPage    = 50
	supportersMaxPerPage = 500
)

// campaignRef finds a campaign by id or slug, for the filters.
func (s *Server) campaignRef(ctx context.Context) supporters.Campaigns {
	return func(ref string) (int64, error) {
		if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
			c, err := s.deps.Store.Campaign(ctx, id)
			return c.ID, err
		}
		c, err := s.deps.Store.CampaignBySlug(ctx, ref)
		return c.ID, err
	}
}

// supporterQuery is a request for the list: its filter, page and whether
// personal data was asked for (pii=1).
type supporterQuery struct {
	F       store.SupporterFilter
	Values  url.Values // the filters as given, for links and the form
	Page    int
	PerPage int
	PII     bool
}

func (s *Server) parseSupporterQuery(c echo.Context) (supporterQuery, error) {
	q := supporterQuery{Values: url.Values{}, Page: 1, PerPage: supportersPerPage, PII: c.QueryParam("pii") == "1"}
	for _, p := range supporters.FilterParams {
		if v := strings.TrimSpace(c.QueryParam(p)); v != "" {
			q.Values.Set(p, v)
		}
	}
	f, err := supporters.ParseFilter(q.Values.Get, s.campaignRef(c.Request().Context()), supporters.DirectoryOf(s.deps.Congress))
	if err != nil {
		return q, err
	}
	q.F = f
	if v := c.QueryParam("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1_000_000 {
			return q, &supporters.FieldError{Field: "page", Reason: "must be a page number from 1"}
		}
		q.Page = n
	}
	if v := c.QueryParam("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > supportersMaxPerPage {
			return q, &supporters.FieldError{Field: "per_page", Reason: fmt.Sprintf("must be from 1 to %d", supportersMaxPerPage)}
		}
		q.PerPage = n
	}
	return q, nil
}

// supporterJSON is one supporter as the API answers: the personal data
// only when an admin asked for it.
type supporterJSON struct {
	State      string    `json:"state"`
	District   string    `json:"district"`
	Source     string    `json:"source"`
	Lang       string    `json:"lang"`
	CampaignID *int64    `json:"campaign_id"`
	Origin     string    `json:"origin"`
	JoinedAt   time.Time `json:"joined_at"`
	Status     string    `json:"status"`
	Email      string    `json:"email,omitempty"`
	FirstName  string    `json:"first_name,omitempty"`
	LastName   string    `json:"last_name,omitempty"`
}

// supporterList is a page of the list with its counts.
type supporterList struct {
	Filters      map[string]string `json:"filters"`
	Total        int64             `json:"total"`
	ByState      map[string]int64  `json:"by_state"`
	BySource     map[string]int64  `json:"by_source"`
	Page         int               `json:"page"`
	PerPage      int               `json:"per_page"`
	PersonalData bool              `json:"personal_data"`
	Supporters   []supporterJSON   `json:"supporters"`
}

// readSupporters answers a page of the list. Asked for personal data, it
// refuses roles without PermViewPersonalData, and writes the read to the
// audit log (filters and count, never the data) before anything is read.
func (s *Server) readSupporters(c echo.Context, q supporterQuery) (supporterList, error) {
	ctx := c.Request().Context()
	out := supporterList{Filters: map[string]string{}, Page: q.Page, PerPage: q.PerPage, PersonalData: q.PII, Supporters: []supporterJSON{}}
	for _, p := range supporters.FilterParams {
		out.Filters[p] = q.Values.Get(p)
	}
	if q.PII {
		if !currentUser(c).Role.Can(auth.PermViewPersonalData) {
			return out, errForbidden
		}
		if s.deps.Keys == nil {
			return out, echo.NewHTTPError(http.StatusServiceUnavailable, "the seal keys are not configured")
		}
	}
	counts, err := s.deps.Store.CountSupportersBy(ctx, q.F)
	if err != nil {
		return out, err
	}
	out.Total, out.ByState, out.BySource = counts.Total, counts.ByState, counts.BySource
	list, err := s.deps.Store.ListSupporters(ctx, q.F, q.PerPage, (q.Page-1)*q.PerPage)
	if err != nil {
		return out, err
	}
	if q.PII && len(list) > 0 {
		a := audit(c, "supporters.read", "supporters", "")
		a.Detail = fmt.Sprintf("%d supporters with names and addresses; filters %s; page %d", len(list), q.Values.Encode(), q.Page)
		if err := s.deps.Store.WriteAudit(ctx, a); err != nil {
			return out, err
		}
	}
	for _, sp := range list {
		j := supporterJSON{State: sp.State, District: supporters.DistrictString(sp.State, sp.District), Source: sp.Source, Lang: sp.Lang,
			Origin: sp.Origin, JoinedAt: sp.JoinedAt.UTC(), Status: supporters.Status(sp)}
		if sp.CampaignID != 0 {
			id := sp.CampaignID
			j.CampaignID = &id
		}
		if q.PII {
			if p, err := supporters.Open(s.deps.Keys, sp); err == nil {
				j.Email, j.FirstName, j.LastName = p.Email, p.FirstName, p.LastName
			}
		}
		out.Supporters = append(out.Supporters, j)
	}
	return out, nil
}

// filterError is a filter that cannot be applied, as a 400 naming the
// field.
func filterError(err error) error {
	var fes supporters.FieldErrors
	if errors.As(err, &fes) {
		return echo.NewHTTPError(http.StatusBadRequest, fes.Error())
	}
	var fe *supporters.FieldError
	if errors.As(err, &fe) {
		return echo.NewHTTPError(http.StatusBadRequest, fe.Error())
	}
	if errors.Is(err, store.ErrInvalidFilter) {
		return echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	return err
}

// apiSupporters is GET /api/v1/supporters.
func (s *Server) apiSupporters(c echo.Context) error {
	q, err := s.parseSupporterQuery(c)
	if err != nil {
		return filterError(err)
	}
	out, err := s.readSupporters(c, q)
	if err != nil {
		return filterError(err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, out)
}

// supportersView is the staff page.
type supportersView struct {
	List       supporterList
	Q          supporterQuery
	Error      string // a filter that cannot be applied, naming the field
	Campaigns  []campaignOpt
	Committees []option // the committee filter's choices
	CanMail    bool     // may write a mailing to these supporters
	MailURL    string   // a new mailing with these filters
	Slugs      map[int64]string
	States     []stateOption
	CanPII     bool
	CanExport  bool
	PIIURL     string
	ExportURL  string
	PrevURL    string
	NextURL    string
	Pages      int64
	SourceRows []countRow
	StateRows  []countRow
}

type countRow struct {
	Key   string
	Count int64
}

// supportersPage is GET /admin/supporters.
func (s *Server) supportersPage(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	v := supportersView{CanPII: u.Role.Can(auth.PermViewPersonalData), CanExport: u.Role.Can(auth.PermExportPII), Slugs: map[int64]string{},
		CanMail: u.Role.Can(auth.PermEditCampaigns)}
	camps, err := s.deps.Store.Campaigns(ctx)
	if err != nil {
		return err
	}
	v.States = usStates()
	q, err := s.parseSupporterQuery(c)
	v.Q = q
	status := http.StatusOK
	if err != nil {
		var fe *supporters.FieldError
		if !errors.As(err, &fe) {
			return err
		}
		v.Error, status = err.Error(), http.StatusBadRequest
	} else {
		if v.List, err = s.readSupporters(c, q); err != nil {
			return err
		}
	}
	sel := q.Values.Get("campaign")
	for _, cp := range camps {
		v.Slugs[cp.ID] = cp.Slug
		v.Campaigns = append(v.Campaigns, campaignOpt{ID: cp.ID, Title: cp.Title, Slug: cp.Slug,
			Selected: sel != "" && (sel == cp.Slug || sel == strconv.FormatInt(cp.ID, 10))})
	}
	link := func(page int, pii bool) string {
		vals := url.Values{}
		for k, vs := range q.Values {
			vals[k] = vs
		}
		if page > 1 {
			vals.Set("page", strconv.Itoa(page))
		}
		if pii {
			vals.Set("pii", "1")
		}
		if e := vals.Encode(); e != "" {
			return "/admin/supporters?" + e
		}
		return "/admin/supporters"
	}
	sel = strings.ToUpper(q.Values.Get("committee"))
	v.Committees = []option{{Value: "", Label: "Any", Selected: sel == ""}}
	for _, cm := range s.deps.Congress.Committees() {
		label := cm.Name + " (" + cm.ID + ")"
		if cm.ParentID != "" {
			label = "— " + label
		}
		v.Committees = append(v.Committees, option{Value: cm.ID, Label: label, Selected: cm.ID == sel})
	}
	if st := q.Values.Get("status"); v.Error == "" && (st == "" || st == store.SupportersSendable) {
		// the count above is whom a mailing with these filters goes to
		mail := url.Values{}
		for k, vs := range q.Values {
			if k != "status" {
				mail[k] = vs
			}
		}
		v.MailURL = "/admin/mailings/new"
		if e := mail.Encode(); e != "" {
			v.MailURL += "?" + e
		}
	}
	if v.Error == "" {
		v.Pages = (v.List.Total + int64(q.PerPage) - 1) / int64(q.PerPage)
		if q.Page > 1 {
			v.PrevURL = link(q.Page-1, q.PII)
		}
		if int64(q.Page) < v.Pages {
			v.NextURL = link(q.Page+1, q.PII)
		}
		v.PIIURL = link(q.Page, true)
		v.ExportURL = "/admin/supporters/export"
		if e := q.Values.Encode(); e != "" {
			v.ExportURL += "?" + e
		}
		for k, n := range v.List.BySource {
			v.SourceRows = append(v.SourceRows, countRow{k, n})
		}
		for k, n := range v.List.ByState {
			v.StateRows = append(v.StateRows, countRow{k, n})
		}
		sortCounts(v.SourceRows)
		sortCounts(v.StateRows)
	}
	return s.render(c, status, "supporters", v, false)
}

// sortCounts orders counts largest first, then by key.
func sortCounts(rows []countRow) {
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && (rows[j].Count > rows[j-1].Count || (rows[j].Count == rows[j-1].Count && rows[j].Key < rows[j-1].Key)); j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
}

// usStates are the states in form order, with their names.
func usStates() []stateOption {
	var out []stateOption
	for _, code := range action.States {
		out = append(out, stateOption{Code: code, Name: stateName(code)})
	}
	return out
}

// supportersExport is GET /admin/supporters/export: the list with the
// page's filters as CSV, names and addresses opened (admins; the export
// is in the audit log before a row is written).
func (s *Server) supportersExport(c echo.Context) error {
	ctx := c.Request().Context()
	q, err := s.parseSupporterQuery(c)
	if err != nil {
		return filterError(err)
	}
	var keys supporters.Keys = noKeys{} // without keys, the rows without their personal data
	if s.deps.Keys != nil {
		keys = s.deps.Keys
	}
	n, err := s.deps.Store.CountSupporters(ctx, q.F)
	if err != nil {
		return filterError(err)
	}
	a := audit(c, "supporters.export", "supporters", "")
	a.Detail = fmt.Sprintf("CSV of %d supporters with names and addresses; filters %s", n, q.Values.Encode())
	if err := s.deps.Store.WriteAudit(ctx, a); err != nil {
		return err
	}
	slugs := map[int64]string{}
	h := c.Response().Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="supporters-%s.csv"`, time.Now().UTC().Format("20060102")))
	c.Response().WriteHeader(http.StatusOK)
	w, err := supporters.NewWriter(c.Response(), keys, func(id int64) string {
		if sl, ok := slugs[id]; ok {
			return sl
		}
		cp, err := s.deps.Store.Campaign(ctx, id)
		if err != nil {
			return strconv.FormatInt(id, 10)
		}
		slugs[id] = cp.Slug
		return cp.Slug
	})
	if err != nil {
		return nil
	}
	err = s.deps.Store.EachSupporterList(ctx, q.F, 1000, func(batch []store.Supporter) error {
		for _, sp := range batch {
			if err := w.Write(sp); err != nil {
				return err
			}
		}
		return nil
	})
	if _, ferr := w.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		s.log.Warn("supporters export cut short", "err", err)
	}
	return nil
}

// Chosen tells whether campaign c is the one the filter param names (by
// slug or id).
func (v supportersView) Chosen(param string, c campaignOpt) bool {
	x := v.Q.Values.Get(param)
	return x != "" && (x == c.Slug || x == strconv.FormatInt(c.ID, 10))
}

// SlugOf names a supporter's campaign on the page.
func (v supportersView) SlugOf(id *int64) string {
	if id == nil {
		return ""
	}
	return v.Slugs[*id]
}

// noKeys opens nothing: an export on a server without seal keys.
type noKeys struct{}

func (noKeys) Index(string, string) string          { return "" }
func (noKeys) SealJSON(any, string) (string, error) { return "", errNoKeys }
func (noKeys) OpenJSON(string, string, any) error   { return errNoKeys }

var errNoKeys = errors.New("the seal keys are not configured")
