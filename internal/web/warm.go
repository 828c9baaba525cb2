package web

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/campaign"
)

// Warm gets the server ready for its first requests before it takes
// traffic: the database pool's connections are opened, and the pages
// served to many (each live campaign's page in both languages, /stats, a
// lookup) are rendered into their caches, which also loads the campaign
// and release caches and runs every template once. Without it the first
// second after a start was slower than the rest. It answers how many
// pages it rendered; a page that fails is left to its first visitor.
func (s *Server) Warm(ctx context.Context) (int, error) {
	if s.deps.Store == nil {
		return 0, nil
	}
	if _, err := s.deps.Store.Warm(ctx); err != nil {
		return 0, err
	}
	camps, err := s.deps.Store.Campaigns(ctx)
	if err != nil {
		return 0, err
	}
	paths := []string{"/stats", "/?q=20001"}
	for _, c := range camps {
		if c.Status == campaign.Live {
			paths = append(paths, "/c/"+c.Slug)
		}
	}
	pages := 0
	for _, p := range paths {
		// As a first visitor would ask: the language from the browser, no
		// query, so the cache keys are theirs.
		for _, lang := range []string{"en", "es"} {
			req, err := http.NewRequestWithContext(context.WithValue(ctx, warmingKey{}, true), http.MethodGet, p, nil)
			if err != nil {
				return pages, err
			}
			req.Header.Set("Accept-Language", lang)
			req.RemoteAddr = "127.0.0.1:0"
			w := &discardWriter{h: http.Header{}}
			s.e.ServeHTTP(w, req)
			if w.status == http.StatusOK {
				pages++
			}
		}
	}
	return pages, nil
}

// warmingKey marks Warm's own requests: no visitor's rate limit, metrics
// or request log counts them.
type warmingKey struct{}

func warming(c echo.Context) bool {
	w, _ := c.Request().Context().Value(warmingKey{}).(bool)
	return w
}

// discardWriter is a ResponseWriter that keeps only the status.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(b), nil
}
func (w *discardWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
