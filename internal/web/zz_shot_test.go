package web_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/web"
)

func TestZZShot(t *testing.T) {
	st := storetest.SQLite(t)
	st.SeedDemo(context.Background(), store.DemoOptions{}, store.Audit{})
	f := staffServer(t, st, web.Deps{})
	ctx := browser(t)
	chromedp.Do(ctx, chromedp.Navigate(f.srv.URL+"/stats?lang=es"), chromedp.WaitVisible(chromedp.CSS("svg.chart-svg")))
	for i, sel := range []string{"h1", "#h-percent", "#chart-by-quarter-h", "#chart-by-state-h", "#chart-by-outcome-h", "#h-protect"} {
		chromedp.Do(ctx, chromedp.ScrollIntoView(chromedp.CSS(sel)))
		b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(fmt.Sprintf("/tmp/shot%d.png", i), b, 0o644)
	}
}
