package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/web"
)

// TestBrowserCampaignEditor signs in, creates a campaign with its letter,
// watches the live preview (campaign.js) follow a senator and a
// representative, checks the plain-GET preview page, and signs out.
func TestBrowserCampaignEditor(t *testing.T) {
	st := storetest.SQLite(t)
	f := staffServer(t, st, web.Deps{})
	u := addUser(t, st, "browser-campaigner@example.org", auth.Campaigner)
	ctx := browser(t)

	previewStarts := func(t *testing.T, greeting string) {
		t.Helper()
		js := `(function(){var b=document.getElementById("preview-body");return !!b && b.textContent.indexOf(` + "`" + greeting + "`" + `)===0 && !document.getElementById("preview-letter").hidden;})()`
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#preview-pane")))
			t.Fatalf("preview never started with %q: %v; pane: %s", greeting, err, body)
		}
	}

	// Signing in from the page asked for lands on it.
	err := chromedp.Do(ctx,
		chromedp.Navigate(f.srv.URL+"/admin/campaigns/new"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), u.Email),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#campaign-form")),
		chromedp.SendKeys(chromedp.CSS("#title"), "Records of family separations"),
		chromedp.SendKeys(chromedp.CSS("#slug"), "records-browser"),
		chromedp.SendKeys(chromedp.CSS("#summary_en"), "Ask Congress for the records."),
		chromedp.SendKeys(chromedp.CSS("#call_to_action_en"), "Write to your members."),
		chromedp.Click(chromedp.CSS("#save")),
		chromedp.WaitVisible(chromedp.CSS(".notice.ok")),
	)
	if err != nil {
		t.Fatal(err)
	}
	heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil || heading != "Records of family separations" {
		t.Fatalf("after create: h1 %q, %v", heading, err)
	}

	t.Run("the embed snippet's copy button", func(t *testing.T) {
		// The button shows only where the clipboard works; this browser
		// grants the page's origin the clipboard, as a person's click does.
		for _, name := range []string{"clipboard-read", "clipboard-write"} {
			if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
					Permission: &cdpbrowser.PermissionDescriptor{Name: name}, Setting: cdpbrowser.PermissionSettingGranted, Origin: f.srv.URL})
				return err
			})); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(function(){var b=document.getElementById("snippet-copy");return !!b && !b.hidden;})()`,
			chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Fatalf("no copy button beside the snippet: %v", err)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#snippet-copy"))); err != nil {
			t.Fatal(err)
		}
		status, err := chromedp.Run(ctx, chromedp.Poll[string](`document.getElementById("snippet-copy-status").textContent`, chromedp.WithPollingTimeout(10*time.Second)))
		if err != nil || !strings.HasPrefix(status, "Copied") {
			t.Errorf("status after copying: %q, %v", status, err)
		}
		copied, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
		snippet, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("snippet").value`))
		if err != nil || copied != snippet || !strings.Contains(snippet, "/c/records-browser/embed") {
			t.Errorf("clipboard %q, snippet %q, %v", copied, snippet, err)
		}
	})

	t.Run("live preview for a senator and a representative", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#member_q"), "Padilla")); err != nil {
			t.Fatal(err)
		}
		previewStarts(t, "Dear Senator Padilla:")
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(document.getElementById("member_q").value = "") === ""`)); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#member_q"), "Pelosi")); err != nil {
			t.Fatal(err)
		}
		previewStarts(t, "Dear Representative Pelosi:")
		member, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#preview-member")))
		if !strings.Contains(member, "Nancy Pelosi") || !strings.Contains(member, "CA-11") {
			t.Errorf("previewed member %q", member)
		}
		// typing in the letter updates the preview without saving
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#template"), "Zqxj ")); err != nil {
			t.Fatal(err)
		}
		js := `document.getElementById("preview-body").textContent.indexOf("Zqxj")>=0`
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Errorf("preview did not follow the typing: %v", err)
		}
		if c, _ := st.CampaignBySlug(context.Background(), "records-browser"); strings.Contains(c.Template, "Zqxj") {
			t.Error("the live preview saved the letter")
		}
	})

	t.Run("preview page without script: plain GET form", func(t *testing.T) {
		c, err := st.CampaignBySlug(context.Background(), "records-browser")
		if err != nil {
			t.Fatal(err)
		}
		err = chromedp.Do(ctx,
			chromedp.Navigate(f.srv.URL+"/admin/campaigns/"+itoa(c.ID)+"/preview"),
			chromedp.WaitVisible(chromedp.CSS("#q")),
			chromedp.SendKeys(chromedp.CSS("#q"), "Padilla"),
		)
		if err != nil {
			t.Fatal(err)
		}
		// The URL the plain GET form submits (built by the browser from the
		// form itself), opened as a navigation so that reading the new page
		// cannot race the old one.
		next, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const f = document.getElementById("q").form;
			const u = new URL(f.action || location.href); u.search = new URLSearchParams(new FormData(f)).toString(); return u.toString(); })()`))
		if err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(next), chromedp.WaitVisible(chromedp.CSS("#preview-body"))); err != nil {
			t.Fatal(err)
		}
		previewStarts(t, "Dear Senator Padilla:")
	})

	t.Run("sign out", func(t *testing.T) {
		err := chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(".signout button")),
			chromedp.WaitVisible(chromedp.CSS("#email")),
			chromedp.Navigate(f.srv.URL+"/admin/campaigns"),
			chromedp.WaitVisible(chromedp.CSS("#email")),
		)
		if err != nil {
			t.Fatal(err)
		}
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil || !strings.Contains(loc, "/admin/login") {
			t.Errorf("after sign-out, /admin/campaigns went to %q (%v)", loc, err)
		}
	})
}
