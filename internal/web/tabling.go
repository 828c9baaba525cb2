package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
)

// tablingRoutes: reading needs PermViewCampaigns, adding or ending an
// event PermEditCampaigns (campaign staff).
func (s *Server) tablingRoutes(adm, api *echo.Group) {
	view, edit := auth.PermViewCampaigns, auth.PermEditCampaigns
	s.staff(adm, http.MethodGet, "/campaigns/:id/tabling", view, s.tablingPage)
	s.staff(adm, http.MethodPost, "/campaigns/:id/tabling", edit, s.createTabling)
	s.staff(adm, http.MethodPost, "/campaigns/:id/tabling/:event/end", edit, s.endTabling)

	s.staff(api, http.MethodGet, "/campaigns/:id/tabling-events", view, s.apiTablingEvents)
	s.staff(api, http.MethodPost, "/campaigns/:id/tabling-events", edit, s.apiCreateTabling)
	s.staff(api, http.MethodPost, "/campaigns/:id/tabling-events/:event/end", edit, s.apiEndTabling)
}

// tablingForm is the form as typed, kept as text so a refused form comes
// back as it was sent.
type tablingForm struct {
	StartsAt, EndsAt, IPLimit, Note string
}

type tablingRow struct {
	campaign.TablingEvent
	State string
}

type tablingView struct {
	Campaign   campaign.Campaign
	Events     []tablingRow
	Now        time.Time
	Limit      int  // per-IP hourly limit in force now
	Raised     bool // by a tabling event
	Default    int
	Max        int
	CanEdit    bool
	Form       tablingForm
	Problems   []campaign.FieldError
	Inputs     map[string]fieldView
	MaxDays    int
	MaxNoteLen int
}

func (s *Server) tablingView(c echo.Context, camp campaign.Campaign, f tablingForm, ve *campaign.ValidationError) (tablingView, error) {
	ctx := c.Request().Context()
	now := s.deps.Now().UTC()
	evs, err := s.deps.Store.TablingEvents(ctx, camp.ID)
	if err != nil {
		return tablingView{}, err
	}
	v := tablingView{Campaign: camp, Now: now, Limit: campaign.DefaultIPLimit, Default: campaign.DefaultIPLimit, Max: campaign.MaxTablingIPLimit,
		CanEdit: canEdit(c), Form: f, MaxDays: int(campaign.MaxTablingDuration / (24 * time.Hour)), MaxNoteLen: campaign.MaxTablingNote}
	for _, e := range evs {
		st := e.State(now)
		v.Events = append(v.Events, tablingRow{TablingEvent: e, State: st})
		if st == "active" && (!v.Raised || e.IPLimit > v.Limit) {
			v.Limit, v.Raised = e.IPLimit, true
		}
	}
	msgs := map[string]string{}
	if ve != nil {
		msgs, v.Problems = ve.Messages(), ve.Errors
	}
	in := func(name, label, typ, value string) fieldView {
		return fieldView{Name: name, Label: label, Type: typ, Value: value, Error: msgs[name], Autocomplete: "off"}
	}
	v.Inputs = map[string]fieldView{
		"starts_at": in("starts_at", "Starts (UTC)", "datetime-local", f.StartsAt),
		"ends_at":   in("ends_at", "Ends (UTC)", "datetime-local", f.EndsAt),
		"ip_limit":  in("ip_limit", "Letters per connection per hour", "text", f.IPLimit),
		"note":      in("note", "Note for staff (optional): where and who", "text", f.Note),
	}
	return v, nil
}

func (s *Server) renderTabling(c echo.Context, status int, camp campaign.Campaign, f tablingForm, ve *campaign.ValidationError) error {
	v, err := s.tablingView(c, camp, f, ve)
	if err != nil {
		return err
	}
	return s.render(c, status, "tabling", v, false)
}

// tablingPage is GET /admin/campaigns/:id/tabling: the limit in force,
// the events, and a form for a new one (starting now, for 8 hours).
func (s *Server) tablingPage(c echo.Context) error {
	camp, err := s.loadCampaign(c)
	if err != nil {
		return err
	}
	now := s.deps.Now().UTC().Truncate(time.Minute)
	return s.renderTabling(c, http.StatusOK, camp, tablingForm{StartsAt: now.Format(formTime), EndsAt: now.Add(8 * time.Hour).Format(formTime), IPLimit: "200"}, nil)
}

// createTabling is POST /admin/campaigns/:id/tabling.
func (s *Server) createTabling(c echo.Context) error {
	camp, err := s.loadCampaign(c)
	if err != nil {
		return err
	}
	f := tablingForm{StartsAt: c.FormValue("starts_at"), EndsAt: c.FormValue("ends_at"), IPLimit: c.FormValue("ip_limit"), Note: c.FormValue("note")}
	var r refused
	e := campaign.TablingEvent{CampaignID: camp.ID, Note: f.Note}
	if t := parseFormTime(&r, "starts_at", f.StartsAt); t != nil {
		e.StartsAt = *t
	}
	if t := parseFormTime(&r, "ends_at", f.EndsAt); t != nil {
		e.EndsAt = *t
	}
	if n, err := strconv.Atoi(strings.TrimSpace(f.IPLimit)); err == nil {
		e.IPLimit = n
	} else if strings.TrimSpace(f.IPLimit) != "" {
		r.add("ip_limit", "must be a whole number")
	}
	saved, err := s.saveTabling(c, e, r)
	var ve *campaign.ValidationError
	if errors.As(err, &ve) {
		return s.renderTabling(c, http.StatusUnprocessableEntity, camp, f, ve)
	}
	if err != nil {
		return err
	}
	flash(c, "Tabling event saved: up to "+strconv.Itoa(saved.IPLimit)+" letters per connection per hour from "+
		saved.StartsAt.Format("2006-01-02 15:04")+" to "+saved.EndsAt.Format("2006-01-02 15:04")+" UTC.")
	return c.Redirect(http.StatusSeeOther, "/admin/campaigns/"+idStr(camp.ID)+"/tabling")
}

// saveTabling validates and stores an event; r holds errors found while
// reading the input.
func (s *Server) saveTabling(c echo.Context, e campaign.TablingEvent, r refused) (campaign.TablingEvent, error) {
	if err := campaign.ValidateTabling(&e, s.deps.Now()); err != nil || len(r) > 0 {
		out := &campaign.ValidationError{Object: "tabling event", Errors: r}
		if ve, ok := err.(*campaign.ValidationError); ok {
			for _, fe := range ve.Errors {
				// A field that did not parse is reported once, as such.
				if !slices.ContainsFunc(r, func(x campaign.FieldError) bool { return x.Field == fe.Field }) {
					out.Errors = append(out.Errors, fe)
				}
			}
		} else if err != nil {
			return campaign.TablingEvent{}, err
		}
		return campaign.TablingEvent{}, out
	}
	return s.deps.Store.CreateTablingEvent(c.Request().Context(), e, audit(c, "campaign.tabling.create", "", ""))
}

// endTabling is POST /admin/campaigns/:id/tabling/:event/end.
func (s *Server) endTabling(c echo.Context) error {
	camp, err := s.loadCampaign(c)
	if err != nil {
		return err
	}
	if _, err := s.endEvent(c, camp.ID); err != nil {
		return err
	}
	flash(c, "Tabling event ended: the usual limit applies again.")
	return c.Redirect(http.StatusSeeOther, "/admin/campaigns/"+idStr(camp.ID)+"/tabling")
}

func (s *Server) endEvent(c echo.Context, campaignID int64) (campaign.TablingEvent, error) {
	id, err := paramID(c, "event")
	if err != nil {
		return campaign.TablingEvent{}, err
	}
	return s.deps.Store.EndTablingEvent(c.Request().Context(), campaignID, id, s.deps.Now(), audit(c, "campaign.tabling.end", "", ""))
}

// tablingJSON is an event as the API shows it, with its state now.
type tablingJSON struct {
	campaign.TablingEvent
	State string `json:"state"`
}

func (s *Server) apiTablingEvents(c echo.Context) error {
	camp, err := s.loadCampaign(c)
	if err != nil {
		return err
	}
	v, err := s.tablingView(c, camp, tablingForm{}, nil)
	if err != nil {
		return err
	}
	out := make([]tablingJSON, len(v.Events))
	for i, e := range v.Events {
		out[i] = tablingJSON(e)
	}
	return c.JSON(http.StatusOK, map[string]any{"ip_limit_now": v.Limit, "default_ip_limit": v.Default, "tabling_events": out})
}

// tablingInput is the body of POST /api/v1/campaigns/{id}/tabling-events.
type tablingInput struct {
	StartsAt *string `json:"starts_at"` // RFC 3339; default now
	EndsAt   *string `json:"ends_at"`
	IPLimit  int     `json:"ip_limit"`
	Note     string  `json:"note"`
}

// apiCreateTabling answers 201 with the event, or 422 with field_errors
// (nothing saved).
func (s *Server) apiCreateTabling(c echo.Context) error {
	camp, err := s.loadCampaign(c)
	if err != nil {
		return err
	}
	var in tablingInput
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		var te *json.UnmarshalTypeError
		var he *echo.HTTPError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return &campaign.ValidationError{Object: "tabling event", Errors: []campaign.FieldError{{Field: te.Field, Message: "has the wrong type"}}}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return &campaign.ValidationError{Object: "tabling event", Errors: []campaign.FieldError{{Field: name, Message: "is not a tabling event field"}}}
		case errors.Is(err, io.EOF):
			return echo.NewHTTPError(http.StatusBadRequest, "send the tabling event as a JSON object")
		case errors.As(err, &he):
			return err
		}
		return echo.NewHTTPError(http.StatusBadRequest, "the request body is not valid JSON")
	}
	var r refused
	e := campaign.TablingEvent{CampaignID: camp.ID, IPLimit: in.IPLimit, Note: in.Note, StartsAt: s.deps.Now()}
	if t := parseAPITime(&r, "starts_at", in.StartsAt); t != nil {
		e.StartsAt = *t
	}
	if t := parseAPITime(&r, "ends_at", in.EndsAt); t != nil {
		e.EndsAt = *t
	}
	saved, err := s.saveTabling(c, e, r)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, tablingJSON{TablingEvent: saved, State: saved.State(s.deps.Now())})
}

// apiEndTabling ends an event now (it stays in the list, over).
func (s *Server) apiEndTabling(c echo.Context) error {
	camp, err := s.loadCampaign(c)
	if err != nil {
		return err
	}
	e, err := s.endEvent(c, camp.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, tablingJSON{TablingEvent: e, State: e.State(s.deps.Now())})
}
