package web

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/config"
)

// statsTTL is how long a replica serves the latest release from memory;
// a replica that created the release forgets it at once.
const statsTTL = 30 * time.Second

// caseHandlers hold the case and statistics handlers and the in-memory
// cache of published releases.
type caseHandlers struct {
	s     *Server
	cache *statsCache
}

// caseRoutes registers case intake (PermEditCases), release publishing
// (PermPublishStats) and the public statistics page and API.
func (s *Server) caseRoutes(root, adm, api *echo.Group) {
	h := &caseHandlers{s: s, cache: newStatsCache(s.deps.Store, s.deps.Now, statsTTL)}
	edit, publish := auth.PermEditCases, auth.PermPublishStats

	s.public(root, http.MethodGet, "/stats", h.statsPage)
	s.public(root, http.MethodGet, "/stats/:id", h.statsReleasePage)
	s.public(api, http.MethodGet, "/stats/latest", h.apiLatest)
	s.public(api, http.MethodGet, "/stats/releases", h.apiReleases)
	s.public(api, http.MethodGet, "/stats/releases/:id", h.apiRelease)

	s.staff(adm, http.MethodGet, "/cases", edit, h.casesPage)
	s.staff(adm, http.MethodGet, "/cases/new", edit, h.newCasePage)
	s.staff(adm, http.MethodPost, "/cases", edit, h.createCase)
	s.staff(adm, http.MethodGet, "/cases/import", edit, h.importPage)
	s.staff(adm, http.MethodPost, "/cases/import", edit, h.importCSV)
	s.staff(adm, http.MethodPost, "/cases/remove-demo", edit, h.removeDemo)
	s.staff(adm, http.MethodGet, "/cases/:id", edit, h.casePage)
	s.staff(adm, http.MethodPost, "/cases/:id", edit, h.updateCase)
	s.staff(adm, http.MethodPost, "/cases/:id/delete", edit, h.deleteCase)

	s.staff(adm, http.MethodGet, "/stats/releases", publish, h.releasesPage)
	s.staff(adm, http.MethodPost, "/stats/releases", publish, h.publishRelease)
	s.staff(adm, http.MethodGet, "/stats/releases/:id", publish, h.releasePage)

	s.staff(api, http.MethodPost, "/stats/releases", publish, h.apiPublishRelease)
	s.staff(api, http.MethodGet, "/cases", edit, h.apiCases)
	s.staff(api, http.MethodPost, "/cases", edit, h.apiCreateCases)
	s.staff(api, http.MethodGet, "/cases/:id", edit, h.apiCase)
	s.staff(api, http.MethodPut, "/cases/:id", edit, h.apiUpdateCase)
	s.staff(api, http.MethodDelete, "/cases/:id", edit, h.apiDeleteCase)
}

// --- large uploads ---

// defaultUploadLimit applies when Deps.UploadLimit is empty.
const defaultUploadLimit = "64M"

// errUploadTooLarge is a CSV or JSON import over OUTREACH_UPLOAD_LIMIT
// (mapped to 413 in errors.go, with the limit in the message).
var errUploadTooLarge = errors.New("upload too large")

// isUpload tells the two import routes, which take bodies up to
// OUTREACH_UPLOAD_LIMIT instead of OUTREACH_BODY_LIMIT. The global body
// limit skips them (server.go) and uploadLimit applies the larger one.
func isUpload(c echo.Context) bool {
	r := c.Request()
	return r.Method == http.MethodPost && (r.URL.Path == "/admin/cases/import" || r.URL.Path == "/api/v1/cases")
}

// uploadLimit guards the import routes. It runs after identify and before
// the CSRF check (which parses multipart forms): it refuses callers who may
// not import before anything is read, refuses a declared Content-Length
// over the limit, and cuts off a body that grows past it, answering 413
// whatever the reader of the body made of the cut (a form that could not
// be parsed, a CSRF token not found).
func (s *Server) uploadLimit(next echo.HandlerFunc) echo.HandlerFunc {
	limit, shown := s.uploadLimitBytes()
	return func(c echo.Context) error {
		if !isUpload(c) {
			return next(c)
		}
		u := currentUser(c)
		if u == nil {
			return errUnauthenticated
		}
		if !u.Role.Can(auth.PermEditCases) {
			return errForbidden
		}
		req := c.Request()
		tooLarge := withArgs(errUploadTooLarge, shown)
		if req.ContentLength > limit {
			return tooLarge
		}
		lr := &limitReader{r: req.Body, left: limit}
		req.Body = lr
		c.Set(uploadReaderKey, lr)
		err := next(c)
		if lr.over && !c.Response().Committed {
			return tooLarge
		}
		return err
	}
}

const uploadReaderKey = "upload_reader"

// uploadCut reports whether the request body went over the upload limit.
func uploadCut(c echo.Context) bool {
	lr, _ := c.Get(uploadReaderKey).(*limitReader)
	return lr != nil && lr.over
}

func (s *Server) uploadLimitBytes() (int64, string) {
	v := s.deps.UploadLimit
	if v == "" {
		v = defaultUploadLimit
	}
	n, err := config.ParseSize(v)
	if err != nil || n <= 0 {
		n, _ = config.ParseSize(defaultUploadLimit)
	}
	return n, formatSize(n)
}

func formatSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + " GB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// limitReader ends the body with errUploadTooLarge after left bytes.
type limitReader struct {
	r    io.ReadCloser
	left int64
	over bool
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.over {
		return 0, errUploadTooLarge
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		l.over = true
		return n, errUploadTooLarge
	}
	return n, err
}

func (l *limitReader) Close() error { return l.r.Close() }
