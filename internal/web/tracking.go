package web

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/tracking"
	"github.com/outreach-org/outreach/internal/ttlcache"
)

// metricsTTL is how long a computed grouping is reused: dashboards never
// read the letters table, and within this window not even the rollups.
const metricsTTL = 30 * time.Second

// tracker holds the dashboards' caches; its methods are the handlers.
type tracker struct {
	s     *Server
	cache *ttlcache.Cache[string, []store.MetricGroup] // groupings by query
	views *ttlcache.Cache[string, dashView]            // computed dashboards by filters
}

// trackingRoutes registers response tracking: dashboards and exports
// (PermViewDashboards; personal data only with PermExportPII), logging and
// classifying responses (PermEditCampaigns), the SendGrid Inbound Parse
// webhook (its own secret) and the opt-in public responsiveness page.
func (s *Server) trackingRoutes(root, adm, api *echo.Group) {
	t := &tracker{s: s, cache: ttlcache.New[string, []store.MetricGroup](metricsTTL, 500, nil),
		views: ttlcache.New[string, dashView](metricsTTL, 200, nil)}
	view, edit := auth.PermViewDashboards, auth.PermEditCampaigns
	s.staff(adm, http.MethodGet, "/dashboard", view, t.dashboard)
	s.staff(adm, http.MethodPost, "/dashboard/refresh", view, t.refreshNow)
	s.staff(adm, http.MethodGet, "/dashboard/export", view, t.exportCSV)
	s.staff(adm, http.MethodPost, "/dashboard/public", edit, t.togglePublic)
	s.staff(adm, http.MethodGet, "/responses/new", edit, t.responseForm)
	s.staff(adm, http.MethodPost, "/responses", edit, t.logResponse)
	s.staff(adm, http.MethodGet, "/responses/inbox", edit, t.inbox)
	s.staff(adm, http.MethodPost, "/responses/inbox/:id", edit, t.classify)
	s.staff(api, http.MethodGet, "/metrics/response-rates", view, t.apiRates)
	s.staff(api, http.MethodPost, "/responses", edit, t.apiLogResponse)
	s.public(root, http.MethodPost, "/webhooks/sendgrid/inbound", t.inbound)
	s.public(root, http.MethodPost, "/webhooks/sendgrid/inbound/:key", t.inbound)
	s.public(root, http.MethodGet, "/c/:slug/responsiveness", t.publicPage)
}

func (t *tracker) store() (*store.Store, error) {
	if t.s.deps.Store == nil {
		return nil, errors.New("no database")
	}
	return t.s.deps.Store, nil
}

// responseInvalid turns a refused response into a 422 with the rule's sentence.
func responseInvalid(err error) error {
	var re *store.ResponseError
	if errors.As(err, &re) {
		return &inputError{Field: re.Field, Message: re.Reason}
	}
	if errors.Is(err, store.ErrInvalidResponse) {
		return &inputError{Message: strings.TrimPrefix(err.Error(), store.ErrInvalidResponse.Error()+": ")}
	}
	return err
}

// --- filters and metrics ------------------------------------------------------

var monthRe = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)

type dashFilters struct {
	Campaign int64
	Chamber  string
	Party    string
	State    string
	From, To string
	Sort     string
	Dir      string
}

func parseFilters(c echo.Context) (dashFilters, error) {
	f := dashFilters{Chamber: c.QueryParam("chamber"), Party: c.QueryParam("party"), State: strings.ToUpper(c.QueryParam("state")),
		From: c.QueryParam("from"), To: c.QueryParam("to"), Sort: c.QueryParam("sort"), Dir: c.QueryParam("dir")}
	if v := c.QueryParam("campaign"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 0 {
			return f, echo.NewHTTPError(http.StatusBadRequest, "campaign must be a campaign id")
		}
		f.Campaign = id
	}
	if f.Chamber != "" && f.Chamber != "house" && f.Chamber != "senate" {
		return f, echo.NewHTTPError(http.StatusBadRequest, "chamber must be house or senate")
	}
	if len(f.Party) > 40 || (f.State != "" && !regexp.MustCompile(`^[A-Z]{2}$`).MatchString(f.State)) {
		return f, echo.NewHTTPError(http.StatusBadRequest, "state must be a two-letter code")
	}
	for _, m := range []string{f.From, f.To} {
		if m != "" && !monthRe.MatchString(m) {
			return f, echo.NewHTTPError(http.StatusBadRequest, "from and to must be months like 2026-11")
		}
	}
	return f, nil
}

func (f dashFilters) query(group string) store.MetricsQuery {
	return store.MetricsQuery{GroupBy: group, CampaignID: f.Campaign, Chamber: f.Chamber, Party: f.Party, State: f.State,
		FromMonth: f.From, ToMonth: f.To}
}

// values is the filter part of a URL query (sort left out unless asked).
func (f dashFilters) values(withSort bool) url.Values {
	v := url.Values{}
	if f.Campaign != 0 {
		v.Set("campaign", strconv.FormatInt(f.Campaign, 10))
	}
	for k, x := range map[string]string{"chamber": f.Chamber, "party": f.Party, "state": f.State, "from": f.From, "to": f.To} {
		if x != "" {
			v.Set(k, x)
		}
	}
	if withSort {
		if f.Sort != "" {
			v.Set("sort", f.Sort)
		}
		if f.Dir != "" {
			v.Set("dir", f.Dir)
		}
	}
	return v
}

// metrics answers a grouping from the cache or the rollups (never from the
// letters table). A grouping with Keys (tracking.Grouping) is added up
// from the offices.
func (t *tracker) metrics(ctx context.Context, q store.MetricsQuery) ([]store.MetricGroup, error) {
	if g, ok := tracking.Lookup(q.GroupBy); ok && g.Keys != nil {
		q.GroupBy = "office"
		offices, err := t.metrics(ctx, q)
		if err != nil {
			return nil, err
		}
		return g.FromOffices(t.s.deps.Congress, offices), nil
	}
	return t.cache.Load(ctx, t.stamp(ctx)+fmt.Sprintf("%+v", q), func(ctx context.Context) ([]store.MetricGroup, error) {
		st, err := t.store()
		if err != nil {
			return nil, err
		}
		gs, err := st.ResponseMetrics(ctx, q)
		if err != nil {
			return nil, responseInvalid(err)
		}
		return gs, nil
	})
}

// stamp is when the rollups were last brought up to date, as a cache key
// prefix: a refresh on any process (the tick runs on the leader) makes
// every replica compute its figures again, instead of serving them up to
// metricsTTL old.
func (t *tracker) stamp(ctx context.Context) string {
	st, err := t.store()
	if err != nil {
		return ""
	}
	at, err := st.RollupsUpdatedAt(ctx)
	if err != nil {
		return ""
	}
	return at.Format(time.RFC3339Nano) + " "
}

// forget drops cached figures after a write on this replica.
func (t *tracker) forget() {
	t.cache.Clear()
	t.views.Clear()
}

// rateRow is one group's figures, as the dashboard, the CSV and the API
// show them. Undefined rates and times are nil (JSON null, "n/a").
type rateRow struct {
	Key             string   `json:"key"`
	Label           string   `json:"label"`
	Letters         int64    `json:"letters"`
	Delivered       int64    `json:"delivered"`
	Failed          int64    `json:"failed"`
	Replied         int64    `json:"replied"`
	Substantive     int64    `json:"substantive"`
	FailureRate     *float64 `json:"failure_rate"`
	ReplyRate       *float64 `json:"reply_rate"`
	SubstantiveRate *float64 `json:"substantive_rate"`
	MedianDays      *int     `json:"median_days_to_reply"`
	P90Days         *int     `json:"p90_days_to_reply"`
	TimeLetters     int      `json:"time_to_reply_letters"` // letters the time estimates rest on
	Waiting         int      `json:"waiting"`               // of which censored (no reply yet)
	// Calls are the calls supporters reported to the group's offices,
	// per outcome, with their total.
	Calls tracking.CallTally `json:"calls"`
	curve tracking.Curve
}

// ratePtr rounds a rate for showing; nil when undefined (NaN).
func ratePtr(r float64) *float64 {
	if math.IsNaN(r) {
		return nil
	}
	r = math.Round(r*10000) / 10000
	return &r
}

// rows computes each group's figures; group names the grouping (its
// labels).
func (t *tracker) rows(groups []store.MetricGroup, group string) []rateRow {
	grouping, _ := tracking.Lookup(group)
	out := make([]rateRow, 0, len(groups))
	for _, g := range groups {
		c := tracking.KaplanMeier(g.Times)
		rt := tracking.RatesOf(g)
		r := rateRow{Key: g.Key, Label: grouping.LabelOf(t.s.deps.Congress, g.Key), Letters: g.Letters, Delivered: g.Delivered, Failed: g.Failed,
			Replied: g.Replied, Substantive: g.Substantive, FailureRate: ratePtr(rt.Failure),
			ReplyRate: ratePtr(rt.Reply), SubstantiveRate: ratePtr(rt.Substantive),
			TimeLetters: c.N, Waiting: c.Censored, Calls: g.Calls, curve: c}
		if d, ok := c.Median(); ok {
			r.MedianDays = &d
		}
		if d, ok := c.Quantile(0.9); ok {
			r.P90Days = &d
		}
		out = append(out, r)
	}
	return out
}

// sortRows orders offices server-side by the sort query parameter.
func sortRows(rows []rateRow, by, dir string) {
	desc := dir != "asc"
	f := func(p *float64) float64 {
		if p == nil {
			return -1
		}
		return *p
	}
	d := func(p *int) float64 {
		if p == nil {
			return math.Inf(1)
		}
		return float64(*p)
	}
	less := func(a, b rateRow) bool {
		switch by {
		case "median":
			return d(a.MedianDays) < d(b.MedianDays)
		case "p90":
			return d(a.P90Days) < d(b.P90Days)
		case "delivered":
			return a.Delivered < b.Delivered
		case "substantive":
			return f(a.SubstantiveRate) < f(b.SubstantiveRate)
		case "failure":
			return f(a.FailureRate) < f(b.FailureRate)
		case "office":
			return a.Label < b.Label
		}
		return f(a.ReplyRate) < f(b.ReplyRate)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if desc {
			return less(rows[j], rows[i])
		}
		return less(rows[i], rows[j])
	})
}

// --- JSON API ----------------------------------------------------------------

// apiRates is GET /api/v1/metrics/response-rates?group_by=&campaign=&chamber=&party=&state=&from=&to=.
func (t *tracker) apiRates(c echo.Context) error {
	group := c.QueryParam("group_by")
	if group == "" {
		group = "office"
	}
	if _, ok := tracking.Lookup(group); !ok || group == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "group_by must be "+tracking.Names())
	}
	f, err := parseFilters(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var gs []store.MetricGroup
	if group == "committee" {
		g, err := t.committeeGrouping(ctx, f.Campaign)
		if err != nil {
			return err
		}
		offices, err := t.metrics(ctx, f.query("office"))
		if err != nil {
			return err
		}
		gs = g.FromOffices(t.s.deps.Congress, offices)
	} else if gs, err = t.metrics(ctx, f.query(group)); err != nil {
		return err
	}
	rows := t.rows(gs, group)
	if f.Sort != "" {
		sortRows(rows, f.Sort, f.Dir)
	}
	var refreshed *time.Time
	if st, err := t.store(); err == nil {
		if at, err := st.RollupsUpdatedAt(ctx); err == nil && !at.IsZero() {
			refreshed = &at
		}
	}
	return c.JSON(http.StatusOK, map[string]any{
		"group_by": group,
		"filters": map[string]any{"campaign": f.Campaign, "chamber": f.Chamber, "party": f.Party, "state": f.State,
			"from": f.From, "to": f.To},
		"rollups_refreshed_at": refreshed,
		"method":               "Kaplan-Meier: letters still waiting are censored at the rollup refresh, not counted as unanswered; time_to_reply_letters is the number of delivered letters each time figure rests on",
		"groups":               rows,
	})
}
