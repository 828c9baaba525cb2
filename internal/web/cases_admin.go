package web

import (
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/casestats"
	"github.com/outreach-org/outreach/internal/store"
)

// Staff pages of case records (PermEditCases): list, new, edit, delete and
// CSV import. Forms offer only the allowed values (select boxes), so a
// value that is refused is never shown back.

// caseFieldLabels name the fields on forms and lists.
var caseFieldLabels = map[string]string{
	casestats.FieldQuarter:                       "Quarter of the separation",
	casestats.FieldState:                         "State or territory where it happened",
	casestats.FieldChildAgeBracket:               "Child's age group",
	casestats.FieldFacilityType:                  "Type of facility",
	casestats.FieldFormPresented:                 "Form presented to the parent",
	casestats.FieldFormPremarked:                 "Form already pre-marked",
	casestats.FieldFormEnglishOnly:               "Form in English only",
	casestats.FieldLanguageBarrier:               "Language barrier",
	casestats.FieldToldNoRights:                  "Parent told they had no rights",
	casestats.FieldThreatenedPermanentSeparation: "Parent threatened with permanent separation",
	casestats.FieldCredibleFear:                  "Credible-fear screening",
	casestats.FieldAsylumClaim:                   "Asylum claim",
	casestats.FieldOutcome:                       "Outcome at last report",
}

type caseField struct {
	Name, Label, Error string
	Options            []caseOption
}

type caseOption struct {
	Value, Label string
	Selected     bool
}

type caseFormView struct {
	ID        int64 // 0: a new record
	Synthetic bool
	Fields    []caseField
	HasErrors bool
}

func caseFormFields(r casestats.Record, errs map[string]string) []caseField {
	out := make([]caseField, 0, len(casestats.Fields))
	for _, f := range casestats.Fields {
		cur := r.Get(f)
		cf := caseField{Name: f, Label: caseFieldLabels[f], Error: errs[f]}
		for _, v := range casestats.AllowedValues(f) {
			label := casestats.ValueLabel(f, v, "en")
			if f == casestats.FieldState {
				label = statsStateName(v, "en")
			}
			cf.Options = append(cf.Options, caseOption{Value: v, Label: label, Selected: v == cur})
		}
		out = append(out, cf)
	}
	return out
}

// formRecord reads the 13 fields of a posted form and validates them.
func formRecord(c echo.Context) (casestats.Record, map[string]string) {
	var r casestats.Record
	vals := map[string]string{}
	for _, f := range casestats.Fields {
		vals[f] = c.FormValue(f)
	}
	r = recordFromMap(vals).Normalize()
	errs := map[string]string{}
	for _, e := range r.Validate() {
		if _, ok := errs[e.Field]; !ok {
			errs[e.Field] = e.Reason
		}
	}
	// Never keep a refused value in the form (the select shows "choose").
	for f := range errs {
		setField(&r, f, "")
	}
	return r, errs
}

func recordFromMap(m map[string]string) casestats.Record {
	return casestats.Record{
		Quarter: m[casestats.FieldQuarter], State: m[casestats.FieldState], ChildAgeBracket: m[casestats.FieldChildAgeBracket],
		FacilityType: m[casestats.FieldFacilityType], FormPresented: m[casestats.FieldFormPresented],
		FormPremarked: m[casestats.FieldFormPremarked], FormEnglishOnly: m[casestats.FieldFormEnglishOnly],
		LanguageBarrier: m[casestats.FieldLanguageBarrier], ToldNoRights: m[casestats.FieldToldNoRights],
		ThreatenedPermanentSeparation: m[casestats.FieldThreatenedPermanentSeparation],
		CredibleFear:                  m[casestats.FieldCredibleFear], AsylumClaim: m[casestats.FieldAsylumClaim],
		Outcome: m[casestats.FieldOutcome],
	}
}

func setField(r *casestats.Record, field, v string) {
	m := map[string]string{}
	for _, f := range casestats.Fields {
		m[f] = r.Get(f)
	}
	m[field] = v
	*r = recordFromMap(m)
}

// --- list ---

type casesView struct {
	Cases            []caseListRow
	Total            int64
	Counts           store.CaseCounts
	Quarter, State   string
	Quarters, States []caseOption
	NextURL          string
}

type caseListRow struct {
	ID                                     int64
	Quarter, State, Age, Facility, Outcome string
	Synthetic                              bool
}

// allowedOr returns v when it is an allowed value of field, else "".
func allowedOr(field, v string) string {
	if slices.Contains(casestats.AllowedValues(field), v) {
		return v
	}
	return ""
}

func (h *caseHandlers) casesPage(c echo.Context) error {
	ctx := c.Request().Context()
	st := h.s.deps.Store
	v := casesView{Quarter: allowedOr(casestats.FieldQuarter, c.QueryParam("quarter")), State: allowedOr(casestats.FieldState, c.QueryParam("state"))}
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	page, err := st.Cases(ctx, store.CaseFilter{Quarter: v.Quarter, State: v.State, Before: before, Limit: 50})
	if err != nil {
		return err
	}
	if v.Counts, err = st.CountCases(ctx); err != nil {
		return err
	}
	v.Total = page.Total
	for _, r := range page.Cases {
		v.Cases = append(v.Cases, caseListRow{ID: r.ID, Quarter: r.Quarter, State: r.State,
			Age:       casestats.ValueLabel(casestats.FieldChildAgeBracket, r.ChildAgeBracket, "en"),
			Facility:  casestats.ValueLabel(casestats.FieldFacilityType, r.FacilityType, "en"),
			Outcome:   casestats.ValueLabel(casestats.FieldOutcome, r.Outcome, "en"),
			Synthetic: r.Synthetic})
	}
	for _, q := range casestats.Quarters {
		v.Quarters = append(v.Quarters, caseOption{Value: q, Label: q, Selected: q == v.Quarter})
	}
	for _, s := range casestats.States {
		v.States = append(v.States, caseOption{Value: s, Label: statsStateName(s, "en"), Selected: s == v.State})
	}
	if page.Next != 0 {
		q := url.Values{"before": {strconv.FormatInt(page.Next, 10)}}
		if v.Quarter != "" {
			q.Set("quarter", v.Quarter)
		}
		if v.State != "" {
			q.Set("state", v.State)
		}
		v.NextURL = "/admin/cases?" + q.Encode()
	}
	return h.s.render(c, http.StatusOK, "cases", v, false)
}

// --- one record ---

func (h *caseHandlers) newCasePage(c echo.Context) error {
	return h.s.render(c, http.StatusOK, "case_form", caseFormView{Fields: caseFormFields(casestats.Record{}, nil)}, false)
}

func (h *caseHandlers) createCase(c echo.Context) error {
	r, errs := formRecord(c)
	if len(errs) > 0 {
		return h.s.render(c, http.StatusUnprocessableEntity, "case_form", caseFormView{Fields: caseFormFields(r, errs), HasErrors: true}, false)
	}
	id, err := h.s.deps.Store.CreateCase(c.Request().Context(), r, audit(c, "case.create", "", ""))
	if err != nil {
		return err
	}
	flash(c, "Case record #"+strconv.FormatInt(id, 10)+" saved.")
	return c.Redirect(http.StatusSeeOther, "/admin/cases")
}

func caseID(c echo.Context) (int64, error) {
	id, err := paramID(c, "id")
	if err != nil {
		return 0, err
	}
	return id, nil
}

func (h *caseHandlers) casePage(c echo.Context) error {
	id, err := caseID(c)
	if err != nil {
		return err
	}
	cr, err := h.s.deps.Store.CaseByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return h.s.render(c, http.StatusOK, "case_form", caseFormView{ID: id, Synthetic: cr.Synthetic, Fields: caseFormFields(cr.Record, nil)}, false)
}

func (h *caseHandlers) updateCase(c echo.Context) error {
	id, err := caseID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	cr, err := h.s.deps.Store.CaseByID(ctx, id)
	if err != nil {
		return err
	}
	r, errs := formRecord(c)
	if len(errs) > 0 {
		return h.s.render(c, http.StatusUnprocessableEntity, "case_form", caseFormView{ID: id, Synthetic: cr.Synthetic, Fields: caseFormFields(r, errs), HasErrors: true}, false)
	}
	if err := h.s.deps.Store.UpdateCase(ctx, id, r, audit(c, "case.update", "", "")); err != nil {
		return err
	}
	flash(c, "Case record #"+strconv.FormatInt(id, 10)+" corrected.")
	return c.Redirect(http.StatusSeeOther, "/admin/cases")
}

func (h *caseHandlers) deleteCase(c echo.Context) error {
	id, err := caseID(c)
	if err != nil {
		return err
	}
	if ok, err := h.s.confirmed(c, confirmView{Title: "Delete case record #" + strconv.FormatInt(id, 10) + "?", Action: "/admin/cases/" + strconv.FormatInt(id, 10) + "/delete",
		Lost: []string{"The record is deleted from the case records; the next statistics release no longer counts it.",
			"Releases already published keep their figures. Deleting cannot be undone: the record would have to be entered again."},
		Button: "Delete the record", Cancel: "/admin/cases/" + strconv.FormatInt(id, 10)}); !ok {
		return err
	}
	if err := h.s.deps.Store.DeleteCase(c.Request().Context(), id, audit(c, "case.delete", "", "")); err != nil {
		return err
	}
	flash(c, "Case record #"+strconv.FormatInt(id, 10)+" deleted.")
	return c.Redirect(http.StatusSeeOther, "/admin/cases")
}

// removeDemo deletes the synthetic demonstration records (before real
// cases are entered: a release never mixes the two).
func (h *caseHandlers) removeDemo(c echo.Context) error {
	counts, err := h.s.deps.Store.CountCases(c.Request().Context())
	if err != nil {
		return err
	}
	if ok, err := h.s.confirmed(c, confirmView{Title: "Remove the demonstration records?", Action: "/admin/cases/remove-demo",
		Lost: []string{message.NewPrinter(language.English).Sprintf("%d generated demonstration records are deleted; real records stay.", counts.Synthetic),
			"Demonstration releases already published stay published, marked as synthetic, until a release is made from real records."},
		Button: "Remove the demonstration records", Cancel: "/admin/cases"}); !ok {
		return err
	}
	n, err := h.s.deps.Store.DeleteSyntheticCases(c.Request().Context(), audit(c, "case.delete_synthetic", "", ""))
	if err != nil {
		return err
	}
	flash(c, strconv.FormatInt(n, 10)+" demonstration records removed.")
	return c.Redirect(http.StatusSeeOther, "/admin/cases")
}

// --- CSV import ---

type importView struct {
	Columns  []string
	Limit    string
	Errors   []casestats.FieldError
	Rows     int
	Message  string
	Truncate bool // the error list stopped at the maximum
}

func (h *caseHandlers) importView() importView {
	_, shown := h.s.uploadLimitBytes()
	return importView{Columns: casestats.Fields, Limit: shown}
}

func (h *caseHandlers) importPage(c echo.Context) error {
	return h.s.render(c, http.StatusOK, "cases_import", h.importView(), false)
}

// importCSV takes a multipart upload (field "file") and imports it all or
// not at all; refused rows are listed by row, field and reason.
func (h *caseHandlers) importCSV(c echo.Context) error {
	v := h.importView()
	fh, err := c.FormFile("file")
	if err != nil {
		if uploadCut(c) {
			return err // uploadLimit answers 413
		}
		v.Message = "Choose a CSV file to import."
		return h.s.render(c, http.StatusUnprocessableEntity, "cases_import", v, false)
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := h.s.deps.Store.ImportCSV(c.Request().Context(), f, store.ImportOptions{}, audit(c, "case.import", "", ""))
	if err != nil {
		return err
	}
	if len(res.Errors) > 0 {
		v.Errors, v.Rows = res.Errors, res.Rows
		v.Truncate = len(res.Errors) >= casestats.DefaultMaxErrors
		v.Message = "Nothing was imported: the file has problems. Correct them and upload the whole file again."
		return h.s.render(c, http.StatusUnprocessableEntity, "cases_import", v, false)
	}
	flash(c, "Imported "+casestats.FormatCount(res.Imported)+" case records.")
	return c.Redirect(http.StatusSeeOther, "/admin/cases")
}
