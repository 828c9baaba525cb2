package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/geocode"
	"github.com/outreach-org/outreach/internal/i18n"
	"github.com/outreach-org/outreach/internal/store"
)

// Errors of the web layer itself.
var (
	errEmptyQuery     = errors.New("empty query")
	errGeocoderOff    = errors.New("street-address lookup is off")
	errDistrictChoice = errors.New("district is not a candidate")
)

// argError attaches values for the message (the ZIP the person typed, say)
// to a domain error without changing what errors.Is sees.
type argError struct {
	err  error
	args []any
}

func (e *argError) Error() string { return e.err.Error() }
func (e *argError) Unwrap() error { return e.err }

func withArgs(err error, args ...any) error { return &argError{err: err, args: args} }

// mapping says, for each domain error, the status and the message key.
var mapping = []struct {
	err    error
	status int
	key    string
}{
	{errEmptyQuery, http.StatusBadRequest, "err.empty"},
	{errUnauthenticated, http.StatusUnauthorized, "err.unauthenticated"},
	{errForbidden, http.StatusForbidden, "err.forbidden"},
	{errCSRF, http.StatusForbidden, "err.csrf"},
	{errUploadTooLarge, http.StatusRequestEntityTooLarge, "err.upload_too_large"},
	{auth.ErrThrottled, http.StatusTooManyRequests, "err.throttled"},
	{auth.ErrBusy, http.StatusTooManyRequests, "err.busy"},
	{store.ErrNotFound, http.StatusNotFound, "err.not_found"},
	{store.ErrConflict, http.StatusConflict, "err.conflict"},
	{congress.ErrInvalidZIP, http.StatusBadRequest, "err.zip_invalid"},
	{congress.ErrInvalidPoint, http.StatusBadRequest, "err.point_invalid"},
	{errDistrictChoice, http.StatusBadRequest, "err.district_choice"},
	{congress.ErrUnknownZIP, http.StatusNotFound, "err.zip_unknown"},
	{congress.ErrMilitaryZIP, http.StatusNotFound, "err.zip_military"},
	{congress.ErrOutsideUS, http.StatusNotFound, "err.point_outside"},
	{congress.ErrUnknownDistrict, http.StatusNotFound, "err.district_choice"},
	{geocode.ErrNoMatch, http.StatusNotFound, "err.address_not_found"},
	{errGeocoderOff, http.StatusUnprocessableEntity, "lookup.zip_only"},
	{geocode.ErrUnavailable, http.StatusServiceUnavailable, "err.address_unavailable"},
}

// classify turns any error into a status and a message in lang. Unknown
// errors are 500s with a generic message: internals never reach the client.
func classify(err error, lang i18n.Lang) (int, string) {
	status, key, args, msg := classifyKey(err)
	if key == "" {
		return status, msg
	}
	return status, lang.T(key, args...)
}

// classifyKey is classify's status and message key with its arguments
// (or, for a 4xx an Echo handler wrote itself, the message: key "").
func classifyKey(err error) (status int, key string, args []any, msg string) {
	var ae *argError
	if errors.As(err, &ae) {
		args = ae.args
	}
	for _, m := range mapping {
		if errors.Is(err, m.err) {
			if m.key == "err.zip_unknown" && len(args) == 0 {
				args = []any{"?"}
			}
			return m.status, m.key, args, ""
		}
	}
	var ie *inputError
	if errors.As(err, &ie) {
		return http.StatusUnprocessableEntity, "", nil, ie.Message
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			return he.Code, "err.not_found", nil, ""
		case http.StatusRequestEntityTooLarge:
			return he.Code, "err.too_large", nil, ""
		case http.StatusTooManyRequests:
			return he.Code, "err.too_many", nil, ""
		case http.StatusMethodNotAllowed:
			return he.Code, "err.method", nil, ""
		}
		if he.Code >= 400 && he.Code < 500 {
			if msg, ok := he.Message.(string); ok && msg != "" && he.Internal == nil {
				return he.Code, "", nil, msg
			}
			return he.Code, "err.bad_request", nil, ""
		}
		// A service that is not running here (the job queue in a web-only
		// process) is a 503 the caller can act on, not our failure.
		if he.Code == http.StatusServiceUnavailable {
			if msg, ok := he.Message.(string); ok && msg != "" && he.Internal == nil {
				return he.Code, "", nil, msg
			}
		}
	}
	return http.StatusInternalServerError, "err.internal", nil, ""
}

// errorView is the error page: its message, and the page the language
// switch opens (GET /m/KEY: the same message) when the error answered a
// POST, whose URL cannot simply be opened again.
type errorView struct {
	Message string
	Switch  string
}

func (v errorView) langSwitch() string { return v.Switch }

// errorPage names an error message key the language switch may reopen at
// GET /m/KEY: the page's messages that take no argument.
func errorPage(key string) bool {
	if !strings.HasPrefix(key, "err.") || strings.Contains(i18n.English.T(key), "%") {
		return false
	}
	for _, k := range []string{"err.not_found", "err.too_large", "err.too_many", "err.method", "err.bad_request", "err.internal", "err.unavailable"} {
		if k == key {
			return true
		}
	}
	for _, m := range mapping {
		if m.key == key {
			return true
		}
	}
	return false
}

// isAPI says whether the client expects JSON rather than a page.
func isAPI(c echo.Context) bool {
	p := c.Request().URL.Path
	return strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/webhooks/")
}

// handleError is Echo's one error handler.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	lang := langOf(c)
	if isAPI(c) {
		lang = i18n.English
	}
	if errors.Is(err, errUnauthenticated) {
		if isAPI(c) {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="outreach"`)
		} else if c.Request().Method == http.MethodGet {
			_ = c.Redirect(http.StatusSeeOther, "/admin/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
			return
		}
	}
	var ve *campaign.ValidationError
	if errors.As(err, &ve) {
		s.writeValidation(c, ve) // 422 (409 for conflicts) with every field error
		return
	}
	status, key, _, _ := classifyKey(err)
	_, msg := classify(err, lang)
	if status == http.StatusInternalServerError && s.unavailable() {
		// The database does not answer (or the disk is full): say so,
		// and when to come back, rather than "something went wrong".
		s.log.Warn("request failed during an outage", "route", c.Path(), "err", err)
		status, msg, key = http.StatusServiceUnavailable, lang.T("err.unavailable"), "err.unavailable"
		c.Response().Header().Set("Retry-After", retryAfter)
	}
	if status >= 500 && status != http.StatusServiceUnavailable && status != http.StatusNotImplemented {
		s.log.Error("request failed", "route", c.Path(), "err", err)
	}
	if isAPI(c) && status == http.StatusUnprocessableEntity {
		if err := refuseAPI(c, msg, []apiFieldError{{Field: refusedField(err), Message: msg}}, nil); err != nil {
			s.log.Warn("write error response", "err", err)
		}
		return
	}
	if isAPI(c) {
		if err := c.JSON(status, map[string]string{"error": msg}); err != nil {
			s.log.Warn("write error response", "err", err)
		}
		return
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	v := errorView{Message: msg}
	if c.Request().Method != http.MethodGet {
		v.Switch = "/"
		if errorPage(key) {
			v.Switch = "/m/" + key
		}
	}
	if rerr := s.render(c, status, "error", v, false); rerr != nil {
		s.log.Error("render error page", "err", rerr)
		_ = c.String(status, msg)
	}
}
