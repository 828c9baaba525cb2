package web_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/web"
)

// TestBrowserStatsPage: the public statistics page on a phone (390 px), in
// both languages: no sideways scrolling, charts scaled to the screen with
// legible text, no inline styles (the CSP would block them), the synthetic
// label shown, and no serious or critical axe-core (WCAG 2.1 AA) findings.
func TestBrowserStatsPage(t *testing.T) {
	st := storetest.SQLite(t)
	if _, err := st.SeedDemo(context.Background(), store.DemoOptions{}, store.Audit{}); err != nil {
		t.Fatal(err)
	}
	f := staffServer(t, st, web.Deps{})
	ctx := browser(t)
	axe, err := os.ReadFile("testdata/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	type finding struct {
		ID     string `json:"id"`
		Impact string `json:"impact"`
		Help   string `json:"help"`
		First  string `json:"first"`
	}
	for lang, label := range map[string]string{"en": "Synthetic demonstration data", "es": "Datos de demostración sintéticos"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(f.srv.URL+"/stats?lang="+lang), chromedp.WaitVisible(chromedp.CSS("svg.chart-svg"))); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".synthetic-label")))
		if err != nil || !strings.EqualFold(got, label) {
			t.Errorf("%s: synthetic label %q %v", lang, got, err)
		}
		fits, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`))
		if err != nil || !fits {
			t.Errorf("%s: the page scrolls sideways on a phone (%v)", lang, err)
		}
		inline, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("[style]").length + document.querySelectorAll("script:not([src])").length`))
		if inline != 0 {
			t.Errorf("%s: %d inline styles or scripts", lang, inline)
		}
		// chart text in CSS pixels once the SVG is scaled to the screen
		px, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`(() => {
			const svg = document.querySelector("svg.chart-svg");
			const t = svg.querySelector(".chart-label");
			return t.getBoundingClientRect().height;
		})()`))
		if err != nil || px < 11 {
			t.Errorf("%s: chart labels %.1f px high on a phone (%v)", lang, px, err)
		}
		filled, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("rect.chart-bar")).fill`))
		if filled == "" || filled == "none" || filled == "rgb(0, 0, 0)" {
			t.Errorf("%s: bars are not styled by the stylesheet: %q", lang, filled)
		}
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](string(axe)+";true")); err != nil {
			t.Fatal(err)
		}
		res, err := chromedp.Run(ctx, chromedp.Evaluate[[]finding](`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
			.then(r => r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help, first: (v.nodes[0] && v.nodes[0].target.join(" ")) || ""})))`,
			chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		if p := os.Getenv("STATS_SCREENSHOT"); p != "" {
			if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(80)); err == nil {
				_ = os.WriteFile(p+"-"+lang+".png", png, 0o644)
			}
		}
		for _, v := range res {
			if v.Impact == "serious" || v.Impact == "critical" {
				t.Errorf("%s: [%s] %s: %s (first %s)", lang, v.Impact, v.ID, v.Help, v.First)
			}
		}
	}
}
