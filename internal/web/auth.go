package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/store"
)

const (
	sessionCookie = "outreach_session"
	// secureSessionCookie is the name over https: the __Host- prefix makes
	// browsers refuse it unless Secure, host-only and Path=/, so a sibling
	// subdomain cannot plant or overwrite it.
	secureSessionCookie = "__Host-outreach_session"
	userKey             = "staff_user"
	sessionKey          = "staff_session_hash"
	viaTokenKey         = "staff_via_token"
)

// Errors of access control, mapped in errors.go.
var (
	errUnauthenticated = errors.New("sign in first")
	errForbidden       = errors.New("your role does not allow this")
	errCSRF            = errors.New("the form expired or came from another site")
)

// RouteInfo is one entry of the route table with the permission it needs
// ("" for public routes). The role-matrix test walks all of them.
type RouteInfo struct {
	Method, Path string
	Perm         auth.Permission
}

// Routes lists every registered route and its permission.
func (s *Server) Routes() []RouteInfo { return append([]RouteInfo(nil), s.table...) }

// public registers a route anyone may use.
func (s *Server) public(g *echo.Group, method, path string, h echo.HandlerFunc) {
	g.Add(method, path, h, s.routeMiddleware(method, s.prefixes[g]+path)...)
	s.table = append(s.table, RouteInfo{Method: method, Path: s.prefixes[g] + path, Perm: ""})
}

// staff registers a route that needs a signed-in user holding perm. There
// is no way to register a staff route without naming a permission.
func (s *Server) staff(g *echo.Group, method, path string, perm auth.Permission, h echo.HandlerFunc) {
	if perm == "" {
		panic("web: staff route " + path + " without a permission")
	}
	g.Add(method, path, h, append([]echo.MiddlewareFunc{s.require(perm)}, s.routeMiddleware(method, s.prefixes[g]+path)...)...)
	s.table = append(s.table, RouteInfo{Method: method, Path: s.prefixes[g] + path, Perm: perm})
}

// routeMiddleware is what a route gets from its place in the table: API
// routes that take a body take JSON (jsonBody).
func (s *Server) routeMiddleware(method, full string) []echo.MiddlewareFunc {
	var m []echo.MiddlewareFunc
	if strings.HasPrefix(full, "/api/") && bodyMethod(method) {
		m = append(m, jsonBody(method+" "+full))
	}
	return m
}

// group makes a route group and remembers its prefix (Echo does not
// expose it) for the route table.
func (s *Server) group(prefix string, m ...echo.MiddlewareFunc) *echo.Group {
	g := s.e.Group(prefix, m...)
	s.prefixes[g] = prefix
	return g
}

// identify loads the staff user from a bearer token or the session cookie.
// It never rejects: require does, per route.
func (s *Server) identify(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.deps.Store == nil {
			return next(c)
		}
		ctx := c.Request().Context()
		if h := c.Request().Header.Get("Authorization"); h != "" && !isInbound(c) { // the inbound webhook may use basic auth
			tok, ok := strings.CutPrefix(h, "Bearer ")
			if !ok || !strings.HasPrefix(tok, auth.TokenPrefix) {
				return errUnauthenticated
			}
			_, u, err := s.deps.Store.TokenUser(ctx, auth.HashSecret(strings.TrimSpace(tok)))
			if err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return errUnauthenticated
				}
				return err
			}
			if u.Disabled {
				return errUnauthenticated
			}
			c.Set(userKey, &u)
			c.Set(viaTokenKey, true)
			return next(c)
		}
		ck, err := c.Cookie(s.sessionCookieName())
		if err != nil || !strings.HasPrefix(ck.Value, auth.SessionPrefix) {
			return next(c)
		}
		hash := auth.HashSecret(ck.Value)
		sess, u, err := s.deps.Store.SessionUser(ctx, hash)
		if errors.Is(err, store.ErrNotFound) {
			s.clearSessionCookie(c)
			return next(c)
		}
		if err != nil {
			return err
		}
		now := s.deps.Now()
		if u.Disabled || now.After(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) > s.deps.SessionIdle {
			_ = s.deps.Store.DeleteSession(ctx, hash, store.Audit{})
			s.clearSessionCookie(c)
			return next(c)
		}
		if now.Sub(sess.LastSeenAt) > time.Minute {
			if err := s.deps.Store.TouchSession(ctx, hash, now); err != nil {
				s.log.Warn("touch session", "err", err)
			}
		}
		c.Set(userKey, &u)
		c.Set(sessionKey, hash)
		return next(c)
	}
}

// require rejects requests whose user lacks perm: deny by default.
func (s *Server) require(perm auth.Permission) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			u := currentUser(c)
			if u == nil {
				return errUnauthenticated
			}
			if !u.Role.Can(perm) {
				return errForbidden
			}
			return next(c)
		}
	}
}

func currentUser(c echo.Context) *auth.User {
	u, _ := c.Get(userKey).(*auth.User)
	return u
}

// audit is the audit entry for an action by the current user.
func audit(c echo.Context, action, objType, objID string) store.Audit {
	a := store.Audit{Action: action, ObjectType: objType, ObjectID: objID}
	if u := currentUser(c); u != nil {
		a.ActorID = u.ID
	}
	return a
}

// csrf protects every state-changing form with Echo's middleware (token in
// the form field _csrf or the X-CSRF-Token header, plus Sec-Fetch-Site).
// Bearer-token API calls carry no cookies and need no CSRF token.
func (s *Server) csrf() echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "form:_csrf,header:X-CSRF-Token",
		CookieName:     "_csrf",
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   s.deps.SecureCookies,
		CookieSameSite: http.SameSiteLaxMode,
		Skipper: func(c echo.Context) bool {
			if c.Get(viaTokenKey) != nil {
				return true
			}
			// The embedded form checks its own cookieless token (embedded).
			if strings.HasPrefix(c.Path(), "/c/:slug/embed") || c.Path() == "/c/:slug/share.png" {
				return true // the share image has no form (and is cached publicly)
			}
			p := c.Request().URL.Path
			switch c.Request().Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions:
				// Only pages with forms need a token cookie.
				return !strings.HasPrefix(p, "/admin") && !strings.HasPrefix(p, "/c/") &&
					p != "/optin" && p != "/forget" && p != "/u"
			}
			// Provider webhooks are signed; one-click unsubscribe (RFC 8058)
			// comes from mail clients and carries a signed token instead.
			return strings.HasPrefix(p, "/webhooks/") || p == "/u"
		},
		ErrorHandler: func(err error, c echo.Context) error { return errCSRF },
	})
}

func csrfToken(c echo.Context) string {
	t, _ := c.Get("csrf").(string)
	return t
}

func (s *Server) sessionCookieName() string {
	if s.deps.SecureCookies {
		return secureSessionCookie
	}
	return sessionCookie
}

func (s *Server) setSessionCookie(c echo.Context, secret string) {
	c.SetCookie(&http.Cookie{Name: s.sessionCookieName(), Value: secret, Path: "/", HttpOnly: true, Secure: s.deps.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: int(s.deps.SessionMax.Seconds())})
}

func (s *Server) clearSessionCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: s.sessionCookieName(), Value: "", Path: "/", HttpOnly: true, Secure: s.deps.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// startSession signs u in: any earlier session of this browser is ended
// first, so the session id always changes at login (no fixation).
func (s *Server) startSession(c echo.Context, u auth.User) error {
	ctx := c.Request().Context()
	if ck, err := c.Cookie(s.sessionCookieName()); err == nil && ck.Value != "" {
		_ = s.deps.Store.DeleteSession(ctx, auth.HashSecret(ck.Value), store.Audit{})
	}
	secret, hash, err := auth.NewSecret(auth.SessionPrefix)
	if err != nil {
		return err
	}
	if err := s.deps.Store.CreateSession(ctx, hash, u.ID, s.deps.Now(), s.deps.Now().Add(s.deps.SessionMax)); err != nil {
		return err
	}
	s.setSessionCookie(c, secret)
	return nil
}

// safeNext keeps post-login redirects on this site.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || u.IsAbs() || u.Host != "" || !strings.HasPrefix(u.Path, "/admin") || strings.HasPrefix(next, "//") {
		return "/admin"
	}
	return u.RequestURI()
}
