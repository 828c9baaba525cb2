package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// TestBrowserEmbed: an organization's page on another loopback site
// (http://localhost:PORT, while the app is http://127.0.0.1:PORT: another
// site, so the iframe is third-party and gets no SameSite=Lax cookie)
// shows the snippet. With its origin on the campaign's allow-list the
// form renders inside the iframe, embed.js sizes the iframe to it, and a
// supporter walks to "check your email" inside the iframe; a campaign that
// does not list the origin is blocked by the browser.
func TestBrowserEmbed(t *testing.T) {
	st := storetest.SQLite(t)
	var app string
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Families Together</title></head><body style="margin:0"><h1>Families Together</h1><p>Write to Congress below.</p>
<iframe src="%s/c/%s/embed%s" title="Write to Congress" data-outreach-embed style="width:100%%;height:300px;border:0"></iframe>
<script src="%s/static/embed.js" async></script><p id="after">Thank you for visiting.</p></body></html>`,
			app, r.URL.Query().Get("slug"), r.URL.Query().Get("q"), app)
	}))
	t.Cleanup(host.Close)
	hostURL := strings.Replace(host.URL, "127.0.0.1", "localhost", 1)
	a := newActionServer(t, st, "framed", campaign.Live, allowEmbed(hostURL))
	app = a.srv.URL
	if _, err := st.CreateCampaign(context.Background(), campaign.Campaign{Slug: "elsewhere", Title: "Elsewhere", SummaryEN: "s", SummaryES: "s",
		CallToActionEN: "c", CallToActionES: "c", Targets: campaign.TargetBoth, LOCTopic: "Immigration", Status: campaign.Live,
		Subject: "S", Template: demoTemplate, EmbedOrigins: []string{"https://www.example.org"}}, store.Audit{Action: "test"}); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t)

	frameCtx := func(slug string) context.Context {
		t.Helper()
		for i := 0; i < 100; i++ {
			infos, err := chromedp.Targets(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, info := range infos {
				if info.Type == "iframe" && strings.HasPrefix(info.URL, app+"/c/"+slug+"/embed") {
					fctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID))
					t.Cleanup(cancel)
					return fctx
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("no iframe target for %s", slug)
		return nil
	}
	height := func() int {
		t.Helper()
		h, err := chromedp.Run(ctx, chromedp.Evaluate[int](`Math.round(document.querySelector("iframe").getBoundingClientRect().height)`))
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	waitHeight := func(step string, ok func(int) bool) int {
		t.Helper()
		var h int
		for i := 0; i < 100; i++ {
			if h = height(); ok(h) {
				return h
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("%s: iframe height stays %d", step, h)
		return h
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(hostURL+"/?slug=framed")); err != nil {
		t.Fatal(err)
	}
	formHeight := waitHeight("form", func(h int) bool { return h > 1000 })
	f := frameCtx("framed")
	inner, err := chromedp.Run(f, chromedp.Evaluate[int](`Math.ceil(document.documentElement.getBoundingClientRect().height)`))
	if err != nil {
		t.Fatal(err)
	}
	if formHeight != inner {
		t.Errorf("iframe is %d px tall, its page %d px", formHeight, inner)
	}
	// The fields are set and the buttons pressed from the iframe's page,
	// not typed and clicked with input events. Those go to the iframe's
	// own target racing the focus and the scroll that move into it: about
	// one run in forty lost the first field's keys (the form came back
	// with "Enter your first name"), and about one in forty clicked where
	// the review's button was before the host page scrolled to it; each
	// time the test waited for a page that never came. Typing and clicking
	// are the other browser tests' part; this one is the iframe's.
	press := func(sel string) chromedp.Action[chromedp.Void] {
		return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			ok, err := chromedp.Evaluate[bool](fmt.Sprintf(`(b => { if (!b) return false; b.click(); return true })(document.querySelector(%q))`, sel))(ctx, tg)
			if err == nil && !ok {
				err = fmt.Errorf("no %s to press", sel)
			}
			return chromedp.Void{}, err
		}
	}
	if err := chromedp.Do(f,
		chromedp.SetValue(chromedp.CSS("#prefix"), "Mx."),
		chromedp.SetValue(chromedp.CSS("#first_name"), "Ana"),
		chromedp.SetValue(chromedp.CSS("#last_name"), "Núñez"),
		chromedp.SetValue(chromedp.CSS("#email"), "embed@example.org"),
		chromedp.SetValue(chromedp.CSS("#address1"), "3200 24th St"),
		chromedp.SetValue(chromedp.CSS("#city"), "San Francisco"),
		chromedp.SetValue(chromedp.CSS("#state"), "CA"),
		chromedp.SetValue(chromedp.CSS("#zip"), "94110"),
		press(`.act button[type=submit]`),
		chromedp.WaitVisible(chromedp.CSS(".review")),
	); err != nil {
		t.Fatalf("form inside the iframe: %v", err)
	}
	waitHeight("review", func(h int) bool { return h != formHeight && h > 1000 })
	if err := chromedp.Do(f,
		press(`.review button[type=submit]`),
		chromedp.WaitVisible(chromedp.CSS(".resend")),
	); err != nil {
		t.Fatalf("send inside the iframe: %v", err)
	}
	h1, _ := chromedp.Run(f, chromedp.Text(chromedp.CSS("main h1")))
	if h1 != "Check your email" {
		t.Errorf("after sending, the iframe shows %q", h1)
	}
	top, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`))
	if !strings.HasPrefix(top, hostURL) {
		t.Errorf("the host page navigated away: %s", top)
	}
	inner, _ = chromedp.Run(f, chromedp.Evaluate[int](`Math.ceil(document.documentElement.getBoundingClientRect().height)`))
	waitHeight("check your email", func(h int) bool { return h == inner })
	if link := a.confirmLink(t); !strings.Contains(link, "/c/framed/confirm?") {
		t.Errorf("confirmation link %s", link)
	}

	// Not on the allow-list: the browser refuses to show the page.
	if err := chromedp.Do(ctx, chromedp.Navigate(hostURL+"/?slug=elsewhere")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if h := height(); h != 300 {
		t.Errorf("a blocked iframe was resized to %d", h)
	}
	infos, err := chromedp.Targets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range infos {
		if info.Type == "iframe" && strings.HasPrefix(info.URL, app+"/c/elsewhere/embed") {
			fctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID))
			n, err := chromedp.Run(fctx, chromedp.Evaluate[int](`document.querySelectorAll("form").length`))
			cancel()
			if err == nil && n > 0 {
				t.Errorf("the form of a campaign that does not list %s rendered in its iframe", hostURL)
			}
		}
	}
}
