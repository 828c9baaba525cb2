package sendgrid

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/deliverytest"
)

const testKey = "SG.test-key"

// fakeSendGrid speaks the v3 Mail Send wire format: it checks the method,
// path, Authorization and Content-Type, decodes the JSON body, and answers
// 202 with an X-Message-Id, or a programmed fault.
type fakeSendGrid struct {
	t   *testing.T
	srv *httptest.Server

	mu     sync.Mutex
	fault  func(w http.ResponseWriter, r *http.Request) bool // true: answered
	bodies []map[string]any
	hits   int
	status int // success status; 202 by default
}

func newFake(t *testing.T) *fakeSendGrid {
	t.Helper()
	f := &fakeSendGrid{t: t, status: http.StatusAccepted}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSendGrid) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.hits++
	n := f.hits
	fault, status := f.fault, f.status
	f.mu.Unlock()

	if r.Method != http.MethodPost || r.URL.Path != "/v3/mail/send" {
		f.t.Errorf("got %s %s, want POST /v3/mail/send", r.Method, r.URL.Path)
		http.NotFound(w, r)
		return
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+testKey {
		f.t.Errorf("Authorization = %q", got)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if got := r.Header.Get("Content-Type"); got != "application/json" {
		f.t.Errorf("Content-Type = %q", got)
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("read body: %v", err)
		return
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		f.t.Errorf("body is not JSON: %v", err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.bodies = append(f.bodies, body)
	f.mu.Unlock()

	if fault != nil && fault(w, r) {
		return
	}
	w.Header().Set("X-Message-Id", "msg-"+strconv.Itoa(n))
	w.WriteHeader(status)
}

func (f *fakeSendGrid) setFault(fn func(w http.ResponseWriter, r *http.Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = fn
}

func (f *fakeSendGrid) lastBody(t *testing.T) map[string]any {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.bodies) == 0 {
		t.Fatal("no request reached the fake")
	}
	return f.bodies[len(f.bodies)-1]
}

func (f *fakeSendGrid) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits
}

func newClient(t *testing.T, f *fakeSendGrid, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		APIKey:      testKey,
		BaseURL:     f.srv.URL,
		Timeout:     2 * time.Second,
		FromEmail:   "letters@outreach.example",
		FromName:    "Outreach",
		ReplyDomain: "reply.outreach.example",
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const officeEmail = "rep.smith@mail.house.example"

func letter() delivery.Message {
	d := 11
	return delivery.Message{
		LetterID:   4217,
		DeliveryID: "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
		Campaign:   delivery.Campaign{ID: 3, Slug: "clean-water", Title: "Clean Water"},
		Office: delivery.Office{
			BioguideID: "S000001", Name: "Jane Smith", Title: "Representative",
			Chamber: "house", State: "CA", District: &d, Code: "HCA11", Email: officeEmail,
		},
		From: delivery.Constituent{
			FirstName: "Ana", LastName: "García", Email: "ana@supporter.example",
			Address1: "1 Main St", City: "Oakland", State: "CA", ZIP: "94601",
		},
		Subject: "Protect clean water",
		Body:    "Dear Representative Smith,\n\nPlease protect clean water.\n\nAna García\nOakland, CA",
		ReplyTo: "reply+abcdefgh@reply.outreach.example",
	}
}

// path walks decoded JSON: string keys index objects, ints index arrays.
func path(t *testing.T, v any, keys ...any) any {
	t.Helper()
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %q: not an object: %#v", k, v)
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				t.Fatalf("at [%d]: not an array that long: %#v", k, v)
			}
			v = a[k]
		}
	}
	return v
}

func TestSendLetterWireFormat(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f, nil)

	res, err := c.Send(context.Background(), letter())
	if err != nil {
		t.Fatal(err)
	}
	if res.ProviderID != "msg-1" {
		t.Errorf("ProviderID = %q, want msg-1 (the X-Message-Id)", res.ProviderID)
	}
	if !strings.Contains(res.Detail, "202") {
		t.Errorf("Detail = %q", res.Detail)
	}

	b := f.lastBody(t)
	if got := path(t, b, "personalizations", 0, "to", 0, "email"); got != officeEmail {
		t.Errorf("to = %v", got)
	}
	if got := path(t, b, "personalizations", 0, "to", 0, "name"); got != "Representative Jane Smith" {
		t.Errorf("to name = %v", got)
	}
	if got := path(t, b, "from", "email"); got != "letters@outreach.example" {
		t.Errorf("from = %v", got)
	}
	if got := path(t, b, "from", "name"); got != "Ana García via Outreach" {
		t.Errorf("from name = %v", got)
	}
	if got := path(t, b, "reply_to", "email"); got != "reply+abcdefgh@reply.outreach.example" {
		t.Errorf("reply_to = %v", got)
	}
	if got := path(t, b, "subject"); got != "Protect clean water" {
		t.Errorf("subject = %v", got)
	}
	if got := path(t, b, "content", 0, "type"); got != "text/plain" {
		t.Errorf("content[0].type = %v", got)
	}
	// The body is the letter as delivery.Compose makes it for every
	// channel, with the full sender block and no statement (none here).
	want := letter().Body + "\n\nAna García\n1 Main St\nOakland, CA 94601\nana@supporter.example"
	if got := path(t, b, "content", 0, "value"); got != want || got != delivery.Compose(letter(), delivery.FullSender).Text() {
		t.Errorf("content[0].value = %q, want %q", got, want)
	}
	if got := path(t, b, "custom_args", "letter_id"); got != "4217" {
		t.Errorf("custom_args.letter_id = %#v, want the string \"4217\"", got)
	}
	cats, _ := path(t, b, "categories").([]any)
	if len(cats) != 2 || cats[0] != "campaign-clean-water" || cats[1] != "letter" {
		t.Errorf("categories = %v", cats)
	}
	if _, ok := b["mail_settings"]; ok {
		t.Errorf("mail_settings sent without sandbox mode: %v", b["mail_settings"])
	}
	// The constituent's own address is not put on the letter's envelope
	// (it is in the text, as the office's contact for them).
	delete(b, "content")
	raw, _ := json.Marshal(b)
	if strings.Contains(string(raw), "ana@supporter.example") {
		t.Errorf("request carries the constituent's address: %s", raw)
	}
}

func TestSendReplyTo(t *testing.T) {
	f := newFake(t)

	t.Run("token only", func(t *testing.T) {
		c := newClient(t, f, nil)
		m := letter()
		m.ReplyTo = "k5q2x7abcd"
		if _, err := c.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		if got := path(t, f.lastBody(t), "reply_to", "email"); got != "reply+k5q2x7abcd@reply.outreach.example" {
			t.Errorf("reply_to = %v", got)
		}
	})
	t.Run("no reply domain: no reply-to", func(t *testing.T) {
		c := newClient(t, f, func(c *Config) { c.ReplyDomain = "" })
		if _, err := c.Send(context.Background(), letter()); err != nil {
			t.Fatal(err)
		}
		if v, ok := f.lastBody(t)["reply_to"]; ok {
			t.Errorf("reply_to = %v, want none", v)
		}
	})
	t.Run("address at another domain is refused", func(t *testing.T) {
		c := newClient(t, f, nil)
		before := f.count()
		m := letter()
		m.ReplyTo = "reply+abc@elsewhere.example"
		_, err := c.Send(context.Background(), m)
		if ok, _ := delivery.IsTemporary(err); err == nil || ok {
			t.Fatalf("err = %v, want permanent", err)
		}
		if f.count() != before {
			t.Error("request sent anyway")
		}
	})
}

func TestSendHeaderInjection(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f, nil)
	m := letter()
	m.Subject = "Hello\r\nBcc: victim@evil.example"
	m.From.FirstName = "Ana\r\nX-Evil: 1"
	if _, err := c.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	b := f.lastBody(t)
	if got := path(t, b, "subject").(string); strings.ContainsAny(got, "\r\n") || got != "Hello Bcc: victim@evil.example" {
		t.Errorf("subject = %q", got)
	}
	if got := path(t, b, "from", "name").(string); strings.ContainsAny(got, "\r\n") {
		t.Errorf("from name = %q", got)
	}
}

func TestSendSandbox(t *testing.T) {
	f := newFake(t)
	f.status = http.StatusOK // SendGrid answers 200 to a valid sandbox request
	c := newClient(t, f, func(c *Config) { c.SandboxMode = true })
	res, err := c.Send(context.Background(), letter())
	if err != nil {
		t.Fatal(err)
	}
	if got := path(t, f.lastBody(t), "mail_settings", "sandbox_mode", "enable"); got != true {
		t.Errorf("mail_settings.sandbox_mode.enable = %#v", got)
	}
	if !strings.Contains(res.Detail, "sandbox") {
		t.Errorf("Detail = %q", res.Detail)
	}
}

func TestSendEmail(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f, nil)
	id, err := c.SendEmail(context.Background(), Email{
		To: "ana@supporter.example", ToName: "Ana García",
		Subject:    "Confirm your letter",
		Text:       "Open https://outreach.example/c/xyz to confirm.",
		HTML:       `<p>Open <a href="https://outreach.example/c/xyz">this link</a> to confirm.</p>`,
		Categories: []string{"confirmation", "campaign-clean-water"},
		CustomArgs: map[string]string{"letter_id": "4217", "kind": "confirm"},
		ReplyTo:    "help@outreach.example",
		Headers: map[string]string{
			"List-Unsubscribe":      "<https://outreach.example/u/tok>, <mailto:unsub+tok@outreach.example>",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if id != "msg-1" {
		t.Errorf("id = %q", id)
	}
	b := f.lastBody(t)
	checks := []struct {
		keys []any
		want any
	}{
		{[]any{"personalizations", 0, "to", 0, "email"}, "ana@supporter.example"},
		{[]any{"personalizations", 0, "to", 0, "name"}, "Ana García"},
		{[]any{"from", "email"}, "letters@outreach.example"},
		{[]any{"from", "name"}, "Outreach"},
		{[]any{"reply_to", "email"}, "help@outreach.example"},
		{[]any{"subject"}, "Confirm your letter"},
		{[]any{"content", 0, "type"}, "text/plain"},
		{[]any{"content", 1, "type"}, "text/html"},
		{[]any{"categories", 0}, "confirmation"},
		{[]any{"categories", 1}, "campaign-clean-water"},
		{[]any{"custom_args", "letter_id"}, "4217"},
		{[]any{"custom_args", "kind"}, "confirm"},
		{[]any{"headers", "List-Unsubscribe"}, "<https://outreach.example/u/tok>, <mailto:unsub+tok@outreach.example>"},
		{[]any{"headers", "List-Unsubscribe-Post"}, "List-Unsubscribe=One-Click"},
	}
	for _, c := range checks {
		if got := path(t, b, c.keys...); got != c.want {
			t.Errorf("%v = %#v, want %#v", c.keys, got, c.want)
		}
	}
}

func TestSendEmailRefusesBadInput(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f, nil)
	base := Email{To: "ana@supporter.example", Subject: "Hi", Text: "x"}
	cases := map[string]func(*Email){
		"no recipient":        func(e *Email) { e.To = "" },
		"bad recipient":       func(e *Email) { e.To = "not an address" },
		"no content":          func(e *Email) { e.Text = " " },
		"no subject":          func(e *Email) { e.Subject = "\r\n" },
		"header value CRLF":   func(e *Email) { e.Headers = map[string]string{"List-Unsubscribe": "<x>\r\nBcc: a@b.example"} },
		"header name invalid": func(e *Email) { e.Headers = map[string]string{"Bad Name:": "x"} },
		"bad reply-to":        func(e *Email) { e.ReplyTo = "nope" },
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			e := base
			mod(&e)
			_, err := c.SendEmail(context.Background(), e)
			var p *delivery.PermanentError
			if !errors.As(err, &p) {
				t.Fatalf("err = %v, want permanent", err)
			}
			if strings.Contains(err.Error(), "ana@supporter.example") {
				t.Errorf("error carries the address: %v", err)
			}
		})
	}
	if n := f.count(); n != 0 {
		t.Errorf("%d requests reached SendGrid", n)
	}
}

func TestRateLimited(t *testing.T) {
	now := time.Unix(1_750_000_000, 250_000_000)
	cases := []struct {
		name   string
		header map[string]string
		want   time.Duration
	}{
		{"reset in 30s", map[string]string{"X-RateLimit-Reset": strconv.FormatInt(now.Unix()+30, 10)}, 30 * time.Second},
		{"reset passed", map[string]string{"X-RateLimit-Reset": strconv.FormatInt(now.Unix()-5, 10)}, time.Second},
		{"reset garbage, Retry-After", map[string]string{"X-RateLimit-Reset": "soon", "Retry-After": "7"}, 7 * time.Second},
		{"nothing", nil, 60 * time.Second},
		{"absurd reset capped", map[string]string{"X-RateLimit-Reset": strconv.FormatInt(now.Unix()+86400*365, 10)}, time.Hour},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.setFault(func(w http.ResponseWriter, _ *http.Request) bool {
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.Header().Set("X-RateLimit-Limit", "600")
				w.Header().Set("X-RateLimit-Remaining", "0")
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusTooManyRequests)
				io.WriteString(w, `{"errors":[{"field":null,"message":"too many requests"}]}`)
				return true
			})
			c := newClient(t, f, nil)
			c.now = func() time.Time { return now }
			_, err := c.Send(context.Background(), letter())
			var te *delivery.TemporaryError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v, want temporary", err)
			}
			if te.RetryAfter != tc.want {
				t.Errorf("RetryAfter = %s, want %s", te.RetryAfter, tc.want)
			}
			if ok, d := delivery.IsTemporary(err); !ok || d != tc.want {
				t.Errorf("IsTemporary = %v, %s", ok, d)
			}
			if f.count() != 1 {
				t.Errorf("%d requests, want 1 (no retry inside the client)", f.count())
			}
		})
	}
}

func TestServerErrorsAreTemporary(t *testing.T) {
	for _, status := range []int{500, 502, 503} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			f := newFake(t)
			f.setFault(func(w http.ResponseWriter, _ *http.Request) bool {
				w.WriteHeader(status)
				io.WriteString(w, `{"errors":[{"message":"internal error","field":null,"help":null}]}`)
				return true
			})
			c := newClient(t, f, nil)
			_, err := c.Send(context.Background(), letter())
			if ok, _ := delivery.IsTemporary(err); err == nil || !ok {
				t.Fatalf("err = %v, want temporary", err)
			}
			var te *delivery.TemporaryError
			if !errors.As(err, &te) {
				t.Fatalf("err = %T, want *delivery.TemporaryError", err)
			}
			if !strings.Contains(err.Error(), strconv.Itoa(status)) {
				t.Errorf("error %q does not name the status", err)
			}
		})
	}
}

func TestClientErrorsArePermanentWithoutPII(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		want   []string
	}{
		{
			name:   "400 with errors",
			status: 400,
			body: `{"errors":[` +
				`{"message":"The to address ` + officeEmail + ` is not a valid email address.","field":"personalizations.0.to.0.email","help":"http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html#message.personalizations.to"},` +
				`{"message":"The from address does not match a verified Sender Identity.","field":"from","help":null}]}`,
			want: []string{"status 400", "is not a valid email address", "personalizations.0.to.0.email", "verified Sender Identity"},
		},
		{
			name:   "401",
			status: 401,
			body:   `{"errors":[{"field":null,"message":"The provided authorization grant is invalid, expired, or revoked"}]}`,
			want:   []string{"status 401", "authorization grant is invalid"},
		},
		{
			name:   "413 not JSON",
			status: 413,
			body:   `<html>too big for ` + officeEmail + `</html>`,
			want:   []string{"status 413"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.setFault(func(w http.ResponseWriter, _ *http.Request) bool {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
				return true
			})
			c := newClient(t, f, nil)
			_, err := c.Send(context.Background(), letter())
			var p *delivery.PermanentError
			if !errors.As(err, &p) {
				t.Fatalf("err = %v, want permanent", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(p.Detail, w) {
					t.Errorf("Detail %q lacks %q", p.Detail, w)
				}
			}
			for _, s := range []string{p.Detail, err.Error()} {
				if strings.Contains(strings.ToLower(s), "rep.smith") || strings.Contains(s, "@") {
					t.Errorf("error text carries an address: %q", s)
				}
			}
		})
	}
}

func TestTimeoutIsTemporary(t *testing.T) {
	f := newFake(t)
	f.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		w.WriteHeader(http.StatusAccepted)
		return true
	})
	c := newClient(t, f, func(c *Config) { c.Timeout = 100 * time.Millisecond })
	start := time.Now()
	_, err := c.Send(context.Background(), letter())
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("Send took %s with a 100ms timeout", el)
	}
	if ok, _ := delivery.IsTemporary(err); err == nil || !ok {
		t.Fatalf("err = %v, want temporary", err)
	}
	if !errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("err = %v, want it to wrap ErrOutcomeUnknown", err)
	}
}

func TestCallerContextTimeoutIsTemporary(t *testing.T) {
	f := newFake(t)
	f.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		<-r.Context().Done()
		return true
	})
	c := newClient(t, f, nil) // 2s client timeout; the caller's is shorter
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Send(ctx, letter())
	var te *delivery.TemporaryError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want temporary", err)
	}
}

func TestDroppedConnectionIsTemporary(t *testing.T) {
	f := newFake(t)
	f.setFault(func(w http.ResponseWriter, _ *http.Request) bool {
		// The request has been read in full: drop the connection unanswered.
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return true
		}
		conn.Close()
		return true
	})
	c := newClient(t, f, nil)
	_, err := c.Send(context.Background(), letter())
	if ok, _ := delivery.IsTemporary(err); err == nil || !ok {
		t.Fatalf("err = %v, want temporary", err)
	}
	if !errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("err = %v, want it to wrap ErrOutcomeUnknown", err)
	}
	if n := f.count(); n != 1 {
		t.Errorf("the fake saw %d requests, want exactly 1 (a POST must not be replayed)", n)
	}
}

func TestConnectionRefusedIsTemporaryAndNotSent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := New(Config{APIKey: testKey, BaseURL: "http://" + addr, FromEmail: "letters@outreach.example"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Send(context.Background(), letter())
	if ok, _ := delivery.IsTemporary(err); err == nil || !ok {
		t.Fatalf("err = %v, want temporary", err)
	}
	if errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("err = %v: a refused connection cannot have sent anything", err)
	}
}

func TestSendRefusesBadLetters(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f, nil)
	cases := map[string]func(*delivery.Message){
		"no office email": func(m *delivery.Message) { m.Office.Email = "" },
		"no letter id":    func(m *delivery.Message) { m.LetterID = 0 },
		"empty subject":   func(m *delivery.Message) { m.Subject = " \n" },
		"empty body":      func(m *delivery.Message) { m.Body = "" },
		"bad reply token": func(m *delivery.Message) { m.ReplyTo = "a b" },
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			m := letter()
			mod(&m)
			_, err := c.Send(context.Background(), m)
			var p *delivery.PermanentError
			if !errors.As(err, &p) {
				t.Fatalf("err = %v, want permanent", err)
			}
		})
	}
	if n := f.count(); n != 0 {
		t.Errorf("%d requests reached SendGrid", n)
	}
}

func TestAcceptsAndChannel(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f, nil)
	if c.Channel() != Name {
		t.Errorf("Channel = %q", c.Channel())
	}
	for email, want := range map[string]bool{
		officeEmail:                       true,
		"Office <info@house.example>":     true,
		"":                                false,
		"   ":                             false,
		"not-an-address":                  false,
		"a@b.example\r\nBcc: x@y.example": false,
	} {
		if got := c.Accepts(context.Background(), delivery.Office{Email: email}); got != want {
			t.Errorf("Accepts(%q) = %v, want %v", email, got, want)
		}
	}
}

func TestNewValidates(t *testing.T) {
	ok := Config{APIKey: "k", FromEmail: "letters@outreach.example"}
	cases := []struct {
		mod   func(*Config)
		field string
	}{
		{func(c *Config) { c.APIKey = "" }, "APIKey"},
		{func(c *Config) { c.FromEmail = "" }, "FromEmail"},
		{func(c *Config) { c.FromEmail = "nope" }, "FromEmail"},
		{func(c *Config) { c.BaseURL = "api.sendgrid.com" }, "BaseURL"},
		{func(c *Config) { c.BaseURL = "ftp://api.sendgrid.com" }, "BaseURL"},
		{func(c *Config) { c.BaseURL = "http://api.sendgrid.com" }, "BaseURL"},
		{func(c *Config) { c.Timeout = -time.Second }, "Timeout"},
		{func(c *Config) { c.ReplyDomain = "not a domain" }, "ReplyDomain"},
		{func(c *Config) { c.FromName = "Out\nreach" }, "FromName"},
	}
	for _, tc := range cases {
		cfg := ok
		tc.mod(&cfg)
		_, err := New(cfg, nil)
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("New(%+v) = %v, want an error naming %s", cfg, err, tc.field)
		}
	}
	c, err := New(ok, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.baseURL != DefaultBaseURL || c.timeout != DefaultTimeout || c.http.Timeout != DefaultTimeout {
		t.Errorf("defaults: base %q timeout %s http timeout %s", c.baseURL, c.timeout, c.http.Timeout)
	}
	// The caller's client is copied, not changed.
	hc := &http.Client{Timeout: time.Minute}
	c, err = New(Config{APIKey: "k", FromEmail: "a@b.example", Timeout: time.Second}, hc)
	if err != nil {
		t.Fatal(err)
	}
	if hc.Timeout != time.Minute || hc.CheckRedirect != nil || hc.Transport != nil {
		t.Error("New modified the caller's http.Client")
	}
	if c.http.Timeout != time.Second {
		t.Errorf("http timeout = %s, want 1s", c.http.Timeout)
	}
}

// TestConnectionsAreReused: with Config.Connections sized to the sends in
// flight, rounds of parallel sends reuse the pool's connections instead of
// opening new ones (Go's default transport keeps 2 idle per host, so each
// round of 32 would open about 30 more, each a TLS handshake against the
// real API).
func TestConnectionsAreReused(t *testing.T) {
	f := &fakeSendGrid{t: t, status: http.StatusAccepted}
	srv, opened := deliverytest.CountingServer(t, 5*time.Millisecond, http.HandlerFunc(f.serve))
	f.srv = srv
	const inFlight, rounds = 32, 5
	c := newClient(t, f, func(cfg *Config) { cfg.Connections = inFlight })
	for range rounds {
		var wg sync.WaitGroup
		for range inFlight {
			wg.Go(func() {
				if _, err := c.Send(context.Background(), letter()); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	// Every send after the first round finds an idle connection; a few
	// more than inFlight may be opened when one is closed and replaced
	// mid-run (seen once in a hundred runs on a loaded box). Go's default
	// transport, two idle connections per host, opens about one per send.
	if n := opened.Load(); n > inFlight+inFlight/8 {
		t.Errorf("%d sends in %d rounds of %d opened %d connections; want at most %d", inFlight*rounds, rounds, inFlight, n, inFlight+inFlight/8)
	}
	if f.hits != inFlight*rounds {
		t.Errorf("the fake saw %d sends, want %d", f.hits, inFlight*rounds)
	}
}
