package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/i18n"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/supportermail"
)

// The pages after a supporter sends ("check your email") and confirms
// ("thank you") answer a POST, so each also exists as a GET page named
// by a signed token (purpose "sent" or "thanks", the submission id): the
// language switch links there, and reloading or switching never posts
// the form again.

// sentTTL and thanksTTL bound how long those pages can be reopened.
const (
	sentTTL   = 48 * time.Hour
	thanksTTL = 30 * 24 * time.Hour
)

// nextStep is one thing a supporter can do after confirming, shown on the
// thank-you page under "What you can do next" (nextSteps).
type nextStep struct {
	Label, URL, Text string
}

func (s *Server) afterRoutes(root *echo.Group) {
	s.public(root, http.MethodGet, "/c/:slug/sent", s.sentPage)
	s.public(root, http.MethodPost, "/c/:slug/sent", s.resendConfirm)
	s.public(root, http.MethodGet, "/c/:slug/thanks", s.thanksPage)
	s.public(root, http.MethodGet, "/m/:key", s.messagePage)
}

// maskEmail shows the supporter enough of their address to spot a typo
// (the first two letters and the whole domain) without printing it whole
// on a page that may be on a shared screen.
func maskEmail(addr string) string {
	local, domain, ok := strings.Cut(strings.TrimSpace(addr), "@")
	if !ok || local == "" {
		return "•••"
	}
	n := 0
	for i := range local {
		if n == 2 || (utf8.RuneCountInString(local) <= 2 && n == 1) {
			return local[:i] + "•••@" + domain
		}
		n++
	}
	return local + "•••@" + domain
}

// sentView is the "check your email" page for submission subID (0: no
// submission, as the honeypot answers).
func (s *Server) sentView(c echo.Context, slug string, subID int64) (msgView, error) {
	lang := langOf(c)
	v := msgView{Title: lang.T("act.check_email_title"), Text: lang.T("act.check_email"), Check: true}
	token := s.signer().Sign("sent", strconv.FormatInt(subID, 10), s.deps.Now().Add(sentTTL))
	base, q := flowBase(c, slug)
	v.Switch = base + "/sent?" + url.Values{"t": {token}}.Encode()
	if subID == 0 {
		return v, nil
	}
	sub, err := s.deps.Store.SubmissionByID(c.Request().Context(), subID)
	if errors.Is(err, store.ErrNotFound) {
		return v, nil
	}
	if err != nil {
		return v, err
	}
	if sub.Status != "pending" || sub.Sealed == "" {
		v.Title, v.Text = lang.T("act.already_confirmed_title"), lang.T("act.sent_done")
		return v, nil
	}
	var ss action.Sealed
	if err := s.deps.Keys.OpenJSON(sub.Sealed, action.SubmissionAAD(sub.ID), &ss); err != nil {
		return v, err
	}
	v.Email = maskEmail(ss.Form.Email)
	v.Text = lang.T("act.check_email_to", v.Email)
	for _, o := range ss.Offices {
		v.Offices = append(v.Offices, lang.TG("lookup.title."+o.Title, o.Gender)+" "+o.Name)
	}
	v.Form = &confirmForm{Action: base + "/sent" + q, Token: token, Button: lang.T("act.resend_button")}
	v.Back = base + "?lang=" + string(lang)
	return v, nil
}

// sentPage is GET /c/:slug/sent?t=: "check your email" again.
func (s *Server) sentPage(c echo.Context) error {
	id, err := s.tokenID(c, "sent", c.QueryParam("t"))
	if err != nil {
		return s.badLink(c, err)
	}
	v, err := s.sentView(c, c.Param("slug"), id)
	if err != nil {
		return err
	}
	return s.msg(c, http.StatusOK, v)
}

// resendConfirm is POST /c/:slug/sent: the confirmation email once more.
// Each submission may ask once (a supporter_mail row of its own kind,
// unique per submission); the token names the submission, so nobody can
// learn from this whether an address took part.
func (s *Server) resendConfirm(c echo.Context) error {
	lang := langOf(c)
	id, err := s.tokenID(c, "sent", c.FormValue("t"))
	if err != nil {
		return s.badLink(c, err)
	}
	v, err := s.sentView(c, c.Param("slug"), id)
	if err != nil || v.Form == nil {
		if err == nil {
			err = s.msg(c, http.StatusOK, v)
		}
		return err
	}
	if embedStale(c) { // the embedded form's token: nothing is sent
		v.Notice = lang.T("act.embed_stale")
		return s.msg(c, http.StatusOK, v)
	}
	var enqueue store.MailEnqueue
	if s.deps.Jobs != nil {
		enqueue = supportermail.Enqueue(s.deps.Jobs)
	}
	added, err := s.deps.Store.QueueSupporterMail(c.Request().Context(), id, supportermail.KindConfirmAgain, string(lang), nil, "", s.deps.Now(), enqueue)
	if err != nil {
		return err
	}
	v.Form = nil
	if added {
		v.Notice = lang.T("act.resent", v.Email)
		return s.msg(c, http.StatusOK, v)
	}
	v.Notice = lang.T("act.resent_already")
	return s.msg(c, http.StatusTooManyRequests, v)
}

// tokenID verifies a page token and answers the submission id it names.
func (s *Server) tokenID(c echo.Context, purpose, token string) (int64, error) {
	val, err := s.signer().Verify(purpose, token, s.deps.Now())
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(val, 10, 64)
	if err != nil || id < 0 {
		return 0, action.ErrBadToken
	}
	return id, nil
}

// thanksView is the thank-you page of a confirmed submission: the offices
// its letters go to, the offices that had the supporter's letter already,
// and what to do next.
func (s *Server) thanksView(c echo.Context, lc liveCampaign, subID int64) (msgView, error) {
	lang := langOf(c)
	token := s.signer().Sign("thanks", strconv.FormatInt(subID, 10), s.deps.Now().Add(thanksTTL))
	v := msgView{Title: lang.T("act.thanks_title"), Share: s.shareLinksFor(lc.C.Slug, lc.title(lang), lang),
		Campaign: lc.title(lang), Switch: "/c/" + lc.C.Slug + "/thanks?" + url.Values{"t": {token}}.Encode()}
	ctx := c.Request().Context()
	letters, err := s.deps.Store.SubmissionLetters(ctx, subID)
	if err != nil {
		return v, err
	}
	got := map[string]bool{}
	for _, l := range letters {
		if l.Kind != store.LetterFirst || got[l.BioguideID] {
			continue
		}
		got[l.BioguideID] = true
		v.Offices = append(v.Offices, s.officeName(l.BioguideID, lang))
	}
	v.Text = lang.N("act.thanks", len(v.Offices))
	if len(v.Offices) == 0 {
		v.Text = lang.T("act.already_sent")
	}
	// Offices the submission was sent to that got no letter from it had
	// this supporter's letter already.
	zip := ""
	if sub, err := s.deps.Store.SubmissionByID(ctx, subID); err == nil && sub.Sealed != "" {
		var ss action.Sealed
		if err := s.deps.Keys.OpenJSON(sub.Sealed, action.SubmissionAAD(sub.ID), &ss); err == nil {
			for _, sl := range ss.Letters {
				if !got[sl.BioguideID] {
					v.Lines = append(v.Lines, lang.T("act.skipped", s.officePhrase(sl.BioguideID, lang)))
				}
			}
			v.Calls = s.submissionCalls(c, lc, subID, ss)
			zip = ss.Form.ZIP
		}
	}
	if v.Calls == nil { // the campaign's own call list says more
		v.Next = s.nextSteps(c, zip)
	}
	return v, nil
}

// nextSteps lists what a supporter can do after confirming, in order,
// for a campaign without a call list of its own: find the offices' phone
// numbers (the lookup, for their ZIP code when it is known). Sharing the
// campaign is the section below the list.
func (s *Server) nextSteps(c echo.Context, zip string) []nextStep {
	lang := langOf(c)
	q := url.Values{"lang": {string(lang)}}
	if zip != "" {
		q.Set("q", zip)
	}
	return []nextStep{{Label: lang.T("act.next_lookup"), URL: "/?" + q.Encode(), Text: lang.T("act.next_lookup_text")}}
}

// officePhrase is officeName as a sentence names the member: "el senador
// Alex Padilla" in Spanish (i18n.Lang.MemberPhrase).
func (s *Server) officePhrase(bioguideID string, lang i18n.Lang) string {
	if m, ok := s.deps.Congress.Member(bioguideID); ok {
		return lang.MemberPhrase(m.Title, m.Gender, m.Name)
	}
	return bioguideID
}

// officeName is "Senator Alex Padilla" for a bioguide id, in lang.
func (s *Server) officeName(bioguideID string, lang i18n.Lang) string {
	if m, ok := s.deps.Congress.Member(bioguideID); ok {
		return lang.TG("lookup.title."+m.Title, m.Gender) + " " + m.Name
	}
	return bioguideID
}

// thanksPage is GET /c/:slug/thanks?t=: the thank-you page again.
func (s *Server) thanksPage(c echo.Context) error {
	id, err := s.tokenID(c, "thanks", c.QueryParam("t"))
	if err != nil {
		return s.badLink(c, err)
	}
	lc, err := s.cachedCampaign(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	v, err := s.thanksView(c, lc, id)
	if err != nil {
		return err
	}
	return s.msg(c, http.StatusOK, v)
}

// messages are the one-message pages a language switch can reopen by
// key (GET /m/:key), for pages that answered a POST and hold no state
// beyond their message: the switch must not post the form again.
var messages = map[string]struct {
	title, text string
	status      int
	org         bool // the text names the organization
}{
	"slow_down":           {"act.slow_down_title", "act.slow_down", http.StatusOK, false},
	"already_sent":        {"act.already_title", "act.already_sent", http.StatusOK, false},
	"suppressed":          {"act.suppressed_title", "act.suppressed", http.StatusOK, false},
	"already_confirmed":   {"act.already_confirmed_title", "act.already_confirmed", http.StatusOK, false},
	"link_bad":            {"act.link_bad_title", "act.link_bad", http.StatusOK, false},
	"link_expired":        {"act.link_expired_title", "act.link_expired", http.StatusOK, false},
	"unavailable_paused":  {"act.unavailable_title", "act.unavailable_paused", http.StatusOK, false},
	"unavailable_closed":  {"act.unavailable_title", "act.unavailable_closed", http.StatusOK, false},
	"unavailable_not_yet": {"act.unavailable_title", "act.unavailable_not_yet", http.StatusOK, false},
	"optin_done":          {"act.optin_done_title", "act.optin_done", http.StatusOK, true},
	"unsub_done":          {"act.unsub_done_title", "act.unsub_done", http.StatusOK, false},
	"forget_done":         {"act.forget_done_title", "act.forget_done", http.StatusOK, false},
	"survey_saved":        {"fu.survey.done_title", "fu.survey.saved", http.StatusOK, false},
}

// message renders message key with its status, its switch leading to
// GET /m/key.
func (s *Server) message(c echo.Context, status int, key string) error {
	m, ok := messages[key]
	if !ok {
		return store.ErrNotFound
	}
	lang := langOf(c)
	v := msgView{Title: lang.T(m.title), Text: lang.T(m.text), Switch: "/m/" + key}
	if isEmbedded(c) {
		base, _ := flowBase(c, c.Param("slug"))
		v.Switch = base + "/m/" + key
	}
	if m.org {
		v.Text = lang.T(m.text, s.deps.OrgName)
	}
	return s.msg(c, status, v)
}

// messagePage is GET /m/:key: a message of the supporter flow, or an
// error page's message (errorPage).
func (s *Server) messagePage(c echo.Context) error {
	key := c.Param("key")
	if errorPage(key) {
		return s.render(c, http.StatusOK, "error", errorView{Message: langOf(c).T(key), Switch: "/m/" + key}, false)
	}
	return s.message(c, messages[key].status, key)
}
