package web_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/branding"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/followup"
	"github.com/outreach-org/outreach/internal/i18n"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// fillCampaignForm types a supporter's details into the campaign form as a
// person would, leaving out the fields in skip.
func fillCampaignForm(zip, state, email string, skip ...string) []chromedp.Action[chromedp.Void] {
	values := [][2]string{{"#first_name", "Ana"}, {"#last_name", "Núñez"}, {"#email", email}, {"#address1", "3200 24th St"},
		{"#city", "San Francisco"}, {"#zip", zip}}
	steps := []chromedp.Action[chromedp.Void]{chromedp.SetValue(chromedp.CSS("#prefix"), "Ms."), chromedp.SetValue(chromedp.CSS("#state"), state)}
next:
	for _, v := range values {
		for _, s := range skip {
			if s == v[0] {
				continue next
			}
		}
		steps = append(steps, chromedp.SendKeys(chromedp.CSS(v[0]), v[1]))
	}
	return steps
}

// focusInView answers the id and class of the focused element and whether it lies
// within the viewport.
func focusInView(ctx context.Context) (string, string, bool, error) {
	type answer struct {
		ID     string `json:"id"`
		Class  string `json:"class"`
		InView bool   `json:"inView"`
	}
	a, err := chromedp.Run(ctx, chromedp.Evaluate[answer](`(() => { const e = document.activeElement;  const r = e.getBoundingClientRect();
		return {id: e.id, class: e.className, inView: r.top >= -1 && r.top < window.innerHeight && r.bottom > 0}; })()`))
	return a.ID, a.Class, a.InView, err
}

// TestBrowserSupporterFocus: on a 375 px phone, the answer to the form
// (the error summary, then the review) has the focus and is on screen, in
// English and Spanish, and with JavaScript turned off.
func TestBrowserSupporterFocus(t *testing.T) {
	st := storetest.SQLite(t)
	a := newActionServer(t, st, "focus", campaign.Live)
	ctx := browser(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "es", "en without JavaScript"} {
		if lang == "en without JavaScript" {
			// the fragment #result and the focusable target do it alone
			if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
				return err
			})); err != nil {
				t.Fatal(err)
			}
		}
		steps := append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(a.srv.URL + "/c/focus?lang=" + lang[:2])},
			fillCampaignForm("94110", "CA", strings.ReplaceAll(lang, " ", "-")+"-focus@example.org", "#first_name")...)
		steps = append(steps, chromedp.Click(chromedp.CSS(`.act button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".summary")))
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: submit with an error: %v", lang, err)
		}
		// app.js shows "use my location": hidden, it did not run
		if hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("act-locate").hidden`)); err != nil || hidden != strings.Contains(lang, "without") {
			t.Fatalf("%s: app.js ran: %v (%v)", lang, !hidden, err)
		}
		if id, cls, in, err := focusInView(ctx); err != nil || id != "result" || cls != "notice error summary" || !in {
			t.Errorf("%s: after a failed submit the focus is on %q %q (in view: %v, %v)", lang, id, cls, in, err)
		}
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#first_name"), "Ana"),
			chromedp.Click(chromedp.CSS(`.act button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".review-h"))); err != nil {
			t.Fatalf("%s: review: %v", lang, err)
		}
		if id, cls, in, err := focusInView(ctx); err != nil || id != "result" || cls != "review-h" || !in {
			t.Errorf("%s: after \"Review my letters\" the focus is on %q %q (in view: %v, %v)", lang, id, cls, in, err)
		}
	}
}

// pageProblems finds, on the current page, horizontal overflow and touch
// targets (buttons, fields, summaries, links that stand alone) under 44 px.
func pageProblems(ctx context.Context) ([]string, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
		const out = [];
		if (document.documentElement.scrollWidth > window.innerWidth + 1) {
			out.push("the page is " + document.documentElement.scrollWidth + " px wide in a " + window.innerWidth + " px window");
		}
		const sel = "button, a.button, select, input:not([type=hidden]):not([type=radio]):not([type=checkbox]), summary, .langs a, .contact a, .summary a, .next-steps a, header a, footer a";
		for (const e of document.querySelectorAll(sel)) {
			const r = e.getBoundingClientRect();
			if (r.width === 0 || r.height === 0 || e.closest(".hp") || e.classList.contains("skip")) { continue; }
			if (r.height < 43.5) { out.push(e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + " '" + e.textContent.trim().slice(0, 30) + "' is " + r.height.toFixed(1) + " px tall"); }
		}
		return out;
	})()`))
}

// checkPage runs axe (every WCAG 2.1 A/AA violation fails, whatever its
// impact) and pageProblems on the current page, and saves a screenshot
// when OUTREACH_SHOTS names a directory.
func checkPage(t *testing.T, ctx context.Context, step string) {
	t.Helper()
	for _, v := range axeViolations(t, ctx, step) {
		t.Errorf("%s: [%s] %s: %s (%d nodes, first %s)", step, v.Impact, v.ID, v.Help, v.Nodes, v.First)
	}
	probs, err := pageProblems(ctx)
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	for _, p := range probs {
		t.Errorf("%s: %s", step, p)
	}
	if dir := os.Getenv("OUTREACH_SHOTS"); dir != "" {
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			_ = os.WriteFile(fmt.Sprintf("%s/%s.png", dir, strings.NewReplacer(" ", "_", "/", "-").Replace(step)), png, 0o644)
		}
	}
}

// TestBrowserSupporterWalk walks every supporter page, at 390 px and 1280
// px, in English and Spanish: the lookup (a ZIP, a split ZIP, a ZIP across
// states, DC, a PO-box ZIP, an address without the geocoder), the
// campaign page, the form with errors, the review, "check your email",
// the confirmation, "thank you", a message reopened by the language
// switch, the 404 and 405 pages, the follow-up survey, the opt-in,
// unsubscribe and delete-my-data pages and the statistics page. Every page has no axe violation, no
// horizontal overflow and no touch target under 44 px.
func TestBrowserSupporterWalk(t *testing.T) {
	st := storetest.SQLite(t)
	// branded, with a Spanish title and letter: the walk sees the pages
	// as an organization that set them up would show them
	if err := st.SetBranding(context.Background(), branding.Branding{Name: "Families Together", Color: "#7a1f5c",
		PrivacyURL: "https://example.org/privacy", ContactURL: "mailto:help@example.org"}, store.Audit{}); err != nil {
		t.Fatal(err)
	}
	a := newActionServer(t, st, "walk", campaign.Live, func(c *campaign.Campaign) {
		c.TitleES, c.SubjectES, c.TemplateES = "Reunir a las familias separadas", "Supervisión de las separaciones", spanishTemplate
	})
	for _, width := range []int64{390, 1280} {
		ctx := browser(t)
		opts := []chromedp.EmulateViewportOption{}
		if width < 500 {
			opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900, opts...)); err != nil {
			t.Fatal(err)
		}
		for _, lang := range []string{"en", "es"} {
			name := func(step string) string { return fmt.Sprintf("%d %s %s", width, lang, step) }
			for _, p := range []struct{ path, step string }{
				{"/", "lookup"}, {"/?q=94110", "lookup 94110"}, {"/?q=91001", "lookup split"}, {"/?q=42223", "lookup two states"},
				{"/?q=20001", "lookup DC"}, {"/?q=12345", "lookup PO box"}, {"/?q=3200+24th+Street", "lookup address without ZIP"},
				{"/c/walk", "campaign"}, {"/m/slow_down", "message"}, {"/nope", "404"}, {"/c/walk/send", "405"},
			} {
				sep := "?"
				if strings.Contains(p.path, "?") {
					sep = "&"
				}
				if err := chromedp.Do(ctx, chromedp.Navigate(a.srv.URL+p.path+sep+"lang="+lang)); err != nil {
					t.Fatal(err)
				}
				checkPage(t, ctx, name(p.step))
			}
			email := fmt.Sprintf("walk-%d-%s@example.org", width, lang)
			steps := append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(a.srv.URL + "/c/walk?lang=" + lang)},
				fillCampaignForm("94110", "CA", email, "#city")...)
			steps = append(steps, chromedp.Click(chromedp.CSS(`.act button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".summary")))
			if err := chromedp.Do(ctx, steps...); err != nil {
				t.Fatalf("%s: %v", name("form errors"), err)
			}
			checkPage(t, ctx, name("form errors"))
			if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#city"), "San Francisco"),
				chromedp.Click(chromedp.CSS(`.act button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".review"))); err != nil {
				t.Fatalf("%s: %v", name("review"), err)
			}
			checkPage(t, ctx, name("review"))
			font, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector(".review pre.body")).fontFamily`))
			if err != nil || strings.Contains(strings.ToLower(font), "mono") || !strings.Contains(font, "Georgia") {
				t.Errorf("%s: the letters are set in %q (%v), not a proportional face", name("review"), font, err)
			}
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.review button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".resend"))); err != nil {
				t.Fatalf("%s: %v", name("check your email"), err)
			}
			checkPage(t, ctx, name("check your email"))
			if err := chromedp.Do(ctx, chromedp.Navigate(a.srv.URL+a.confirmLink(t))); err != nil {
				t.Fatal(err)
			}
			checkPage(t, ctx, name("confirm"))
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`main form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".share"))); err != nil {
				t.Fatalf("%s: %v", name("thanks"), err)
			}
			checkPage(t, ctx, name("thanks"))
			// the pages a supporter's emails lead to: the follow-up survey,
			// the opt-in, unsubscribe and delete-my-data pages
			letters, err := st.Letters(context.Background(), store.LetterFilter{CampaignID: a.camp.ID, Limit: 1})
			if err != nil || len(letters) == 0 {
				t.Fatalf("letters: %v", err)
			}
			signer := action.NewSigner(a.keys.Index)
			idx := a.keys.Index("email", email)
			exp := time.Now().Add(time.Hour)
			survey, _ := url.Parse(followup.Links{BaseURL: a.srv.URL, Keys: a.keys}.SurveyURL("walk", letters[0].ID, i18n.Lang(lang), time.Now()))
			for _, p := range []struct{ path, step string }{
				{survey.RequestURI(), "survey"},
				{"/optin?" + url.Values{"t": {signer.Sign("optin", idx, exp)}, "lang": {lang}}.Encode(), "opt-in"},
				{"/u?" + url.Values{"t": {signer.Sign("unsub", idx, time.Time{})}, "lang": {lang}}.Encode(), "unsubscribe"},
				{"/forget?" + url.Values{"t": {signer.Sign("forget", idx, time.Time{})}, "lang": {lang}}.Encode(), "delete my data"},
				{"/stats?lang=" + lang, "statistics"},
			} {
				if err := chromedp.Do(ctx, chromedp.Navigate(a.srv.URL+p.path)); err != nil {
					t.Fatal(err)
				}
				checkPage(t, ctx, name(p.step))
			}
		}
	}
}
