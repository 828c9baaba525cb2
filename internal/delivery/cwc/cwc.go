package cwc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/outreach-org/outreach/internal/constituent"
	"github.com/outreach-org/outreach/internal/delivery"
)

// DefaultTimeout bounds one HTTP exchange when Config.Timeout is zero.
const DefaultTimeout = 20 * time.Second

// Contact is a person CWC can reach about a delivery.
type Contact struct {
	Name  string
	Email string
	Phone string // any US format; written as xxx-xxx-xxxx
}

// Config is the CWC account: endpoints and keys for each chamber (either
// may be left empty), and the delivery agent identity written into every
// message. DeliveryAgent must match the owner of the API keys.
type Config struct {
	// HouseURL is the House host, e.g. https://test-cwc.house.gov;
	// messages go to POST {HouseURL}/v2/message?apikey=HouseAPIKey.
	HouseURL, HouseAPIKey string
	// SenateURL is the Senate host; messages go to POST
	// {SenateURL}/api/messages/?apikey=SenateAPIKey (or
	// /api/testing-messages/ when SenateTesting), and the active offices
	// come from GET {SenateURL}/api/active_offices/?apikey=SenateAPIKey.
	SenateURL, SenateAPIKey string
	SenateTesting           bool

	DeliveryAgent       string  // required: the key owner's registered name
	AckEmail            string  // required: DeliveryAgentAckEmailAddress
	AgentContact        Contact // required: all three fields
	Organization        string  // optional: the campaigning organization
	OrganizationContact Contact // optional; when any field is set, all three are required
	OrganizationAbout   string  // optional

	Timeout time.Duration // per HTTP exchange; 0 means DefaultTimeout
	// Connections is how many letters this client may have in flight; its
	// pool keeps that many connections per endpoint open between sends
	// (default delivery.DefaultConnections). Ignored when New is given an
	// http.Client.
	Connections int

	// Rate is the letters per second this channel may send across all
	// offices, for each worker process (0: no limit); see delivery.RateLimited.
	Rate float64
}

// String hides the API keys, so a Config can be printed or logged.
func (c Config) String() string {
	return fmt.Sprintf("cwc.Config{HouseURL:%q HouseAPIKey:%s SenateURL:%q SenateAPIKey:%s SenateTesting:%t DeliveryAgent:%q Timeout:%s}",
		c.HouseURL, hidden(c.HouseAPIKey), c.SenateURL, hidden(c.SenateAPIKey), c.SenateTesting, c.DeliveryAgent, c.Timeout)
}

// GoString hides the API keys from %#v as well.
func (c Config) GoString() string { return c.String() }

func hidden(key string) string {
	if key == "" {
		return `""`
	}
	return "[hidden]"
}

// identity is the validated, cleaned delivery-agent part of a Config.
type identity struct {
	agent, ackEmail string
	agentContact    Contact
	org, orgAbout   string
	orgContact      Contact
}

func (c Config) identity(v *validator) identity {
	id := identity{
		agent:    v.line("Config.DeliveryAgent", c.DeliveryAgent, true),
		ackEmail: v.email("Config.AckEmail", c.AckEmail, true),
		org:      v.line("Config.Organization", c.Organization, false),
		orgAbout: cleanText(c.OrganizationAbout),
	}
	id.agentContact = v.contact("Config.AgentContact", c.AgentContact, true)
	id.orgContact = v.contact("Config.OrganizationContact", c.OrganizationContact, false)
	return id
}

func (v *validator) contact(field string, c Contact, required bool) Contact {
	if !required && strings.TrimSpace(c.Name+c.Email+c.Phone) == "" {
		return Contact{}
	}
	out := Contact{
		Name:  v.line(field+".Name", c.Name, true),
		Email: v.email(field+".Email", c.Email, true),
	}
	if p, ok := constituent.NormalizePhone(c.Phone); ok {
		out.Phone = p
	} else {
		v.add(field+".Phone", "must be a 10-digit US phone number (xxx-xxx-xxxx)")
	}
	return out
}

// endpoint is one chamber's base URL and key.
type endpoint struct {
	base *url.URL
	key  string
}

func (e *endpoint) url(path string) string {
	u := *e.base
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawPath = ""
	u.RawQuery = url.Values{"apikey": {e.key}}.Encode()
	return u.String()
}

func parseEndpoint(v *validator, field, raw, key string) *endpoint {
	raw, key = strings.TrimSpace(raw), strings.TrimSpace(key)
	if raw == "" && key == "" {
		return nil
	}
	if raw == "" {
		v.add("Config."+field+"URL", "is required when the API key is set")
		return nil
	}
	if key == "" || strings.ContainsFunc(key, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		v.add("Config."+field+"APIKey", "is required (no spaces) when the URL is set")
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		v.add("Config."+field+"URL", "must be an http(s) URL with a host and no query")
		return nil
	}
	return &endpoint{base: u, key: key}
}

// Client sends letters to CWC. It is safe for concurrent use.
type Client struct {
	cfg     Config
	id      identity
	house   *endpoint
	senate  *endpoint
	hc      *http.Client
	timeout time.Duration
	now     func() time.Time

	mu          sync.RWMutex
	active      map[string]bool   // Senate office codes that take CWC
	byBioguide  map[string]string // bioguide id → Senate office code
	activeAt    time.Time         // when the set was last loaded
	refreshMu   sync.Mutex        // one lazy refresh at a time
	lastAttempt time.Time         // last lazy refresh attempt
}

// staleAfter is how old the active-office list may get before Accepts
// refreshes it; failedRefreshBackoff keeps a Senate outage from turning
// every Accepts into a slow GET.
const (
	staleAfter           = 24 * time.Hour
	failedRefreshBackoff = 5 * time.Minute
)

// New validates cfg and returns a Client. Every problem is reported with
// the Config field it concerns. hc may be nil (a pool sized by
// Config.Connections is used); its redirect policy is not changed, the
// Client works on a copy that never follows redirects (they would carry
// the API key elsewhere).
func New(cfg Config, hc *http.Client) (*Client, error) {
	v := &validator{}
	house := parseEndpoint(v, "House", cfg.HouseURL, cfg.HouseAPIKey)
	senate := parseEndpoint(v, "Senate", cfg.SenateURL, cfg.SenateAPIKey)
	if house == nil && senate == nil && len(v.problems) == 0 {
		v.add("Config.HouseURL", "HouseURL/HouseAPIKey or SenateURL/SenateAPIKey must be set")
	}
	id := cfg.identity(v)
	if cfg.Timeout < 0 {
		v.add("Config.Timeout", "must not be negative")
	}
	if cfg.Rate < 0 {
		v.add("Config.Rate", "must not be negative")
	}
	if cfg.Connections < 0 {
		v.add("Config.Connections", "must not be negative")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	var client http.Client
	if hc != nil {
		client = *hc
	} else {
		client.Transport = delivery.Transport(cfg.Connections, timeout)
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{
		cfg: cfg, id: id, house: house, senate: senate,
		hc: &client, timeout: timeout, now: time.Now,
	}, nil
}

// Name is the CWC channel.
const Name delivery.Channel = "cwc"

// ChannelInfo describes the channel for the registry.
func ChannelInfo() delivery.ChannelInfo {
	return delivery.ChannelInfo{Name: Name, Summary: "Communicating with Congress XML 2.0 to House and Senate offices; on with CWC_HOUSE_URL or CWC_SENATE_URL"}
}

// Channel reports Name.
func (c *Client) Channel() delivery.Channel { return Name }

// ConstituentOnly: CWC takes mail only from a member's own constituents,
// never an organization's sign-on letter.
func (c *Client) ConstituentOnly() bool { return true }

// Rate implements delivery.RateLimited (Config.Rate).
func (c *Client) Rate() float64 { return c.cfg.Rate }

// Accepts reports whether CWC can reach o: a House office with a valid
// code when the House is configured; a Senate office only when the Senate
// is configured and its code is in the active-office list. A list that was
// never loaded or is older than 24 hours is refreshed first (failures keep
// the previous list; a failed refresh is not retried for 5 minutes).
func (c *Client) Accepts(ctx context.Context, o delivery.Office) bool {
	code := strings.ToUpper(strings.TrimSpace(o.Code))
	if !officeCodeRe.MatchString(code) {
		return false
	}
	chamber := strings.ToLower(strings.TrimSpace(o.Chamber))
	switch code[0] {
	case 'H':
		return c.house != nil && (chamber == "" || chamber == "house")
	case 'S':
		if c.senate == nil || (chamber != "" && chamber != "senate") {
			return false
		}
		c.refreshIfStale(ctx)
		c.mu.RLock()
		defer c.mu.RUnlock()
		return c.active[code]
	}
	return false
}

// Send delivers m to the office's chamber (by the first letter of
// m.Office.Code). A message BuildXML refuses is a *delivery.PermanentError
// and no request is made. Send does not consult the active-office list
// (Accepts does); the Senate's own answer is authoritative. See the package
// documentation for how answers map to delivery.Result,
// *delivery.TemporaryError and *delivery.PermanentError.
func (c *Client) Send(ctx context.Context, m delivery.Message) (delivery.Result, error) {
	code := strings.ToUpper(strings.TrimSpace(m.Office.Code))
	var ep *endpoint
	var path, chamber string
	switch {
	case strings.HasPrefix(code, "H"):
		ep, path, chamber = c.house, "/v2/message", "house"
	case strings.HasPrefix(code, "S"):
		ep, path, chamber = c.senate, "/api/messages/", "senate"
		if c.cfg.SenateTesting {
			path = "/api/testing-messages/"
		}
	default:
		err := &ValidationError{Problems: []string{`Office.Code: must be "H" or "S", a state abbreviation and two digits`}}
		return delivery.Result{}, delivery.Permanent(err, err.Problems[0])
	}
	if ep == nil {
		err := fmt.Errorf("cwc: %s endpoint not configured", chamber)
		return delivery.Result{}, delivery.Permanent(err, "CWC "+chamber+" is not configured")
	}
	body, err := BuildXML(c.cfg, m, c.now().UTC())
	if err != nil {
		return delivery.Result{}, delivery.Permanent(err, truncate(err.Error(), maxDetail))
	}

	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.url(path), bytes.NewReader(body))
	if err != nil { // only a malformed URL, which New rules out
		return delivery.Result{}, delivery.Permanent(fmt.Errorf("cwc: %s POST %s: bad request", chamber, path), "bad request")
	}
	req.Header.Set("Content-Type", "application/xml")
	req.Header.Set("User-Agent", userAgent)
	resp, err := c.hc.Do(req)
	if err != nil {
		return delivery.Result{}, transportError(chamber, "POST "+path, err)
	}
	defer drainClose(resp.Body)

	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		return delivery.Result{Detail: "accepted"}, nil
	case s == http.StatusConflict:
		// The Senate answers 409 for a DeliveryId it already has. Our
		// DeliveryId is stable across retries, so this is an earlier
		// attempt of this letter (whose answer we lost) being received.
		return delivery.Result{Detail: "accepted (duplicate DeliveryId: already received)"}, nil
	case s == http.StatusBadRequest:
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		apiErr := parseAPIError(s, raw)
		apiErr.redact(secretsOf(m, c.cfg))
		return delivery.Result{}, delivery.Permanent(apiErr, truncate(apiErr.detail(), maxDetail))
	default:
		return delivery.Result{}, statusError(chamber, "POST "+path, resp)
	}
}

const (
	userAgent    = "outreach-cwc/1.0"
	maxErrorBody = 64 << 10
	maxDetail    = 1000
)

// statusError classifies a non-2xx answer other than 400 and 409.
func statusError(chamber, op string, resp *http.Response) error {
	s := resp.StatusCode
	err := fmt.Errorf("cwc: %s %s: HTTP %d", chamber, op, s)
	switch {
	case s == http.StatusTooManyRequests, s >= 500, s == http.StatusRequestTimeout:
		return delivery.Temporary(err, retryAfter(resp.Header.Get("Retry-After"), time.Now()))
	case s == http.StatusUnauthorized, s == http.StatusForbidden:
		return delivery.Permanent(err, fmt.Sprintf("HTTP %d: API key refused or server not on the allow-list", s))
	case s >= 300 && s < 400:
		return delivery.Permanent(err, fmt.Sprintf("HTTP %d: unexpected redirect (check the %s URL)", s, chamber))
	default:
		return delivery.Permanent(err, fmt.Sprintf("HTTP %d", s))
	}
}

// transportError turns a failed exchange (timeout, refused or dropped
// connection) into a TemporaryError. The *url.Error is unwrapped: its
// text holds the request URL, and so the API key.
func transportError(chamber, op string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	what := "connection failed"
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		what = "timed out"
	case errors.Is(err, context.Canceled):
		what = "canceled"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		what = "connection closed before an answer (outcome unknown)"
	}
	return delivery.Temporary(&wireError{msg: fmt.Sprintf("cwc: %s %s: %s: %v", chamber, op, what, err), err: err}, 0)
}

type wireError struct {
	msg string
	err error
}

func (e *wireError) Error() string { return e.msg }
func (e *wireError) Unwrap() error { return e.err }

// retryAfter reads a Retry-After header (seconds or an HTTP date), capped
// at a day; 0 when absent or unreadable.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(h, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > 86400 {
			n = 86400
		}
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	}
	if d < 0 {
		return 0
	}
	return min(d, 24*time.Hour)
}

func drainClose(rc io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(rc, 256<<10))
	_ = rc.Close()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
