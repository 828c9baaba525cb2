package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/i18n"
	"github.com/outreach-org/outreach/static"
	"github.com/outreach-org/outreach/templates"
)

// Page is what every template receives: the language, helpers the layout
// needs, and the page's own data.
type Page struct {
	Lang     i18n.Lang
	Langs    []LangLink
	DataAsOf string
	Script   bool // include app.js
	Data     any
	// Public pages: the organization's branding, and the footer's
	// sentence about what this page keeps (true of this page).
	Brand   brandView
	Privacy string
	// Staff pages
	User  *auth.User
	CSRF  string
	Nav   []NavItem
	Flash string
	Admin bool
	// Embed: the page is the action form inside an iframe on the
	// organization's site (minimal chrome, and the script that sizes the
	// iframe, which posts only to EmbedOrigins).
	Embed        bool
	EmbedOrigins string
	// Meta: the page's link-preview tags (Open Graph, Twitter card).
	Meta *shareMeta
}

// NavItem is one link of the staff navigation, shown only to roles that
// may follow it.
type NavItem struct {
	Label, URL string
	Current    bool
}

// navItems lists the staff sections in order with the permission each
// needs; features add theirs here.
var navItems = []struct {
	label, url string
	perm       auth.Permission
}{
	{"Home", "/admin", auth.PermStaff},
	{"Campaigns", "/admin/campaigns", auth.PermViewCampaigns},
	{"Deliveries", "/admin/deliveries", auth.PermViewDeliveries},
	{"Outbox", "/admin/outbox", auth.PermViewDeliveries},
	{"Contacts", "/admin/contacts", auth.PermViewDeliveries},
	{"Cases", "/admin/cases", auth.PermEditCases},
	{"Statistics", "/admin/stats/releases", auth.PermPublishStats},
	{"Dashboard", "/admin/dashboard", auth.PermViewDashboards},
	{"Supporters", "/admin/supporters", auth.PermViewDashboards},
	{"Responses", "/admin/responses/inbox", auth.PermEditCampaigns},
	{"Schedule", "/admin/schedule", auth.PermViewCampaigns},
	{"Mailings", "/admin/mailings", auth.PermViewCampaigns},
	{"Users", "/admin/users", auth.PermManageUsers},
	{"Branding", "/admin/branding", auth.PermManageUsers},
	{"Audit log", "/admin/audit", auth.PermViewAudit},
	{"API tokens", "/admin/tokens", auth.PermStaff},
	{"Account", "/admin/account", auth.PermStaff},
}

// T translates for the page's language.
func (p Page) T(key string, args ...any) string { return p.Lang.T(key, args...) }

// N translates a message with a count (i18n.Lang.N: singular or plural).
// Templates pass int or int64 counts.
func (p Page) N(key string, n any, args ...any) string {
	switch v := n.(type) {
	case int64:
		return p.Lang.N(key, int(v), args...)
	case int:
		return p.Lang.N(key, v, args...)
	}
	return p.Lang.T(key+".other", append([]any{n}, args...)...)
}

// LangLink is one entry of the language switcher: the same page in Code.
type LangLink struct {
	Code i18n.Lang
	Name string
	URL  string
	// Repost, when set, is the page's form sent again in Code instead of
	// a link: a page that answered a form post keeps what was typed.
	Repost *repost
}

// repost is a form the language switch sends again: its action and the
// fields it had (the CSRF token is the page's).
type repost struct {
	Action string
	Fields []hiddenField
}

type hiddenField struct{ Name, Value string }

// langSwitcher is page data whose language switch opens a GET page of its
// own (path and query without lang) rather than the current URL: a page
// that answered a POST whose repeat would act again.
type langSwitcher interface{ langSwitch() string }

// langReposter is page data whose language switch, on a page that
// answered a POST, sends the same form again (a repeat changes nothing).
type langReposter interface{ langRepost() *repost }

type pages struct {
	byName map[string]*template.Template
}

// pageNames lists the page templates; each is parsed with layout.html.
var pageNames = []string{"lookup", "error", "login", "setup", "admin_home", "account", "tokens", "users", "user", "audit",
	"deliveries", "delivery", "outbox", "action", "action_msg", "packets",
	"campaigns", "campaign_edit", "campaign_preview", "campaign_versions", "campaign_diff", "tabling",
	"cases", "case_form", "cases_import", "stats", "stats_releases",
	"dashboard", "supporters", "responses_inbox", "responses_form", "responsiveness",
	"schedule", "followups", "survey", "confirm", "contacts", "office_contacts", "coverage", "branding", "calls",
	"signon", "signatories",
	"mailings", "mailing_new", "mailing"}

var assetHashes sync.Map // name -> short content hash, for cache busting

// assetURL returns /static/NAME?v=HASH so browsers may cache for a year.
func assetURL(name string) string {
	if v, ok := assetHashes.Load(name); ok {
		return "/static/" + name + "?v=" + v.(string)
	}
	b, err := fs.ReadFile(static.FS, name)
	if err != nil {
		return "/static/" + name
	}
	sum := sha256.Sum256(b)
	v := hex.EncodeToString(sum[:4])
	assetHashes.Store(name, v)
	return "/static/" + name + "?v=" + v
}

func parsePages() (*pages, error) {
	funcs := template.FuncMap{"asset": assetURL, "field": fieldArgs, "afield": afieldArgs, "paras": paragraphs,
		"choiceArgs": choiceArgs, "textArgs": textArgs, "langOptions": langOptions}
	p := &pages{byName: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templates.FS, "layout.html", "partials.html", name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// render executes a page into a buffer first, so a template error becomes a
// clean 500 instead of half a page.
func (s *Server) render(c echo.Context, status int, name string, data any, script bool) error {
	b, err := s.renderBytes(c, name, data, script, csrfToken(c))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, b)
}

// csrfSlot stands for the visitor's CSRF token in pages that are rendered
// once and served to many (the campaign page): it is replaced per request.
const csrfSlot = "CSRF-SLOT-7f3a9c"

// renderBytes executes a page with the layout into bytes.
func (s *Server) renderBytes(c echo.Context, name string, data any, script bool, csrf string) ([]byte, error) {
	t, ok := s.pages.byName[name]
	if !ok {
		return nil, fmt.Errorf("no template %q", name)
	}
	lang := langOf(c)
	pg := Page{Lang: lang, Langs: langLinks(c, lang), DataAsOf: s.deps.Congress.AsOf(), Script: script, Data: data,
		User: currentUser(c), CSRF: csrf}
	if isEmbedded(c) {
		pg.Embed = true
		pg.EmbedOrigins, _ = c.Get(embedOriginsKey).(string)
	}
	if !strings.HasPrefix(c.Request().URL.Path, "/admin") {
		pg.Brand = s.brandView(c.Request().Context())
		pg.Privacy = lang.T(privacyKey(c.Path()))
		if k, ok := c.Get(privacyOverride).(string); ok {
			pg.Privacy = lang.T(k)
		}
		if name == "error" {
			pg.Privacy = lang.T("footer.privacy_none") // an error page kept nothing
		}
		if pg.Brand.LogoURL != "" {
			b := s.branding(c.Request().Context())
			h := c.Response().Header() // the page's policy, which may let an allowed site frame it
			h.Set("Content-Security-Policy", strings.Replace(h.Get("Content-Security-Policy"), "img-src 'self' data:", "img-src 'self' data: "+b.LogoOrigin(), 1))
		}
	}
	if sp, ok := data.(sharePage); ok {
		pg.Meta = sp.shareMeta()
	}
	switch d := data.(type) {
	case langSwitcher:
		if u := d.langSwitch(); u != "" {
			pg.Langs = switchLinks(u)
		}
	case langReposter:
		if c.Request().Method == http.MethodPost {
			if rp := d.langRepost(); rp != nil {
				for i := range pg.Langs {
					pg.Langs[i].Repost = rp
				}
			}
		}
	}
	if strings.HasPrefix(c.Request().URL.Path, "/admin") {
		// Staff pages are written in English: say so to screen readers
		// and translation tools even when the visitor's language is Spanish.
		pg.Admin, pg.DataAsOf, pg.Langs, pg.Lang = true, "", nil, i18n.English
		if pg.User != nil {
			path := c.Request().URL.Path
			for _, n := range navItems {
				if pg.User.Role.Can(n.perm) {
					cur := path == n.url || (n.url != "/admin" && strings.HasPrefix(path, n.url))
					pg.Nav = append(pg.Nav, NavItem{Label: n.label, URL: n.url, Current: cur})
				}
			}
		}
		if ck, err := c.Cookie("flash"); err == nil {
			if v, err := url.QueryUnescape(ck.Value); err == nil {
				pg.Flash = v
			}
			c.SetCookie(&http.Cookie{Name: "flash", Path: "/admin", MaxAge: -1, HttpOnly: true})
		}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", pg); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// langLinks builds the switcher: the current URL with lang= replaced.
func langLinks(c echo.Context, cur i18n.Lang) []LangLink {
	out := make([]LangLink, 0, len(i18n.Supported))
	for _, l := range i18n.Supported {
		q := url.Values{}
		for k, v := range c.QueryParams() {
			q[k] = v
		}
		q.Set("lang", string(l))
		u := c.Request().URL.Path + "?" + q.Encode()
		if c.Request().Method != http.MethodGet {
			u = c.Request().URL.Path + "?lang=" + string(l)
		}
		out = append(out, LangLink{Code: l, Name: l.Name(), URL: u})
	}
	_ = cur
	return out
}

// switchLinks is the switcher for a page reopened at GET u.
func switchLinks(u string) []LangLink {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	out := make([]LangLink, 0, len(i18n.Supported))
	for _, l := range i18n.Supported {
		out = append(out, LangLink{Code: l, Name: l.Name(), URL: u + sep + "lang=" + string(l)})
	}
	return out
}

// static serves embedded assets; versioned URLs are immutable.
func (s *Server) static(c echo.Context) error {
	name := strings.TrimPrefix(path.Clean("/"+c.Param("*")), "/")
	b, err := fs.ReadFile(static.FS, name)
	if err != nil || strings.HasSuffix(name, ".go") {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	if c.QueryParam("v") != "" {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=3600")
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	return c.Blob(http.StatusOK, ct, b)
}

// flash shows a one-line notice on the next staff page (after a redirect).
func flash(c echo.Context, msg string) {
	c.SetCookie(&http.Cookie{Name: "flash", Value: url.QueryEscape(msg), Path: "/admin", MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// fieldView is what the "field" partial draws: a labelled input with its
// error, keeping what the person typed.
type fieldView struct {
	Name, Label, Type, Value, Error, Autocomplete string
}

func fieldArgs(name, label, typ, value, errMsg, autocomplete string) fieldView {
	return fieldView{Name: name, Label: label, Type: typ, Value: value, Error: errMsg, Autocomplete: autocomplete}
}

// afieldView is a supporter-form input with hint, error and required flag.
type afieldView struct {
	Name, Label, Type, Value, Error, Autocomplete, Hint, Optional string
	Required                                                      bool
}

func afieldArgs(name, label, typ, value, errMsg, autocomplete, hint string, required bool, optional string) afieldView {
	return afieldView{Name: name, Label: label, Type: typ, Value: value, Error: errMsg, Autocomplete: autocomplete, Hint: hint,
		Required: required, Optional: optional}
}

// paragraphs splits plain text on blank lines, for display.
func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
