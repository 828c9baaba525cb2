// Package web is the HTTP face of outreach: one route table, handlers that
// return errors, and one error handler that turns domain errors into status
// codes and pages (HTML) or {"error": ...} bodies (JSON API).
package web

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/geocode"
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
	Log            *slog.Logger
	DB             Pinger
	Congress       *congress.Directory
	Geocoder       Geocoder // optional
	BodyLimit      string   // Echo size syntax, like "1M"
	TrustedProxies []*net.IPNet
	Version        string
}

// Server holds the Echo instance and the parsed templates.
type Server struct {
	e     *echo.Echo
	deps  Deps
	log   *slog.Logger
	pages *pages
	zips  zipCache
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
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.IPExtractor = ipExtractor(d.TrustedProxies)
	s := &Server{e: e, deps: d, log: d.Log, pages: p}
	e.HTTPErrorHandler = s.handleError

	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: http.StatusMovedPermanently}))
	e.Use(s.requestLog)
	e.Use(s.recoverPanics)
	e.Use(securityHeaders)
	e.Use(middleware.BodyLimit(d.BodyLimit))
	e.Use(s.language)
	s.routes()
	return s, nil
}

// routes is the one route table of the application.
func (s *Server) routes() {
	e := s.e
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/static/*", s.static)
	e.GET("/favicon.ico", func(c echo.Context) error {
		return c.Redirect(http.StatusMovedPermanently, assetURL("icon.svg"))
	})

	e.GET("/", s.lookupPage)

	api := e.Group("/api/v1")
	api.GET("/representatives", s.apiRepresentatives)
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

func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if s.deps.DB == nil {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "no database configured"})
	}
	if err := s.deps.DB.Ping(ctx); err != nil {
		s.log.Warn("readiness check failed", "err", err)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "database is not reachable"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}
