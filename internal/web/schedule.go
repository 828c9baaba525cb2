package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/followup"
	"github.com/outreach-org/outreach/internal/store"
)

func (s *Server) scheduleRoutes(root, adm, api *echo.Group) {
	s.staff(adm, http.MethodGet, "/schedule", auth.PermViewCampaigns, s.schedulePage)
	s.staff(adm, http.MethodPost, "/schedule", auth.PermEditCampaigns, s.scheduleCreate)
	s.staff(adm, http.MethodPost, "/schedule/:id", auth.PermEditCampaigns, s.scheduleUpdate)
	s.staff(adm, http.MethodPost, "/schedule/:id/toggle", auth.PermEditCampaigns, s.scheduleToggle)
	s.staff(adm, http.MethodPost, "/schedule/:id/delete", auth.PermEditCampaigns, s.scheduleDelete)
	s.staff(adm, http.MethodGet, "/followups/:id", auth.PermViewCampaigns, s.followupPage)
	s.staff(adm, http.MethodPost, "/followups/:id", auth.PermEditCampaigns, s.followupSave)
	s.staff(adm, http.MethodPost, "/followups/:id/approve", auth.PermEditCampaigns, s.followupApprove)
	s.staff(api, http.MethodGet, "/schedule", auth.PermViewCampaigns, s.apiSchedule)
	s.staff(api, http.MethodPost, "/schedule", auth.PermEditCampaigns, s.apiScheduleCreate)
	s.staff(api, http.MethodPut, "/schedule/:id", auth.PermEditCampaigns, s.apiScheduleUpdate)
	s.staff(api, http.MethodDelete, "/schedule/:id", auth.PermEditCampaigns, s.apiScheduleDelete)
	s.staff(api, http.MethodGet, "/schedule/next", auth.PermViewCampaigns, s.apiScheduleNext)
	s.staff(api, http.MethodGet, "/followups/:id", auth.PermViewCampaigns, s.apiFollowups)
	s.staff(api, http.MethodPut, "/followups/:id", auth.PermEditCampaigns, s.apiFollowupsSave)
	s.public(root, http.MethodGet, "/c/:slug/survey", s.surveyPage)
	s.public(root, http.MethodPost, "/c/:slug/survey", s.surveyAnswer)
}

// scheduleItem is one schedule with its next runs in plain words.
type scheduleItem struct {
	store.Schedule
	Campaign string
	KindName string
	// When is the schedule in words ("every Monday at 9:00").
	When   string
	Next   []string
	PerOff int
	To     string
}

type scheduleView struct {
	Items     []scheduleItem
	Campaigns []campaign.Campaign
	Kinds     []struct{ Name, Label string }
	Held      []heldOffice
	CanEdit   bool
	// EditID is the schedule the form edits (0: a new one).
	EditID  int64
	Input   followup.Input
	Errors  followup.FieldErrors
	Preview []string
	// Rec is the form's plain choice of when; Repeats and Weekdays its
	// options.
	Rec      followup.Recurrence
	Repeats  []struct{ Name, Label string }
	Weekdays []option
}

func (s *Server) scheduleItems(ctx context.Context) ([]scheduleItem, []campaign.Campaign, error) {
	list, err := s.deps.Store.Schedules(ctx, 0)
	if err != nil {
		return nil, nil, err
	}
	camps, err := s.deps.Store.Campaigns(ctx)
	if err != nil {
		return nil, nil, err
	}
	titles := map[int64]string{}
	for _, c := range camps {
		titles[c.ID] = c.Title
	}
	labels := map[string]string{}
	for _, k := range followup.Kinds {
		labels[k.Name] = k.Label
	}
	now := s.deps.Now()
	out := make([]scheduleItem, 0, len(list))
	for _, sc := range list {
		it := scheduleItem{Schedule: sc, KindName: labels[sc.Kind]}
		if sc.CampaignID != nil {
			it.Campaign = titles[*sc.CampaignID]
		}
		p := followup.ParseParams(sc.Params)
		it.PerOff, it.To = p.PerOffice, strings.Join(p.To, ", ")
		it.When = followup.Sentence(sc.Cron, p)
		if sp, err := followup.ParseSpec(sc.Cron, sc.TimeZone); err == nil && sc.Enabled {
			// The next run is the stored one (it may be due now); then the
			// following four.
			it.Next = []string{sp.Plain(sc.NextRunAt)}
			if !p.Once {
				it.Next = append(it.Next, sp.Describe(maxTime(now, sc.NextRunAt), 4)...)
			}
		}
		out = append(out, it)
	}
	return out, camps, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (s *Server) renderSchedule(c echo.Context, status int, in followup.Input, rec followup.Recurrence, fe followup.FieldErrors, preview []string, editID int64) error {
	ctx := c.Request().Context()
	items, camps, err := s.scheduleItems(ctx)
	if err != nil {
		return err
	}
	held, err := s.heldOffices(ctx, camps)
	if err != nil {
		return err
	}
	if in.TimeZone == "" {
		in.TimeZone = followup.DefaultTimeZone
	}
	if rec.Repeat == "" {
		rec = followup.Recurrence{Repeat: followup.RepeatWeekly, Weekday: time.Monday, At: "09:00"}
	}
	v := scheduleView{Items: items, Campaigns: camps, Kinds: followup.Kinds, Held: held, Input: in, Errors: fe, Preview: preview,
		CanEdit: currentUser(c).Role.Can(auth.PermEditCampaigns), EditID: editID, Rec: rec, Repeats: followup.Repeats,
	}
	for _, d := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday} {
		v.Weekdays = append(v.Weekdays, option{Value: strconv.Itoa(int(d)), Label: d.String(), Selected: d == rec.Weekday})
	}
	return s.render(c, status, "schedule", v, true) // app.js shows only the chosen "Repeat" fields
}

// heldOffice is an office with second letters waiting for approval.
type heldOffice struct {
	store.HeldOffice
	Campaign string
	Member   string
}

func (s *Server) heldOffices(ctx context.Context, camps []campaign.Campaign) ([]heldOffice, error) {
	held, err := s.deps.Store.HeldSecondLetters(ctx, 0)
	if err != nil {
		return nil, err
	}
	titles := map[int64]string{}
	for _, c := range camps {
		titles[c.ID] = c.Title
	}
	out := make([]heldOffice, 0, len(held))
	for _, h := range held {
		out = append(out, heldOffice{HeldOffice: h, Campaign: titles[h.CampaignID], Member: s.memberOf(h.BioguideID, h.OfficeCode)})
	}
	return out, nil
}

// mayScheduleKind refuses a statistics release schedule to staff who may
// not publish statistics releases. Only admins hold both that permission
// and the schedule one (case editors have no access to schedules at all),
// so the message names admins.
func mayScheduleKind(c echo.Context, kind string) error {
	if kind == followup.KindStatsRelease && !currentUser(c).Role.Can(auth.PermPublishStats) {
		return echo.NewHTTPError(http.StatusForbidden, "statistics release schedules are for admins only: they need both the schedule and the publish-releases permissions")
	}
	return nil
}

// schedulePage is GET /admin/schedule: the agenda across campaigns;
// ?edit=ID fills the form with that schedule, to change it.
func (s *Server) schedulePage(c echo.Context) error {
	if id, _ := strconv.ParseInt(c.QueryParam("edit"), 10, 64); id > 0 {
		sc, err := s.deps.Store.ScheduleByID(c.Request().Context(), id)
		if err != nil {
			return err
		}
		in := followup.Input{Kind: sc.Kind, Cron: sc.Cron, TimeZone: sc.TimeZone, Params: followup.ParseParams(sc.Params)}
		if sc.CampaignID != nil {
			in.CampaignID = *sc.CampaignID
		}
		rec := followup.RecurrenceOf(sc.Cron, in.Params.Once, zoneOf(sc.TimeZone), s.deps.Now())
		return s.renderSchedule(c, http.StatusOK, in, rec, nil, nil, id)
	}
	return s.renderSchedule(c, http.StatusOK, followup.Input{}, followup.Recurrence{}, nil, nil, 0)
}

func (s *Server) campaignExists(ctx context.Context) func(int64) bool {
	return func(id int64) bool {
		_, err := s.deps.Store.Campaign(ctx, id)
		return err == nil
	}
}

// zoneOf is the schedule's zone, the default for an empty or unknown name
// (the validation names the unknown one).
func zoneOf(tz string) *time.Location {
	if strings.TrimSpace(tz) == "" {
		tz = followup.DefaultTimeZone
	}
	loc, err := time.LoadLocation(strings.TrimSpace(tz))
	if err != nil {
		return time.UTC
	}
	return loc
}

// formInput reads the schedule form: the plain choice of when ("every
// Monday at 9:00") becomes the cron expression; "Advanced" (or a form
// without the choice) takes the cron field as typed. Problems with the
// plain choice come back by field.
func (s *Server) formInput(c echo.Context) (followup.Input, followup.Recurrence, followup.FieldErrors) {
	in := followup.Input{Kind: c.FormValue("kind"), Cron: c.FormValue("cron"), TimeZone: c.FormValue("time_zone")}
	in.CampaignID, _ = strconv.ParseInt(c.FormValue("campaign_id"), 10, 64)
	if v := strings.TrimSpace(c.FormValue("per_office")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			n = -1
		}
		in.Params.PerOffice = n
	}
	for _, a := range strings.Split(c.FormValue("to"), ",") {
		if a = strings.TrimSpace(a); a != "" {
			in.Params.To = append(in.Params.To, a)
		}
	}
	in.Params.UntilClose = c.FormValue("until_close") != ""
	rec := followup.Recurrence{Repeat: c.FormValue("repeat"), At: c.FormValue("at"), Date: c.FormValue("date"), Expr: in.Cron}
	rec.Day, _ = strconv.Atoi(strings.TrimSpace(c.FormValue("day")))
	wd, err := strconv.Atoi(c.FormValue("weekday"))
	if err != nil {
		wd = -1
	}
	rec.Weekday = time.Weekday(wd)
	expr, once, fe := rec.Cron(s.deps.Now(), zoneOf(in.TimeZone))
	if fe == nil {
		in.Cron, in.Params.Once = expr, once
	}
	return in, rec, fe
}

// mergeErrors puts the plain choice's problems over the validation's: a
// refused choice leaves no cron expression, which is not the person's
// mistake to read about.
func mergeErrors(err error, plain followup.FieldErrors) error {
	if plain == nil {
		return err
	}
	var fe followup.FieldErrors
	if !errors.As(err, &fe) {
		if err != nil {
			return err
		}
		fe = followup.FieldErrors{}
	}
	delete(fe, "cron")
	for k, v := range plain {
		fe[k] = v
	}
	return fe
}

// scheduleCreate is POST /admin/schedule; with preview=1 it only shows
// the next five runs.
func (s *Server) scheduleCreate(c echo.Context) error {
	ctx := c.Request().Context()
	in, rec, plain := s.formInput(c)
	if err := mayScheduleKind(c, in.Kind); err != nil {
		return err
	}
	v, err := followup.Validate(in, s.deps.Now(), s.campaignExists(ctx))
	err = mergeErrors(err, plain)
	var fe followup.FieldErrors
	if errors.As(err, &fe) {
		return s.renderSchedule(c, http.StatusUnprocessableEntity, in, rec, fe, nil, 0)
	} else if err != nil {
		return err
	}
	if c.FormValue("preview") != "" {
		return s.renderSchedule(c, http.StatusOK, in, rec, nil, s.nextRuns(v, in), 0)
	}
	if _, err := s.saveSchedule(c, in, v); err != nil {
		return err
	}
	flash(c, "Schedule saved: "+followup.Sentence(v.Spec.Expr, in.Params)+". Next run: "+v.Spec.Plain(v.NextRunAt)+".")
	return c.Redirect(http.StatusSeeOther, "/admin/schedule")
}

// scheduleUpdate is POST /admin/schedule/:id: a schedule's new cron
// expression, time zone and settings (its kind and campaign stay);
// preview=1 only shows the next five runs.
func (s *Server) scheduleUpdate(c echo.Context) error {
	ctx := c.Request().Context()
	sc, err := s.scheduleToChange(c)
	if err != nil {
		return err
	}
	in, rec, plain := s.formInput(c)
	in.Kind, in.CampaignID = sc.Kind, 0
	if sc.CampaignID != nil {
		in.CampaignID = *sc.CampaignID
	}
	in.Enabled = &sc.Enabled
	v, err := followup.Validate(in, s.deps.Now(), s.campaignExists(ctx))
	err = mergeErrors(err, plain)
	var fe followup.FieldErrors
	if errors.As(err, &fe) {
		return s.renderSchedule(c, http.StatusUnprocessableEntity, in, rec, fe, nil, sc.ID)
	} else if err != nil {
		return err
	}
	if c.FormValue("preview") != "" {
		return s.renderSchedule(c, http.StatusOK, in, rec, nil, s.nextRuns(v, in), sc.ID)
	}
	if err := s.updateSchedule(c, sc, in, v); err != nil {
		return err
	}
	flash(c, "Schedule changed: "+followup.Sentence(v.Spec.Expr, in.Params)+". Next run: "+v.Spec.Plain(v.NextRunAt)+".")
	return c.Redirect(http.StatusSeeOther, "/admin/schedule")
}

func (s *Server) updateSchedule(c echo.Context, sc store.Schedule, in followup.Input, v followup.Validated) error {
	sc.Cron, sc.TimeZone, sc.Params, sc.NextRunAt, sc.Enabled = v.Spec.Expr, v.Spec.Zone.String(), v.Params, v.NextRunAt, v.Enabled
	return s.deps.Store.UpdateSchedule(c.Request().Context(), sc,
		store.Audit{ActorID: currentUser(c).ID, Action: "schedule.update", Detail: in.Kind + " " + v.Spec.Expr + " " + v.Spec.Zone.String()})
}

func (s *Server) saveSchedule(c echo.Context, in followup.Input, v followup.Validated) (store.Schedule, error) {
	return s.deps.Store.CreateSchedule(c.Request().Context(), store.Schedule{CampaignID: v.CampaignID, Kind: in.Kind, Cron: v.Spec.Expr,
		TimeZone: v.Spec.Zone.String(), Params: v.Params, NextRunAt: v.NextRunAt, Enabled: v.Enabled},
		store.Audit{ActorID: currentUser(c).ID, Action: "schedule.create", Detail: in.Kind + " " + v.Spec.Expr + " " + v.Spec.Zone.String()})
}

// nextRuns are the next three runs of a schedule being written (one for
// a one-off).
func (s *Server) nextRuns(v followup.Validated, in followup.Input) []string {
	if in.Params.Once {
		return []string{v.Spec.Plain(v.NextRunAt)}
	}
	return v.Spec.Describe(s.deps.Now(), 3)
}

// pathID is the :id parameter of the route.
func pathID(c echo.Context) (int64, error) { return paramID(c, "id") }

// scheduleToggle is POST /admin/schedule/:id/toggle: enable or disable.
// Enabling computes the next run from now (no catch-up of the time off).
func (s *Server) scheduleToggle(c echo.Context) error {
	ctx := c.Request().Context()
	sc, err := s.scheduleToChange(c)
	if err != nil {
		return err
	}
	sc.Enabled = !sc.Enabled
	if sc.Enabled {
		sp, err := followup.ParseSpec(sc.Cron, sc.TimeZone)
		if err != nil {
			return echo.NewHTTPError(http.StatusUnprocessableEntity, err.Error())
		}
		sc.NextRunAt = sp.Next(s.deps.Now())
	}
	action := "schedule.disable"
	if sc.Enabled {
		action = "schedule.enable"
	}
	if err := s.deps.Store.UpdateSchedule(ctx, sc, store.Audit{ActorID: currentUser(c).ID, Action: action}); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/schedule")
}

// scheduleDelete is POST /admin/schedule/:id/delete.
func (s *Server) scheduleDelete(c echo.Context) error {
	sc, err := s.scheduleToChange(c)
	if err != nil {
		return err
	}
	lost := []string{"The schedule stops: its next run (" + sc.NextRunAt.UTC().Format("2 January 2006 15:04 UTC") + ") and every later one will not happen.",
		"Runs already under way finish. Deleting cannot be undone: to pause it instead, edit it and turn it off."}
	if ok, err := s.confirmed(c, confirmView{Title: "Delete this " + sc.Kind + " schedule?", Action: "/admin/schedule/" + strconv.FormatInt(sc.ID, 10) + "/delete",
		Lost: lost, Button: "Delete the schedule", Cancel: "/admin/schedule"}); !ok {
		return err
	}
	if err := s.deps.Store.DeleteSchedule(c.Request().Context(), sc.ID, store.Audit{ActorID: currentUser(c).ID, Action: "schedule.delete"}); err != nil {
		return err
	}
	flash(c, "Schedule deleted.")
	return c.Redirect(http.StatusSeeOther, "/admin/schedule")
}

// --- JSON API ---

type apiScheduleItem struct {
	ID         int64           `json:"id"`
	CampaignID *int64          `json:"campaign_id"`
	Campaign   string          `json:"campaign,omitempty"`
	Kind       string          `json:"kind"`
	Cron       string          `json:"cron"`
	When       string          `json:"when"`
	TimeZone   string          `json:"time_zone"`
	Params     json.RawMessage `json:"params"`
	Enabled    bool            `json:"enabled"`
	NextRunAt  string          `json:"next_run_at"`
	LastRunAt  *string         `json:"last_run_at"`
	NextRuns   []string        `json:"next_runs"`
}

func apiItem(it scheduleItem) apiScheduleItem {
	a := apiScheduleItem{ID: it.ID, CampaignID: it.CampaignID, Campaign: it.Campaign, Kind: it.Kind, Cron: it.Cron, When: followup.Sentence(it.Cron, followup.ParseParams(it.Params)), TimeZone: it.TimeZone,
		Params: json.RawMessage(it.Params), Enabled: it.Enabled, NextRunAt: it.NextRunAt.UTC().Format(time.RFC3339), NextRuns: it.Next}
	if !json.Valid(a.Params) {
		a.Params = json.RawMessage("{}")
	}
	if it.LastRunAt != nil {
		t := it.LastRunAt.UTC().Format(time.RFC3339)
		a.LastRunAt = &t
	}
	if a.NextRuns == nil {
		a.NextRuns = []string{}
	}
	return a
}

// apiSchedule is GET /api/v1/schedule: every schedule, next first.
func (s *Server) apiSchedule(c echo.Context) error {
	items, _, err := s.scheduleItems(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]apiScheduleItem, 0, len(items))
	for _, it := range items {
		out = append(out, apiItem(it))
	}
	return c.JSON(http.StatusOK, map[string]any{"schedules": out})
}

func invalid(c echo.Context, fe followup.FieldErrors) error {
	return refuseAPI(c, fe.Error(), fieldErrorsOf(fe), map[string]any{"fields": map[string]string(fe)})
}

// apiScheduleCreate is POST /api/v1/schedule.
func (s *Server) apiScheduleCreate(c echo.Context) error {
	var in followup.Input
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "the body must be a JSON schedule: {\"kind\", \"cron\", \"time_zone\", \"campaign_id\", \"params\"}")
	}
	if err := mayScheduleKind(c, in.Kind); err != nil {
		return err
	}
	v, err := followup.Validate(in, s.deps.Now(), s.campaignExists(c.Request().Context()))
	var fe followup.FieldErrors
	if errors.As(err, &fe) {
		return invalid(c, fe)
	} else if err != nil {
		return err
	}
	sc, err := s.saveSchedule(c, in, v)
	if err != nil {
		return err
	}
	it := scheduleItem{Schedule: sc, Next: v.Spec.Describe(s.deps.Now(), 5)}
	return c.JSON(http.StatusCreated, apiItem(it))
}

// scheduleToChange loads the schedule named in the path and checks the
// role against its kind.
func (s *Server) scheduleToChange(c echo.Context) (store.Schedule, error) {
	id, err := pathID(c)
	if err != nil {
		return store.Schedule{}, err
	}
	sc, err := s.deps.Store.ScheduleByID(c.Request().Context(), id)
	if err != nil {
		return store.Schedule{}, err
	}
	return sc, mayScheduleKind(c, sc.Kind)
}

// apiScheduleUpdate is PUT /api/v1/schedule/:id: a new cron expression,
// time zone, params and enabled flag (kind and campaign_id, if sent, must
// be the schedule's own).
func (s *Server) apiScheduleUpdate(c echo.Context) error {
	ctx := c.Request().Context()
	sc, err := s.scheduleToChange(c)
	if err != nil {
		return err
	}
	var in followup.Input
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "the body must be a JSON schedule: {\"cron\", \"time_zone\", \"params\", \"enabled\"}")
	}
	cid := int64(0)
	if sc.CampaignID != nil {
		cid = *sc.CampaignID
	}
	if (in.Kind != "" && in.Kind != sc.Kind) || (in.CampaignID != 0 && in.CampaignID != cid) {
		return invalid(c, followup.FieldErrors{"kind": "a schedule's kind and campaign cannot change: delete it and create another"})
	}
	in.Kind, in.CampaignID = sc.Kind, cid
	if in.Enabled == nil {
		in.Enabled = &sc.Enabled
	}
	v, err := followup.Validate(in, s.deps.Now(), s.campaignExists(ctx))
	var fe followup.FieldErrors
	if errors.As(err, &fe) {
		return invalid(c, fe)
	} else if err != nil {
		return err
	}
	if err := s.updateSchedule(c, sc, in, v); err != nil {
		return err
	}
	sc, err = s.deps.Store.ScheduleByID(ctx, sc.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, apiItem(scheduleItem{Schedule: sc, Next: v.Spec.Describe(s.deps.Now(), 5)}))
}

// apiScheduleDelete is DELETE /api/v1/schedule/:id.
func (s *Server) apiScheduleDelete(c echo.Context) error {
	sc, err := s.scheduleToChange(c)
	if err != nil {
		return err
	}
	if err := s.deps.Store.DeleteSchedule(c.Request().Context(), sc.ID, store.Audit{ActorID: currentUser(c).ID, Action: "schedule.delete"}); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// apiScheduleNext is GET /api/v1/schedule/next?cron=&time_zone=: checks
// an expression and lists its next five runs in plain words.
func (s *Server) apiScheduleNext(c echo.Context) error {
	sp, err := followup.ParseSpec(c.QueryParam("cron"), c.QueryParam("time_zone"))
	if err != nil {
		return refuseAPI(c, err.Error(), []apiFieldError{{Field: specField(err), Message: err.Error()}}, nil)
	}
	now := s.deps.Now()
	var at []string
	for _, t := range sp.NextRuns(now, 5) {
		at = append(at, t.Format(time.RFC3339))
	}
	return c.JSON(http.StatusOK, map[string]any{"cron": sp.Expr, "time_zone": sp.Zone.String(), "next_runs": sp.Describe(now, 5), "next_run_times": at})
}
