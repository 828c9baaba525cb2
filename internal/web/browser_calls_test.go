package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// A supporter on a phone (375 px), in English and Spanish, goes from a
// calls-only campaign's ZIP form to the call page, and reports a call by
// pressing a button: the page fits the screen, every phone link and
// outcome button is at least 44 px high, and axe finds no WCAG 2.1 A/AA
// violation before or after.
func TestBrowserCallsFlow(t *testing.T) {
	st := storetest.SQLite(t)
	a := newActionServer(t, st, "browser-calls", campaign.Live, func(c *campaign.Campaign) {
		c.CallsOnly, c.Subject, c.Template = true, "", ""
		c.CallScriptEN = "Hello, I am a constituent calling {{.member_title}} {{.member_name}}'s office.\n\nPlease request the records of family separations."
		c.CallScriptES = "Hola, soy constituyente y llamo a la oficina de {{.member_title}} {{.member_name}}.\n\nPor favor solicite los registros."
	})
	ctx := browser(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(375, 800)); err != nil {
		t.Fatal(err)
	}
	const smallest = `Math.min(...[...document.querySelectorAll(".call-office a.tel, .call-office .outcomes button")].map(e => e.getBoundingClientRect().height))`
	for _, lang := range []string{"en", "es"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(a.srv.URL+"/c/browser-calls?lang="+lang)); err != nil {
			t.Fatal(err)
		}
		checkA11y(t, ctx, lang+" calls-only page")
		err := chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.CSS("#zip"), "94110"),
			chromedp.Click(chromedp.CSS("#call-lookup button[type=submit]")),
			chromedp.WaitVisible(chromedp.CSS("#call-P000145")),
		)
		if err != nil {
			t.Fatalf("%s: lookup: %v", lang, err)
		}
		checkA11y(t, ctx, lang+" call page")
		o, err := chromedp.Run(ctx, chromedp.Evaluate[overflow](overflowJS))
		if err != nil {
			t.Fatal(err)
		}
		if o.Page > o.View {
			t.Errorf("%s: the call page is %d px wide at %d: %v", lang, o.Page, o.View, o.Culprits)
		}
		h, err := chromedp.Run(ctx, chromedp.Evaluate[float64](smallest))
		if err != nil || h < 44 {
			t.Errorf("%s: the smallest phone link or outcome button is %.1f px high (%v)", lang, h, err)
		}
		err = chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(`#call-P000145 button[value="reached"]`)),
			chromedp.WaitVisible(chromedp.CSS("#call-P000145 .logged")),
		)
		if err != nil {
			t.Fatalf("%s: report: %v", lang, err)
		}
		text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#call-P000145 .logged").textContent`))
		want := map[string]string{"en": "Talked to staff", "es": "Hablé con el personal"}[lang]
		if err != nil || !strings.Contains(text, want) {
			t.Errorf("%s: after reporting: %q %v", lang, text, err)
		}
		checkA11y(t, ctx, lang+" call page after a report")
	}
	if got := callTotals(t, st, a.camp.ID); got["P000145"].Reached != 2 {
		t.Errorf("counted %+v, want 2 calls that reached staff (one per page)", got)
	}
}
