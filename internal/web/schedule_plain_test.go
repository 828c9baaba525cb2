package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/web"
)

// The schedule form offers "every Monday at 9:00", "once, on 20 March at
// 14:00", "every day at 8:00 until the campaign closes" as choices, shows
// the next three runs, lists each schedule in those words, reads a saved
// schedule back into the choices, and keeps cron as the advanced field.
func TestScheduleFormInPlainWords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		now := time.Date(2026, 3, 6, 15, 0, 0, 0, time.UTC) // Friday
		f := staffServer(t, st, web.Deps{Now: func() time.Time { return now }})
		camp := newScheduleCampaign(t, st)
		c := browserClient(t)
		signIn(t, c, f.srv.URL, addUser(t, st, unique("plain")+"@example.org", auth.Campaigner).Email)
		page := f.srv.URL + "/admin/schedule"
		post := func(path string, v url.Values) (int, string) {
			t.Helper()
			v.Set("_csrf", csrfFrom(t, c, page))
			v.Set("campaign_id", fmt.Sprint(camp.ID))
			v.Set("time_zone", "America/New_York")
			if v.Get("kind") == "" {
				v.Set("kind", "delivery_wave")
			}
			code, body, _ := postForm(t, c, f.srv.URL+path, v)
			if code == http.StatusSeeOther { // saved: the agenda with its message
				_, body = getPage(t, c, page)
				code = 200
			}
			return code, body
		}
		// Preview: the next three runs, not more.
		code, body := post("/admin/schedule", url.Values{"repeat": {"weekly"}, "weekday": {"1"}, "at": {"09:00"}, "preview": {"1"}})
		if code != 200 || !strings.Contains(body, "Monday, March 9, 2026 at 9:00 AM EDT") || !strings.Contains(body, "Monday, March 23, 2026 at 9:00 AM EDT") ||
			strings.Contains(body, "March 30") {
			t.Fatalf("preview: %d", code)
		}
		code, body = post("/admin/schedule", url.Values{"repeat": {"weekly"}, "weekday": {"1"}, "at": {"9:00"}})
		if code != 200 || !strings.Contains(body, "Schedule saved: every Monday at 9:00. Next run: Monday, March 9, 2026 at 9:00 AM EDT.") {
			t.Fatalf("save weekly: %d %s", code, flashOf(body))
		}
		code, body = post("/admin/schedule", url.Values{"repeat": {"once"}, "date": {"2026-03-20"}, "at": {"14:00"}, "kind": {"campaign_close"}})
		if code != 200 || !strings.Contains(body, "Schedule saved: once, on 20 March at 14:00. Next run: Friday, March 20, 2026 at 2:00 PM EDT.") {
			t.Fatalf("save once: %d %s", code, flashOf(body))
		}
		code, body = post("/admin/schedule", url.Values{"repeat": {"daily"}, "at": {"8:00"}, "until_close": {"1"}})
		if code != 200 || !strings.Contains(body, "Schedule saved: every day at 8:00 until the campaign closes.") {
			t.Fatalf("save daily: %d %s", code, flashOf(body))
		}
		code, body = post("/admin/schedule", url.Values{"repeat": {"cron"}, "cron": {"*/30 9-17 * * 1-5"}})
		if code != 200 || !strings.Contains(body, "Schedule saved: cron: */30 9-17 * * 1-5.") {
			t.Fatalf("save cron: %d %s", code, flashOf(body))
		}
		_, body = getPage(t, c, page)
		for _, want := range []string{`<span class="when">every Monday at 9:00</span>`, `<span class="when">once, on 20 March at 14:00</span>`,
			`<span class="when">every day at 8:00 until the campaign closes</span>`, `<span class="when">cron: */30 9-17 * * 1-5</span>`,
			`<li>Saturday, March 7, 2026 at 8:00 AM EST</li><li>Sunday, March 8, 2026 at 8:00 AM EDT</li><li>Monday, March 9, 2026 at 8:00 AM EDT</li></ol>`,
			`<ol class="next-runs"><li>Friday, March 20, 2026 at 2:00 PM EDT</li></ol>`} {
			if !strings.Contains(body, want) {
				t.Errorf("agenda lacks %q", want)
			}
		}
		// Saved schedules read back into the plain choices.
		scheds, err := st.Schedules(t.Context(), camp.ID)
		if err != nil || len(scheds) != 4 {
			t.Fatalf("schedules: %d %v", len(scheds), err)
		}
		for _, sc := range scheds {
			_, edit := getPage(t, c, fmt.Sprintf("%s?edit=%d", page, sc.ID))
			var want []string
			switch sc.Cron {
			case "0 9 * * 1":
				want = []string{`<option value="weekly" selected>`, `<option value="1" selected>Monday</option>`, `name="at" type="time" value="09:00"`}
			case "0 14 20 3 *":
				want = []string{`<option value="once" selected>`, `name="date" type="date" value="2026-03-20"`, `value="14:00"`}
			case "0 8 * * *":
				want = []string{`<option value="daily" selected>`, `name="until_close" type="checkbox" value="1" checked`}
			default:
				want = []string{`<option value="cron" selected>`, `value="*/30 9-17 * * 1-5"`}
			}
			for _, w := range want {
				if !strings.Contains(edit, w) {
					t.Errorf("edit form of %q lacks %q", sc.Cron, w)
				}
			}
		}
		// Refusals name the field and keep what was typed; nothing is saved.
		code, body = post("/admin/schedule", url.Values{"repeat": {"daily"}, "at": {"25:00"}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "give the time of day as hours and minutes") || !strings.Contains(body, `value="25:00"`) ||
			strings.Contains(body, "the schedule is empty") {
			t.Errorf("bad time: %d", code)
		}
		code, body = post("/admin/schedule", url.Values{"repeat": {"once"}, "date": {"2026-03-01"}, "at": {"9:00"}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "this date and time have passed") {
			t.Errorf("past date: %d", code)
		}
		code, body = post("/admin/schedule", url.Values{"repeat": {"weekly"}, "weekday": {"1"}, "at": {"9:00"}, "kind": {"digest"}, "until_close": {"1"}, "campaign_id": {""}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "only a campaign&#39;s schedule can stop when its campaign closes") {
			t.Errorf("digest until close: %d", code)
		}
		if scheds, _ := st.Schedules(t.Context(), 0); len(scheds) != 4 {
			t.Errorf("refused schedules were saved: %d", len(scheds))
		}
	})
}

var flashRE = regexp.MustCompile(`(?s)class="flash[^"]*"[^>]*>(.*?)<`)

func flashOf(body string) string {
	if m := flashRE.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return "(no flash)"
}
