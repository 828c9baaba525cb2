package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/outreach-org/outreach/internal/testenv"
	"github.com/outreach-org/outreach/internal/web"
)

// browser starts headless Chromium for one test. The walks visit dozens
// of pages at two widths, in two languages, with axe on each: under the
// race detector on a shared 2-core box that takes minutes, not the one a
// single flow needs.
func browser(t *testing.T) context.Context {
	t.Helper()
	return browserWithin(t, 4*time.Minute)
}

// browserWithin is browser with another budget, for walks over many pages.
func browserWithin(t *testing.T, budget time.Duration) context.Context {
	t.Helper()
	path := testenv.ChromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(390, 844), // a phone
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, budget)
	t.Cleanup(cancel3)
	if err := chromedp.Do(ctx); err != nil {
		if testenv.InCI() {
			t.Fatalf("start Chromium: %v", err)
		}
		t.Skipf("skipping: Chromium did not start: %v", err)
	}
	return ctx
}

// memberNames reads the names of the members shown on the page.
func memberNames(ctx context.Context) ([]string, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(".member h3")).map(e => e.textContent.trim())`))
}

func TestBrowserLookup(t *testing.T) {
	f := newServer(t, web.Deps{})
	ctx := browser(t)

	cases := []struct {
		lang, heading, senate string
	}{
		{"en", "Find your members of Congress", "Senate"},
		{"es", "Encuentre a sus miembros del Congreso", "Senado"},
	}
	for _, c := range cases {
		t.Run(c.lang, func(t *testing.T) {
			if err := chromedp.Do(ctx, chromedp.Navigate(f.srv.URL+"/?lang="+c.lang)); err != nil {
				t.Fatal(err)
			}
			heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
			if err != nil {
				t.Fatal(err)
			}
			htmlLang, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("html"), "lang"))
			if err != nil {
				t.Fatal(err)
			}
			if heading != c.heading || htmlLang.Value != c.lang {
				t.Errorf("heading %q lang %q", heading, htmlLang.Value)
			}
			err = chromedp.Do(ctx,
				chromedp.SendKeys(chromedp.CSS("#q"), "94110"),
				chromedp.Submit(chromedp.CSS("#q")),
				chromedp.WaitVisible(chromedp.CSS(".members")),
			)
			if err != nil {
				t.Fatal(err)
			}
			names, err := memberNames(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(names) != 3 {
				t.Fatalf("members shown: %v", names)
			}
			if !strings.Contains(names[0], "Nancy Pelosi") || !strings.Contains(names[1]+names[2], "Padilla") || !strings.Contains(names[1]+names[2], "Schiff") {
				t.Errorf("members = %v", names)
			}
			text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".members")))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text, c.senate) {
				t.Errorf("chamber labels not in %s: %q", c.lang, text)
			}
		})
	}

	t.Run("split choice", func(t *testing.T) {
		err := chromedp.Do(ctx,
			chromedp.Navigate(f.srv.URL+"/?lang=en"),
			chromedp.SendKeys(chromedp.CSS("#q"), "91001"),
			chromedp.Submit(chromedp.CSS("#q")),
			chromedp.WaitVisible(chromedp.CSS(".split")),
			chromedp.Click(chromedp.CSS(`input[value="CA-28"]`)),
			chromedp.Click(chromedp.CSS(`.split form:last-of-type button[type=submit]`)),
			chromedp.WaitNotPresent(chromedp.CSS(".split")),
		)
		if err != nil {
			t.Fatal(err)
		}
		names, err := memberNames(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(names) != 3 {
			t.Errorf("after choosing CA-28: %v", names)
		}
	})
}
