package web

import (
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/i18n"
)

// csp allows only our own scripts, styles and images: no inline script, so
// an injected <script> cannot run even if escaping ever failed.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"

// securityHeaders sets the headers every response carries. HSTS follows
// OUTREACH_BASE_URL (SecureCookies), never a client's X-Forwarded-Proto:
// a visitor cannot turn it on or off. Two rules apply when the response is
// written, whatever the handler did: a response is no-store unless its
// handler marked it public and nobody is signed in (privateByDefault), and
// over https every cookie is Secure.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Permissions-Policy", "geolocation=(self), camera=(), microphone=(), payment=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.deps.SecureCookies {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		c.Response().Before(func() {
			privateByDefault(c)
			if s.deps.SecureCookies {
				secureCookies(h)
			}
		})
		return next(c)
	}
}

// privateByDefault makes every response Cache-Control: no-store unless
// its handler marked it public (static assets, member lookups, published
// statistics) and the request is anonymous: pages and answers for a
// signed-in user, and every page with a supporter's data (the review,
// confirm, opt-in, unsubscribe and delete-my-data pages, the outbox,
// exports), are never kept by a browser or a shared cache.
func privateByDefault(c echo.Context) {
	h := c.Response().Header()
	public := strings.HasPrefix(h.Get("Cache-Control"), "public")
	if public && (currentUser(c) == nil || c.Path() == "/static/*") {
		return
	}
	h.Set("Cache-Control", "no-store")
}

// secureCookies adds the Secure attribute to every Set-Cookie that lacks
// it, so that no cookie (the language, the flash notice, CSRF, the session,
// any added later) travels over plain http once the site is https.
func secureCookies(h http.Header) {
	for i, v := range h.Values("Set-Cookie") {
		secure := false
		for _, attr := range strings.Split(v, ";") {
			if strings.EqualFold(strings.TrimSpace(attr), "Secure") {
				secure = true
			}
		}
		if !secure {
			h["Set-Cookie"][i] = v + "; Secure"
		}
	}
}

// requestLog writes one line per request. It logs the route pattern, never
// the URL: query strings carry ZIP codes and addresses.
func (s *Server) requestLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err) // let the error handler write the response so we log its status
		}
		route := c.Path()
		if route == "" {
			route = "(no route)"
		}
		status := c.Response().Status
		took := time.Since(start)
		if warming(c) {
			return nil
		}
		s.deps.Metrics.ObserveHTTP(c.Path(), c.Request().Method, status, took)
		level := slog.LevelInfo
		switch {
		case status >= 500:
			level = slog.LevelError
		case route == "/healthz" || route == "/readyz" || route == "/static/*":
			level = slog.LevelDebug
		}
		s.log.LogAttrs(c.Request().Context(), level, "request",
			slog.String("method", c.Request().Method),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Int64("bytes", c.Response().Size),
			slog.Duration("took", took),
		)
		return nil
	}
}

// recoverPanics turns a panic into a 500 with the stack in the log (no
// request data), so one bad request cannot take the process down.
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				s.log.Error("panic in handler", "route", c.Path(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return next(c)
	}
}

const langKey = "lang"

// language picks the page language: ?lang= (remembered in a cookie), then
// the cookie, then Accept-Language.
func (s *Server) language(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		lang, ok := i18n.Parse(c.QueryParam("lang"))
		if ok {
			if ck, err := c.Cookie("lang"); err != nil || ck.Value != string(lang) {
				c.SetCookie(&http.Cookie{Name: "lang", Value: string(lang), Path: "/", MaxAge: 365 * 24 * 3600,
					HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.deps.SecureCookies})
			}
		} else if ck, err := c.Cookie("lang"); err == nil {
			lang, ok = i18n.Parse(ck.Value)
		}
		if !ok {
			lang = i18n.FromAcceptLanguage(c.Request().Header.Get("Accept-Language"))
		}
		c.Set(langKey, lang)
		c.Response().Header().Add("Vary", "Accept-Language, Cookie")
		return next(c)
	}
}

func langOf(c echo.Context) i18n.Lang {
	if l, ok := c.Get(langKey).(i18n.Lang); ok {
		return l
	}
	return i18n.English
}

// bodyTypes names the API routes whose body may be something other than
// JSON, and what else they take. Every other POST, PUT, PATCH or DELETE
// under /api/ takes JSON only.
var bodyTypes = map[string][]string{
	"POST /api/v1/cases": {"text/csv"}, // a CSV import, streamed
}

// jsonBody refuses, with 415, a request body to an API route that is not
// JSON (or a type the route names in bodyTypes). A text/plain body is what
// a cross-site form can send without a preflight; a route that parsed it
// as JSON anyway would act on it. A request without a body passes.
func jsonBody(route string) echo.MiddlewareFunc {
	also := bodyTypes[route]
	want := "application/json"
	for _, t := range also {
		want += " or " + t
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if r.ContentLength == 0 {
				return next(c)
			}
			ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if err == nil && (ct == "application/json" || strings.HasSuffix(ct, "+json") || slices.Contains(also, ct)) {
				return next(c)
			}
			if r.Method == http.MethodPost || r.Method == http.MethodPatch {
				c.Response().Header().Set("Accept-"+string(r.Method[0])+strings.ToLower(r.Method[1:]), strings.ReplaceAll(want, " or ", ", "))
			}
			return echo.NewHTTPError(http.StatusUnsupportedMediaType, "send the body as "+want+" (Content-Type header); nothing was changed")
		}
	}
}

// bodyMethod says whether requests of method carry a body to check.
func bodyMethod(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}
