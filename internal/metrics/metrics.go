// Package metrics is the process's Prometheus series: what the web
// server, the delivery worker and the job queue report, and the gauges
// read from the database when Prometheus scrapes.
//
// The series are served on their own listener (OUTREACH_METRICS_ADDR),
// never on the public site, and may require a bearer token. They carry
// no personal data: labels are route patterns, channels, statuses, queue
// names and job kinds.
package metrics

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Count is one group of a database gauge: its label values and count.
type Count struct {
	Labels []string
	N      int64
}

// Sources are the database reads behind the gauges. Each may be nil.
type Sources struct {
	// Letters counts letters by status and channel.
	Letters func(ctx context.Context) ([]Count, error)
	// Jobs counts River jobs not yet finished by queue and state.
	Jobs func(ctx context.Context) ([]Count, error)
	// Queues are reported with 0 for each unfinished state that Jobs
	// does not count, so that a queue's series do not vanish when it is
	// empty.
	Queues []string
	// LatestRelease is the time the latest statistics release was
	// published (ok false when there is none).
	LatestRelease func(ctx context.Context) (at time.Time, ok bool, err error)
}

// Metrics holds the series. A nil *Metrics records nothing, so callers
// need not check whether metrics are on.
type Metrics struct {
	reg       *prometheus.Registry
	http      *prometheus.HistogramVec
	provider  *prometheus.CounterVec
	throttled *prometheus.CounterVec
	jobs      *prometheus.HistogramVec
}

// New registers the series, the Go runtime's and the process's, and the
// database gauges read from src at most every cacheFor.
func New(src Sources, cacheFor time.Duration, log *slog.Logger) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		http: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "outreach_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern, method and status class.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method", "code"}),
		provider: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outreach_provider_responses_total",
			Help: "Answers of delivery channels to send attempts, by channel and class (accepted, temporary, rate_limited, unknown, permanent).",
		}, []string{"channel", "class"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outreach_throttled_total",
			Help: "Requests refused by a throttle, by which (signin, password_checks, lookup, action).",
		}, []string{"throttle"}),
		jobs: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "outreach_job_seconds",
			Help:    "River job timings by queue, kind, phase (wait: available until started; run: working) and outcome.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
		}, []string{"queue", "kind", "phase", "outcome"}),
	}
	m.reg.MustRegister(m.http, m.provider, m.throttled, m.jobs,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&dbCollector{src: src, cacheFor: cacheFor, log: log})
	return m
}

// ObserveHTTP records one answered request. route is the route pattern
// (/c/:slug), never the path, so that labels stay few and hold no data.
func (m *Metrics) ObserveHTTP(route, method string, status int, took time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	m.http.WithLabelValues(route, method, strconv.Itoa(status/100)+"xx").Observe(took.Seconds())
}

// Provider records a channel's answer to one send attempt.
func (m *Metrics) Provider(channel, class string) {
	if m == nil {
		return
	}
	m.provider.WithLabelValues(channel, class).Inc()
}

// Throttled records a request refused by a throttle.
func (m *Metrics) Throttled(throttle string) {
	if m == nil {
		return
	}
	m.throttled.WithLabelValues(throttle).Inc()
}

// Job records a finished job run: how long it waited to start and ran.
func (m *Metrics) Job(queue, kind, outcome string, wait, run time.Duration) {
	if m == nil {
		return
	}
	m.jobs.WithLabelValues(queue, kind, "wait", outcome).Observe(wait.Seconds())
	m.jobs.WithLabelValues(queue, kind, "run", outcome).Observe(run.Seconds())
}

// Handler serves the series in the Prometheus text format. With a token,
// a request must carry "Authorization: Bearer <token>".
func (m *Metrics) Handler(token string) http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token != "" {
			got := r.Header.Get("Authorization")
			if subtle.ConstantTimeCompare([]byte(got), []byte("Bearer "+token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
				http.Error(w, "a bearer token is required", http.StatusUnauthorized)
				return
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

var (
	lettersDesc = prometheus.NewDesc("outreach_letters", "Letters by status and channel (channel is empty until one takes the letter).",
		[]string{"status", "channel"}, nil)
	jobsDesc = prometheus.NewDesc("outreach_queue_jobs", "River jobs not yet finished, by queue and state (the queue depth).",
		[]string{"queue", "state"}, nil)
	releaseDesc = prometheus.NewDesc("outreach_stats_release_age_seconds", "Seconds since the latest statistics release was published.",
		nil, nil)
	scrapeErrDesc = prometheus.NewDesc("outreach_db_gauges_up", "1 when the database gauges were read, 0 when the read failed.",
		nil, nil)
)

// dbCollector reads the database gauges when Prometheus scrapes, keeping
// them for cacheFor so that several scrapers (or a short interval) do not
// each run the GROUP BY over the letters.
type dbCollector struct {
	src      Sources
	cacheFor time.Duration
	log      *slog.Logger

	mu      sync.Mutex
	at      time.Time
	letters []Count
	jobs    []Count
	release time.Time
	hasRel  bool
	ok      bool
}

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- lettersDesc
	ch <- jobsDesc
	ch <- releaseDesc
	ch <- scrapeErrDesc
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() || time.Since(c.at) >= c.cacheFor {
		c.read()
	}
	for _, l := range c.letters {
		ch <- prometheus.MustNewConstMetric(lettersDesc, prometheus.GaugeValue, float64(l.N), l.Labels...)
	}
	seen := map[[2]string]bool{}
	for _, j := range c.jobs {
		seen[[2]string{j.Labels[0], j.Labels[1]}] = true
		ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(j.N), j.Labels...)
	}
	for _, q := range c.src.Queues {
		for _, state := range []string{"available", "scheduled", "running", "retryable"} {
			if !seen[[2]string{q, state}] {
				ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, 0, q, state)
			}
		}
	}
	if c.hasRel {
		ch <- prometheus.MustNewConstMetric(releaseDesc, prometheus.GaugeValue, time.Since(c.release).Seconds())
	}
	up := 0.0
	if c.ok {
		up = 1
	}
	ch <- prometheus.MustNewConstMetric(scrapeErrDesc, prometheus.GaugeValue, up)
}

// read refreshes the gauges; a failed read keeps the earlier values and
// says so in outreach_db_gauges_up.
func (c *dbCollector) read() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.at, c.ok = time.Now(), true
	fail := func(what string, err error) {
		c.ok = false
		if c.log != nil {
			c.log.Warn("metrics: database gauge not read", "gauge", what, "err", err)
		}
	}
	if c.src.Letters != nil {
		if v, err := c.src.Letters(ctx); err != nil {
			fail("letters", err)
		} else {
			c.letters = v
		}
	}
	if c.src.Jobs != nil {
		if v, err := c.src.Jobs(ctx); err != nil {
			fail("jobs", err)
		} else {
			c.jobs = v
		}
	}
	if c.src.LatestRelease != nil {
		if at, ok, err := c.src.LatestRelease(ctx); err != nil {
			fail("release", err)
		} else {
			c.release, c.hasRel = at, ok
		}
	}
}
