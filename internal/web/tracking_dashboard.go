package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/tracking"
)

type campaignOpt struct {
	ID       int64
	Title    string
	Selected bool
	Public   bool
	Slug     string
}

type sortLink struct {
	Label, URL, Aria string
	Current          bool
}

// bar is one bar of an inline SVG chart (coordinates in the viewBox).
type bar struct {
	X, Y, W, H   float64
	LX, LY       float64
	VY           float64 // where the bar's value is written, above it
	Label, Value string
	Anchor       string // text-anchor of the label
}

type barChart struct {
	ID, Title, Desc string
	W, H            int
	Bars            []bar
	Axis            float64
}

type curveChart struct {
	ID, Title, Desc string
	W, H            int
	Points          string
	Ticks           []bar // X labels (days) and Y labels (shares)
	Empty           bool
}

// groupRows is one grouping's rows in the dashboard's table of groupings.
type groupRows struct {
	Title string
	Rows  []rateRow
}

type dashView struct {
	F           dashFilters
	Campaigns   []campaignOpt
	Headline    rateRow
	Offices     []rateRow
	ByMonth     []rateRow
	Groups      []groupRows // the groupings marked Dashboard, in their order
	GroupsTitle string      // "By party, chamber and channel"
	ReplyChart  barChart
	TimeChart   curveChart
	TimeTable   []bar
	SortLinks   []sortLink
	Refreshed   string
	// RefreshedAt is when the rollups this view was computed from were
	// rebuilt; Age says it at each request ("updated 42 seconds ago").
	RefreshedAt time.Time
	Age         string
	// Back is this view's address, where "Refresh now" returns.
	Back         string
	CanEdit      bool
	CanExportPII bool
	Public       *campaignOpt
	Parties      []string
	Exports      []sortLink // CSV links with the filters
	PIIExport    string
}

// dashboard is GET /admin/dashboard: headline figures, charts, the offices
// sortable by responsiveness, filters; all from the rollups.
func (t *tracker) dashboard(c echo.Context) error {
	f, err := parseFilters(c)
	if err != nil {
		return err
	}
	u := currentUser(c)
	v, err := t.views.Load(c.Request().Context(), t.stamp(c.Request().Context())+f.values(true).Encode(), func(context.Context) (dashView, error) {
		return t.computeDashboard(c, f)
	})
	if err != nil {
		return err
	}
	// v is a copy: the per-user flags below do not reach the cache
	v.CanEdit, v.CanExportPII = u.Role.Can(auth.PermEditCampaigns), u.Role.Can(auth.PermExportPII)
	v.Age = ago(time.Since(v.RefreshedAt), v.RefreshedAt.IsZero())
	v.Back = "/admin/dashboard"
	if q := f.values(true).Encode(); q != "" {
		v.Back += "?" + q
	}
	return t.s.render(c, http.StatusOK, "dashboard", v, false)
}

// computeDashboard reads everything a dashboard view shows (from the
// rollups, never the letters); the result is kept metricsTTL.
func (t *tracker) computeDashboard(c echo.Context, f dashFilters) (dashView, error) {
	ctx := c.Request().Context()
	v := dashView{F: f, Parties: []string{"Democrat", "Republican", "Independent"}}
	for _, g := range tracking.Groupings {
		q := f.values(false)
		q.Set("table", g.Name)
		v.Exports = append(v.Exports, sortLink{Label: "By " + g.Name, URL: "/admin/dashboard/export?" + q.Encode()})
	}
	lq := url.Values{"table": {"letters"}}
	if f.Campaign != 0 {
		lq.Set("campaign", strconv.FormatInt(f.Campaign, 10))
	}
	v.Exports = append(v.Exports, sortLink{Label: "Letters with status and response (no personal data)", URL: "/admin/dashboard/export?" + lq.Encode()})
	lq.Set("pii", "1")
	v.PIIExport = "/admin/dashboard/export?" + lq.Encode()
	st, err := t.store()
	if err != nil {
		return v, err
	}
	camps, err := t.s.deps.Store.Campaigns(ctx)
	if err != nil {
		return v, err
	}
	pub, err := st.PublicCampaigns(ctx)
	if err != nil {
		return v, err
	}
	for _, cp := range camps {
		o := campaignOpt{ID: cp.ID, Title: cp.Title, Selected: cp.ID == f.Campaign, Public: pub[cp.ID], Slug: cp.Slug}
		v.Campaigns = append(v.Campaigns, o)
		if o.Selected {
			oo := o
			v.Public = &oo
		}
	}
	get := func(g tracking.Grouping, offices []store.MetricGroup) ([]rateRow, error) {
		// offices carry chamber, party and state: groupings derived from
		// them are added up here instead of asked of the database again
		if g.Derived() {
			return t.rows(g.FromOffices(t.s.deps.Congress, offices), g.Name), nil
		}
		gs, err := t.metrics(ctx, f.query(g.Name))
		if err != nil {
			return nil, err
		}
		return t.rows(gs, g.Name), nil
	}
	og, err := t.metrics(ctx, f.query("office"))
	if err != nil {
		return v, err
	}
	v.Offices = t.rows(og, "office")
	sortRows(v.Offices, f.Sort, f.Dir)
	v.Headline = rateRow{Label: "All letters", curve: tracking.KaplanMeier(nil)}
	if tot, _ := get(tracking.Total, og); len(tot) > 0 {
		v.Headline = tot[0]
	}
	var titles []string
	for _, g := range tracking.Groupings {
		if !g.Dashboard {
			continue
		}
		if g.Name == "committee" { // a campaign's own committees when it names some
			if g, err = t.committeeGrouping(ctx, f.Campaign); err != nil {
				return v, err
			}
		}
		rows, err := get(g, og)
		if err != nil {
			return v, err
		}
		v.Groups = append(v.Groups, groupRows{Title: g.Title, Rows: rows})
		titles = append(titles, strings.ToLower(g.Title))
	}
	v.GroupsTitle = "By " + andList(titles)
	month, _ := tracking.Lookup("month")
	if v.ByMonth, err = get(month, og); err != nil {
		return v, err
	}
	v.ReplyChart = replyChart(v.ByMonth)
	v.TimeChart, v.TimeTable = timeChart(v.Headline)
	for _, s := range []struct{ key, label string }{{"office", "Office"}, {"delivered", "Delivered"}, {"failure", "Failure rate"},
		{"reply_rate", "Reply rate"}, {"substantive", "Substantive"}, {"median", "Median days"}, {"p90", "90th pct days"}} {
		q := f.values(false)
		cur := f.Sort == s.key || (f.Sort == "" && s.key == "reply_rate")
		dir := "desc"
		if s.key == "office" || s.key == "median" || s.key == "p90" {
			dir = "asc"
		}
		if cur && (f.Dir == dir || (f.Dir == "" && dir == "desc")) {
			dir = map[string]string{"asc": "desc", "desc": "asc"}[dir]
		}
		q.Set("sort", s.key)
		q.Set("dir", dir)
		v.SortLinks = append(v.SortLinks, sortLink{Label: s.label, URL: "/admin/dashboard?" + q.Encode(), Current: cur,
			Aria: "Sort by " + s.label + " (" + dir + "ending)"})
	}
	if at, err := st.RollupsUpdatedAt(ctx); err == nil && !at.IsZero() {
		v.Refreshed = at.UTC().Format("2006-01-02 15:04 UTC")
		v.RefreshedAt = at
	}
	return v, nil
}

// ago says how old the figures are: "updated 42 seconds ago".
func ago(d time.Duration, never bool) string {
	switch {
	case never:
		return "not computed yet"
	case d < 2*time.Second:
		return "updated just now"
	case d < 2*time.Minute:
		return fmt.Sprintf("updated %d seconds ago", int(d.Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("updated %d minutes ago", int(d.Minutes()))
	}
	return fmt.Sprintf("updated %d hours ago", int(d.Hours()))
}

// refreshWindow is how often "Refresh now" rebuilds the rollups at most,
// whoever asks: a full refresh reads every letter (seconds at a million).
const refreshWindow = 10 * time.Second

// refreshNow is POST /admin/dashboard/refresh: rebuild the rollups now
// (at most once every refreshWindow, whoever asks, decided under the
// refresh's lock so that requests arriving together make one refresh)
// and show the dashboard again with the same filters, saying whether the
// figures were rebuilt or how fresh they already were.
func (t *tracker) refreshNow(c echo.Context) error {
	refreshed, at, err := t.s.deps.Store.RefreshRollupsUnlessFresh(c.Request().Context(), refreshWindow)
	if err != nil {
		return err
	}
	t.forget()
	back := c.FormValue("back")
	if !strings.HasPrefix(back, "/admin/dashboard") || strings.HasPrefix(back, "//") {
		back = "/admin/dashboard"
	}
	if refreshed {
		flash(c, "Figures updated.")
	} else {
		when := "just now"
		if secs := int(time.Since(at).Seconds()); secs > 1 {
			when = fmt.Sprintf("%d seconds ago", secs)
		}
		flash(c, fmt.Sprintf("The figures were rebuilt %s; they are rebuilt at most every %d seconds.", when, int(refreshWindow.Seconds())))
	}
	return c.Redirect(http.StatusSeeOther, back)
}

// smallBasis is below how many letters a rate is shown with a caveat: a
// "100%" from one letter says so.
const smallBasis = 10

// Caveat warns when a rate rests on few letters: "from 1 letter".
func (r rateRow) Caveat(which string) string {
	n := r.Delivered
	if which == "failure" {
		n = r.Letters
	}
	if n <= 0 || n >= smallBasis {
		return ""
	}
	if n == 1 {
		return "from 1 letter only"
	}
	return fmt.Sprintf("from only %d letters", n)
}

// andList joins words as English does: "a, b and c".
func andList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

func pct(p *float64) string {
	if p == nil {
		return "n/a"
	}
	return strconv.FormatFloat(*p*100, 'f', 1, 64) + "%"
}

func days(p *int) string {
	if p == nil {
		return "n/a"
	}
	return strconv.Itoa(*p)
}

// Pct and Days format for templates.
func (r rateRow) Pct(which string) string {
	switch which {
	case "failure":
		return pct(r.FailureRate)
	case "substantive":
		return pct(r.SubstantiveRate)
	}
	return pct(r.ReplyRate)
}

// CallsText is a group's reported calls for a table cell: "12: 5 staff,
// 4 voicemail, 2 busy or full, 1 skipped", or "0".
func (r rateRow) CallsText() string {
	k := r.Calls
	if k.Total == 0 {
		return "0"
	}
	return fmt.Sprintf("%d: %d staff, %d voicemail, %d busy or full, %d skipped", k.Total, k.Reached, k.Voicemail, k.Busy, k.Skipped)
}

// ConfirmedText is a group's confirmation rate for a table cell ("80%
// of 10"), or "n/a" for groups of offices (submissions are not per
// office).
func (r rateRow) ConfirmedText() string {
	if r.Submissions == nil {
		return "n/a"
	}
	if r.ConfirmationRate == nil {
		return "0 submitted"
	}
	return fmt.Sprintf("%.0f%% of %d", *r.ConfirmationRate*100, *r.Submissions)
}

func (r rateRow) Median() string { return days(r.MedianDays) }
func (r rateRow) P90() string    { return days(r.P90Days) }

// replyChart draws reply rate per month of delivery as bars.
func replyChart(rows []rateRow) barChart {
	ch := barChart{ID: "reply-rate", Title: "Reply rate by month of delivery", W: 640, H: 240, Axis: 200}
	ch.Desc = "Bar chart: share of delivered letters with a reply, per month of delivery. The same figures are in the table below."
	n := len(rows)
	if n == 0 {
		ch.Desc = "No delivered letters match the filters."
		return ch
	}
	slot := 600.0 / float64(n)
	for i, r := range rows {
		share := 0.0
		if r.ReplyRate != nil {
			share = *r.ReplyRate
		}
		h := share * 180
		x := 30 + float64(i)*slot
		val := pct(r.ReplyRate)
		if r.Delivered > 0 && r.Delivered < smallBasis {
			val += " (n=" + strconv.FormatInt(r.Delivered, 10) + ")" // a small basis shows on the bar
		}
		ch.Bars = append(ch.Bars, bar{X: x + slot*0.15, Y: 200 - h, W: slot * 0.7, H: h, LX: x + slot/2, LY: 220, VY: 200 - h - 6,
			Label: r.Key, Value: val})
	}
	return ch
}

// timeChart draws the Kaplan-Meier share of letters answered by day.
func timeChart(r rateRow) (curveChart, []bar) {
	ch := curveChart{ID: "time-to-reply", Title: "Share of letters answered, by days since delivery", W: 640, H: 240}
	ch.Desc = fmt.Sprintf("Step chart of the Kaplan-Meier estimate over %d delivered letters, %d still waiting (censored). Median %s days, 90th percentile %s days.",
		r.TimeLetters, r.Waiting, r.Median(), r.P90())
	steps := r.curve.Steps
	if len(steps) == 0 {
		ch.Empty = true
		return ch, nil
	}
	maxDay := steps[len(steps)-1].Day
	if maxDay < 1 {
		maxDay = 1
	}
	x := func(d int) float64 { return 40 + float64(d)/float64(maxDay)*580 }
	y := func(share float64) float64 { return 200 - share*180 }
	pts := fmt.Sprintf("%.1f,%.1f", x(0), y(0))
	prev := 0.0
	var table []bar
	for _, s := range steps {
		share := 1 - s.Survival
		pts += fmt.Sprintf(" %.1f,%.1f %.1f,%.1f", x(s.Day), y(prev), x(s.Day), y(share))
		prev = share
		if s.Events > 0 {
			table = append(table, bar{Label: strconv.Itoa(s.Day), Value: strconv.FormatFloat(share*100, 'f', 1, 64) + "%",
				X: float64(s.AtRisk), W: float64(s.Events)})
		}
	}
	ch.Points = pts
	for _, frac := range []float64{0, 0.5, 1} {
		ch.Ticks = append(ch.Ticks, bar{LX: 34, LY: y(frac) + 4, Label: strconv.Itoa(int(frac*100)) + "%", Anchor: "end"})
	}
	for _, d := range []int{0, maxDay / 2, maxDay} {
		ch.Ticks = append(ch.Ticks, bar{LX: x(d), LY: 220, Label: strconv.Itoa(d) + "d", Anchor: "middle"})
	}
	if len(table) > 60 {
		table = table[:60]
	}
	return ch, table
}

// togglePublic is POST /admin/dashboard/public: a campaign's opt-in to the
// public responsiveness page.
func (t *tracker) togglePublic(c echo.Context) error {
	id, err := strconv.ParseInt(c.FormValue("campaign"), 10, 64)
	if err != nil || id <= 0 {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "choose a campaign")
	}
	on := c.FormValue("public") == "1"
	st, err := t.store()
	if err != nil {
		return err
	}
	if err := st.SetPublicResponsiveness(c.Request().Context(), id, on, audit(c, "tracking.public", "campaign", strconv.FormatInt(id, 10))); err != nil {
		return err
	}
	t.forget()
	if on {
		flash(c, "The campaign's responsiveness page is public.")
	} else {
		flash(c, "The campaign's responsiveness page is off.")
	}
	return c.Redirect(http.StatusSeeOther, "/admin/dashboard?campaign="+strconv.FormatInt(id, 10))
}

// exportCSV is GET /admin/dashboard/export?table=...: any table of the
// dashboard, or table=letters (status and response of each letter). With
// pii=1, admins (PermExportPII) also get each letter's constituent, opened
// from its sealed copy; every such export is in the audit log.
func (t *tracker) exportCSV(c echo.Context) error {
	f, err := parseFilters(c)
	if err != nil {
		return err
	}
	table := c.QueryParam("table")
	if table == "" {
		table = "office"
	}
	pii := c.QueryParam("pii") == "1"
	if pii && (table != "letters" || !currentUser(c).Role.Can(auth.PermExportPII)) {
		if table != "letters" {
			return echo.NewHTTPError(http.StatusBadRequest, "personal data is only in the letters export")
		}
		return errForbidden
	}
	ctx := c.Request().Context()
	h := c.Response().Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="responses-%s-%s.csv"`, table, time.Now().UTC().Format("20060102")))
	if table != "letters" {
		if _, ok := tracking.Lookup(table); !ok || table == "" {
			return echo.NewHTTPError(http.StatusBadRequest, "table must be "+tracking.Names("letters"))
		}
		gs, err := t.metrics(ctx, f.query(table))
		if err != nil {
			return err
		}
		rows := t.rows(gs, table)
		sortRows(rows, f.Sort, f.Dir)
		c.Response().WriteHeader(http.StatusOK)
		w := csv.NewWriter(c.Response())
		head := []string{table, "label", "letters", "delivered", "failed", "replied", "substantive", "failure_rate", "reply_rate",
			"substantive_rate", "median_days_to_reply", "p90_days_to_reply", "time_to_reply_letters", "waiting",
			"calls_reached", "calls_voicemail", "calls_busy", "calls_skipped", "calls_total"}
		bySource := table == "source" // submissions are counted by source only
		if bySource {
			head = append(head, "submissions", "confirmed", "confirmation_rate")
		}
		_ = w.Write(head)
		opt := func(p *int64) string {
			if p == nil {
				return ""
			}
			return i64(*p)
		}
		for _, r := range rows {
			row := []string{csvSafe(r.Key), csvSafe(r.Label), i64(r.Letters), i64(r.Delivered), i64(r.Failed), i64(r.Replied), i64(r.Substantive),
				fnum(r.FailureRate), fnum(r.ReplyRate), fnum(r.SubstantiveRate), inum(r.MedianDays), inum(r.P90Days),
				strconv.Itoa(r.TimeLetters), strconv.Itoa(r.Waiting),
				i64(r.Calls.Reached), i64(r.Calls.Voicemail), i64(r.Calls.Busy), i64(r.Calls.Skipped), i64(r.Calls.Total)}
			if bySource {
				row = append(row, opt(r.Submissions), opt(r.Confirmed), fnum(r.ConfirmationRate))
			}
			_ = w.Write(row)
		}
		w.Flush()
		return w.Error()
	}
	st, err := t.store()
	if err != nil {
		return err
	}
	if pii {
		if t.s.deps.Keys == nil {
			return echo.NewHTTPError(http.StatusServiceUnavailable, "the seal keys are not configured")
		}
		a := audit(c, "export.pii", "letters", strconv.FormatInt(f.Campaign, 10))
		a.Detail = "letters CSV with constituents"
		if err := t.s.deps.Store.WriteAudit(ctx, a); err != nil {
			return err
		}
	}
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	head := []string{"letter_id", "campaign_id", "bioguide_id", "office_code", "chamber", "state", "party", "channel", "status", "sent_at",
		"delivered_at", "response_source", "response_kind", "response_substance", "survey_answer", "response_at", "response_note", "letter_kind", "followup_of",
		"source", "utm_source", "utm_medium", "utm_campaign"}
	if pii {
		head = append(head, "first_name", "last_name", "email", "address1", "address2", "city", "constituent_state", "zip", "phone")
	}
	_ = w.Write(head)
	n := 0
	err = st.ExportLetters(ctx, f.Campaign, pii, func(e store.LetterExport) error {
		row := []string{i64(e.ID), i64(e.CampaignID), e.BioguideID, e.OfficeCode, e.Chamber, e.State, e.Party, e.Channel, e.Status,
			tstr(e.SentAt), tstr(e.DeliveredAt), "", "", "", "", "", "", e.Kind, "", e.Source, e.UTMSource, e.UTMMedium, e.UTMCampaign}
		if r := e.Response; r != nil {
			row[11], row[12], row[13], row[14], row[15], row[16] = r.Source, r.Kind, r.Substance, r.Answer, r.OccurredAt.UTC().Format(time.RFC3339), csvSafe(r.Note)
		}
		if e.FollowupOf != nil {
			row[18] = i64(*e.FollowupOf)
		}
		if pii {
			var sl delivery.Sealed
			if err := t.s.deps.Keys.OpenJSON(e.Sealed, delivery.LetterAAD(e.ID), &sl); err == nil {
				p := sl.From
				row = append(row, csvSafe(p.FirstName), csvSafe(p.LastName), csvSafe(p.Email), csvSafe(p.Address1), csvSafe(p.Address2),
					csvSafe(p.City), p.State, p.ZIP, p.Phone)
			} else {
				row = append(row, "", "", "", "", "", "", "", "", "") // erased or unreadable
			}
		}
		n++
		if n%1000 == 0 {
			w.Flush()
		}
		return w.Write(row)
	})
	w.Flush()
	if err != nil {
		t.s.log.Warn("letters export cut short", "err", err)
	}
	return nil
}

// csvSafe keeps spreadsheet programs from running a cell as a formula.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}

func i64(n int64) string { return strconv.FormatInt(n, 10) }

func fnum(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', 4, 64)
}

func inum(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}

func tstr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// publicRow is one office on the public page.
type publicRow struct {
	Label, Rate, Median string
	Delivered           int64
}

// publicPage is GET /c/:slug/responsiveness: reply rates and median days
// per office, only for campaigns that opted in; no supporter data.
func (t *tracker) publicPage(c echo.Context) error {
	st, err := t.store()
	if err != nil {
		return echo.ErrNotFound
	}
	ctx := c.Request().Context()
	cp, err := st.CampaignBySlug(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	on, err := st.PublicResponsiveness(ctx, cp.ID)
	if err != nil {
		return err
	}
	if !on {
		return echo.ErrNotFound
	}
	gs, err := t.metrics(ctx, store.MetricsQuery{GroupBy: "office", CampaignID: cp.ID})
	if err != nil {
		return err
	}
	rows := t.rows(gs, "office")
	sortRows(rows, "reply_rate", "desc")
	lang := langOf(c)
	var out []publicRow
	for _, r := range rows {
		if r.Delivered == 0 {
			continue
		}
		m := r.Median()
		if m == "n/a" {
			m = lang.T("resp.na")
		}
		rate := r.Pct("reply")
		if rate == "n/a" {
			rate = lang.T("resp.na")
		}
		out = append(out, publicRow{Label: r.Label, Rate: rate, Median: m, Delivered: r.Delivered})
	}
	return t.s.render(c, http.StatusOK, "responsiveness", struct {
		Title, Slug string
		Rows        []publicRow
	}{cp.Title, cp.Slug, out}, false)
}
