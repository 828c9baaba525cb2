package web_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/followup"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// overflowJS reports what sticks out of the viewport sideways: the page's
// own width, and the widest elements that are not inside a scrollable
// wrapper (a table may scroll inside its region; the page may not).
const overflowJS = `(() => {
  const w = document.documentElement.clientWidth;
  const out = [];
  for (const e of document.querySelectorAll("body *")) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.right <= w + 1) continue;
    let p = e.parentElement, scrolled = false;
    while (p && p !== document.body) {
      const ox = getComputedStyle(p).overflowX;
      if ((ox === "auto" || ox === "scroll" || ox === "hidden") && p.getBoundingClientRect().right <= w + 1) { scrolled = true; break; }
      p = p.parentElement;
    }
    if (!scrolled) out.push(e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : "") + " right=" + Math.round(r.right));
  }
  return {page: document.documentElement.scrollWidth, view: w, culprits: out.slice(0, 8)};
})()`

type overflow struct {
	Page     int      `json:"page"`
	View     int      `json:"view"`
	Culprits []string `json:"culprits"`
}

// axeAll injects axe-core and returns every WCAG 2.1 A/AA violation of
// the current page, whatever its impact.
func axeAll(t *testing.T, ctx context.Context) []axeResult {
	t.Helper()
	src, err := os.ReadFile("testdata/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](string(src)+";true")); err != nil {
		t.Fatalf("inject axe: %v", err)
	}
	res, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeResult](`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
		.then(r => r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help, nodes: v.nodes.length, first: (v.nodes[0] && v.nodes[0].target.join(" ")) || ""})))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe: %v", err)
	}
	return res
}

// browserSignIn signs the browser in through the sign-in form.
func browserSignIn(t *testing.T, ctx context.Context, base, email string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/admin/login"),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS(".overview")),
	)
	if err != nil {
		t.Fatalf("sign in as %s: %v", email, err)
	}
}

// TestBrowserStaffPagesFitPhones walks every staff page as an admin at
// 375 px and at 1280 px: no page is wider than the screen (tables scroll
// inside a focusable region), and axe finds no WCAG 2.1 A/AA violation
// of any impact; the header lines up with the content.
func TestBrowserStaffPagesFitPhones(t *testing.T) {
	for _, width := range []int64{375, 1280} {
		t.Run(fmt.Sprint(width), func(t *testing.T) { staffPagesFit(t, width) })
	}
}

// staffPagesFit walks every staff page at one width (33 pages with axe
// each: a budget of its own, above the usual minute).
func staffPagesFit(t *testing.T, width int64) {
	st := storetest.SQLite(t)
	a := newActionServer(t, st, "staff-walk", campaign.Live)
	ids := confirmedSupporter(t, a, supporter("94110", "CA"))
	ctx0 := context.Background()
	sp, err := followup.ParseSpec("0 9 * * 1", "America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateSchedule(ctx0, store.Schedule{CampaignID: &a.camp.ID, Kind: followup.KindWave, Cron: sp.Expr, TimeZone: "America/New_York",
		NextRunAt: sp.Next(time.Now()), Enabled: true, Params: `{"until_close":true}`}, store.Audit{Action: "test"}); err != nil {
		t.Fatal(err)
	}
	// A second version, so the versions page has a history to show.
	camp := a.camp
	camp.Template += "\n\nThank you for your time."
	if _, err := st.UpdateCampaign(ctx0, camp, store.Audit{Action: "test"}); err != nil {
		t.Fatal(err)
	}
	walker := addUser(t, st, "walker@families.example.org", auth.Admin)
	cases, err := st.Cases(ctx0, store.CaseFilter{Limit: 1})
	if err != nil || len(cases.Cases) == 0 {
		t.Fatalf("demonstration cases: %v", err)
	}
	rel, err := st.LatestRelease(ctx0)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := st.Outbox(ctx0, "", 0, 1)
	if err != nil || len(msgs) == 0 {
		t.Fatalf("outbox: %v", err)
	}
	l, err := st.LetterByID(ctx0, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	ctx := browserWithin(t, 3*time.Minute)
	browserSignIn(t, ctx, a.srv.URL, walker.Email)
	id := fmt.Sprint(a.camp.ID)
	pages := []string{"/admin", "/admin/campaigns", "/admin/campaigns/new", "/admin/campaigns/" + id, "/admin/campaigns/" + id + "/versions",
		"/admin/campaigns/" + id + "/versions/diff?a=1&b=2", "/admin/campaigns/" + id + "/preview", "/admin/campaigns/" + id + "/coverage",
		"/admin/campaigns/" + id + "/packets", "/admin/campaigns/" + id + "/tabling", "/admin/deliveries", fmt.Sprintf("/admin/deliveries/%d", ids[0]),
		"/admin/outbox", "/admin/contacts", "/admin/cases", "/admin/cases/new", "/admin/cases/import", "/admin/stats/releases", "/admin/dashboard",
		"/admin/responses/inbox", "/admin/responses/new", "/admin/schedule", "/admin/followups/" + id, "/admin/users", "/admin/audit",
		"/admin/tokens", "/admin/account", "/admin/branding", fmt.Sprintf("/admin/users/%d", walker.ID), fmt.Sprintf("/admin/cases/%d", cases.Cases[0].ID),
		fmt.Sprintf("/admin/stats/releases/%d", rel.ID), fmt.Sprintf("/admin/outbox/%d", msgs[0].ID), "/admin/offices/" + l.BioguideID + "/contacts",
		"/admin/supporters?pii=1&status=all"}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 800)); err != nil {
		t.Fatal(err)
	}
	wide := 0 // tables wider than their page, which scroll inside it
	for _, p := range pages {
		if err := chromedp.Do(ctx, chromedp.Navigate(a.srv.URL+p)); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		title, err := chromedp.Run(ctx, chromedp.Title())
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(title, "Not found") || strings.Contains(title, "Forbidden") || strings.Contains(title, "Sign in") {
			t.Errorf("%d px %s: %q", width, p, title)
			continue
		}
		o, err := chromedp.Run(ctx, chromedp.Evaluate[overflow](overflowJS))
		if err != nil {
			t.Fatal(err)
		}
		if o.Page > o.View {
			t.Errorf("%d px %s: the page is %d px wide: %v", width, p, o.Page, o.Culprits)
		}
		// The header's brand starts where the page's content does.
		gap, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`Math.abs(document.querySelector("header .brand").getBoundingClientRect().left -
				document.querySelector("main > :not(.notice)").getBoundingClientRect().left)`))
		if err != nil {
			t.Fatal(err)
		}
		if gap > 1 {
			t.Errorf("%d px %s: the header is %.0f px off the content", width, p, gap)
		}
		for _, v := range axeAll(t, ctx) {
			t.Errorf("%d px %s: axe [%s] %s: %s (%d nodes, first %s)", width, p, v.Impact, v.ID, v.Help, v.Nodes, v.First)
		}
		// A table that scrolls sideways shows it: a shadow at the edges
		// it can scroll towards (the wrapper's radial gradients).
		cue, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`(() => {
			const w = [...document.querySelectorAll(".table-wrap")].filter(e => e.scrollWidth > e.clientWidth + 1);
			return [w.length, w.filter(e => !getComputedStyle(e).backgroundImage.includes("radial-gradient")).length];
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		wide += cue[0]
		if cue[1] > 0 {
			t.Errorf("%d px %s: %d tables scroll sideways without a cue", width, p, cue[1])
		}
	}
	if width < 500 && wide == 0 {
		t.Errorf("%d px: no table scrolls sideways on any page, so the scrolling cue is not checked", width)
	}
}

// TestBrowserEditorPickerAndScheduleForm: "Insert at the cursor" puts the
// chosen field where the cursor is in the letter (and the live preview
// follows); the schedule form shows only the fields of the chosen
// "Repeat".
func TestBrowserEditorPickerAndScheduleForm(t *testing.T) {
	st := storetest.SQLite(t)
	a := newActionServer(t, st, "picker-walk", campaign.Draft)
	ctx := browser(t)
	browserSignIn(t, ctx, a.srv.URL, addUser(t, st, "picker@families.example.org", auth.Campaigner).Email)
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(fmt.Sprintf("%s/admin/campaigns/%d", a.srv.URL, a.camp.ID)),
		chromedp.WaitVisible(chromedp.CSS("#pick-insert")),
	)
	if err != nil {
		t.Fatal(err)
	}
	// The cursor after the first line of the letter ("{{.salutation}},").
	before, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const e = document.getElementById("template");
		const at = e.value.indexOf("\n"); e.focus(); e.setSelectionRange(at, at); e.dispatchEvent(new Event("keyup")); return e.value; })()`))
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#pick-field"), "{{.city}}"),
		chromedp.Click(chromedp.CSS("#pick-insert")),
		chromedp.WaitVisible(chromedp.CSS("#preview-letter")),
	)
	if err != nil {
		t.Fatal(err)
	}
	after, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("template").value`))
	if err != nil {
		t.Fatal(err)
	}
	at := strings.Index(before, "\n")
	if want := before[:at] + "{{.city}}" + before[at:]; after != want {
		t.Errorf("after insert the letter starts %q, want %q", after[:min(60, len(after))], want[:min(60, len(want))])
	}
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#pick-status")))
	if err != nil || !strings.Contains(status, "Inserted {{.city}}") {
		t.Errorf("status %q %v", status, err)
	}

	// A template error shows in the live preview with its line, the
	// position marked.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const e = document.getElementById("template");
		e.value = "{{.salutation}},\n\nFrom {{.frist_name}}."; e.dispatchEvent(new Event("input")); return true; })()`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#preview-problem-list mark.code-mark"))); err != nil {
		t.Fatalf("live problem: %v", err)
	}
	problem, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#preview-problem-list li")))
	if err != nil || !strings.Contains(problem, "Letter, line 3, column") || !strings.Contains(problem, "From {{.frist_name}}.") {
		t.Errorf("live problem %q %v", problem, err)
	}

	// The schedule form: only the chosen choice's fields show.
	visible := func() string {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll("[data-repeat]")).filter(e => !e.hidden).map(e => e.querySelector("input,select").name).join(",")`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(a.srv.URL+"/admin/schedule"), chromedp.WaitVisible(chromedp.CSS("#s-repeat"))); err != nil {
		t.Fatal(err)
	}
	if got := visible(); got != "weekday,at" {
		t.Errorf("every week shows %q", got)
	}
	for choice, want := range map[string]string{"once": "date,at", "monthly": "day,at", "daily": "at", "cron": "cron"} {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const s = document.getElementById("s-repeat"); s.value = "`+choice+`"; s.dispatchEvent(new Event("change")); return true; })()`)); err != nil {
			t.Fatal(err)
		}
		if got := visible(); got != want {
			t.Errorf("%s shows %q, want %q", choice, got, want)
		}
	}
}
