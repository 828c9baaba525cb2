package web

import (
	"errors"
	"net/http"
	"sort"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/followup"
)

// apiFieldError is one refused input in a 422 answer. Every resource
// answers with the same shape, so an integrator writes one error reader:
// Field is the JSON name of the input ("" when the request as a whole was
// refused, such as a release too close to the previous one), Row the
// 1-based row of an import (0 otherwise), Line and Column a position in a
// template (0 otherwise). The campaign refusals (letter.FieldError) have
// the same fields and names.
type apiFieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	Row     int    `json:"row,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
}

// refuseAPI answers 422 with msg and the refused inputs. extra carries a
// resource's older keys (fields, row_errors), kept beside field_errors so
// that clients written against them still work.
func refuseAPI(c echo.Context, msg string, fe []apiFieldError, extra map[string]any) error {
	if fe == nil {
		fe = []apiFieldError{}
	}
	body := map[string]any{"error": msg, "field_errors": fe}
	for k, v := range extra {
		body[k] = v
	}
	return c.JSON(http.StatusUnprocessableEntity, body)
}

// fieldErrorsOf turns a field-to-message map into field_errors, in field
// order so that answers are stable.
func fieldErrorsOf(m map[string]string) []apiFieldError {
	out := make([]apiFieldError, 0, len(m))
	for f, msg := range m {
		out = append(out, apiFieldError{Field: f, Message: msg})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// specField names the input a schedule refusal is about.
func specField(err error) string {
	if errors.Is(err, followup.ErrTimeZone) {
		return "time_zone"
	}
	return "cron"
}

// inputError is a refusal of one input that handlers return as an error:
// the error handler answers 422, with the field named in field_errors to
// API clients and the message alone on pages.
type inputError struct {
	Field   string
	Message string
}

func (e *inputError) Error() string { return e.Message }

// refusedField is the field an API 422 is about: the one an inputError
// names, "address" for a street address where this server looks up ZIP
// codes only, and "" (the request as a whole) otherwise.
func refusedField(err error) string {
	var ie *inputError
	switch {
	case errors.As(err, &ie):
		return ie.Field
	case errors.Is(err, errGeocoderOff):
		return "address"
	}
	return ""
}
