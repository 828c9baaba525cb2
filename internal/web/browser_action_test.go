package web_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// axeResult is what the page's axe.run reports that we act on.
type axeResult struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  int    `json:"nodes"`
	First  string `json:"first"`
}

// checkA11y injects axe-core and fails on serious or critical WCAG 2.1 AA
// violations of the current page.
func checkA11y(t *testing.T, ctx context.Context, step string) {
	t.Helper()
	for _, v := range axeViolations(t, ctx, step) {
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("%s: [%s] %s: %s (%d nodes, first %s)", step, v.Impact, v.ID, v.Help, v.Nodes, v.First)
		}
	}
}

// axeViolations injects axe-core and answers the WCAG 2.1 A/AA violations
// of the current page, whatever their impact.
func axeViolations(t *testing.T, ctx context.Context, step string) []axeResult {
	t.Helper()
	src, err := os.ReadFile("testdata/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](string(src)+";true")); err != nil {
		t.Fatalf("%s: inject axe: %v", step, err)
	}
	res, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeResult](`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
		.then(r => r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help, nodes: v.nodes.length, first: (v.nodes[0] && v.nodes[0].target.join(" ")) || ""})))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: axe: %v", step, err)
	}
	return res
}

func TestBrowserActionFlowAccessible(t *testing.T) {
	st := storetest.SQLite(t)
	a := newActionServer(t, st, "browser", campaign.Live)
	ctx := browser(t)

	checkA11yPage := func(lang, path, step string) {
		if err := chromedp.Do(ctx, chromedp.Navigate(a.srv.URL+path)); err != nil {
			t.Fatal(err)
		}
		checkA11y(t, ctx, lang+" "+step)
	}
	for _, lang := range []string{"en", "es"} {
		checkA11yPage(lang, "/?lang="+lang, "lookup page")
		checkA11yPage(lang, "/?q=91001&lang="+lang, "lookup split")
		checkA11yPage(lang, "/c/browser?lang="+lang, "campaign page")

		// the whole flow, filled in as a person would
		email := lang + "-browser@example.org"
		steps := []chromedp.Action[chromedp.Void]{
			chromedp.SetValue(chromedp.CSS("#prefix"), "Mx."),
			chromedp.SendKeys(chromedp.CSS("#first_name"), "Ana"),
			chromedp.SendKeys(chromedp.CSS("#last_name"), "Núñez"),
			chromedp.SendKeys(chromedp.CSS("#email"), email),
			chromedp.SendKeys(chromedp.CSS("#address1"), "3200 24th St"),
			chromedp.SendKeys(chromedp.CSS("#city"), "San Francisco"),
			chromedp.SetValue(chromedp.CSS("#state"), "CA"),
			chromedp.SendKeys(chromedp.CSS("#zip"), "91001"), // split: asks to choose
			chromedp.SendKeys(chromedp.CSS("#note"), "Families belong together."),
			chromedp.Click(chromedp.CSS(`.act button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS("#district")),
		}
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: form: %v", lang, err)
		}
		checkA11y(t, ctx, lang+" district chooser")
		if err := chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(`input[value="CA-28"]`)),
			chromedp.Click(chromedp.CSS(`.act button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(".review")),
		); err != nil {
			t.Fatalf("%s: choose district: %v", lang, err)
		}
		checkA11y(t, ctx, lang+" review")
		letters, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".letter").length`))
		if err != nil || letters != 3 {
			t.Fatalf("%s: %d letters on the review page (%v)", lang, letters, err)
		}
		if err := chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(`.review button[type=submit]`)),
			chromedp.WaitNotPresent(chromedp.CSS(".review")),
		); err != nil {
			t.Fatalf("%s: send: %v", lang, err)
		}
		checkA11y(t, ctx, lang+" check your email")
		link := a.confirmLink(t)
		if err := chromedp.Do(ctx, chromedp.Navigate(a.srv.URL+link)); err != nil {
			t.Fatal(err)
		}
		checkA11y(t, ctx, lang+" confirm page")
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`main form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".share"))); err != nil {
			t.Fatalf("%s: confirm: %v", lang, err)
		}
		checkA11y(t, ctx, lang+" thanks")
		h1, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main h1")))
		if want := map[string]string{"en": "Thank you!", "es": "¡Gracias!"}[lang]; !strings.Contains(h1, want) {
			t.Errorf("%s: after confirming: %q", lang, h1)
		}
		// the second click: nothing more
		if err := chromedp.Do(ctx, chromedp.Navigate(a.srv.URL+link), chromedp.Click(chromedp.CSS(`main form button[type=submit]`)), chromedp.WaitNotPresent(chromedp.CSS(`main form input[name=t]`))); err != nil {
			t.Fatal(err)
		}
		h1, _ = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main h1")))
		if want := map[string]string{"en": "Already confirmed", "es": "Ya confirmado"}[lang]; !strings.Contains(h1, want) {
			t.Errorf("%s: second click: %q", lang, h1)
		}
	}
}

// fillAndReview fills the campaign form as a person would and asks for the
// review; it answers how many letters the review shows and its text.
func fillAndReview(t *testing.T, ctx context.Context, base, slug, zip, state, email string) (int, string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/c/"+slug+"?lang=en"),
		chromedp.SetValue(chromedp.CSS("#prefix"), "Dr."),
		chromedp.SendKeys(chromedp.CSS("#first_name"), "Lupe"),
		chromedp.SendKeys(chromedp.CSS("#last_name"), "Peña"),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#address1"), "100 Main St"),
		chromedp.SendKeys(chromedp.CSS("#city"), "Springfield"),
		chromedp.SetValue(chromedp.CSS("#state"), state),
		chromedp.SendKeys(chromedp.CSS("#zip"), zip),
		chromedp.Click(chromedp.CSS(`.act button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".review")),
	)
	if err != nil {
		t.Fatalf("%s %s: %v", zip, state, err)
	}
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".letter").length`))
	if err != nil {
		t.Fatal(err)
	}
	text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".review")))
	return n, text
}

func TestBrowserActionCases(t *testing.T) {
	st := storetest.SQLite(t)
	a := newActionServer(t, st, "cases", campaign.Live)
	ctx := browser(t)

	if n, text := fillAndReview(t, ctx, a.srv.URL, "cases", "94110", "CA", "single@example.org"); n != 3 || !strings.Contains(text, "Dear Representative Pelosi") {
		t.Errorf("single district: %d letters", n)
	}
	if n, text := fillAndReview(t, ctx, a.srv.URL, "cases", "57717", "SD", "cross@example.org"); n != 3 || !strings.Contains(text, "Dear Senator Thune") || strings.Contains(text, "Barrasso") {
		t.Errorf("cross-state ZIP as SD: %d letters", n)
	}
	if n, text := fillAndReview(t, ctx, a.srv.URL, "cases", "94544", "CA", "vacant@example.org"); n != 2 || !strings.Contains(text, "is vacant") {
		t.Errorf("vacant seat: %d letters", n)
	}
	// the repeat action: confirm once, then the same email again
	fillAndReview(t, ctx, a.srv.URL, "cases", "94110", "CA", "repeat@example.org")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.review button[type=submit]`)), chromedp.WaitNotPresent(chromedp.CSS(".review"))); err != nil {
		t.Fatal(err)
	}
	link := a.confirmLink(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(a.srv.URL+link), chromedp.Click(chromedp.CSS(`main form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".share"))); err != nil {
		t.Fatal(err)
	}
	fillAndReview(t, ctx, a.srv.URL, "cases", "94110", "CA", "repeat@example.org")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.review button[type=submit]`)), chromedp.WaitNotPresent(chromedp.CSS(".review"))); err != nil {
		t.Fatal(err)
	}
	h1, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main h1")))
	if !strings.Contains(h1, "Letter already sent") {
		t.Errorf("repeat action: %q", h1)
	}
}
