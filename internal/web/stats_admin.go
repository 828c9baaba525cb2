package web

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/casestats"
	"github.com/outreach-org/outreach/internal/store"
)

// Staff pages of statistics releases (PermPublishStats): the list, a
// preview of what a new release would publish, publishing it after
// confirmation, and each release with its exact number of records.

type releasesView struct {
	Releases []releaseItem
	Counts   store.CaseCounts
	Form     paramsForm
	Errors   formErrors
	Error    string
}

type releaseItem struct {
	ID                          int64
	CreatedAt, By               string
	Synthetic                   bool
	Threshold, Rounding, MinDen int
	CaseCount                   int64
}

type paramsForm struct {
	Threshold, Rounding, MinDenominator string
}

func defaultParamsForm() paramsForm {
	return paramsForm{strconv.Itoa(casestats.DefaultThreshold), strconv.Itoa(casestats.DefaultRounding), strconv.Itoa(casestats.DefaultMinDenominator)}
}

func (h *caseHandlers) releasesPage(c echo.Context) error {
	return h.renderReleases(c, http.StatusOK, releasesView{Form: defaultParamsForm()})
}

func (h *caseHandlers) renderReleases(c echo.Context, status int, v releasesView) error {
	ctx := c.Request().Context()
	st := h.s.deps.Store
	rels, err := st.Releases(ctx, 200)
	if err != nil {
		return err
	}
	emails := map[int64]string{}
	for _, r := range rels {
		if r.CreatedBy == 0 {
			continue
		}
		if _, ok := emails[r.CreatedBy]; !ok {
			if u, err := st.UserByID(ctx, r.CreatedBy); err == nil {
				emails[r.CreatedBy] = u.Email
			}
		}
	}
	for _, r := range rels {
		by := "the system (command line, schedule or demo set-up)"
		if r.CreatedBy != 0 {
			by = emails[r.CreatedBy]
			if by == "" {
				by = "#" + strconv.FormatInt(r.CreatedBy, 10)
			}
		}
		v.Releases = append(v.Releases, releaseItem{ID: r.ID, CreatedAt: r.CreatedAt.UTC().Format("2006-01-02 15:04"), By: by,
			Synthetic: r.Synthetic, Threshold: r.Params.Threshold, Rounding: r.Params.Rounding, MinDen: r.Params.MinDenominator,
			CaseCount: r.CaseCount})
	}
	if v.Counts, err = st.CountCases(ctx); err != nil {
		return err
	}
	if v.Errors == nil {
		v.Errors = formErrors{}
	}
	return h.s.render(c, status, "stats_releases", v, false)
}

// parseParams reads the disclosure parameters of the form (empty fields
// take the defaults).
func parseParams(c echo.Context) (casestats.Params, paramsForm, formErrors) {
	f := paramsForm{Threshold: strings.TrimSpace(c.FormValue("threshold")), Rounding: strings.TrimSpace(c.FormValue("rounding")),
		MinDenominator: strings.TrimSpace(c.FormValue("min_denominator"))}
	errs := formErrors{}
	num := func(name, v string, def int) int {
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			errs[name] = "Enter a whole number."
		}
		return n
	}
	p := casestats.Params{
		Threshold:      num("threshold", f.Threshold, casestats.DefaultThreshold),
		Rounding:       num("rounding", f.Rounding, casestats.DefaultRounding),
		MinDenominator: num("min_denominator", f.MinDenominator, casestats.DefaultMinDenominator),
	}
	if len(errs) == 0 {
		switch {
		case p.Threshold < casestats.DefaultThreshold || p.Threshold > casestats.MaxThreshold:
			errs["threshold"] = "The threshold must be from 11 to " + strconv.Itoa(casestats.MaxThreshold) + "."
		case p.Rounding < 1 || p.Rounding > casestats.MaxRounding:
			errs["rounding"] = "Rounding must be from 1 (no rounding) to " + strconv.Itoa(casestats.MaxRounding) + "."
		case p.MinDenominator < casestats.DefaultMinDenominator || p.MinDenominator > casestats.MaxMinDenominator:
			errs["min_denominator"] = "The minimum group size for percentages must be from 30 to " + strconv.Itoa(casestats.MaxMinDenominator) + "."
		}
	}
	return p, f, errs
}

// heldBackLabels names the counts held back because of earlier releases
// ("Cases by state or territory: AZ").
func heldBackLabels(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = casestats.KeyLabel(k)
	}
	return out
}

// releaseRefusal turns the reasons a release cannot be made into a
// sentence for the form; other errors are returned as they are.
func releaseRefusal(err error) (string, bool) {
	for _, e := range []error{store.ErrNoCases, store.ErrMixedData, casestats.ErrTooCloseToPrevious, casestats.ErrParams} {
		if errors.Is(err, e) {
			msg := strings.TrimPrefix(err.Error(), "casestats: ")
			return strings.ToUpper(msg[:1]) + msg[1:] + ".", true
		}
	}
	return "", false
}

// publishRelease is POST /admin/stats/releases: without "confirm" it shows
// what would be published; with the fingerprint of that preview it
// publishes exactly those figures (or shows the new preview if the records
// changed in between).
func (h *caseHandlers) publishRelease(c echo.Context) error {
	p, form, errs := parseParams(c)
	if len(errs) > 0 {
		return h.renderReleases(c, http.StatusUnprocessableEntity, releasesView{Form: form, Errors: errs})
	}
	ctx := c.Request().Context()
	st := h.s.deps.Store
	confirm := strings.TrimSpace(c.FormValue("confirm"))
	changed := false
	if confirm != "" {
		rel, err := st.CreateRelease(ctx, store.ReleaseRequest{Params: p, Expect: confirm}, audit(c, "stats.release", "", ""))
		switch {
		case err == nil:
			h.cache.Invalidate()
			msg := "Release #" + strconv.FormatInt(rel.ID, 10) + " published."
			if len(rel.HeldBack) > 0 {
				msg += " Held back because of earlier releases: " + strings.Join(heldBackLabels(rel.HeldBack), "; ") + "."
			}
			flash(c, msg)
			return c.Redirect(http.StatusSeeOther, "/admin/stats/releases/"+strconv.FormatInt(rel.ID, 10))
		case errors.Is(err, store.ErrReleaseChanged):
			changed = true
		default:
			if msg, ok := releaseRefusal(err); ok {
				return h.renderReleases(c, http.StatusUnprocessableEntity, releasesView{Form: form, Error: msg})
			}
			return err
		}
	}
	pv, err := st.PreviewRelease(ctx, p)
	if err != nil {
		if msg, ok := releaseRefusal(err); ok {
			return h.renderReleases(c, http.StatusUnprocessableEntity, releasesView{Form: form, Error: msg})
		}
		return err
	}
	v := buildStatsView(pv.Figures, langOf(c))
	v.Staff, v.Preview, v.Changed = true, true, changed
	v.HeldBack = heldBackLabels(pv.HeldBack)
	v.Synthetic, v.CaseCount, v.Fingerprint, v.Params = pv.Synthetic, pv.CaseCount, pv.Fingerprint, pv.Params
	v.AsOf = h.s.deps.Now().UTC().Format("2006-01-02")
	status := http.StatusOK
	if changed {
		status = http.StatusConflict
	}
	return h.s.render(c, status, "stats", v, false)
}

// releasePage shows one release to staff, with its exact number of records.
func (h *caseHandlers) releasePage(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	r, err := h.s.deps.Store.ReleaseByID(ctx, id)
	if err != nil {
		return err
	}
	v := releaseView(r, langOf(c))
	v.Staff, v.CaseCount = true, r.CaseCount
	v.CreatedBy = "the system (command line, schedule or demo set-up)"
	if r.CreatedBy != 0 {
		v.CreatedBy = "#" + strconv.FormatInt(r.CreatedBy, 10)
		if u, err := h.s.deps.Store.UserByID(ctx, r.CreatedBy); err == nil {
			v.CreatedBy = u.Email
		}
	}
	return h.s.render(c, http.StatusOK, "stats", v, false)
}

// apiReleaseRequest is the body of POST /api/v1/stats/releases; a field
// left out (or 0) takes its default.
type apiReleaseRequest struct {
	Threshold      int `json:"threshold"`
	Rounding       int `json:"rounding"`
	MinDenominator int `json:"min_denominator"`
}

type apiHeldBack struct {
	Key   string `json:"key"`
	Label string `json:"label"`
}

// apiPublishRelease is POST /api/v1/stats/releases (PermPublishStats): it
// publishes a release now, as `outreach stats release` does. It answers
// 201 with the release id and the counts held back because of earlier
// releases, or 422 with the reason a release cannot be made (for a release
// too close to an earlier one, also that release's id).
func (h *caseHandlers) apiPublishRelease(c echo.Context) error {
	if ct, _, _ := mime.ParseMediaType(c.Request().Header.Get("Content-Type")); ct != "application/json" && ct != "" {
		return apiError(c, http.StatusUnsupportedMediaType, "send application/json")
	}
	var req apiReleaseRequest
	dec := json.NewDecoder(io.LimitReader(c.Request().Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		return apiError(c, http.StatusBadRequest, "the body must be empty or a JSON object with threshold, rounding and min_denominator (each optional)")
	}
	p := casestats.Params{Threshold: req.Threshold, Rounding: req.Rounding, MinDenominator: req.MinDenominator}
	rel, err := h.s.deps.Store.CreateRelease(c.Request().Context(), store.ReleaseRequest{Params: p}, audit(c, "stats.release.api", "", ""))
	if err != nil {
		msg, ok := releaseRefusal(err)
		if !ok {
			return err
		}
		out := map[string]any{}
		var tc *casestats.TooCloseError
		if errors.As(err, &tc) {
			out["reason"] = tc.Reason
			if tc.ReleaseID > 0 {
				out["too_close_to_release"] = tc.ReleaseID
			}
		}
		field := "" // the release as a whole: no cases, mixed data, too close
		var pe *casestats.ParamError
		if errors.As(err, &pe) {
			field = pe.Param
		}
		return refuseAPI(c, msg, []apiFieldError{{Field: field, Message: msg}}, out)
	}
	h.cache.Invalidate()
	held := make([]apiHeldBack, len(rel.HeldBack))
	for i, k := range rel.HeldBack {
		held[i] = apiHeldBack{k, casestats.KeyLabel(k)}
	}
	return c.JSON(http.StatusCreated, map[string]any{"release_id": rel.ID, "as_of": asOf(rel.CreatedAt),
		"synthetic": rel.Synthetic, "held_back": held,
		"params": paramsJSON{rel.Params.Threshold, rel.Params.Rounding, rel.Params.MinDenominator}})
}
