package web

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/labstack/echo/v4"
)

// retryAfter is what a 503 asks clients to wait, in seconds.
const retryAfter = "30"

// probeFile is the file /readyz writes in the data directory.
const probeFile = ".readyz-probe"

// probes are the answers of one database ping and data-directory write.
// The server keeps them a second (Server.health), so that an outage
// answered by many requests (or a flood of /readyz) probes once.
type probes struct{ dbErr, dirErr error }

// check pings the database and writes to the data directory, or returns
// the answers of the last second.
func (s *Server) check() (dbErr, dirErr error) {
	p, _ := s.health.Load(context.Background(), struct{}{}, func(context.Context) (probes, error) {
		var p probes
		if s.deps.DB == nil {
			p.dbErr = errors.New("no database configured")
		} else {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			p.dbErr = s.deps.DB.Ping(ctx)
			cancel()
		}
		if s.deps.DataDir != "" {
			p.dirErr = writable(s.deps.DataDir)
		}
		return p, nil
	})
	return p.dbErr, p.dirErr
}

// writable writes 4 KiB to a file in dir and syncs it: a directory that
// is missing, read-only or on a full disk fails (a full disk fails the
// write or the sync, not the open).
func writable(dir string) error {
	f, err := os.OpenFile(filepath.Join(dir, probeFile), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, werr := f.Write(make([]byte, 4096))
	serr := f.Sync()
	cerr := f.Close()
	return errors.Join(werr, serr, cerr)
}

// unavailable says whether an unexplained failure is an outage: the
// database does not answer, or the data directory cannot be written.
func (s *Server) unavailable() bool {
	dbErr, dirErr := s.check()
	return dbErr != nil || dirErr != nil
}

func (s *Server) readyz(c echo.Context) error {
	dbErr, dirErr := s.check()
	switch {
	case dbErr != nil:
		s.log.Warn("readiness check failed", "err", dbErr)
		c.Response().Header().Set("Retry-After", retryAfter)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "database is not reachable"})
	case dirErr != nil:
		s.log.Warn("readiness check failed: data directory not writable", "err", dirErr)
		c.Response().Header().Set("Retry-After", retryAfter)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "data directory is not writable"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// bodyLimit refuses a request body over the limit with 413: a declared
// Content-Length at once, and a body without one (chunked) by reading it,
// up to the limit, before the handler runs, so that no handler turns the
// cut into a 400 or acts on half a body. Imports and the inbound-mail
// webhook have their own limits.
func (s *Server) bodyLimit(limit int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if isUpload(c) || isInbound(c) {
				return next(c)
			}
			r := c.Request()
			if r.ContentLength > limit {
				return echo.ErrStatusRequestEntityTooLarge
			}
			if r.ContentLength < 0 {
				b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
				if err != nil {
					return echo.NewHTTPError(http.StatusBadRequest, "the request body could not be read").SetInternal(err)
				}
				if int64(len(b)) > limit {
					return echo.ErrStatusRequestEntityTooLarge
				}
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
			}
			return next(c)
		}
	}
}
