package web

import (
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/campaign"
)

// The action form on an organization's own site: /c/{slug}/embed and the
// pages after it (review, send, "check your email") are the same flow as
// /c/{slug}, with minimal chrome, framable only by the campaign's
// allow-listed origins. Every other response keeps frame-ancestors 'none'
// and X-Frame-Options: DENY (securityHeaders).
//
// CSRF inside a third-party iframe: the site's double-submit cookie is
// SameSite=Lax, which browsers do not send to a frame on another site, and
// SameSite=None would weaken every other page. The embedded forms carry no
// cookie at all: their token (field _csrf) is signed by the server, names
// the campaign and a salted hash of the client's IP address, and expires.
// A forged post from another site carries either no token or one fetched
// by the attacker, whose IP is not the victim's; and browsers that send
// Fetch Metadata say the post came from another site, which is refused
// outright. A token that does not match (a phone that changed networks,
// a form open for a day) acts on nothing: the page shows the step again,
// keeping what was typed, with a fresh token.

const (
	embedKey      = "embed"       // the request is on an embed route
	embedStaleKey = "embed-stale" // its form token did not match
	embedTTL      = 12 * time.Hour
)

func (s *Server) embedRoutes(root *echo.Group) {
	s.public(root, http.MethodGet, "/c/:slug/embed", s.embedded(s.actionPage))
	s.public(root, http.MethodPost, "/c/:slug/embed", s.embedded(s.actionReview))
	s.public(root, http.MethodPost, "/c/:slug/embed/send", s.embedded(s.actionSend))
	s.public(root, http.MethodGet, "/c/:slug/embed/sent", s.embedded(s.sentPage))
	s.public(root, http.MethodPost, "/c/:slug/embed/sent", s.embedded(s.resendConfirm))
	s.public(root, http.MethodGet, "/c/:slug/embed/m/:key", s.embedded(s.embedMessage))
}

// embedded marks the request as embedded, lets the campaign's allowed
// origins frame the answer, and checks the form token of a post.
func (s *Server) embedded(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Set(embedKey, true)
		h := c.Response().Header()
		lc, err := s.loadLive(c)
		if err != nil { // no such campaign (the handler says so), or a draft
			h.Set("Content-Security-Policy", csp)
			return next(c)
		}
		origins := lc.C.EmbedOrigins
		h.Set("Content-Security-Policy", embedCSP(origins))
		if len(origins) > 0 {
			h.Del("X-Frame-Options") // it has no allow-list form; frame-ancestors governs
		}
		c.Set(embedOriginsKey, strings.Join(origins, " "))
		bound := lc.C.Slug + "|" + s.deps.Keys.HashIP(c.RealIP())
		c.Set("csrf", s.signer().Sign("embed", bound, s.deps.Now().Add(embedTTL)))
		if c.Request().Method == http.MethodPost {
			if site := c.Request().Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
				return errCSRF
			}
			if v, err := s.signer().Verify("embed", c.FormValue("_csrf"), s.deps.Now()); err != nil || v != bound {
				c.Set(embedStaleKey, true)
			}
		}
		return next(c)
	}
}

const embedOriginsKey = "embed-origins"

// embedCSP is the site's policy with frame-ancestors naming origins
// (already normalized by campaign.NormalizeOrigin), or 'none'.
func embedCSP(origins []string) string {
	if len(origins) == 0 {
		return csp
	}
	return strings.Replace(csp, "frame-ancestors 'none'", "frame-ancestors "+strings.Join(origins, " "), 1)
}

func isEmbedded(c echo.Context) bool { b, _ := c.Get(embedKey).(bool); return b }
func embedStale(c echo.Context) bool { b, _ := c.Get(embedStaleKey).(bool); return b }

// flowBase is where the supporter flow's forms and links go: the campaign
// page, or its embedded form (which stays inside the iframe), and the
// query that keeps the page's language there (an iframe on another site
// gets no language cookie back).
func flowBase(c echo.Context, slug string) (base, q string) {
	if isEmbedded(c) {
		return "/c/" + slug + "/embed", "?lang=" + string(langOf(c))
	}
	return "/c/" + slug, ""
}

// embedMessage is GET /c/:slug/embed/m/:key: a one-message page of the
// flow (messages), inside the iframe.
func (s *Server) embedMessage(c echo.Context) error {
	key := c.Param("key")
	if _, ok := messages[key]; !ok {
		return echo.ErrNotFound
	}
	return s.message(c, messages[key].status, key)
}

// embedSnippet is what staff paste into their site: the iframe (Spanish
// with ?lang=es) and the script that sizes it to its content. The iframe
// allows geolocation, without which a browser refuses "use my location"
// to a framed page from another origin.
func (s *Server) embedSnippet(c campaign.Campaign) string {
	src := s.deps.BaseURL + "/c/" + c.Slug + "/embed"
	return `<iframe src="` + template.HTMLEscapeString(src) + `" title="` + template.HTMLEscapeString(c.Title) +
		`" data-outreach-embed allow="geolocation" style="width:100%;height:900px;border:0" loading="lazy"></iframe>` + "\n" +
		`<script src="` + template.HTMLEscapeString(s.deps.BaseURL+"/static/embed.js") + `" async></script>`
}
