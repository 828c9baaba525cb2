package web

import (
	"bufio"
	"errors"
	"mime"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/casestats"
	"github.com/outreach-org/outreach/internal/store"
)

// JSON API of case records (PermEditCases; bearer token, or a session with
// the X-CSRF-Token header).

// apiCaseJSON is a record as the API shows it.
type apiCaseJSON struct {
	ID int64 `json:"id"`
	casestats.Record
	Synthetic bool `json:"synthetic"`
}

// refusedJSON is the 422 answer to a refused import: nothing was written;
// every problem names row, field and reason, never the value. row_errors
// is the older shape of the same list.
func refusedJSON(c echo.Context, errs []casestats.FieldError) error {
	msg := "1 problem found; nothing was imported"
	if len(errs) != 1 {
		msg = strconv.Itoa(len(errs)) + " problems found; nothing was imported"
	}
	fe := make([]apiFieldError, len(errs))
	for i, e := range errs {
		fe[i] = apiFieldError{Field: e.Field, Message: e.Reason, Row: e.Row}
	}
	return refuseAPI(c, msg, fe, map[string]any{"row_errors": errs})
}

func apiError(c echo.Context, status int, msg string) error {
	return c.JSON(status, map[string]string{"error": msg})
}

// apiCases lists records: ?quarter=&state= filter, ?before= pages (the
// "next_before" of the previous answer), ?limit= (at most 500).
func (h *caseHandlers) apiCases(c echo.Context) error {
	f := store.CaseFilter{Quarter: c.QueryParam("quarter"), State: c.QueryParam("state")}
	if f.Quarter != "" && !slices.Contains(casestats.Quarters, f.Quarter) {
		return apiError(c, http.StatusBadRequest, "quarter must be a year and quarter like 2018-Q2")
	}
	if f.State != "" && !slices.Contains(casestats.States, f.State) {
		return apiError(c, http.StatusBadRequest, "state must be a two-letter USPS code like TX")
	}
	f.Before, _ = strconv.ParseInt(c.QueryParam("before"), 10, 64)
	f.Limit, _ = strconv.Atoi(c.QueryParam("limit"))
	page, err := h.s.deps.Store.Cases(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := struct {
		Cases      []apiCaseJSON `json:"cases"`
		Total      int64         `json:"total"`
		NextBefore int64         `json:"next_before,omitempty"`
	}{Cases: make([]apiCaseJSON, len(page.Cases)), Total: page.Total, NextBefore: page.Next}
	for i, r := range page.Cases {
		out.Cases[i] = apiCaseJSON{ID: r.ID, Record: r.Record, Synthetic: r.Synthetic}
	}
	return c.JSON(http.StatusOK, out)
}

func (h *caseHandlers) apiCase(c echo.Context) error {
	id, err := caseID(c)
	if err != nil {
		return err
	}
	r, err := h.s.deps.Store.CaseByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, apiCaseJSON{ID: r.ID, Record: r.Record, Synthetic: r.Synthetic})
}

// firstByte peeks at the first non-space byte of a JSON body.
func firstByte(br *bufio.Reader) byte {
	for {
		b, err := br.Peek(1)
		if err != nil || len(b) == 0 {
			return 0
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			_, _ = br.ReadByte()
			continue
		}
		return b[0]
	}
}

// apiCreateCases is POST /api/v1/cases: one JSON object, an array of
// them, or a CSV file (Content-Type text/csv, streamed). All or nothing:
// 201 {"imported": n} (and "id" for a single object), or 422 with the
// row errors.
func (h *caseHandlers) apiCreateCases(c echo.Context) error {
	ctx := c.Request().Context()
	st := h.s.deps.Store
	ctype, _, _ := mime.ParseMediaType(c.Request().Header.Get("Content-Type"))
	switch ctype {
	case "text/csv":
		res, err := st.ImportCSV(ctx, c.Request().Body, store.ImportOptions{}, audit(c, "case.import", "", ""))
		if err != nil {
			return err
		}
		if len(res.Errors) > 0 {
			return refusedJSON(c, res.Errors)
		}
		return c.JSON(http.StatusCreated, map[string]int{"imported": res.Imported})
	case "application/json", "":
	default:
		return apiError(c, http.StatusUnsupportedMediaType, "send application/json (one case record or an array of them) or text/csv")
	}
	br := bufio.NewReader(c.Request().Body)
	single := firstByte(br) == '{'
	records, errs, err := casestats.ParseJSON(br)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return refusedJSON(c, errs)
	}
	if len(records) == 0 {
		msg := "the array holds no case records; nothing was imported"
		return refuseAPI(c, msg, []apiFieldError{{Field: "", Message: msg}}, nil)
	}
	if single {
		id, err := st.CreateCase(ctx, records[0], audit(c, "case.create", "", ""))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, map[string]int64{"imported": 1, "id": id})
	}
	n, err := st.CreateCases(ctx, slices.Values(records), store.ImportOptions{}, audit(c, "case.import", "", ""))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]int{"imported": n})
}

// apiUpdateCase is PUT /api/v1/cases/{id} with one JSON object holding all
// 13 fields.
func (h *caseHandlers) apiUpdateCase(c echo.Context) error {
	id, err := caseID(c)
	if err != nil {
		return err
	}
	br := bufio.NewReader(c.Request().Body)
	if firstByte(br) != '{' {
		return refusedJSON(c, []casestats.FieldError{{Reason: "send one JSON object with all 13 fields"}})
	}
	records, errs, err := casestats.ParseJSON(br)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return refusedJSON(c, errs)
	}
	ctx := c.Request().Context()
	if err := h.s.deps.Store.UpdateCase(ctx, id, records[0], audit(c, "case.update", "", "")); err != nil {
		if errors.Is(err, store.ErrInvalidCase) {
			return refusedJSON(c, []casestats.FieldError{{Reason: "the record is not valid"}})
		}
		return err
	}
	r, err := h.s.deps.Store.CaseByID(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, apiCaseJSON{ID: r.ID, Record: r.Record, Synthetic: r.Synthetic})
}

// apiDeleteCase is DELETE /api/v1/cases/{id}: 204.
func (h *caseHandlers) apiDeleteCase(c echo.Context) error {
	id, err := caseID(c)
	if err != nil {
		return err
	}
	if err := h.s.deps.Store.DeleteCase(c.Request().Context(), id, audit(c, "case.delete", "", "")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
