package web

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// windowLimiter counts requests per client in fixed windows (a minute):
// at the start of each window every count starts again, so its memory is
// the clients of one window.
type windowLimiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	now    func() time.Time
	start  time.Time
	counts map[string]int
}

func newWindowLimiter(limit int, window time.Duration, now func() time.Time) *windowLimiter {
	return &windowLimiter{limit: limit, window: window, now: now, counts: map[string]int{}}
}

// take counts one request of key. It says how many remain in the window,
// when the window ends, and whether this request is within the limit.
func (l *windowLimiter) take(key string) (remaining int, reset time.Duration, ok bool) {
	return l.takeN(key, l.limit)
}

// takeN is take with a limit of its own for this request (a campaign's
// tabling event raises it for one campaign).
func (l *windowLimiter) takeN(key string, limit int) (remaining int, reset time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Before(l.start) || now.Sub(l.start) >= l.window {
		l.start = now.Truncate(l.window)
		clear(l.counts)
	}
	reset = l.start.Add(l.window).Sub(now)
	n := l.counts[key]
	if n >= limit {
		return 0, reset, false
	}
	l.counts[key] = n + 1
	return limit - n - 1, reset, true
}

// clientKey is the client a limit counts: its IP (from X-Forwarded-For
// only through OUTREACH_TRUSTED_PROXIES), an IPv6 /64 as one client, since
// one household or phone holds a whole /64.
func clientKey(c echo.Context) string {
	ip := net.ParseIP(c.RealIP())
	if ip == nil {
		return c.RealIP()
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}

// lookupLimit limits member lookups (GET /api/v1/representatives, and the
// lookup page when it looks something up) per client per minute
// (OUTREACH_LOOKUP_LIMIT). Every limited answer says where the client
// stands, in the RateLimit-Policy and RateLimit fields of
// draft-ietf-httpapi-ratelimit-headers; over the limit it is 429 with
// Retry-After. Nil when there is no limit.
func (s *Server) lookupLimit() echo.MiddlewareFunc {
	if s.deps.LookupLimit <= 0 {
		return nil
	}
	l := newWindowLimiter(s.deps.LookupLimit, time.Minute, s.deps.Now)
	policy := `"lookup";q=` + strconv.Itoa(s.deps.LookupLimit) + ";w=60"
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if warming(c) {
				return next(c)
			}
			if c.Path() == "/" && c.QueryParam("q") == "" && c.QueryParam("lat") == "" && c.QueryParam("lon") == "" {
				return next(c) // the empty form looks nothing up
			}
			remaining, reset, ok := l.take(clientKey(c))
			secs := int(math.Ceil(reset.Seconds()))
			h := c.Response().Header()
			h.Set("RateLimit-Policy", policy)
			h.Set("RateLimit", `"lookup";r=`+strconv.Itoa(remaining)+";t="+strconv.Itoa(secs))
			if !ok {
				s.deps.Metrics.Throttled("lookup")
				h.Set("Retry-After", strconv.Itoa(secs))
				return echo.NewHTTPError(http.StatusTooManyRequests)
			}
			return next(c)
		}
	}
}
