// Package sendgrid is the delivery channel that emails letters to
// congressional offices through Twilio SendGrid's v3 Mail Send API, the
// sender of supporter and staff email (SendEmail), and the verifier and
// parser of SendGrid's signed Event Webhook (webhook.go).
//
// Requests are built with sendgrid-go's helpers/mail types and sent with
// its rest package (github.com/sendgrid/rest) through our own http.Client:
// sendgrid-go's Client.SendWithContext always goes through the package
// global sendgrid.DefaultClient, so it is not used here, and no global is
// changed.
//
// Sources (SendGrid documentation, read for wire shapes; no code copied):
//   - Mail Send overview (base URL https://api.sendgrid.com, Bearer API key):
//     https://www.twilio.com/docs/sendgrid/api-reference/mail-send
//   - X-Message-Id response header, to correlate webhook events:
//     https://www.twilio.com/docs/sendgrid/glossary/x-message-id
//   - Sandbox mode (mail_settings.sandbox_mode.enable; a valid request
//     answers 200 OK instead of 202 Accepted, and nothing is delivered):
//     https://www.twilio.com/docs/sendgrid/for-developers/sending-email/sandbox-mode
//   - Rate limits (429, X-RateLimit-Limit/-Remaining/-Reset, reset in unix
//     seconds, body {"errors":[{"field":null,"message":"too many requests"}]}):
//     https://www.twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/rate-limits
//   - Error body {"errors":[{"field","message","help"}]} and status codes:
//     https://www.twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/errors
//     https://www.twilio.com/docs/sendgrid/api-reference/mail-send/errors
//   - Categories and custom args are stored by SendGrid as "not PII", so
//     only ids and campaign slugs go there, never addresses or names:
//     https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/event
package sendgrid

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/sendgrid/rest"
	sg "github.com/sendgrid/sendgrid-go"
	sgmail "github.com/sendgrid/sendgrid-go/helpers/mail"

	"github.com/outreach-org/outreach/internal/delivery"
)

const (
	// DefaultBaseURL is SendGrid's global API host.
	DefaultBaseURL = "https://api.sendgrid.com"
	// DefaultTimeout bounds one Mail Send call.
	DefaultTimeout = 10 * time.Second

	mailSendPath = "/v3/mail/send"

	// Bounds on a 429's RetryAfter: at least a second, and never so long
	// that a garbled reset header parks the queue for hours.
	minRetryAfter      = time.Second
	maxRetryAfter      = time.Hour
	fallbackRetryAfter = 60 * time.Second

	// maxResponseBody caps what is read of an answer (SendGrid's are tiny).
	maxResponseBody = 64 << 10
	maxDetail       = 500
)

// ErrOutcomeUnknown is wrapped in the TemporaryError returned when the
// request may have reached SendGrid but no answer came back (a timeout or a
// connection dropped after the request was written). SendGrid's Mail Send
// has no idempotency key, so a caller should not resend such a letter until
// it has waited for the "processed" webhook event carrying the letter id
// (see the Email section of the security checklist). Failures that happen
// before the request is sent (refused connection, DNS) do not wrap it.
var ErrOutcomeUnknown = delivery.ErrOutcomeUnknown

// Config configures the SendGrid channel.
type Config struct {
	APIKey string
	// BaseURL defaults to https://api.sendgrid.com (the EU host is
	// https://api.eu.sendgrid.com). It must be https unless the host is a
	// loopback address (a local fake in tests), as it carries the API key.
	BaseURL string
	// Timeout bounds each call; default 10s.
	Timeout time.Duration
	// Connections is how many sends this client may have in flight; its
	// pool keeps that many connections to the API open between sends
	// (default delivery.DefaultConnections). Ignored when New is given an
	// http.Client.
	Connections int

	// FromEmail must be a verified sender in SendGrid. Letters go out as
	// "First Last via <FromName>" <FromEmail>; other email as FromName.
	FromEmail string
	FromName  string

	// ReplyDomain is the domain of the per-letter reply address
	// reply+TOKEN@ReplyDomain. Empty: letters carry no Reply-To. When set,
	// Message.ReplyTo must be an address at this domain (or just the
	// token, which is then formatted as reply+TOKEN@ReplyDomain).
	ReplyDomain string

	// SandboxMode asks SendGrid to validate requests without delivering.
	SandboxMode bool

	// Rate is the letters per second this channel may send across all
	// offices, for each worker process (0: no limit); see delivery.RateLimited.
	Rate float64
}

// Client sends through SendGrid. It is safe for concurrent use.
type Client struct {
	apiKey      string
	baseURL     string
	timeout     time.Duration
	from        string
	fromName    string
	replyDomain string
	sandbox     bool
	rate        float64
	http        *http.Client
	now         func() time.Time
}

var _ delivery.Sender = (*Client)(nil)

// New checks cfg and returns a client. hc may be nil (a pool sized by
// Config.Connections is used); it is copied, never
// modified: the copy gets the configured timeout (when hc has none or a
// longer one), does not follow redirects (a redirect would mean a wrong
// BaseURL) and reads at most 64 KiB of an answer.
func New(cfg Config, hc *http.Client) (*Client, error) {
	if strings.TrimSpace(cfg.APIKey) == "" {
		return nil, errors.New("sendgrid: Config.APIKey is required")
	}
	if strings.ContainsAny(cfg.APIKey, "\r\n") {
		return nil, errors.New("sendgrid: Config.APIKey must be one line")
	}
	base := strings.TrimSpace(cfg.BaseURL)
	if base == "" {
		base = DefaultBaseURL
	}
	base = strings.TrimRight(base, "/")
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, errors.New("sendgrid: Config.BaseURL must be an absolute http(s) URL without query, fragment or credentials")
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, errors.New("sendgrid: Config.BaseURL must use https (plain http only to a loopback host)")
	}
	if cfg.Timeout < 0 {
		return nil, errors.New("sendgrid: Config.Timeout must not be negative")
	}
	if cfg.Rate < 0 {
		return nil, errors.New("sendgrid: Config.Rate must not be negative")
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	from, err := plainAddress(cfg.FromEmail)
	if err != nil {
		return nil, errors.New("sendgrid: Config.FromEmail must be an email address")
	}
	if strings.ContainsFunc(cfg.FromName, unicode.IsControl) {
		return nil, errors.New("sendgrid: Config.FromName must be one line without control characters")
	}
	rd := strings.ToLower(strings.TrimSpace(cfg.ReplyDomain))
	if rd != "" {
		if _, err := plainAddress("reply@" + rd); err != nil || strings.ContainsAny(rd, "@ ") || !strings.Contains(rd, ".") {
			return nil, errors.New("sendgrid: Config.ReplyDomain must be a domain name such as reply.example.org")
		}
	}

	if cfg.Connections < 0 {
		return nil, errors.New("sendgrid: Config.Connections must not be negative")
	}
	var client http.Client
	if hc != nil {
		client = *hc
	} else {
		client.Transport = delivery.Transport(cfg.Connections, timeout)
	}
	if client.Timeout == 0 || client.Timeout > timeout {
		client.Timeout = timeout
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	rt := client.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	client.Transport = limitedTransport{rt}

	return &Client{
		apiKey:      cfg.APIKey,
		baseURL:     base,
		timeout:     timeout,
		from:        from,
		fromName:    cleanLine(cfg.FromName),
		replyDomain: rd,
		sandbox:     cfg.SandboxMode,
		rate:        cfg.Rate,
		http:        &client,
		now:         time.Now,
	}, nil
}

// Name is the SendGrid channel.
const Name delivery.Channel = "sendgrid"

// ChannelInfo describes the channel for the registry.
func ChannelInfo() delivery.ChannelInfo {
	return delivery.ChannelInfo{Name: Name, Summary: "emails each letter to the office's published address through SendGrid; on with SENDGRID_API_KEY"}
}

// Grace is how long an attempt whose outcome is unknown waits for
// SendGrid's "processed" event before the letter is sent again.
const Grace = 15 * time.Minute

// Channel implements delivery.Sender.
func (c *Client) Channel() delivery.Channel { return Name }

// Rate implements delivery.RateLimited (Config.Rate).
func (c *Client) Rate() float64 { return c.rate }

// UnknownOutcome implements delivery.OutcomeWaiter: Mail Send has no
// idempotency key, so after ErrOutcomeUnknown a letter is sent again only
// if no "processed" event (which carries its letter_id) came within Grace.
func (c *Client) UnknownOutcome() delivery.UnknownOutcome {
	return delivery.UnknownOutcome{Grace: Grace, AcceptedEvent: "processed", Unsettled: unknownNoEvents}
}

// unknownNoEvents is the timeline's reason for failing a letter whose
// outcome is unknown when no event webhook can settle it.
const unknownNoEvents = "SendGrid may have accepted this letter, and without the event webhook (SENDGRID_WEBHOOK_PUBLIC_KEY) " +
	"that cannot be known: check SendGrid's activity feed for it before requeueing"

// Accepts reports whether the office has a usable email address.
func (c *Client) Accepts(_ context.Context, o delivery.Office) bool {
	_, err := plainAddress(o.Email)
	return err == nil
}

// Send emails one letter to its office. The letter goes out from the
// configured sender, named "First Last via FromName", with Reply-To the
// letter's own reply address (when ReplyDomain is set), custom_args
// {"letter_id": "<id>"} so webhook events trace back to the letter, and
// categories ["campaign-<slug>", "letter"]. The body is text/plain: the
// letter as delivery.Compose makes it for every channel, with the full
// sender block (name, address, email, phone: the office answers a
// constituent it cannot reach through the From address) and the
// organization statement.
func (c *Client) Send(ctx context.Context, m delivery.Message) (delivery.Result, error) {
	to, err := plainAddress(m.Office.Email)
	if err != nil {
		return delivery.Result{}, permanentInput("office has no usable email address")
	}
	if m.LetterID <= 0 {
		return delivery.Result{}, permanentInput("letter id missing")
	}
	subject := cleanLine(m.Subject)
	if subject == "" {
		return delivery.Result{}, permanentInput("subject is empty")
	}
	composed := delivery.Compose(m, delivery.FullSender)
	if strings.TrimSpace(composed.Letter()) == "" {
		return delivery.Result{}, permanentInput("body is empty")
	}
	var replyTo string
	if c.replyDomain != "" && strings.TrimSpace(m.ReplyTo) != "" {
		replyTo, err = c.letterReplyTo(m.ReplyTo)
		if err != nil {
			return delivery.Result{}, err
		}
	}

	msg := sgmail.NewV3Mail()
	msg.SetFrom(sgmail.NewEmail(c.letterFromName(m.From), c.from))
	msg.Subject = subject
	p := sgmail.NewPersonalization()
	p.AddTos(sgmail.NewEmail(officeName(m.Office), to))
	msg.AddPersonalizations(p)
	msg.AddContent(sgmail.NewContent("text/plain", composed.Text()))
	if replyTo != "" {
		msg.SetReplyTo(sgmail.NewEmail("", replyTo))
	}
	msg.SetCustomArg("letter_id", strconv.FormatInt(m.LetterID, 10))
	if slug := cleanLine(m.Campaign.Slug); slug != "" {
		msg.AddCategories("campaign-" + slug)
	}
	msg.AddCategories("letter")

	id, detail, err := c.send(ctx, msg, to, replyTo, m.From.Email)
	if err != nil {
		return delivery.Result{}, err
	}
	return delivery.Result{ProviderID: id, Detail: detail}, nil
}

// Email is a message to a supporter or to staff (confirmation links,
// copies of letters, surveys, notices).
type Email struct {
	To, ToName, Subject string
	Text, HTML          string // at least one; both make a multipart/alternative
	// Categories and CustomArgs are kept by SendGrid as non-PII and come
	// back on webhook events: ids and slugs only, no addresses or names.
	Categories []string
	CustomArgs map[string]string
	ReplyTo    string
	// Headers are extra message headers, e.g. List-Unsubscribe and
	// List-Unsubscribe-Post (RFC 8058) on every bulk email. Names must be
	// header tokens and values one line.
	Headers map[string]string
}

// SendEmail sends e and returns SendGrid's message id (X-Message-Id; empty
// in sandbox mode). Errors are mapped as for Send.
func (c *Client) SendEmail(ctx context.Context, e Email) (string, error) {
	to, err := plainAddress(e.To)
	if err != nil {
		return "", permanentInput("recipient address is not usable")
	}
	subject := cleanLine(e.Subject)
	if subject == "" {
		return "", permanentInput("subject is empty")
	}
	if strings.TrimSpace(e.Text) == "" && strings.TrimSpace(e.HTML) == "" {
		return "", permanentInput("email has no content")
	}
	var replyTo string
	if strings.TrimSpace(e.ReplyTo) != "" {
		if replyTo, err = plainAddress(e.ReplyTo); err != nil {
			return "", permanentInput("reply-to address is not usable")
		}
	}

	msg := sgmail.NewV3Mail()
	msg.SetFrom(sgmail.NewEmail(c.fromName, c.from))
	msg.Subject = subject
	p := sgmail.NewPersonalization()
	p.AddTos(sgmail.NewEmail(cleanLine(e.ToName), to))
	msg.AddPersonalizations(p)
	// SendGrid wants text/plain before text/html.
	if strings.TrimSpace(e.Text) != "" {
		msg.AddContent(sgmail.NewContent("text/plain", e.Text))
	}
	if strings.TrimSpace(e.HTML) != "" {
		msg.AddContent(sgmail.NewContent("text/html", e.HTML))
	}
	if replyTo != "" {
		msg.SetReplyTo(sgmail.NewEmail("", replyTo))
	}
	for _, cat := range e.Categories {
		cat = cleanLine(cat)
		if cat == "" {
			return "", permanentInput("empty category")
		}
		msg.AddCategories(cat)
	}
	for k, v := range e.CustomArgs {
		if strings.TrimSpace(k) == "" {
			return "", permanentInput("empty custom arg name")
		}
		msg.SetCustomArg(k, v)
	}
	for k, v := range e.Headers {
		if !isToken(k) {
			return "", permanentInput("invalid header name")
		}
		if strings.ContainsFunc(v, isLineBreakOrNUL) {
			return "", permanentInput("header value must be one line")
		}
		msg.SetHeader(k, v)
	}

	id, _, err := c.send(ctx, msg, to, replyTo)
	return id, err
}

// letterReplyTo checks a letter's reply address: a full address at
// ReplyDomain, or a bare token made into reply+TOKEN@ReplyDomain.
func (c *Client) letterReplyTo(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "@") {
		if !isReplyToken(s) {
			return "", permanentInput("reply token is not usable")
		}
		return "reply+" + strings.ToLower(s) + "@" + c.replyDomain, nil
	}
	addr, err := plainAddress(s)
	if err != nil {
		return "", permanentInput("reply-to address is not usable")
	}
	at := strings.LastIndexByte(addr, '@')
	if !strings.EqualFold(addr[at+1:], c.replyDomain) {
		return "", permanentInput("reply-to address is not at the configured reply domain")
	}
	return addr, nil
}

// letterFromName is "First Last via FromName".
func (c *Client) letterFromName(p delivery.Constituent) string {
	name := cleanLine(strings.TrimSpace(p.FirstName) + " " + strings.TrimSpace(p.LastName))
	switch {
	case name == "":
		return c.fromName
	case c.fromName == "":
		return name
	}
	return name + " via " + c.fromName
}

func officeName(o delivery.Office) string {
	return cleanLine(strings.TrimSpace(o.Title) + " " + strings.TrimSpace(o.Name))
}

// send posts msg to /v3/mail/send and maps the answer. redact lists the
// addresses that must not appear in any error text.
func (c *Client) send(ctx context.Context, msg *sgmail.SGMailV3, redact ...string) (providerID, detail string, err error) {
	if c.sandbox {
		msg.SetMailSettings(sgmail.NewMailSettings().SetSandboxMode(sgmail.NewSetting(true)))
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return "", "", permanentInput("cannot encode request")
	}
	req := sg.GetRequest(c.apiKey, mailSendPath, c.baseURL)
	req.Method = rest.Post
	req.Body = body

	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	rc := rest.Client{HTTPClient: c.http}
	resp, err := rc.SendWithContext(ctx, req)
	if err != nil && (resp == nil || resp.StatusCode < 200 || resp.StatusCode > 299) {
		return "", "", c.transportError(ctx, err)
	}
	h := http.Header(resp.Headers)
	switch s := resp.StatusCode; {
	case s >= 200 && s <= 299:
		// 202 Accepted; 200 OK when sandbox mode validated the request.
		id := strings.TrimSpace(h.Get("X-Message-Id"))
		detail = fmt.Sprintf("sendgrid accepted (%d)", s)
		if s == http.StatusOK && c.sandbox {
			detail = "sendgrid sandbox: validated, not delivered (200)"
		}
		return id, detail, nil
	case s == http.StatusTooManyRequests:
		wait := retryAfter(h, c.now())
		return "", "", delivery.Temporary(fmt.Errorf("sendgrid: rate limited (429), retry in %s", wait), wait)
	case s == http.StatusRequestTimeout || s >= 500:
		return "", "", delivery.Temporary(fmt.Errorf("sendgrid: %s", statusDetail(s, resp.Body, redact)), 0)
	default:
		// Other 4xx (and unexpected 1xx/3xx): the request itself is wrong
		// (invalid field, unverified sender, bad key); resending won't help.
		d := statusDetail(s, resp.Body, redact)
		return "", "", delivery.Permanent(errors.New("sendgrid: rejected: "+d), d)
	}
}

// transportError maps a failure to get an answer: always temporary, and
// wrapping ErrOutcomeUnknown unless the request cannot have been sent.
func (c *Client) transportError(ctx context.Context, err error) error {
	var op *net.OpError
	var dns *net.DNSError
	if (errors.As(err, &op) && op.Op == "dial") || errors.As(err, &dns) {
		return delivery.Temporary(fmt.Errorf("sendgrid: cannot connect, not sent: %w", err), 0)
	}
	var ne net.Error
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return delivery.Temporary(fmt.Errorf("%w: timed out: %w", ErrOutcomeUnknown, err), 0)
	}
	return delivery.Temporary(fmt.Errorf("%w: %w", ErrOutcomeUnknown, err), 0)
}

// retryAfter reads X-RateLimit-Reset (unix seconds), then Retry-After
// (seconds or an HTTP date), and falls back to 60s.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("X-RateLimit-Reset")); v != "" {
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs > 0 {
			return clampWait(time.Unix(secs, 0).Sub(now))
		}
	}
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs >= 0 {
			return clampWait(time.Duration(min(secs, int64(maxRetryAfter/time.Second))) * time.Second)
		}
		if t, err := http.ParseTime(v); err == nil {
			return clampWait(t.Sub(now))
		}
	}
	return fallbackRetryAfter
}

func clampWait(d time.Duration) time.Duration {
	// Whole seconds, rounded up, so a retry never lands just before reset.
	d = time.Duration(math.Ceil(d.Seconds())) * time.Second
	return min(max(d, minRetryAfter), maxRetryAfter)
}

// apiErrors is SendGrid's error body. field may be null; help is ignored.
type apiErrors struct {
	Errors []struct {
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"errors"`
}

// statusDetail is a short, address-free description of an error answer.
func statusDetail(status int, body string, redact []string) string {
	d := fmt.Sprintf("status %d", status)
	var ae apiErrors
	if json.Unmarshal([]byte(body), &ae) == nil && len(ae.Errors) > 0 {
		parts := make([]string, 0, len(ae.Errors))
		for _, e := range ae.Errors {
			p := cleanLine(e.Message)
			if f := cleanLine(e.Field); f != "" {
				p += " (" + f + ")"
			}
			if p != "" {
				parts = append(parts, p)
			}
		}
		if len(parts) > 0 {
			d += ": " + strings.Join(parts, "; ")
		}
	}
	return truncate(scrub(d, redact), maxDetail)
}

// emailLike matches anything shaped like an address, so that no error
// text carries one even if SendGrid echoes an address we did not expect.
var emailLike = regexp.MustCompile(`[^\s<>()\[\]"',;:]+@[^\s<>()\[\]"',;:]+`)

func scrub(s string, redact []string) string {
	for _, a := range redact {
		if a = strings.TrimSpace(a); a != "" {
			s = replaceFold(s, a, "[address]")
		}
	}
	return emailLike.ReplaceAllString(s, "[address]")
}

// replaceFold replaces every case-insensitive occurrence of old (ASCII
// folding: addresses compared here are ASCII in practice).
func replaceFold(s, old, repl string) string {
	ls, lo := strings.ToLower(s), strings.ToLower(old)
	if len(ls) != len(s) || !strings.Contains(ls, lo) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(ls, lo)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(repl)
		s, ls = s[i+len(old):], ls[i+len(lo):]
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

func permanentInput(reason string) error {
	return delivery.Permanent(errors.New("sendgrid: "+reason), reason)
}

// plainAddress parses s (an address, optionally with a display name) and
// returns the bare address.
func plainAddress(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("empty address")
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return "", errors.New("control character in address")
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", err
	}
	return a.Address, nil
}

// cleanLine makes s safe for a one-line header (subject, display names):
// control characters (CR, LF, tab, ...) become spaces and runs of white
// space collapse, so user text cannot add header lines.
func cleanLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
}

// isReplyToken accepts what delivery.NewReplyToken makes (base32) and
// other plain tokens: letters, digits, '.', '_' and '-'.
func isReplyToken(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_' || r == '-')) {
			return false
		}
	}
	return true
}

func isLineBreakOrNUL(r rune) bool { return r == '\r' || r == '\n' || r == 0 }

// isToken reports whether s is an RFC 7230 token (a valid header name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0:
		default:
			return false
		}
	}
	return true
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// limitedTransport caps how much of a response body can be read.
type limitedTransport struct{ rt http.RoundTripper }

func (t limitedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(r)
	if err != nil || resp == nil || resp.Body == nil {
		return resp, err
	}
	resp.Body = limitedBody{io.LimitReader(resp.Body, maxResponseBody), resp.Body}
	return resp, nil
}

type limitedBody struct {
	io.Reader
	c io.Closer
}

func (b limitedBody) Close() error { return b.c.Close() }
