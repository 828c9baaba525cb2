// Package web is the HTTP face of outreach: one route table, handlers that
// return errors, and one error handler that turns domain errors into status
// codes and pages (HTML) or {"error": ...} bodies (JSON API).
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/branding"
	"github.com/outreach-org/outreach/internal/config"
	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/geocode"
	"github.com/outreach-org/outreach/internal/mailing"
	"github.com/outreach-org/outreach/internal/metrics"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/ttlcache"
)

// Pinger is what /readyz needs from the database.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Geocoder resolves a street address; nil when street lookup is off.
type Geocoder interface {
	Lookup(ctx context.Context, a geocode.Address) (geocode.Match, error)
}

// Deps are the server's collaborators, built by main.
type Deps struct {
	Log      *slog.Logger
	DB       Pinger       // readiness; defaults to Store
	Store    *store.Store // staff, sessions and everything persistent
	Congress *congress.Directory
	Geocoder Geocoder // optional
	// Metrics records request durations and throttle hits; nil records
	// nothing (it is served on its own listener, see cmd/outreach).
	Metrics        *metrics.Metrics
	BodyLimit      string // size like "1M" (config.ParseSize)
	DataDir        string // OUTREACH_DATA_DIR: /readyz fails when it cannot be written; "" skips that check
	TrustedProxies []*net.IPNet
	Version        string
	SecureCookies  bool          // the site is served over https
	SessionIdle    time.Duration // staff sessions end after this long unused
	SessionMax     time.Duration // and this long after sign-in, whatever happens
	Now            func() time.Time
	Keys           *seal.Keys    // opens sealed personal data
	Enqueue        store.Enqueue // adds delivery jobs in a store transaction; nil if no queue
	// Jobs inserts, in the transaction of a submission or a confirmation,
	// the jobs of the supporter's emails (the confirmation link; the copy
	// and the opt-in request) and of the letters (the River client); nil:
	// no job (tests).
	Jobs          dispatch.Inserter
	BaseURL       string // absolute links in emails, without a trailing slash
	OrgName       string
	Events        EventVerifier // SendGrid Event Webhook; nil: refused
	UploadLimit   string        // largest CSV/JSON import (OUTREACH_UPLOAD_LIMIT); "64M" when empty
	LookupLimit   int           // member lookups per client per minute (OUTREACH_LOOKUP_LIMIT); 0: no limit
	InboundSecret string        // SendGrid Inbound Parse secret (OUTREACH_INBOUND_SECRET); empty: refused
	// Hasher runs every argon2id password check and hash a few at a
	// time (OUTREACH_PASSWORD_CHECKS); nil: auth.NewHasher's defaults.
	Hasher *auth.Hasher
	// Channels are the delivery channels this build has (main's
	// registry), offered by the deliveries page's channel filter.
	Channels []delivery.Channel
	// Senders are the channels configuration turned on, and
	// DeliveryDefaults the settings of campaigns without their own: the
	// coverage view asks them which channel each office's letters take.
	// Tests may leave them empty (the outbox only).
	Senders          []delivery.Sender
	DeliveryDefaults dispatch.Settings
}

// Server holds the Echo instance and the parsed templates.
type Server struct {
	e        *echo.Echo
	deps     Deps
	log      *slog.Logger
	pages    *pages
	openapi  []byte // the description of /api/v1, as JSON
	zips     zipCache
	table    []RouteInfo
	prefixes map[*echo.Group]string

	campaigns *ttlcache.Cache[string, found[liveCampaign]]
	releases  *ttlcache.Cache[string, found[release]]
	progress  *ttlcache.Cache[int64, int64] // letters per campaign
	pageCache *ttlcache.Cache[string, []byte]
	brandings *ttlcache.Cache[struct{}, branding.Branding]
	health    *ttlcache.Cache[struct{}, probes]
	callPages *windowLimiter // call pages minted per client per hour
	// shareCards are the drawn share images (PNG), by cardKey.
	shareCards *ttlcache.Cache[string, []byte]
	// places answers a mailing preview's members of a supporter who wrote
	// no letter, built from the congressional data on first use.
	places func() mailing.PlaceMembers
}

// New builds the server and its route table. Templates are parsed here,
// once; a broken template fails start-up, not a request.
func New(d Deps) (*Server, error) {
	if d.Log == nil {
		return nil, errors.New("web: a logger is required")
	}
	if d.Congress == nil {
		return nil, errors.New("web: the congress directory is required")
	}
	if d.BodyLimit == "" {
		d.BodyLimit = "1M"
	}
	if d.DB == nil && d.Store != nil {
		d.DB = d.Store
	}
	if d.SessionIdle == 0 {
		d.SessionIdle = 2 * time.Hour
	}
	if d.SessionMax == 0 {
		d.SessionMax = 12 * time.Hour
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.OrgName == "" {
		d.OrgName = "Outreach"
	}
	if d.DeliveryDefaults.TimeZone == "" {
		def := dispatch.DefaultSettings()
		def.Channels = d.DeliveryDefaults.Channels
		d.DeliveryDefaults = def
	}
	if len(d.DeliveryDefaults.Channels) == 0 {
		d.DeliveryDefaults.Channels = defaultChannels
	}
	if d.Hasher == nil {
		d.Hasher = auth.NewHasher(0, 0)
	}
	if d.BaseURL == "" {
		d.BaseURL = "http://localhost:8080"
	}
	bodyMax, err := config.ParseSize(d.BodyLimit)
	if err != nil || bodyMax <= 0 {
		return nil, fmt.Errorf("web: body limit %q is not a size like 1M", d.BodyLimit)
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	spec, err := OpenAPI()
	if err != nil {
		return nil, err
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.IPExtractor = ipExtractor(d.TrustedProxies)
	s := &Server{e: e, deps: d, log: d.Log, pages: p, openapi: spec, prefixes: map[*echo.Group]string{},
		health: ttlcache.New[struct{}, probes](time.Second, 1, nil)}
	s.places = sync.OnceValue(func() mailing.PlaceMembers {
		if d.Congress == nil {
			return nil
		}
		return mailing.PlaceOf(d.Congress)
	})
	e.HTTPErrorHandler = s.handleError

	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: http.StatusMovedPermanently}))
	e.Use(s.requestLog)
	e.Use(s.recoverPanics)
	e.Use(s.securityHeaders)
	e.Use(s.bodyLimit(bodyMax)) // imports: uploadLimit
	e.Use(s.language)
	e.Use(s.identify)
	e.Use(s.uploadLimit)
	e.Use(s.csrf())
	s.initActionCaches()
	s.routes()
	return s, nil
}

// routes is the one route table of the application. Every route is
// registered through public or staff, so the table (and the role-matrix
// test) sees all of them.
func (s *Server) routes() {
	root := s.group("")
	s.public(root, http.MethodGet, "/healthz", s.healthz)
	s.public(root, http.MethodGet, "/readyz", s.readyz)
	s.public(root, http.MethodGet, "/static/*", s.static)
	s.public(root, http.MethodGet, "/favicon.ico", func(c echo.Context) error {
		return c.Redirect(http.StatusMovedPermanently, assetURL("icon.svg"))
	})
	limited := s.lookupLimit()
	if limited == nil {
		limited = func(h echo.HandlerFunc) echo.HandlerFunc { return h }
	}
	s.public(root, http.MethodGet, "/", limited(s.lookupPage))

	adm := s.group("/admin")
	s.public(adm, http.MethodGet, "/login", s.loginForm)
	s.public(adm, http.MethodPost, "/login", s.login)
	s.public(adm, http.MethodGet, "/setup", s.setupForm)
	s.public(adm, http.MethodPost, "/setup", s.setup)
	s.staff(adm, http.MethodPost, "/logout", auth.PermStaff, s.logout)
	s.staff(adm, http.MethodGet, "", auth.PermStaff, s.adminHome)
	s.staff(adm, http.MethodGet, "/account", auth.PermStaff, s.accountPage)
	s.staff(adm, http.MethodPost, "/account/password", auth.PermStaff, s.changePassword)
	s.staff(adm, http.MethodGet, "/tokens", auth.PermStaff, s.tokensPage)
	s.staff(adm, http.MethodPost, "/tokens", auth.PermStaff, s.createToken)
	s.staff(adm, http.MethodPost, "/tokens/:id/revoke", auth.PermStaff, s.revokeToken)
	s.staff(adm, http.MethodGet, "/users", auth.PermManageUsers, s.usersPage)
	s.staff(adm, http.MethodPost, "/users", auth.PermManageUsers, s.createUser)
	s.staff(adm, http.MethodGet, "/users/:id", auth.PermManageUsers, s.userPage)
	s.staff(adm, http.MethodPost, "/users/:id", auth.PermManageUsers, s.updateUser)
	s.staff(adm, http.MethodPost, "/users/:id/password", auth.PermManageUsers, s.resetPassword)
	s.staff(adm, http.MethodGet, "/audit", auth.PermViewAudit, s.auditPage)

	api := s.group("/api/v1")
	s.public(api, http.MethodGet, "/openapi.json", s.apiOpenAPI(s.openapi))
	s.public(api, http.MethodGet, "/representatives", limited(s.apiRepresentatives))
	s.staff(api, http.MethodGet, "/me", auth.PermStaff, s.apiMe)
	s.staff(api, http.MethodGet, "/audit", auth.PermViewAudit, s.apiAudit)
	s.campaignRoutes(adm, api)
	s.tablingRoutes(adm, api)
	s.deliveryRoutes(adm, api)
	s.actionRoutes(root)
	s.embedRoutes(root)
	s.shareRoutes(root)
	s.callRoutes(root, limited)
	s.brandingRoutes(root, adm)
	s.webhookRoutes(root)
	s.packetRoutes(adm)
	s.caseRoutes(root, adm, api)
	s.trackingRoutes(root, adm, api)
	s.scheduleRoutes(root, adm, api)
	s.reachRoutes(adm, api)
	s.supporterRoutes(adm, api)
	s.signOnRoutes(root, adm, api)
	s.mailingRoutes(adm, api)
}

// Handler exposes the router, for tests and for http.Server.
func (s *Server) Handler() http.Handler { return s.e }

// Serve runs the HTTP server on ln until ctx is cancelled, then stops
// accepting connections and lets in-flight requests finish within grace.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	srv := &http.Server{
		Handler:           s.e,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "grace", grace)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// ipExtractor trusts X-Forwarded-For only from the configured proxies, so
// that a client cannot choose its own IP for rate limits.
func ipExtractor(proxies []*net.IPNet) echo.IPExtractor {
	if len(proxies) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range proxies {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}
