package cwc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/delivery"
)

func TestChannel(t *testing.T) {
	f := newFakeCWC(t)
	var s delivery.Sender = newTestClient(t, f, nil)
	if s.Channel() != Name {
		t.Errorf("Channel = %q", s.Channel())
	}
}

func TestSendHouseAccepted(t *testing.T) {
	f := newFakeCWC(t)
	c := newTestClient(t, f, nil)
	m := testMessage("HCA11")
	res, err := c.Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if res.Detail != "accepted" {
		t.Errorf("Detail = %q", res.Detail)
	}
	if len(f.accepted) != 1 {
		t.Fatalf("server accepted %d messages", len(f.accepted))
	}
	got := f.accepted[0]
	if got.path != "/v2/message" || got.deliveryID != m.DeliveryID || got.office != "HCA11" || got.version != "2.0" || got.contentType != "application/xml" {
		t.Errorf("server received %+v", got)
	}
}

func TestSendSenatePaths(t *testing.T) {
	for _, testing_ := range []bool{false, true} {
		f := newFakeCWC(t)
		c := newTestClient(t, f, func(cfg *Config) { cfg.SenateTesting = testing_ })
		res, err := c.Send(context.Background(), testMessage("SCA03"))
		if err != nil || res.Detail != "accepted" {
			t.Fatalf("testing=%v: %v, %v", testing_, res, err)
		}
		want := map[bool]string{false: "/api/messages/", true: "/api/testing-messages/"}[testing_]
		if len(f.accepted) != 1 || f.accepted[0].path != want || f.accepted[0].office != "SCA03" {
			t.Errorf("testing=%v: server received %+v, want path %s", testing_, f.accepted, want)
		}
	}
}

// A URL with a path prefix (a proxy in front of CWC) keeps it.
func TestSendBaseURLWithPath(t *testing.T) {
	f := newFakeCWC(t)
	var gotPath string
	inner := f.srv.Config.Handler
	f.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath = r.URL.Path
		r.URL.Path = strings.TrimPrefix(r.URL.Path, "/proxy")
		inner.ServeHTTP(w, r)
	})
	c := newTestClient(t, f, func(cfg *Config) { cfg.HouseURL += "/proxy/" })
	if _, err := c.Send(context.Background(), testMessage("HCA11")); err != nil {
		t.Fatal(err)
	}
	if gotPath != "/proxy/v2/message" {
		t.Errorf("path %q", gotPath)
	}
}

// secretsIn lists what no error may contain.
func secretsIn(m delivery.Message) []string {
	return []string{testHouseKey, testSenateKey, m.From.Email, "maria.hernandez", m.From.FirstName, m.From.LastName,
		m.From.Address1, m.From.City, "94110", "415-555-0142", "4155550142", m.Body[:20]}
}

func assertNoSecrets(t *testing.T, m delivery.Message, texts ...string) {
	t.Helper()
	for _, s := range texts {
		low := strings.ToLower(s)
		for _, secret := range secretsIn(m) {
			if strings.Contains(low, strings.ToLower(secret)) {
				t.Errorf("%q contains %q", s, secret)
			}
		}
	}
}

func TestSend400IsPermanentWithMessages(t *testing.T) {
	m := testMessage("HCA11")
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{
			name: "Errors list",
			body: `<?xml version="1.0"?><Errors>` +
				`<Error>The 'Email' element is invalid - The value 'maria.hernandez@example.net' is invalid according to its datatype 'email_type' - The Pattern constraint failed.</Error>` +
				`<Error>Constituent María Hernández-O'Brien at 2450 Mission St is not in district HCA11</Error>` +
				`</Errors>`,
			want: []string{
				"The 'Email' element is invalid - The value '[redacted]' is invalid according to its datatype 'email_type' - The Pattern constraint failed.",
				"Constituent [redacted] at [redacted] is not in district HCA11",
			},
		},
		{
			// An echo we cannot match field by field (accents folded):
			// the quoted value is still hidden.
			name: "quoted value",
			body: `<Errors><Error>The 'FirstName' element is invalid - The value 'Maria Hernandez' is too long.</Error></Errors>`,
			want: []string{"The 'FirstName' element is invalid - The value '[redacted]' is too long."},
		},
		{name: "bare Error", body: `<Error>MemberOffice HCA11 is not accepting messages</Error>`, want: []string{"MemberOffice HCA11 is not accepting messages"}},
		{name: "nested", body: "<Response><Errors><Error><Code>17</Code><Message>Zip \"94110-1321\" does not match the state</Message></Error></Errors></Response>", want: []string{"17 Zip \"[redacted]\" does not match the state"}},
		{name: "plain text", body: "Bad Request", want: []string{"Bad Request"}},
		{name: "empty", body: "", want: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeCWC(t)
			c := newTestClient(t, f, nil)
			f.push(fault{status: 400, body: tc.body})
			_, err := c.Send(context.Background(), m)
			var perm *delivery.PermanentError
			if !errors.As(err, &perm) {
				t.Fatalf("err = %v, want *delivery.PermanentError", err)
			}
			if temp, _ := delivery.IsTemporary(err); temp {
				t.Error("IsTemporary = true")
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.Status != 400 {
				t.Fatalf("err does not wrap an *APIError with status 400: %#v", err)
			}
			if strings.Join(apiErr.Messages, "|") != strings.Join(tc.want, "|") {
				t.Errorf("Messages = %q\n      want %q", apiErr.Messages, tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(perm.Detail, w) {
					t.Errorf("Detail %q lacks %q", perm.Detail, w)
				}
			}
			assertNoSecrets(t, m, err.Error(), perm.Detail)
		})
	}
}

func TestSend429RetryAfter(t *testing.T) {
	f := newFakeCWC(t)
	c := newTestClient(t, f, nil)
	f.push(fault{status: 429, retryAfter: "120", body: "<Error>Too many requests</Error>"})
	_, err := c.Send(context.Background(), testMessage("HCA11"))
	var temp *delivery.TemporaryError
	if !errors.As(err, &temp) {
		t.Fatalf("err = %v, want *delivery.TemporaryError", err)
	}
	if temp.RetryAfter != 120*time.Second {
		t.Errorf("RetryAfter = %v, want 2m", temp.RetryAfter)
	}
	if ok, after := delivery.IsTemporary(err); !ok || after != 120*time.Second {
		t.Errorf("IsTemporary = %v, %v", ok, after)
	}
	// An HTTP-date works too, and a missing header means "use the backoff".
	f.push(fault{status: 429, retryAfter: time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)}, fault{status: 429})
	_, err = c.Send(context.Background(), testMessage("HCA11"))
	if errors.As(err, &temp); temp.RetryAfter < 80*time.Second || temp.RetryAfter > 90*time.Second {
		t.Errorf("RetryAfter from date = %v", temp.RetryAfter)
	}
	_, err = c.Send(context.Background(), testMessage("HCA11"))
	if errors.As(err, &temp); temp.RetryAfter != 0 {
		t.Errorf("RetryAfter without header = %v", temp.RetryAfter)
	}
}

func TestSendServerErrorsAreTemporary(t *testing.T) {
	for _, status := range []int{500, 502, 503, 504} {
		f := newFakeCWC(t)
		c := newTestClient(t, f, nil)
		f.push(fault{status: status, retryAfter: "30", body: "<html><body>Service Unavailable</body></html>"})
		_, err := c.Send(context.Background(), testMessage("SCA03"))
		var temp *delivery.TemporaryError
		if !errors.As(err, &temp) {
			t.Fatalf("%d: err = %v, want *delivery.TemporaryError", status, err)
		}
		if temp.RetryAfter != 30*time.Second {
			t.Errorf("%d: RetryAfter = %v", status, temp.RetryAfter)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("HTTP %d", status)) || !strings.Contains(err.Error(), "senate") {
			t.Errorf("%d: error %q", status, err)
		}
	}
}

func TestSendOtherStatuses(t *testing.T) {
	for _, tc := range []struct {
		status int
		detail string
	}{
		{401, "API key refused"},
		{403, "allow-list"},
		{404, "HTTP 404"},
		{415, "HTTP 415"},
		{302, "unexpected redirect"},
	} {
		f := newFakeCWC(t)
		c := newTestClient(t, f, nil)
		f.push(fault{status: tc.status})
		_, err := c.Send(context.Background(), testMessage("HCA11"))
		var perm *delivery.PermanentError
		if !errors.As(err, &perm) || !strings.Contains(perm.Detail, tc.detail) {
			t.Errorf("%d: err = %v, want permanent with %q", tc.status, err, tc.detail)
		}
	}
}

// The Client never follows redirects (the key would travel with them), and
// does so without changing the caller's http.Client.
func TestRedirectNotFollowedCallerClientUntouched(t *testing.T) {
	f := newFakeCWC(t)
	hc := f.srv.Client()
	if hc.CheckRedirect != nil {
		t.Fatal("precondition")
	}
	cfg := f.config()
	c, err := New(cfg, hc)
	if err != nil {
		t.Fatal(err)
	}
	if hc.CheckRedirect != nil {
		t.Error("New changed the caller's http.Client")
	}
	f.push(fault{status: 307})
	if _, err := c.Send(context.Background(), testMessage("HCA11")); err == nil {
		t.Fatal("redirect accepted")
	}
	if posts, _, _ := f.counts(); posts != 1 {
		t.Errorf("%d POSTs: redirect followed", posts)
	}
}

func TestSendTimeoutIsTemporary(t *testing.T) {
	f := newFakeCWC(t)
	c := newTestClient(t, f, func(cfg *Config) { cfg.Timeout = 150 * time.Millisecond })
	f.push(fault{slow: true})
	m := testMessage("HCA11")
	start := time.Now()
	_, err := c.Send(context.Background(), m)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Send took %v with a 150ms timeout", d)
	}
	var temp *delivery.TemporaryError
	if !errors.As(err, &temp) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a temporary deadline error", err)
	}
	if !strings.Contains(err.Error(), "timed out") {
		t.Errorf("error %q", err)
	}
	assertNoSecrets(t, m, err.Error())
}

// The connection is dropped after the server read the message: the
// outcome is unknown, the error is temporary, nothing is retried behind
// the caller's back, and the retry with the same DeliveryId is safe (the
// Senate's duplicate answer counts as delivered).
func TestSendConnectionDroppedThenRetried(t *testing.T) {
	f := newFakeCWC(t)
	c := newTestClient(t, f, nil)
	m := testMessage("SCA03")
	f.push(fault{hangup: true})
	_, err := c.Send(context.Background(), m)
	var temp *delivery.TemporaryError
	if !errors.As(err, &temp) {
		t.Fatalf("err = %v, want *delivery.TemporaryError", err)
	}
	assertNoSecrets(t, m, err.Error())
	if posts, accepted, _ := f.counts(); posts != 1 || accepted != 0 {
		t.Fatalf("posts=%d accepted=%d after the drop; the transport must not retry a POST", posts, accepted)
	}

	res, err := c.Send(context.Background(), m)
	if err != nil || res.Detail != "accepted" {
		t.Fatalf("retry: %v, %v", res, err)
	}
	// The first attempt had in fact been received: a second retry is
	// answered 409 and still counts as delivered, not failed.
	res, err = c.Send(context.Background(), m)
	if err != nil || !strings.HasPrefix(res.Detail, "accepted") {
		t.Fatalf("duplicate: %v, %v", res, err)
	}
	if _, accepted, _ := f.counts(); accepted != 1 {
		t.Errorf("server holds %d copies", accepted)
	}
}

func TestSendConnectionRefusedIsTemporary(t *testing.T) {
	f := newFakeCWC(t)
	c := newTestClient(t, f, nil)
	f.srv.Close()
	m := testMessage("HCA11")
	_, err := c.Send(context.Background(), m)
	var temp *delivery.TemporaryError
	if !errors.As(err, &temp) {
		t.Fatalf("err = %v", err)
	}
	assertNoSecrets(t, m, err.Error())
}

func TestSendInvalidMessageMakesNoRequest(t *testing.T) {
	f := newFakeCWC(t)
	c := newTestClient(t, f, nil)
	m := testMessage("HCA11")
	m.From.ZIP = "9411"
	m.From.FirstName = "María\nX"
	_, err := c.Send(context.Background(), m)
	var perm *delivery.PermanentError
	if !errors.As(err, &perm) || !strings.Contains(perm.Detail, "Constituent.ZIP") || !strings.Contains(perm.Detail, "Constituent.FirstName") {
		t.Fatalf("err = %v", err)
	}
	assertNoSecrets(t, m, err.Error(), perm.Detail)
	if posts, _, _ := f.counts(); posts != 0 {
		t.Errorf("%d POSTs for an invalid message", posts)
	}
}

func TestSendChamberNotConfigured(t *testing.T) {
	f := newFakeCWC(t)
	c := newTestClient(t, f, func(cfg *Config) { cfg.SenateURL, cfg.SenateAPIKey = "", "" })
	_, err := c.Send(context.Background(), testMessage("SCA03"))
	var perm *delivery.PermanentError
	if !errors.As(err, &perm) || !strings.Contains(perm.Detail, "senate") {
		t.Fatalf("err = %v", err)
	}
}

func TestRefreshActiveOfficesAndAccepts(t *testing.T) {
	f := newFakeCWC(t)
	c := newTestClient(t, f, nil)
	n, err := c.RefreshActiveOffices(context.Background())
	if err != nil || n != 3 {
		t.Fatalf("RefreshActiveOffices = %d, %v", n, err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		office delivery.Office
		want   bool
	}{
		{delivery.Office{Chamber: "senate", State: "CA", Code: "SCA03"}, true},
		{delivery.Office{Chamber: "senate", State: "MN", Code: "smn01"}, true},
		{delivery.Office{Chamber: "senate", State: "CA", Code: "SCA01"}, false}, // not on CWC
		{delivery.Office{Chamber: "senate", State: "TX", Code: "STX02"}, false},
		{delivery.Office{Chamber: "house", State: "CA", Code: "HCA11"}, true},
		{delivery.Office{Chamber: "house", State: "AK", Code: "HAK00"}, true},
		{delivery.Office{Chamber: "house", State: "CA", Code: ""}, false},
		{delivery.Office{Chamber: "senate", State: "CA", Code: "HCA11"}, false}, // inconsistent
	} {
		if got := c.Accepts(ctx, tc.office); got != tc.want {
			t.Errorf("Accepts(%+v) = %v, want %v", tc.office, got, tc.want)
		}
	}
	if code, ok := c.SenateOfficeCodeFor("p000145"); !ok || code != "SCA03" {
		t.Errorf("SenateOfficeCodeFor(P000145) = %q, %v", code, ok)
	}
	if got := strings.Join(c.ActiveOffices(), ","); got != "SCA03,SME01,SMN01" {
		t.Errorf("ActiveOffices = %s", got)
	}
	if _, _, gets := f.counts(); gets != 1 {
		t.Errorf("%d GETs: Accepts refreshed a fresh list", gets)
	}

	// Without a Senate account no senator is accepted; without a House
	// account no representative is.
	houseOnly := newTestClient(t, f, func(cfg *Config) { cfg.SenateURL, cfg.SenateAPIKey = "", "" })
	if houseOnly.Accepts(ctx, delivery.Office{Chamber: "senate", Code: "SCA03"}) {
		t.Error("house-only client accepts a senator")
	}
	senateOnly := newTestClient(t, f, func(cfg *Config) { cfg.HouseURL, cfg.HouseAPIKey = "", "" })
	if senateOnly.Accepts(ctx, delivery.Office{Chamber: "house", Code: "HCA11"}) {
		t.Error("senate-only client accepts a representative")
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestAcceptsRefreshesLazily(t *testing.T) {
	f := newFakeCWC(t)
	c := newTestClient(t, f, nil)
	clock := &fakeClock{t: time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)}
	c.now = clock.now
	ctx := context.Background()
	senator := delivery.Office{Chamber: "senate", Code: "SCA03"}

	// First Accepts loads the list; concurrent callers share one GET.
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !c.Accepts(ctx, senator) {
				t.Error("Accepts = false after lazy load")
			}
		}()
	}
	wg.Wait()
	if _, _, gets := f.counts(); gets != 1 {
		t.Fatalf("%d GETs for the first Accepts", gets)
	}
	clock.add(23 * time.Hour)
	c.Accepts(ctx, senator)
	if _, _, gets := f.counts(); gets != 1 {
		t.Fatalf("refreshed a 23-hour-old list")
	}

	// Stale after 24h: refreshed; the new list drops SCA03.
	f.mu.Lock()
	f.officesBody = `[{"name": "Amy Klobuchar [bioguide_id: K000367]", "office_code": "SMN01"}]`
	f.mu.Unlock()
	clock.add(2 * time.Hour)
	if c.Accepts(ctx, senator) {
		t.Error("senator still accepted after the refreshed list dropped the office")
	}
	if _, _, gets := f.counts(); gets != 2 {
		t.Fatalf("%d GETs, want a refresh of the stale list", gets)
	}

	// A failing refresh keeps the old list and is not retried for 5 minutes.
	f.mu.Lock()
	f.officesCode, f.officesBody = http.StatusServiceUnavailable, "down"
	f.mu.Unlock()
	clock.add(25 * time.Hour)
	klobuchar := delivery.Office{Chamber: "senate", Code: "SMN01"}
	if !c.Accepts(ctx, klobuchar) {
		t.Error("stale list dropped after a failed refresh")
	}
	c.Accepts(ctx, klobuchar)
	if _, _, gets := f.counts(); gets != 3 {
		t.Errorf("%d GETs: failed refresh retried at once", gets)
	}
	clock.add(6 * time.Minute)
	c.Accepts(ctx, klobuchar)
	if _, _, gets := f.counts(); gets != 4 {
		t.Errorf("%d GETs: failed refresh not retried after the backoff", gets)
	}
}

func TestSetActiveOffices(t *testing.T) {
	f := newFakeCWC(t)
	c := newTestClient(t, f, nil)
	c.SetActiveOffices([]string{" sca03 ", "SMN01", "HCA11", "bogus"})
	ctx := context.Background()
	if !c.Accepts(ctx, delivery.Office{Chamber: "senate", Code: "SCA03"}) || c.Accepts(ctx, delivery.Office{Chamber: "senate", Code: "SME01"}) {
		t.Error("SetActiveOffices not honoured")
	}
	if got := strings.Join(c.ActiveOffices(), ","); got != "SCA03,SMN01" {
		t.Errorf("ActiveOffices = %s", got)
	}
	if _, _, gets := f.counts(); gets != 0 {
		t.Errorf("%d GETs after SetActiveOffices", gets)
	}
}

func TestRefreshActiveOfficesShapesAndFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		code   int
		body   string
		want   int
		errHas string
		temp   bool
	}{
		{name: "plain codes", code: 200, body: `["SCA03","SMN01","HCA11"]`, want: 2},
		{name: "results page", code: 200, body: `{"count": 1, "next": null, "results": [{"name": "X [bioguide_id: P000145]", "office_code": "SCA03"}]}`, want: 1},
		{name: "empty list", code: 200, body: `[]`, errHas: "no Senate office codes"},
		{name: "not json", code: 200, body: `<html>maintenance</html>`, errHas: "not a JSON list"},
		{name: "server error", code: 503, body: `down`, errHas: "HTTP 503", temp: true},
		{name: "bad key", code: 401, body: ``, errHas: "HTTP 401"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeCWC(t)
			f.officesCode, f.officesBody = tc.code, tc.body
			c := newTestClient(t, f, nil)
			c.SetActiveOffices([]string{"SME01"})
			n, err := c.RefreshActiveOffices(context.Background())
			if tc.errHas == "" {
				if err != nil || n != tc.want {
					t.Fatalf("= %d, %v; want %d", n, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Fatalf("err = %v, want %q", err, tc.errHas)
			}
			if temp, _ := delivery.IsTemporary(err); tc.temp && !temp {
				t.Error("want a temporary error")
			}
			if strings.Contains(err.Error(), testSenateKey) {
				t.Errorf("error %q shows the key", err)
			}
			if got := strings.Join(c.ActiveOffices(), ","); got != "SME01" {
				t.Errorf("failed refresh replaced the list: %s", got)
			}
		})
	}
}

func TestRefreshSendsKeyAndAccept(t *testing.T) {
	f := newFakeCWC(t)
	var accept, key string
	inner := f.srv.Config.Handler
	f.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		accept, key = r.Header.Get("Accept"), r.URL.Query().Get("apikey")
		inner.ServeHTTP(w, r)
	})
	c := newTestClient(t, f, nil)
	if _, err := c.RefreshActiveOffices(context.Background()); err != nil {
		t.Fatal(err)
	}
	if accept != "application/json" || key != testSenateKey {
		t.Errorf("Accept %q apikey %q", accept, key)
	}
	houseOnly := newTestClient(t, f, func(cfg *Config) { cfg.SenateURL, cfg.SenateAPIKey = "", "" })
	if _, err := houseOnly.RefreshActiveOffices(context.Background()); err == nil {
		t.Error("refresh without a Senate account succeeded")
	}
}
