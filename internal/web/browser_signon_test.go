package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/outreach-org/outreach/internal/store/storetest"
)

// TestBrowserSignOnForm walks the public sign-on form on a 375 px phone in
// Spanish: a form sent with a missing city comes back with the error
// summary on screen, the field's error and everything typed kept; sent
// again complete it says to check the email. The page fits the screen
// and axe finds no violation.
func TestBrowserSignOnForm(t *testing.T) {
	st := storetest.SQLite(t)
	f := newSignOnServer(t, st, "browser-signon")
	ctx := browser(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait),
		chromedp.Navigate(f.srv.URL+"/c/browser-signon?lang=es"),
		chromedp.SendKeys(chromedp.CSS("#organization"), "Coalición de Derechos Humanos"),
		chromedp.SetValue(chromedp.CSS("#state"), "AZ"),
		chromedp.SendKeys(chromedp.CSS("#contact_name"), "Isabel García"),
		chromedp.SendKeys(chromedp.CSS("#email"), "isabel@derechoshumanosaz.net"),
		chromedp.Click(chromedp.CSS("#signon-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".summary"))); err != nil {
		t.Fatalf("send with a missing city: %v", err)
	}
	type state struct {
		Summary, CityError, Org, Email, State string
		Fits, SummaryInView                   bool
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[state](`(() => { const s = document.querySelector(".summary"); const r = s.getBoundingClientRect();
		return {summary: s.innerText, cityError: (document.querySelector("#city-error") || {}).innerText || "",
		org: document.querySelector("#organization").value, email: document.querySelector("#email").value, state: document.querySelector("#state").value,
		fits: document.documentElement.scrollWidth <= window.innerWidth + 1, summaryInView: r.top >= -1 && r.top < window.innerHeight}; })()`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.Summary, "Escriba la ciudad.") || got.CityError != "Escriba la ciudad." || got.Org != "Coalición de Derechos Humanos" ||
		got.Email != "isabel@derechoshumanosaz.net" || got.State != "AZ" || !got.Fits || !got.SummaryInView {
		t.Errorf("form with an error: %+v", got)
	}
	if v := axeViolations(t, ctx, "sign-on form with an error"); len(v) > 0 {
		t.Errorf("axe: %+v", v)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#city"), "Tucson"),
		chromedp.Click(chromedp.CSS("#signon-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("h1"))); err != nil {
		t.Fatal(err)
	}
	h1, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("h1").innerText`))
	if err != nil || h1 != "Revise su correo" {
		t.Errorf("after a complete form: %q %v", h1, err)
	}
}
