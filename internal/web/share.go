package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/i18n"
	"github.com/outreach-org/outreach/internal/sharecard"
	"github.com/outreach-org/outreach/internal/ttlcache"
)

// Share cards: the Open Graph and Twitter tags of /c/{slug}, and the
// image they name (/c/{slug}/share.png), drawn by the server with the
// campaign's title and one headline figure of the current statistics
// release. The image's address carries a version (v=) made of what the
// image shows, so a network that cached an old one fetches the new one.

// shareMeta is what the layout puts in <head> for link previews.
type shareMeta struct {
	Title, Description, URL, Image, ImageAlt, Locale, SiteName string
}

// sharePage is page data with link-preview tags (the campaign page).
type sharePage interface{ shareMeta() *shareMeta }

func (v actionView) shareMeta() *shareMeta { return v.Meta }

func (s *Server) shareRoutes(root *echo.Group) {
	s.shareCards = ttlcache.New[string, []byte](time.Hour, 200, nil)
	s.public(root, http.MethodGet, "/c/:slug/share.png", s.shareImage)
}

// cardKey names one image: the campaign as last saved, the release and
// the language. Anything the image shows changes one of them.
func cardKey(lc liveCampaign, rel release, lang i18n.Lang) string {
	return fmt.Sprintf("%d|%d|%d|%s", lc.C.ID, lc.C.UpdatedAt.UnixNano(), rel.ID, lang)
}

func cardVersion(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:6])
}

// headline is the first of the page's headline figures the release
// publishes as a number (a suppressed figure, shown on the page as
// "fewer than 11" or "not published", is never a card's headline).
func headline(rel release, lang i18n.Lang) (value, label string) {
	if rel.Figures == nil {
		return "", ""
	}
	for _, k := range headlineKeys {
		if !rel.Figures.Published(k) {
			continue
		}
		if v, ok := rel.Figures.ValueLang(k, string(lang)); ok {
			return v, figureLabel(rel.Figures, k, lang)
		}
	}
	return "", ""
}

// shareMetaFor is the link-preview tags of campaign lc's page in lang.
func (s *Server) shareMetaFor(ctx context.Context, lc liveCampaign, rel release, lang i18n.Lang, summary string) *shareMeta {
	q := url.Values{}
	if lang == i18n.Spanish {
		q.Set("lang", string(lang))
	}
	img := url.Values{"lang": {string(lang)}, "v": {cardVersion(cardKey(lc, rel, lang))}}
	m := &shareMeta{Title: lc.title(lang), Description: clipText(summary, 200), URL: s.absURL("/c/"+lc.C.Slug, q),
		Image: s.absURL("/c/"+lc.C.Slug+"/share.png", img), Locale: "en_US", SiteName: s.orgName(ctx)}
	if lang == i18n.Spanish {
		m.Locale = "es_US"
	}
	m.ImageAlt = m.Title
	if v, label := headline(rel, lang); v != "" {
		m.ImageAlt += ". " + v + " " + label
		if rel.Synthetic {
			m.ImageAlt += " (" + lang.T("act.synthetic") + ")"
		}
	}
	return m
}

func (s *Server) orgName(ctx context.Context) string {
	if b := s.brandView(ctx); b.Name != "" {
		return b.Name
	}
	return s.deps.OrgName
}

// clipText cuts s at a word boundary to at most n characters, with "…".
func clipText(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	cut := string(r)
	if i := strings.LastIndex(cut, " "); i > n/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,.;:") + "…"
}

// shareImage is GET /c/:slug/share.png?lang=: the card, drawn once per
// campaign version, release and language and kept for an hour.
func (s *Server) shareImage(c echo.Context) error {
	ctx := c.Request().Context()
	lc, err := s.loadLive(c)
	if err != nil {
		return err
	}
	rel, err := s.cachedRelease(ctx)
	if err != nil {
		return err
	}
	lang := langOf(c)
	key := cardKey(lc, rel, lang)
	b, err := s.shareCards.Load(ctx, key, func(ctx context.Context) ([]byte, error) {
		card := sharecard.Card{Title: lc.title(lang), Footer: s.orgName(ctx)}
		if v, label := headline(rel, lang); v != "" {
			card.Figure, card.FigureLabel = v, label
			card.Footer += " · " + lang.T("act.figures_as_of", rel.AsOf.Format("2006-01-02"))
			if rel.Synthetic {
				card.Synthetic = lang.T("share.synthetic_banner")
			}
		}
		return sharecard.PNG(card)
	})
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Del("Set-Cookie") // ?lang= would remember the language: not on a shared, cached image
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("ETag", `"`+cardVersion(key)+`"`)
	if c.Request().Header.Get("If-None-Match") == `"`+cardVersion(key)+`"` {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, "image/png", b)
}

// shareLinks are the thank-you page's ways to pass the campaign on, each
// link marked with its source (?source=share-email, share-sms,
// share-copy) so that the letters it brings can be counted by source.
type shareLinks struct {
	Email, SMS template.URL // mailto: and sms: links
	Copy       string       // the link to copy
	WhatsApp   string
	Facebook   string
	Bluesky    string
	Text       string
}

// sharedURL is the campaign's address as one share channel passes it on.
func (s *Server) sharedURL(slug string, lang i18n.Lang, source string) string {
	q := url.Values{"source": {source}}
	if lang == i18n.Spanish {
		q.Set("lang", string(lang))
	}
	return s.absURL("/c/"+slug, q)
}

// mailQuery escapes s for a mailto: or sms: query (RFC 6068: a space is
// %20, never +).
func mailQuery(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

func (s *Server) shareLinksFor(slug, title string, lang i18n.Lang) *shareLinks {
	emailURL := s.sharedURL(slug, lang, "share-email")
	smsURL := s.sharedURL(slug, lang, "share-sms")
	body := lang.T("share.message", title)
	return &shareLinks{
		Email:    template.URL("mailto:?subject=" + mailQuery(title) + "&body=" + mailQuery(body+"\n\n"+emailURL)),
		SMS:      template.URL("sms:?&body=" + mailQuery(body+" "+smsURL)),
		Copy:     s.sharedURL(slug, lang, "share-copy"),
		WhatsApp: "https://wa.me/?text=" + url.QueryEscape(body+" "+s.sharedURL(slug, lang, "share-whatsapp")),
		Facebook: "https://www.facebook.com/sharer/sharer.php?u=" + url.QueryEscape(s.sharedURL(slug, lang, "share-facebook")),
		Bluesky:  "https://bsky.app/intent/compose?text=" + url.QueryEscape(body+" "+s.sharedURL(slug, lang, "share-bluesky")),
		Text:     body,
	}
}
