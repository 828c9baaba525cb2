package web_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery/outbox"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// released runs n requests at once: each goroutine prepares (fetches its
// form's CSRF token), then all wait at one gate and fire together, so
// the handlers' transactions overlap as much as the server allows.
func released(n int, prepare func(i int) (func() (int, string, error), error)) ([]int, []string, error) {
	codes, bodies := make([]int, n), make([]string, n)
	errs := make([]error, n)
	gate := make(chan struct{})
	var ready, done sync.WaitGroup
	for i := range n {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			fire, err := prepare(i)
			ready.Done()
			if err != nil {
				errs[i] = err
				return
			}
			<-gate
			codes[i], bodies[i], errs[i] = fire()
		}()
	}
	ready.Wait()
	close(gate)
	done.Wait()
	for _, err := range errs {
		if err != nil {
			return codes, bodies, err
		}
	}
	return codes, bodies, nil
}

// formPost fetches page with c (for its CSRF cookie and token) and returns
// a function that posts form to target.
func formPost(c *http.Client, page, target string, form url.Values) (func() (int, string, error), error) {
	resp, err := c.Get(page)
	if err != nil {
		return nil, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(b)
	if m == nil {
		return nil, fmt.Errorf("no _csrf field on %s (status %d)", page, resp.StatusCode)
	}
	form.Set("_csrf", string(m[1]))
	if strings.HasSuffix(target, "/send") && !form.Has("reviewed") { // review first, as the page does
		resp, err := c.PostForm(page, form)
		if err != nil {
			return nil, err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if m := reviewedField.FindSubmatch(b); m != nil {
			form.Set("reviewed", string(m[1]))
		}
	}
	return func() (int, string, error) {
		resp, err := c.PostForm(target, form)
		if err != nil {
			return 0, "", err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b), nil
	}, nil
}

// confirmLinks lists every confirmation link in the outbox, oldest first
// (messages sealed under other keys are other tests': PostgreSQL is
// shared by the package).
func (a *actionFixture) confirmLinks(t *testing.T) []string {
	t.Helper()
	a.waitMail(t)
	msgs, err := a.store.Outbox(context.Background(), "supporter", 0, 500)
	if err != nil {
		t.Fatal(err)
	}
	var links []string
	for i := len(msgs) - 1; i >= 0; i-- {
		st, err := outbox.Open(a.keys, msgs[i].ID, msgs[i].Sealed)
		if err != nil || st.Email == nil {
			continue
		}
		if m := linkRE.FindStringSubmatch(st.Email.Text); m != nil {
			links = append(links, m[1])
		}
	}
	return links
}

// TestParallelSendAndConfirmWriteOneLetterPerOffice is the repeat of
// issue #12: one supporter sends the same action five times at once, then
// follows the five confirmation links at once. Each office gets exactly
// one letter, whatever the interleaving; only the inserted letters have
// delivery jobs, and the pages that wrote nothing say so.
func TestParallelSendAndConfirmWriteOneLetterPerOffice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		slug := fmt.Sprintf("repeat-%s-%d", st.Dialect(), time.Now().UnixNano())
		a := newActionServer(t, st, slug, campaign.Live)
		const n = 5
		_, mark := deliveryJobs(t, st, 0)
		var all []store.Letter
		for round := range 3 {
			email := fmt.Sprintf("ana%d@example.org", round)
			v := supporter("94110", "CA")
			v.Set("email", email)
			codes, bodies, err := released(n, func(int) (func() (int, string, error), error) {
				form := url.Values{}
				for k, vs := range v {
					form[k] = append([]string(nil), vs...)
				}
				return formPost(browserClient(t), a.srv.URL+"/c/"+slug, a.srv.URL+"/c/"+slug+"/send", form)
			})
			if err != nil {
				t.Fatal(err)
			}
			for i, code := range codes {
				if code != 200 || !strings.Contains(bodies[i], "Check your email") {
					t.Fatalf("round %d: send %d answered %d", round, i, code)
				}
			}
			links := a.confirmLinks(t)
			if len(links) < n {
				t.Fatalf("round %d: %d confirmation links, want %d", round, len(links), n)
			}
			links = links[len(links)-n:]
			codes, bodies, err = released(n, func(i int) (func() (int, string, error), error) {
				c := browserClient(t)
				u, _ := url.Parse(links[i])
				return formPost(c, a.srv.URL+links[i], a.srv.URL+u.Path, url.Values{"t": {u.Query().Get("t")}})
			})
			if err != nil {
				t.Fatal(err)
			}
			wrote, skipped := 0, 0
			for i, code := range codes {
				if code != 200 {
					t.Fatalf("round %d: confirm %d answered %d: %s", round, i, code, bodies[i])
				}
				body := html.UnescapeString(bodies[i])
				if m := thanksRE.FindStringSubmatch(body); m != nil {
					k := 1
					if m[1] != "" {
						k, _ = strconv.Atoi(m[1])
					}
					wrote += k
					skipped += strings.Count(body, "You had already written to")
				} else if strings.Contains(body, "already written to these offices") {
					skipped += 3
				} else {
					t.Fatalf("round %d: confirm %d says neither what it sent nor what it skipped: %s", round, i, body)
				}
			}
			for range n { // every confirmation has its supporter-mail job
				a.waitMail(t)
			}
			if wrote != 3 {
				t.Errorf("round %d: the confirmation pages report %d letters written, want 3", round, wrote)
			}
			letters, err := st.Letters(ctx, store.LetterFilter{CampaignID: a.camp.ID, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			perOffice := map[string]int{}
			for _, l := range letters {
				perOffice[l.BioguideID]++
			}
			if len(perOffice) != 3 {
				t.Fatalf("round %d: letters to %d offices, want 3: %v", round, len(perOffice), perOffice)
			}
			for office, k := range perOffice {
				if k != round+1 { // one per office per supporter
					t.Errorf("round %d: %d letters to %s, want %d", round, k, office, round+1)
				}
			}
			// The pages agree with the database: every office not written to
			// by a page is reported as skipped by it.
			if skipped != n*3-3 {
				t.Errorf("round %d: confirmation pages reported %d skipped offices, want %d", round, skipped, n*3-3)
			}
			// Delivery jobs exist for the letters written, and only for them.
			jobs, last := deliveryJobs(t, st, mark)
			mark = last
			fresh := map[int64]bool{}
			for _, l := range letters {
				if !slices.ContainsFunc(all, func(o store.Letter) bool { return o.ID == l.ID }) {
					fresh[l.ID] = true
					if !jobs[l.ID] {
						t.Errorf("round %d: letter %d has no delivery job", round, l.ID)
					}
				}
			}
			for id := range jobs {
				if !fresh[id] {
					t.Errorf("round %d: a delivery job for letter %d, which was not written", round, id)
				}
			}
			all = letters
		}
	})
}

var thanksRE = regexp.MustCompile(`Your (?:(\d+) letters are on their way|letter is on its way)`)

// deliveryJobs is the set of letter ids that have a delivery job (jobs
// after River job id after only: PostgreSQL is shared by the package's
// tests), and the newest job id.
func deliveryJobs(t *testing.T, st *store.Store, after int64) (map[int64]bool, int64) {
	t.Helper()
	text := "json(args)" // SQLite keeps JSONB
	if st.Dialect() == store.Postgres {
		text = "CAST(args AS TEXT)"
	}
	rows, err := st.DB().QueryContext(context.Background(), "SELECT id, kind, "+text+" FROM river_job WHERE kind IN ('deliver_letter', 'deliver_letters') AND id > $1", after)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out, last := map[int64]bool{}, after
	for rows.Next() {
		var kind, raw string
		var id int64
		if err := rows.Scan(&id, &kind, &raw); err != nil {
			t.Fatal(err)
		}
		last = max(last, id)
		letters := dispatch.JobLetters(kind, []byte(raw))
		if letters == nil {
			t.Fatalf("job %d (%s) names no letters: %s", id, kind, raw)
		}
		for _, id := range letters {
			if out[id] {
				t.Errorf("letter %d has two delivery jobs", id)
			}
			out[id] = true
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out, last
}
