package web_test

import (
	"bytes"
	"context"
	"html"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/casestats"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/web"
)

var metaTag = regexp.MustCompile(`<meta (?:property|name)="([a-z:_]+)" content="([^"]*)">`)

func metaTags(page string) map[string]string {
	out := map[string]string{}
	for _, m := range metaTag.FindAllStringSubmatch(page, -1) {
		out[m[1]] = html.UnescapeString(m[2])
	}
	return out
}

// fetchPNG gets an absolute image URL of the app from server base.
func fetchPNG(t *testing.T, base, abs string) (*http.Response, []byte) {
	t.Helper()
	u, err := url.Parse(abs)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(base + u.RequestURI())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// TestShareCardTags: /c/{slug} has the Open Graph and Twitter card tags,
// in the page's language, and og:image names a 1200×630 PNG drawn by the
// server, whose address and pixels change when a new statistics release
// is published; a synthetic release is said so in the image's
// description (and drawn on a banner: internal/sharecard).
func TestShareCardTags(t *testing.T) {
	st := storetest.SQLite(t)
	realRelease(t, st)
	a := newActionServer(t, st, "shared", campaign.Live, func(c *campaign.Campaign) { c.TitleES = "Reunir a las familias separadas" })
	_, page := a.get(t, "/c/shared")
	m := metaTags(page)
	for k, want := range map[string]string{
		"og:title": "Reunite separated families", "og:description": "Families were separated at the border.",
		"og:url": "http://act.example.org/c/shared", "twitter:card": "summary_large_image", "og:type": "website",
		"og:image:width": "1200", "og:image:height": "630", "og:locale": "en_US", "twitter:title": "Reunite separated families",
	} {
		if m[k] != want {
			t.Errorf("%s = %q, want %q", k, m[k], want)
		}
	}
	img := m["og:image"]
	if !strings.HasPrefix(img, "http://act.example.org/c/shared/share.png?") || !strings.Contains(img, "lang=en") || !strings.Contains(img, "v=") || m["twitter:image"] != img {
		t.Fatalf("og:image = %q", img)
	}
	if alt := m["og:image:alt"]; !strings.HasPrefix(alt, "Reunite separated families. ") || strings.Contains(alt, "Synthetic") {
		t.Errorf("og:image:alt = %q", alt)
	}
	resp, b := fetchPNG(t, a.srv.URL, img)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || len(resp.Cookies()) != 0 ||
		!strings.HasPrefix(resp.Header.Get("Cache-Control"), "public") {
		t.Fatalf("image: %d %q cookies %v cache %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Cookies(), resp.Header.Get("Cache-Control"))
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil || cfg.Width != 1200 || cfg.Height != 630 {
		t.Fatalf("image %dx%d, %v", cfg.Width, cfg.Height, err)
	}
	req, _ := http.NewRequest(http.MethodGet, a.srv.URL+"/c/shared/share.png?lang=en", nil)
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %v %v", r, err)
	} else {
		r.Body.Close()
	}

	_, pageES := a.get(t, "/c/shared?lang=es")
	es := metaTags(pageES)
	if es["og:title"] != "Reunir a las familias separadas" || es["og:locale"] != "es_US" || es["og:url"] != "http://act.example.org/c/shared?lang=es" ||
		!strings.Contains(es["og:image"], "lang=es") || es["og:image"] == img || es["og:description"] != "Familias fueron separadas en la frontera." {
		t.Errorf("Spanish tags: %v", es)
	}
	_, bES := fetchPNG(t, a.srv.URL, es["og:image"])
	if bytes.Equal(bES, b) {
		t.Error("the Spanish image is the English one")
	}

	// A new release: a server that has not cached the old one names
	// another image, and draws other pixels.
	realRelease(t, st)
	f2 := staffServer(t, st, web.Deps{Keys: a.keys, BaseURL: "http://act.example.org", OrgName: "Families Together"})
	_, page2 := f2.get(t, "/c/shared")
	m2 := metaTags(page2)
	if m2["og:image"] == img || m2["og:image"] == "" {
		t.Fatalf("og:image did not change with the release: %q", m2["og:image"])
	}
	_, b2 := fetchPNG(t, f2.srv.URL, m2["og:image"])
	if cfg, err := png.DecodeConfig(bytes.NewReader(b2)); err != nil || cfg.Width != 1200 || bytes.Equal(b, b2) {
		t.Errorf("the new release's image: %v, same bytes %v", err, bytes.Equal(b, b2))
	}
	// Other pages carry no card tags; the embed page neither.
	for _, p := range []string{"/", "/c/shared/embed"} {
		if _, body := a.get(t, p); strings.Contains(body, "og:image") {
			t.Errorf("%s has share tags", p)
		}
	}
}

// TestShareCardSynthetic: the demonstration release's figure is said to
// be synthetic wherever the card shows it (the image description here;
// the banner in the image is tested in internal/sharecard).
func TestShareCardSynthetic(t *testing.T) {
	a := newActionServer(t, storetest.SQLite(t), "demo-card", campaign.Live)
	_, page := a.get(t, "/c/demo-card")
	if alt := metaTags(page)["og:image:alt"]; !strings.Contains(alt, "(Synthetic demonstration data)") {
		t.Errorf("og:image:alt = %q", alt)
	}
	_, page = a.get(t, "/c/demo-card?lang=es")
	if alt := metaTags(page)["og:image:alt"]; !strings.Contains(alt, "(Datos de demostración sintéticos)") {
		t.Errorf("Spanish og:image:alt = %q", alt)
	}
}

// TestShareCardHeadlineIsPublished: the card's figure is a headline
// figure the release publishes as a number, never one it suppresses
// (shown on the page as "fewer than 11"): with too few records to publish
// any, the card has the title alone.
func TestShareCardHeadlineIsPublished(t *testing.T) {
	for _, n := range []int{5, 300} {
		st := storetest.SQLite(t)
		ctx := context.Background()
		if _, err := st.CreateCases(ctx, slices.Values(slices.Collect(casestats.Synthetic(n, 5))), store.ImportOptions{}, store.Audit{}); err != nil {
			t.Fatal(err)
		}
		rel, err := st.CreateRelease(ctx, store.ReleaseRequest{}, store.Audit{})
		if err != nil {
			t.Fatal(err)
		}
		a := newActionServer(t, st, "few", campaign.Live)
		_, page := a.get(t, "/c/few")
		alt := metaTags(page)["og:image:alt"]
		want := "Reunite separated families"
		suppressed := 0
		for _, k := range []string{"children_separated", "parents_handed_form", "pct_forms_premarked", "pct_told_no_rights"} {
			if !rel.Figures.Published(k) {
				suppressed++
				continue
			}
			v, _ := rel.Figures.Value(k)
			for _, f := range rel.Figures.Figures {
				if f.Key == k {
					want += ". " + v + " " + f.Label
				}
			}
			break
		}
		if alt != want {
			t.Errorf("%d records: card %q, want %q", n, alt, want)
		}
		if n == 5 && (suppressed != 4 || !strings.Contains(page, "fewer than 11")) {
			t.Errorf("%d records: %d headline figures suppressed; the test proves nothing", n, suppressed)
		}
	}
}

var shareHref = regexp.MustCompile(`<a class="button[^"]*" href="([^"]+)"`)

// TestThanksShareLinks: the thank-you page offers email (mailto:), a text
// message (sms:) and a link to copy (readable and selectable without
// JavaScript), each passing the campaign's address with its own
// ?source=, in English and Spanish.
func TestThanksShareLinks(t *testing.T) {
	st := storetest.SQLite(t)
	a := newActionServer(t, st, "thanked", campaign.Live, func(c *campaign.Campaign) { c.TitleES = "Reunir a las familias" })
	c := browserClient(t)
	if code, body := a.post(t, c, "/c/thanked/send", supporter("94110", "CA")); code != 200 {
		t.Fatalf("send: %d %s", code, body)
	}
	code, body := a.confirm(t, c, a.confirmLink(t))
	if code != 200 {
		t.Fatalf("confirm: %d", code)
	}
	check := func(lang, body, title, message string) {
		t.Helper()
		var hrefs []string
		for _, m := range shareHref.FindAllStringSubmatch(body, -1) {
			hrefs = append(hrefs, html.UnescapeString(m[1]))
		}
		shared := func(source string) string {
			q := url.Values{"source": {source}}
			if lang == "es" {
				q.Set("lang", "es")
			}
			return "http://act.example.org/c/thanked?" + q.Encode()
		}
		esc := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
		want := map[string]bool{
			"mailto:?subject=" + esc(title) + "&body=" + esc(message+"\n\n"+shared("share-email")): false,
			"sms:?&body=" + esc(message+" "+shared("share-sms")):                                   false,
		}
		for _, h := range hrefs {
			if _, ok := want[h]; ok {
				want[h] = true
			}
		}
		for h, found := range want {
			if !found {
				t.Errorf("%s: no share link %q among %q", lang, h, hrefs)
			}
		}
		if !strings.Contains(body, `<input id="share-link" type="text" readonly value="`+strings.ReplaceAll(shared("share-copy"), "&", "&amp;")+`"`) {
			t.Errorf("%s: no link to copy", lang)
		}
		if !strings.Contains(body, `id="share-copy" hidden`) || !strings.Contains(body, "/static/app.js") {
			t.Errorf("%s: the copy button is not hidden until the script shows it", lang)
		}
	}
	check("en", body, "Reunite separated families", "I wrote to Congress: Reunite separated families. Will you write too?")
	sw := regexp.MustCompile(`href="(/c/thanked/thanks\?t=[^"]+lang=es)"`).FindStringSubmatch(body)
	if sw == nil {
		t.Fatal("no Spanish switch on the thank-you page")
	}
	_, bodyES := a.get(t, html.UnescapeString(sw[1]))
	if !strings.Contains(bodyES, "Enviar un mensaje de texto") {
		t.Error("the Spanish page's SMS link is not in Spanish")
	}
	check("es", bodyES, "Reunir a las familias", "Escribí al Congreso: Reunir a las familias. ¿Escribe usted también?")
}
