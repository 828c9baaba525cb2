package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/casestats"
	"github.com/outreach-org/outreach/internal/i18n"
	"github.com/outreach-org/outreach/internal/store"
)

// statsView is what stats.html draws: a release's figures with their date,
// charts of the breakdowns and how the numbers are protected. The staff
// pages use it too (a release, or a preview to confirm).
type statsView struct {
	None      bool // no release yet
	ID        int64
	AsOf      string // YYYY-MM-DD
	Synthetic bool
	Params    casestats.Params
	Below     int // Params.Threshold - 1: the largest count never published
	Headlines []figView
	Percents  []figView
	Charts    []chartView
	APIURL    string

	// Staff pages only.
	Staff       bool
	Preview     bool // not yet published: confirm below
	Changed     bool // the records changed since the previous preview
	CaseCount   int64
	CreatedBy   string
	Fingerprint string
	HeldBack    []string // labels of counts held back because of earlier releases (preview)
}

// figView is one headline figure in the page's language.
type figView struct {
	Key, Label, Display string
	Suppressed          bool
}

func buildStatsView(f *casestats.Figures, lang i18n.Lang) statsView {
	v := statsView{Params: casestats.Params{Threshold: f.Threshold, Rounding: f.Rounding, MinDenominator: f.MinDenominator},
		Below: f.Threshold - 1}
	es := lang == i18n.Spanish
	pick := func(en, sp string) string {
		if es {
			return sp
		}
		return en
	}
	for _, fig := range f.Figures {
		fv := figView{Key: fig.Key, Label: pick(fig.Label, fig.LabelES), Display: pick(fig.Display, fig.DisplayES), Suppressed: fig.Suppressed}
		if fig.Type == casestats.TypePercent {
			v.Percents = append(v.Percents, fv)
		} else if fig.Key != "children_separated" { // the same number as cases
			v.Headlines = append(v.Headlines, fv)
		}
	}
	for _, t := range f.Tables {
		v.Charts = append(v.Charts, buildChart(t, lang))
	}
	return v
}

func releaseView(r store.Release, lang i18n.Lang) statsView {
	v := buildStatsView(r.Figures, lang)
	v.ID, v.AsOf, v.Synthetic = r.ID, r.CreatedAt.UTC().Format("2006-01-02"), r.Synthetic
	v.APIURL = "/api/v1/stats/releases/" + strconv.FormatInt(r.ID, 10)
	return v
}

// statsPage is the public page of the latest release.
func (h *caseHandlers) statsPage(c echo.Context) error {
	pr, err := h.cache.Latest(c.Request().Context())
	if errors.Is(err, store.ErrNotFound) {
		return h.s.render(c, http.StatusOK, "stats", statsView{None: true}, false)
	}
	if err != nil {
		return err
	}
	// The page changes only with a new release: render it once per
	// release, language and query for a few seconds.
	key := "stats|" + strconv.FormatInt(pr.Release.ID, 10) + "|" + string(langOf(c)) + "|" + c.QueryString()
	page, err := h.s.pageCache.Load(c.Request().Context(), key, func(context.Context) ([]byte, error) {
		v := releaseView(pr.Release, langOf(c))
		v.APIURL = "/api/v1/stats/latest"
		return h.s.renderBytes(c, "stats", v, false, csrfSlot)
	})
	if err != nil {
		return err
	}
	return h.s.cachedPage(c, page)
}

// statsReleasePage shows one earlier release (letters name the release
// they quote).
func (h *caseHandlers) statsReleasePage(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	pr, err := h.cache.ByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return h.s.render(c, http.StatusOK, "stats", releaseView(pr.Release, langOf(c)), false)
}

func jsonBlob(c echo.Context, b []byte) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=30")
	return c.JSONBlob(http.StatusOK, b)
}

// apiLatest answers GET /api/v1/stats/latest.
func (h *caseHandlers) apiLatest(c echo.Context) error {
	pr, err := h.cache.Latest(c.Request().Context())
	if errors.Is(err, store.ErrNotFound) {
		return apiError(c, http.StatusNotFound, "No statistics release has been published yet.")
	}
	if err != nil {
		return err
	}
	return jsonBlob(c, pr.body)
}

// apiRelease answers GET /api/v1/stats/releases/{id}.
func (h *caseHandlers) apiRelease(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	pr, err := h.cache.ByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return jsonBlob(c, pr.body)
}

// apiReleases answers GET /api/v1/stats/releases: ids, dates, the
// synthetic flag and the parameters; no counts of anything.
func (h *caseHandlers) apiReleases(c echo.Context) error {
	b, err := h.cache.List(c.Request().Context())
	if err != nil {
		return err
	}
	return jsonBlob(c, b)
}

// --- charts ---

// chartView is one breakdown as an inline SVG bar chart (role="img", with
// a title and a description that reads out every bar) and as a table.
type chartView struct {
	ID, Title, Desc string
	Withheld        bool
	Height          int
	Bars            []barView
	Total           string
	ZeroOmitted     int // rows of 0 left out (by state)
}

type barView struct {
	Label, Display     string
	Suppressed         bool
	LabelY, BarY, BarW int
	ValueX, ValueY     int
	Zero               bool
}

// Chart geometry, in viewBox units: the SVG scales to the width of the
// page, so on a phone a unit is about 0.75 CSS pixels.
const (
	chartWidth   = 480
	chartRowH    = 56
	chartBarMax  = 340
	chartBarH    = 20
	chartPadding = 8
)

func buildChart(t casestats.Table, lang i18n.Lang) chartView {
	es := lang == i18n.Spanish
	pick := func(en, sp string) string {
		if es {
			return sp
		}
		return en
	}
	cv := chartView{ID: "chart-" + strings.ReplaceAll(t.Key, "_", "-"), Title: pick(t.Label, t.LabelES), Withheld: t.Withheld}
	if t.Withheld {
		return cv
	}
	if t.Total != nil {
		cv.Total = casestats.FormatCount(*t.Total)
	} else {
		cv.Total = lang.T("stats.not_published")
	}
	maxV := 0
	for _, r := range t.Rows {
		if r.Value != nil && *r.Value > maxV {
			maxV = *r.Value
		}
	}
	var desc []string
	for _, r := range t.Rows {
		zero := r.Value != nil && *r.Value == 0
		if zero && t.Field == casestats.FieldState {
			cv.ZeroOmitted++
			continue
		}
		y := len(cv.Bars)*chartRowH + chartPadding
		b := barView{Label: pick(r.Label, r.LabelES), Display: pick(r.Display, r.DisplayES), Suppressed: r.Suppressed, Zero: zero,
			LabelY: y + 18, BarY: y + 26, ValueY: y + 42}
		if t.Field == casestats.FieldState {
			b.Label = statsStateName(r.Key, lang)
		}
		if r.Value != nil && maxV > 0 {
			b.BarW = *r.Value * chartBarMax / maxV
			if *r.Value > 0 && b.BarW < 2 {
				b.BarW = 2
			}
		}
		b.ValueX = b.BarW + 8
		if b.BarW == 0 {
			b.ValueX = 0
		}
		cv.Bars = append(cv.Bars, b)
		desc = append(desc, b.Label+": "+b.Display)
	}
	cv.Height = len(cv.Bars)*chartRowH + 2*chartPadding
	cv.Desc = strings.Join(desc, "; ") + "."
	return cv
}

// statsStateName is "Texas (TX)", or the code when the name is not known.
func statsStateName(code string, lang i18n.Lang) string {
	if _, ok := stateNames[code]; !ok {
		return code
	}
	return stateNameIn(code, lang) + " (" + code + ")"
}
