package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/delivery/outbox"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
)

// demoClient is a supporter on a running server's /c/demo, reading the
// outbox for the emails the server sends them.
type demoClient struct {
	t    *testing.T
	base string
	c    *http.Client
	s    *store.Store
	keys *seal.Keys
	logs *syncBuffer
}

func newDemoClient(t *testing.T, base string, s *store.Store, keys *seal.Keys, logs *syncBuffer) *demoClient {
	jar, _ := cookiejar.New(nil)
	return &demoClient{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}, s: s, keys: keys, logs: logs}
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// post submits a form of page to action with the page's CSRF token and
// returns the answer, which must be 200.
func (d *demoClient) post(page, action string, form url.Values) string {
	t := d.t
	t.Helper()
	resp, err := d.c.Get(d.base + page)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfRE.FindSubmatch(b)
	if m == nil {
		t.Fatalf("no form on %s: %d %s", page, resp.StatusCode, b)
	}
	form.Set("_csrf", string(m[1]))
	resp, err = d.c.PostForm(d.base+action, form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST %s: %d\n%s\n%s", action, resp.StatusCode, b, d.logs.String())
	}
	return string(b)
}

// supporterEmail waits for a supporter email whose text matches re and
// returns the first group.
func (d *demoClient) supporterEmail(re *regexp.Regexp) string {
	t := d.t
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		msgs, err := d.s.Outbox(context.Background(), "supporter", 0, 20)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			o, err := outbox.Open(d.keys, m.ID, m.Sealed)
			if err == nil && o.Email != nil {
				if mm := re.FindStringSubmatch(o.Email.Text); mm != nil {
					return mm[1]
				}
			}
		}
	}
	t.Fatalf("no supporter email matches %s\n%s", re, d.logs.String())
	return ""
}

// sendDemoLetters reviews, sends and confirms letters to the three
// offices of ZIP 94110 on /c/demo, and returns the thank-you page.
func (d *demoClient) sendDemoLetters() string {
	t := d.t
	t.Helper()
	supporter := url.Values{"prefix": {"Ms."}, "first_name": {"Ana"}, "last_name": {"García"}, "email": {"ana@example.org"},
		"address1": {"3200 24th St"}, "city": {"San Francisco"}, "state": {"CA"}, "zip": {"94110"}}
	review := d.post("/c/demo", "/c/demo", supporter) // the review page, whose send form names the letters shown
	reviewed := regexp.MustCompile(`name="reviewed" value="([0-9a-f]+)"`).FindStringSubmatch(review)
	if reviewed == nil {
		t.Fatalf("no review:\n%s", review)
	}
	supporter.Set("reviewed", reviewed[1])
	d.post("/c/demo", "/c/demo/send", supporter)
	link := d.supporterEmail(regexp.MustCompile(`(/c/demo/confirm\?\S+)`))
	lu, _ := url.Parse(link)
	return d.post(link, "/c/demo/confirm", url.Values{"t": {lu.Query().Get("t")}})
}
