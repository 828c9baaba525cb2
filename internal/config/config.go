// Package config reads outreach's settings from the environment, validates
// them once at start-up, and can describe every variable for `outreach help`.
//
// Nothing here is global: main builds a Config and passes it down.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Var documents one environment variable. Secret variables may instead be
// read from a file named by NAME_FILE (Docker and Kubernetes secrets).
type Var struct {
	Name    string
	Default string
	Secret  bool
	Help    string
}

// Vars lists every variable outreach reads, in the order `outreach help`
// prints them. Keep it the single source of truth: Load reads only these.
var Vars = []Var{
	{Name: "OUTREACH_ADDR", Default: "127.0.0.1:8080", Help: "address the HTTP server listens on (this machine only by default; :8080 listens on every interface)"},
	{Name: "OUTREACH_BASE_URL", Default: "http://localhost<port of OUTREACH_ADDR>", Help: "public URL of the site, used in links; when https, every cookie is Secure and responses carry HSTS"},
	{Name: "OUTREACH_DATA_DIR", Default: "./data", Help: "directory for the SQLite file and imported data"},
	{Name: "DATABASE_URL", Default: "(empty: SQLite file outreach.db in the data dir)", Secret: true, Help: "postgres://user:pass@host/db for PostgreSQL"},
	{Name: "OUTREACH_LOG_LEVEL", Default: "info", Help: "debug, info, warn or error"},
	{Name: "OUTREACH_LOG_FORMAT", Default: "text", Help: "text or json"},
	{Name: "OUTREACH_TRUSTED_PROXIES", Default: "(empty: trust no proxy headers)", Help: "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed"},
	{Name: "OUTREACH_BODY_LIMIT", Default: "1M", Help: "largest request body accepted (K, M suffixes)"},
	{Name: "OUTREACH_LOOKUP_LIMIT", Default: "300", Help: "member lookups per minute per client IP (an IPv6 /64 counts as one) at /api/v1/representatives and the lookup page; over it: 429 with Retry-After (0: no limit)"},
	{Name: "OUTREACH_UPLOAD_LIMIT", Default: "64M", Help: "largest case-record import (CSV upload or JSON/CSV to POST /api/v1/cases)"},
	{Name: "OUTREACH_DEMO", Default: "true", Help: "on a new install (no case records, no release), load synthetic demonstration cases and publish a release from them"},
	{Name: "OUTREACH_SHUTDOWN_TIMEOUT", Default: "15s", Help: "how long in-flight requests may finish after SIGTERM"},
	{Name: "OUTREACH_SESSION_IDLE", Default: "2h", Help: "a staff session ends after this long without use"},
	{Name: "OUTREACH_SESSION_MAX", Default: "12h", Help: "a staff session ends this long after sign-in"},
	{Name: "OUTREACH_PASSWORD_CHECKS", Default: "4", Help: "argon2id password checks run at once per process (about 19 MiB each); others wait up to 2s, then get 429 with Retry-After"},
	{Name: "OUTREACH_SECRET_KEYS", Default: "(generated into <data dir>/keys.json while the database holds no sealed data)", Secret: true, Help: "encryption keys for supporters' data: id:base64key[,id:base64key...]; the first seals new data, the others only open old data until outreach keys rotate has re-sealed it"},
	{Name: "OUTREACH_INDEX_KEY", Default: "(generated into <data dir>/keys.json while the database holds no sealed data)", Secret: true, Help: "base64 32-byte key for blind indexes (finding a supporter by email, suppressions, repeat protection); never change it"},
	{Name: "OUTREACH_RUN_WORKERS", Default: "true", Help: "run delivery workers inside serve (false: run them with outreach worker)"},
	{Name: "OUTREACH_DELIVERY_CHANNELS", Default: "cwc,sendgrid,packet", Help: "default channel order; unconfigured channels are skipped, and with none configured letters go to the outbox"},
	{Name: "OUTREACH_DELIVERY_WORKERS", Default: "16", Help: "delivery jobs worked at once per process (a batch job sends up to 16 of its letters at a time)"},
	{Name: "OUTREACH_SENDGRID_RATE", Default: "50", Help: "letters per second sent through SendGrid by each worker process (0: no limit)"},
	{Name: "OUTREACH_CWC_RATE", Default: "1", Help: "letters per second sent through CWC by each worker process (0: no limit)"},
	{Name: "OUTREACH_MAILING_RATE", Default: "0", Help: "mobilization emails per second sent by each worker process (0: as fast as SendGrid takes them)"},
	{Name: "OUTREACH_ORG_NAME", Default: "Outreach", Help: "the organization's name, on letters, packets and emails"},
	{Name: "OUTREACH_MAIL_FROM", Default: "outreach@localhost", Help: "sender address of emails"},
	{Name: "OUTREACH_REPLY_DOMAIN", Default: "(empty: no per-letter reply address)", Help: "domain of per-letter reply addresses reply+TOKEN@domain (SendGrid Inbound Parse)"},
	{Name: "SENDGRID_API_KEY", Default: "(empty: SendGrid off)", Secret: true, Help: "SendGrid API key; turns on email delivery"},
	{Name: "OUTREACH_SENDGRID_URL", Default: "https://api.sendgrid.com", Help: "SendGrid API base URL (a sandbox or test server)"},
	{Name: "SENDGRID_WEBHOOK_PUBLIC_KEY", Default: "(empty: event webhook refuses everything)", Secret: true, Help: "base64 ECDSA public key that signs SendGrid's Event Webhook"},
	{Name: "OUTREACH_INBOUND_SECRET", Default: "(empty: inbound reply webhook refuses everything)", Secret: true, Help: "secret SendGrid Inbound Parse must send to /webhooks/sendgrid/inbound (?key=, /inbound/SECRET or basic auth password); 16+ characters"},
	{Name: "CWC_HOUSE_URL", Default: "(empty: House CWC off)", Help: "House Communicating-with-Congress host"},
	{Name: "CWC_HOUSE_API_KEY", Default: "", Secret: true, Help: "House CWC API key"},
	{Name: "CWC_SENATE_URL", Default: "(empty: Senate CWC off)", Help: "Senate CWC host"},
	{Name: "CWC_SENATE_API_KEY", Default: "", Secret: true, Help: "Senate CWC API key"},
	{Name: "CWC_SENATE_TESTING", Default: "true", Help: "send Senate CWC messages to the testing endpoint"},
	{Name: "CWC_DELIVERY_AGENT", Default: "(the organization's name)", Help: "CWC DeliveryAgent: must match the API key's owner"},
	{Name: "CWC_CONTACT_PHONE", Default: "(required with CWC)", Help: "phone of the CWC delivery agent's contact"},
	{Name: "CWC_ACK_EMAIL", Default: "(OUTREACH_MAIL_FROM)", Help: "address CWC acknowledgements go to"},
	{Name: "OUTREACH_STATS_RELEASE_CRON", Default: "(empty: no schedule seeded)", Help: "seeds, once, a statistics release schedule in /admin/schedule (5 fields or @weekly; CRON_TZ=America/New_York prefix, default zone America/New_York); once one exists, staff edit it there and this is not applied again"},
	{Name: "OUTREACH_METRICS_ADDR", Default: "(empty: no metrics)", Help: "address of a separate listener serving Prometheus metrics at /metrics, like 127.0.0.1:9090 (never on OUTREACH_ADDR); any other host than loopback needs OUTREACH_METRICS_TOKEN"},
	{Name: "OUTREACH_METRICS_TOKEN", Default: "(empty: no token; only allowed on a loopback address)", Secret: true, Help: "bearer token scrapers must send to /metrics (16+ characters)"},
	{Name: "OUTREACH_GEOCODER", Default: "off", Help: "street-address lookup: off or census (US Census geocoder, online)"},
	{Name: "OUTREACH_GEOCODER_URL", Default: "https://geocoding.geo.census.gov/geocoder", Help: "base URL of the Census geocoder"},
	{Name: "OUTREACH_GEOCODER_TIMEOUT", Default: "5s", Help: "time limit for one geocoder request"},
}

// Config is the validated configuration.
type Config struct {
	Addr            string
	BaseURL         *url.URL
	DataDir         string
	DatabaseURL     string // empty means SQLite in DataDir
	LogLevel        string
	LogFormat       string
	TrustedProxies  []*net.IPNet
	BodyLimit       string
	BodyLimitBytes  int64
	UploadLimit     string
	LookupLimit     int // per client IP per minute; 0: no limit
	UploadMaxBytes  int64
	Demo            bool
	ShutdownTimeout time.Duration
	SessionIdle     time.Duration
	SessionMax      time.Duration
	PasswordChecks  int
	Geocoder        string
	GeocoderURL     string
	GeocoderTimeout time.Duration

	SecretKeys        string
	IndexKey          string
	RunWorkers        bool
	DeliveryChannels  []string
	DeliveryWorkers   int
	SendGridRate      float64 // letters/s per process; 0: unlimited
	CWCRate           float64
	MailingRate       float64 // mobilization emails/s per process; 0: unlimited
	OrgName           string
	MailFrom          string
	ReplyDomain       string
	InboundSecret     string // OUTREACH_INBOUND_SECRET: SendGrid Inbound Parse webhook
	SendGridAPIKey    string
	SendGridURL       string
	SendGridPublicKey string
	CWCHouseURL       string
	CWCHouseKey       string
	CWCSenateURL      string
	CWCSenateKey      string
	CWCSenateTesting  bool
	CWCDeliveryAgent  string
	CWCAckEmail       string
	CWCContactPhone   string
	StatsReleaseCron  string
	MetricsAddr       string // empty: metrics off
	MetricsToken      string
}

// UsesPostgres reports whether DATABASE_URL points at PostgreSQL.
func (c *Config) UsesPostgres() bool { return c.DatabaseURL != "" }

// SQLitePath is the SQLite file used when DATABASE_URL is empty.
func (c *Config) SQLitePath() string { return filepath.Join(c.DataDir, "outreach.db") }

// Secure reports whether the public site is served over https.
func (c *Config) Secure() bool { return c.BaseURL.Scheme == "https" }

// Error names the variable that is wrong, so an operator can fix it.
type Error struct {
	Var string
	Msg string
}

func (e *Error) Error() string { return e.Var + ": " + e.Msg }

// Load reads the configuration through getenv (os.Getenv in main, a map in
// tests) and validates it. All problems are reported at once. channels are
// the names OUTREACH_DELIVERY_CHANNELS may list: main passes its channel
// registry's. With none given, any name of lower-case letters and digits
// is kept (callers that deliver nothing).
func Load(getenv func(string) string, channels ...string) (*Config, error) {
	var errs []error
	get := func(name string) string {
		v, err := lookup(getenv, name)
		if err != nil {
			errs = append(errs, err)
		}
		return v
	}
	or := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	c := &Config{
		Addr:        or(get("OUTREACH_ADDR"), "127.0.0.1:8080"), // a laptop's first run is not on the network
		DataDir:     or(get("OUTREACH_DATA_DIR"), "./data"),
		DatabaseURL: get("DATABASE_URL"),
		LogLevel:    strings.ToLower(or(get("OUTREACH_LOG_LEVEL"), "info")),
		LogFormat:   strings.ToLower(or(get("OUTREACH_LOG_FORMAT"), "text")),
		BodyLimit:   strings.ToUpper(or(get("OUTREACH_BODY_LIMIT"), "1M")),
		Geocoder:    strings.ToLower(or(get("OUTREACH_GEOCODER"), "off")),
		GeocoderURL: or(get("OUTREACH_GEOCODER_URL"), "https://geocoding.geo.census.gov/geocoder"),
	}
	fail := func(name, format string, a ...any) {
		errs = append(errs, &Error{Var: name, Msg: fmt.Sprintf(format, a...)})
	}

	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		fail("OUTREACH_ADDR", "must be host:port or :port, like :8080")
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		fail("OUTREACH_ADDR", "port must be a number from 0 to 65535")
	}

	base := get("OUTREACH_BASE_URL")
	if base == "" {
		base = "http://localhost"
		if port != "" && port != "80" {
			base += ":" + port
		}
	}
	u, err := url.Parse(base)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		fail("OUTREACH_BASE_URL", "must be an absolute http or https URL, like https://act.example.org")
	case u.RawQuery != "" || u.Fragment != "":
		fail("OUTREACH_BASE_URL", "must not have a query or fragment")
	default:
		u.Path = strings.TrimRight(u.Path, "/")
		c.BaseURL = u
	}

	if c.DatabaseURL != "" {
		du, err := url.Parse(c.DatabaseURL)
		if err != nil || (du.Scheme != "postgres" && du.Scheme != "postgresql") {
			// Never echo the value: it may hold a password.
			fail("DATABASE_URL", "must be empty (SQLite) or a postgres:// URL")
		}
	}
	if c.DataDir == "" {
		fail("OUTREACH_DATA_DIR", "must not be empty")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		fail("OUTREACH_LOG_LEVEL", "must be debug, info, warn or error")
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		fail("OUTREACH_LOG_FORMAT", "must be text or json")
	}
	if v := get("OUTREACH_TRUSTED_PROXIES"); v != "" {
		for _, s := range strings.Split(v, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			if !strings.Contains(s, "/") {
				if ip := net.ParseIP(s); ip != nil && ip.To4() != nil {
					s += "/32"
				} else {
					s += "/128"
				}
			}
			_, n, err := net.ParseCIDR(s)
			if err != nil {
				fail("OUTREACH_TRUSTED_PROXIES", "%q is not an IP address or CIDR range", s)
				continue
			}
			c.TrustedProxies = append(c.TrustedProxies, n)
		}
	}
	if n, err := ParseSize(c.BodyLimit); err != nil || n < 1024 {
		fail("OUTREACH_BODY_LIMIT", "must be a size of at least 1K, like 512K or 2M")
	} else {
		c.BodyLimitBytes = n
	}
	c.UploadLimit = strings.ToUpper(or(get("OUTREACH_UPLOAD_LIMIT"), "64M"))
	if n, err := ParseSize(c.UploadLimit); err != nil || n < 1024 {
		fail("OUTREACH_UPLOAD_LIMIT", "must be a size of at least 1K, like 64M")
	} else {
		c.UploadMaxBytes = n
	}
	if n, err := strconv.Atoi(or(get("OUTREACH_LOOKUP_LIMIT"), "300")); err != nil || n < 0 || n > 1_000_000 {
		fail("OUTREACH_LOOKUP_LIMIT", "must be a whole number of lookups per minute, from 0 (no limit) to 1000000")
	} else {
		c.LookupLimit = n
	}
	c.MetricsAddr, c.MetricsToken = strings.TrimSpace(get("OUTREACH_METRICS_ADDR")), get("OUTREACH_METRICS_TOKEN")
	if c.MetricsAddr != "" {
		mh, mp, err := net.SplitHostPort(c.MetricsAddr)
		switch {
		case err != nil:
			fail("OUTREACH_METRICS_ADDR", "must be host:port, like 127.0.0.1:9090")
		case mp == port && mh == host && mp != "0":
			fail("OUTREACH_METRICS_ADDR", "must differ from OUTREACH_ADDR: metrics are not served on the public site")
		case !loopback(mh) && c.MetricsToken == "":
			fail("OUTREACH_METRICS_ADDR", "listens beyond this machine: set OUTREACH_METRICS_TOKEN too, or use 127.0.0.1")
		}
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		fail("OUTREACH_METRICS_TOKEN", "must be at least 16 characters")
	}
	c.Demo = boolean(get("OUTREACH_DEMO"), true, "OUTREACH_DEMO", fail)
	c.ShutdownTimeout = duration(get("OUTREACH_SHUTDOWN_TIMEOUT"), 15*time.Second, "OUTREACH_SHUTDOWN_TIMEOUT", fail)
	c.SessionIdle = duration(get("OUTREACH_SESSION_IDLE"), 2*time.Hour, "OUTREACH_SESSION_IDLE", fail)
	c.SessionMax = duration(get("OUTREACH_SESSION_MAX"), 12*time.Hour, "OUTREACH_SESSION_MAX", fail)
	if c.SessionIdle > c.SessionMax {
		fail("OUTREACH_SESSION_IDLE", "must not be longer than OUTREACH_SESSION_MAX")
	}
	if n, err := strconv.Atoi(or(get("OUTREACH_PASSWORD_CHECKS"), "4")); err != nil || n < 1 || n > 64 {
		fail("OUTREACH_PASSWORD_CHECKS", "must be a whole number from 1 to 64")
	} else {
		c.PasswordChecks = n
	}
	c.GeocoderTimeout = duration(get("OUTREACH_GEOCODER_TIMEOUT"), 5*time.Second, "OUTREACH_GEOCODER_TIMEOUT", fail)
	switch c.Geocoder {
	case "off", "census":
	default:
		fail("OUTREACH_GEOCODER", "must be off or census")
	}
	if gu, err := url.Parse(c.GeocoderURL); err != nil || (gu.Scheme != "http" && gu.Scheme != "https") || gu.Host == "" {
		fail("OUTREACH_GEOCODER_URL", "must be an absolute http or https URL")
	}
	c.SecretKeys, c.IndexKey = get("OUTREACH_SECRET_KEYS"), get("OUTREACH_INDEX_KEY")
	if (c.SecretKeys == "") != (c.IndexKey == "") {
		fail("OUTREACH_SECRET_KEYS", "set both OUTREACH_SECRET_KEYS and OUTREACH_INDEX_KEY, or neither (keys are then generated into the data dir)")
	}
	c.RunWorkers = boolean(get("OUTREACH_RUN_WORKERS"), true, "OUTREACH_RUN_WORKERS", fail)
	for _, ch := range strings.Split(or(get("OUTREACH_DELIVERY_CHANNELS"), "cwc,sendgrid,packet"), ",") {
		ch = strings.TrimSpace(ch)
		switch {
		case ch == "":
		case slices.Contains(channels, ch), len(channels) == 0 && strings.Trim(ch, "abcdefghijklmnopqrstuvwxyz0123456789") == "":
			c.DeliveryChannels = append(c.DeliveryChannels, ch)
		case len(channels) == 0:
			fail("OUTREACH_DELIVERY_CHANNELS", "%q is not a channel name (lower-case letters and digits)", ch)
		default:
			fail("OUTREACH_DELIVERY_CHANNELS", "%q is not a channel: use %s", ch, oneOf(channels))
		}
	}
	if n, err := strconv.Atoi(or(get("OUTREACH_DELIVERY_WORKERS"), "16")); err != nil || n < 1 || n > 1000 {
		fail("OUTREACH_DELIVERY_WORKERS", "must be a whole number from 1 to 1000")
	} else {
		c.DeliveryWorkers = n
	}
	c.SendGridRate = rateVar(or(get("OUTREACH_SENDGRID_RATE"), "50"), "OUTREACH_SENDGRID_RATE", fail)
	c.CWCRate = rateVar(or(get("OUTREACH_CWC_RATE"), "1"), "OUTREACH_CWC_RATE", fail)
	c.MailingRate = rateVar(or(get("OUTREACH_MAILING_RATE"), "0"), "OUTREACH_MAILING_RATE", fail)
	c.OrgName = or(get("OUTREACH_ORG_NAME"), "Outreach")
	c.MailFrom = or(get("OUTREACH_MAIL_FROM"), "outreach@localhost")
	if !strings.Contains(c.MailFrom, "@") || strings.ContainsAny(c.MailFrom, " <>\r\n") {
		fail("OUTREACH_MAIL_FROM", "must be an email address like act@example.org")
	}
	c.ReplyDomain = strings.ToLower(get("OUTREACH_REPLY_DOMAIN"))
	if c.ReplyDomain != "" && (strings.ContainsAny(c.ReplyDomain, "@ /") || !strings.Contains(c.ReplyDomain, ".")) {
		fail("OUTREACH_REPLY_DOMAIN", "must be a domain like replies.example.org")
	}
	c.SendGridAPIKey = get("SENDGRID_API_KEY")
	c.SendGridURL = or(get("OUTREACH_SENDGRID_URL"), "https://api.sendgrid.com")
	if u, err := url.Parse(c.SendGridURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fail("OUTREACH_SENDGRID_URL", "must be an absolute http or https URL")
	}
	c.SendGridPublicKey = get("SENDGRID_WEBHOOK_PUBLIC_KEY")
	c.InboundSecret = get("OUTREACH_INBOUND_SECRET")
	if c.InboundSecret != "" && len(c.InboundSecret) < 16 {
		fail("OUTREACH_INBOUND_SECRET", "must be at least 16 characters")
	}
	c.CWCHouseURL, c.CWCHouseKey = get("CWC_HOUSE_URL"), get("CWC_HOUSE_API_KEY")
	c.CWCSenateURL, c.CWCSenateKey = get("CWC_SENATE_URL"), get("CWC_SENATE_API_KEY")
	for _, p := range [][3]string{{"CWC_HOUSE_URL", c.CWCHouseURL, c.CWCHouseKey}, {"CWC_SENATE_URL", c.CWCSenateURL, c.CWCSenateKey}} {
		if p[1] == "" {
			continue
		}
		if u, err := url.Parse(p[1]); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			fail(p[0], "must be an absolute http or https URL")
		}
		if p[2] == "" {
			fail(strings.Replace(p[0], "_URL", "_API_KEY", 1), "is required when %s is set", p[0])
		}
	}
	c.CWCSenateTesting = boolean(get("CWC_SENATE_TESTING"), true, "CWC_SENATE_TESTING", fail)
	c.CWCDeliveryAgent = or(get("CWC_DELIVERY_AGENT"), c.OrgName)
	c.CWCAckEmail = or(get("CWC_ACK_EMAIL"), c.MailFrom)
	c.CWCContactPhone = get("CWC_CONTACT_PHONE")
	c.StatsReleaseCron = get("OUTREACH_STATS_RELEASE_CRON")
	if c.StatsReleaseCron != "" {
		if _, err := cron.ParseStandard(c.StatsReleaseCron); err != nil {
			fail("OUTREACH_STATS_RELEASE_CRON", "is not a cron schedule (%v); use five fields like \"0 6 * * 1\" or @weekly", err)
		}
	}
	if (c.CWCHouseURL != "" || c.CWCSenateURL != "") && c.CWCContactPhone == "" {
		fail("CWC_CONTACT_PHONE", "is required when CWC is configured")
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

func boolean(v string, def bool, name string, fail func(string, string, ...any)) bool {
	switch strings.ToLower(v) {
	case "":
		return def
	case "true", "1", "yes", "on":
		return true
	case "false", "0", "no", "off":
		return false
	}
	fail(name, "must be true or false")
	return def
}

func duration(v string, def time.Duration, name string, fail func(string, string, ...any)) time.Duration {
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		fail(name, "must be a positive duration like 10s or 2m")
		return def
	}
	return d
}

// lookup reads NAME, or for secrets the file named by NAME_FILE.
func lookup(getenv func(string) string, name string) (string, error) {
	v := getenv(name)
	secret := false
	for _, d := range Vars {
		if d.Name == name {
			secret = d.Secret
		}
	}
	if !secret {
		return strings.TrimSpace(v), nil
	}
	file := getenv(name + "_FILE")
	if file == "" {
		return strings.TrimSpace(v), nil
	}
	if v != "" {
		return "", &Error{Var: name + "_FILE", Msg: "set either " + name + " or " + name + "_FILE, not both"}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", &Error{Var: name + "_FILE", Msg: "cannot read the file it names: " + errors.Unwrap(err).Error()}
	}
	return strings.TrimSpace(string(b)), nil
}

// oneOf lists names for a message: "a", "a or b", "a, b or c".
func oneOf(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// ParseSize reads sizes like "512K", "2M", "1G" or plain bytes.
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(strings.ToUpper(s))
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid size")
	}
	return n * mult, nil
}

// rateVar reads a per-second rate: a number from 0 (no limit) to 100,000.
func rateVar(v, name string, fail func(name, format string, a ...any)) float64 {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f > 100_000 || f != f {
		fail(name, "must be letters per second, from 0 (no limit) to 100000")
		return 0
	}
	return f
}

// loopback says whether a listen host reaches only this machine.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
