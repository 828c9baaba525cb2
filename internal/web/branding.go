package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/branding"
	"github.com/outreach-org/outreach/internal/store"
)

// brandView is what the layout of a public page shows of the
// organization: its name and logo in the header, its colour (brand.css),
// its privacy policy and contact in the footer.
type brandView struct {
	Name, LogoURL, CSS, PrivacyURL, ContactURL string
}

func (s *Server) brandingRoutes(root, adm *echo.Group) {
	s.public(root, http.MethodGet, "/brand.css", s.brandCSS)
	s.staff(adm, http.MethodGet, "/branding", auth.PermManageUsers, s.brandingPage)
	s.staff(adm, http.MethodPost, "/branding", auth.PermManageUsers, s.saveBranding)
}

// branding is the saved branding with the configured organization name
// when none is set; a database error shows the defaults (pages must not
// fail because of it) and is logged.
func (s *Server) branding(ctx context.Context) branding.Branding {
	b, err := s.brandings.Load(ctx, struct{}{}, func(ctx context.Context) (branding.Branding, error) {
		if s.deps.Store == nil {
			return branding.Branding{}, nil
		}
		return s.deps.Store.Branding(ctx)
	})
	if err != nil {
		s.log.Warn("branding unavailable: showing the defaults", "err", err)
		b = branding.Branding{}
	}
	if b.Name == "" {
		b.Name = s.deps.OrgName
	}
	return b
}

func (s *Server) brandView(ctx context.Context) brandView {
	b := s.branding(ctx)
	v := brandView{Name: b.Name, LogoURL: b.LogoURL, PrivacyURL: b.PrivacyURL, ContactURL: b.ContactURL}
	if b.Color != "" {
		sum := sha256.Sum256([]byte(b.Color))
		v.CSS = "/brand.css?v=" + hex.EncodeToString(sum[:4])
	}
	return v
}

// brandCSS is GET /brand.css: the colour as the stylesheet's variables
// (the Content-Security-Policy allows no inline style).
func (s *Server) brandCSS(c echo.Context) error {
	b := s.branding(c.Request().Context())
	css := ""
	if b.Color != "" {
		css = ":root { --brand: " + b.Color + "; --brand-dark: " + b.DarkColor() + "; }\n"
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.Blob(http.StatusOK, "text/css; charset=utf-8", []byte(css))
}

// brandingView is the admin page.
type brandingView struct {
	Form   branding.Branding
	Errors map[string]string
	Saved  bool
}

func (s *Server) brandingPage(c echo.Context) error {
	b, err := s.deps.Store.Branding(c.Request().Context())
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "branding", brandingView{Form: b, Errors: map[string]string{}, Saved: c.QueryParam("saved") != ""}, false)
}

func (s *Server) saveBranding(c echo.Context) error {
	b := branding.Branding{Name: c.FormValue("name"), LogoURL: c.FormValue("logo_url"), Color: c.FormValue("color"),
		PrivacyURL: c.FormValue("privacy_url"), ContactURL: c.FormValue("contact_url")}
	b.Normalize()
	if errs := b.Validate(); len(errs) > 0 {
		return s.render(c, http.StatusUnprocessableEntity, "branding", brandingView{Form: b, Errors: errs}, false)
	}
	a := store.Audit{Action: "branding.update", Detail: "name=" + b.Name}
	if u := currentUser(c); u != nil {
		a.ActorID = u.ID
	}
	if err := s.deps.Store.SetBranding(c.Request().Context(), b, a); err != nil {
		return err
	}
	s.brandings.Delete(struct{}{})
	return c.Redirect(http.StatusSeeOther, "/admin/branding?saved=1")
}

// privacyKey names the footer's sentence about what the page keeps: it
// must be true of the page it is on (route is the route's path).
func privacyKey(route string) string {
	switch {
	case route == "/":
		return "footer.privacy" // the lookup keeps nothing it looked up
	case route == "/c/:slug/survey":
		return "footer.privacy_survey"
	case route == "/u":
		return "footer.privacy_unsub"
	case strings.HasPrefix(route, "/c/:slug") && route != "/c/:slug/responsiveness", route == "/optin", route == "/forget":
		return "footer.privacy_action"
	}
	return "footer.privacy_none"
}

// brandingTTL bounds how long a saved branding takes to reach every
// replica's pages.
const brandingTTL = 15 * time.Second
