package web

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/i18n"
	"github.com/outreach-org/outreach/internal/letter"
	"github.com/outreach-org/outreach/internal/store"
)

// Calls, 5 Calls style. A supporter's call page lists their offices with
// the Washington and nearest district office numbers as tel: links, the
// campaign's script for each member, and one form per office to report
// how the call went. The page is a signed token (action.CallPage): it
// carries no personal data, and its nonce lets the store count one
// outcome per office per page. Pages are minted after the letters are
// confirmed and, on a calls-only campaign, by the ZIP lookup, at most
// campaign.DefaultIPLimit an hour per client (or the limit of the
// campaign's tabling event running now).

func (s *Server) callRoutes(root *echo.Group, limited echo.MiddlewareFunc) {
	s.callPages = newWindowLimiter(campaign.DefaultIPLimit, time.Hour, s.deps.Now)
	s.public(root, http.MethodPost, "/c/:slug/call", limited(s.callLookup))
	s.public(root, http.MethodGet, "/c/:slug/call", s.callPage)
	s.public(root, http.MethodPost, "/c/:slug/call/outcome", limited(s.callOutcome))
}

// callsView is the call list: every text is in the supporter's language
// already, so the same partial draws it on the call page and on the
// thank-you page after the letters.
type callsView struct {
	Slug, Token, CSRF string
	Heading, Intro    string
	Offices           []callOfficeView
	AllDone           string // set when every office has an outcome
	ScriptHeading     string
	HowHeading        string
}

type callOfficeView struct {
	ID, Name         string
	DCLabel, DCPhone string
	DCTel            template.URL
	DCAria           string
	DistrictLabel    string
	DistrictPhone    string
	DistrictTel      template.URL
	DistrictAria     string
	NoPhone          string
	Script           string
	ScriptLang       string // "es" when the Spanish script is shown
	ScriptNote       string // why no script is shown
	Logged           string // "Reported: Left a voicemail. Thank you!"
	Outcomes         []option
}

// callPageView is the call page (GET /c/:slug/call).
type callPageView struct {
	Title   string
	Problem string
	Calls   *callsView
}

// callPageFor mints a call page for members (the supporter in zip and
// district d, when known) and answers its token.
func (s *Server) callPageFor(campaignID int64, members []*congress.Member, zip string, d *congress.District) string {
	var offices []action.CallOffice
	for _, m := range members {
		offices = append(offices, action.CallOffice{BioguideID: m.BioguideID, Office: action.NearestOffice(s.deps.Congress, m, zip, d)})
	}
	return s.signer().SignCallPage(action.NewCallPage(campaignID, offices), s.deps.Now().Add(action.CallPageTTL))
}

// callsFor draws the call list of page p (token) for campaign lc.
func (s *Server) callsFor(c echo.Context, lc liveCampaign, p action.CallPage, token string) (*callsView, error) {
	ctx := c.Request().Context()
	lang := langOf(c)
	claims, err := s.deps.Store.CallClaims(ctx, p.Nonce)
	if err != nil {
		return nil, err
	}
	rel, err := s.cachedRelease(ctx)
	if err != nil {
		return nil, err
	}
	v := &callsView{Slug: lc.C.Slug, Token: token, CSRF: csrfToken(c), Heading: lang.T("calls.title"), Intro: lang.T("calls.intro"),
		ScriptHeading: lang.T("calls.script"), HowHeading: lang.T("calls.how")}
	done := 0
	for _, o := range p.Offices {
		m, ok := s.deps.Congress.Member(o.BioguideID)
		if !ok {
			continue // no longer in the data
		}
		title := lang.TG("lookup.title."+m.Title, m.Gender)
		ov := callOfficeView{ID: m.BioguideID, Name: title + " " + m.Name, DCLabel: lang.T("calls.dc"), NoPhone: lang.T("calls.no_phone")}
		if m.Phone != "" {
			ov.DCPhone, ov.DCTel, ov.DCAria = m.Phone, tel(m.Phone), lang.T("calls.call_label", ov.Name, m.Phone)
		}
		if o.Office >= 0 && o.Office < len(m.Offices) && m.Offices[o.Office].Phone != "" {
			off := m.Offices[o.Office]
			ov.DistrictLabel, ov.DistrictPhone, ov.DistrictTel = lang.T("calls.district", off.City), off.Phone, tel(off.Phone)
			ov.DistrictAria = lang.T("calls.call_label", ov.Name, off.Phone)
		}
		if lc.Compiled.Script != nil {
			es := lang == i18n.Spanish
			text, err := lc.Compiled.Script.RenderScript(ctx, m, s.deps.Now(), rel, es)
			switch {
			case errors.Is(err, campaign.ErrSyntheticScript):
				ov.ScriptNote = lang.T("calls.script_synthetic")
			case errors.Is(err, letter.ErrStatUnavailable):
				s.log.Error("call script quotes an unpublished statistic", "campaign", lc.C.ID, "err", err)
				ov.ScriptNote = lang.T("calls.script_not_ready")
			case err != nil:
				return nil, err
			default:
				ov.Script = text
				if es && lc.C.CallScriptES != "" {
					ov.ScriptLang = "es"
				} else {
					ov.ScriptLang = "en"
				}
			}
		}
		if out, ok := claims[m.BioguideID]; ok {
			ov.Logged = lang.T("calls.logged", lang.T("calls.outcome."+out))
			done++
		} else {
			for _, oc := range campaign.Outcomes {
				ov.Outcomes = append(ov.Outcomes, option{Value: string(oc), Label: lang.T("calls.outcome." + string(oc))})
			}
		}
		v.Offices = append(v.Offices, ov)
	}
	if done > 0 && done == len(v.Offices) {
		v.AllDone = lang.T("calls.all_done")
	}
	return v, nil
}

var zipRE = regexp.MustCompile(`^[0-9]{5}(-[0-9]{4})?$`)

// callLookup is POST /c/:slug/call on a calls-only campaign: the ZIP code
// (with the state and district when the ZIP needs them) gives the
// supporter's offices, and a new call page.
func (s *Server) callLookup(c echo.Context) error {
	lang := langOf(c)
	lc, err := s.loadConstituent(c)
	if err != nil {
		return err
	}
	if !lc.C.CallsOnly {
		return store.ErrNotFound // letters campaigns mint call pages when letters are confirmed
	}
	v, _, err := s.baseView(c, lc)
	if err != nil {
		return err
	}
	if v.Mode != "form" {
		return s.renderAction(c, http.StatusConflict, v)
	}
	f := action.Form{ZIP: strings.TrimSpace(c.FormValue("zip")), State: strings.TrimSpace(c.FormValue("state")),
		District: strings.TrimSpace(c.FormValue("district"))}
	for _, p := range []*string{&f.ZIP, &f.State, &f.District} {
		if len(*p) > 20 {
			*p = (*p)[:20]
		}
	}
	v.Form, v.Errors = f, map[string]string{}
	if strings.TrimSpace(c.FormValue("website")) != "" { // the honeypot: a bot is shown the empty form
		s.log.Info("honeypot triggered", "route", c.Path())
		return s.renderAction(c, http.StatusOK, v)
	}
	fail := func(field, msg string) error {
		v.Errors[field], v.Problem = msg, lang.T("act.fix_below")
		return s.renderAction(c, http.StatusUnprocessableEntity, v)
	}
	if !zipRE.MatchString(f.ZIP) {
		return fail("zip", lang.T("act.err.zip"))
	}
	res, err := s.deps.Congress.LookupZIP(f.ZIP)
	if err != nil {
		return fail("zip", classifyMsg(err, lang, f.ZIP))
	}
	if f.State == "" && len(res.States) == 1 {
		f.State = res.States[0]
	}
	v.Form = f
	if f.State == "" {
		return fail("state", lang.T("act.err.required"))
	}
	rcp, err := action.ChooseRecipients(s.deps.Congress, res, f, lc.C.Targets)
	switch {
	case errors.Is(err, action.ErrStateMismatch):
		return fail("state", lang.T("act.err.state_zip", f.ZIP, strings.Join(res.States, ", ")))
	case errors.Is(err, action.ErrNeedAddress), errors.Is(err, action.ErrNeedDistrict):
		s.districtChoice(&v, err, rcp, res, f, lang)
		return s.renderAction(c, http.StatusUnprocessableEntity, v)
	case errors.Is(err, action.ErrNoTargets):
		v.Problem = lang.T("act.no_targets")
		return s.renderAction(c, http.StatusUnprocessableEntity, v)
	case err != nil:
		return err
	}
	if len(rcp.Members) == 0 {
		v.Problem = lang.T("act.all_vacant")
		return s.renderAction(c, http.StatusUnprocessableEntity, v)
	}
	if ok, err := s.takeCallPage(c, lc.C.ID); err != nil || !ok {
		return err
	}
	var district *congress.District
	for _, m := range rcp.Members {
		if d, ok := m.Seat(); ok {
			district = &d
		}
	}
	token := s.callPageFor(lc.C.ID, rcp.Members, f.ZIP, district)
	return c.Redirect(http.StatusSeeOther, "/c/"+lc.C.Slug+"/call?"+url.Values{"t": {token}}.Encode())
}

// takeCallPage counts one call page for the client; over the hour's limit
// it answers 429 itself and reports false.
func (s *Server) takeCallPage(c echo.Context, campaignID int64) (bool, error) {
	limit := campaign.DefaultIPLimit
	if n, ok, err := s.deps.Store.TablingIPLimit(c.Request().Context(), campaignID, s.deps.Now()); err != nil {
		return false, err
	} else if ok {
		limit = n
	}
	if _, reset, ok := s.callPages.takeN(clientKey(c), limit); !ok {
		lang := langOf(c)
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(reset.Seconds())+1))
		return false, s.msg(c, http.StatusTooManyRequests, msgView{Title: lang.T("act.slow_down_title"), Text: lang.T("act.slow_down")})
	}
	return true, nil
}

// callPageOf reads and checks the token of a call page of campaign lc.
// When it is not valid it answers itself (410 when expired, 400 when
// changed or of another campaign) and reports ok false.
func (s *Server) callPageOf(c echo.Context, lc liveCampaign, token string) (p action.CallPage, ok bool, err error) {
	p, err = s.signer().VerifyCallPage(token, s.deps.Now())
	if err == nil && p.CampaignID != lc.C.ID {
		err = action.ErrBadToken
	}
	switch {
	case errors.Is(err, action.ErrExpiredToken):
		lang := langOf(c)
		return p, false, s.msg(c, http.StatusGone, msgView{Title: lang.T("act.link_expired_title"), Text: lang.T("calls.expired")})
	case err != nil:
		return p, false, s.badLink(c, err)
	}
	return p, true, nil
}

// callPage is GET /c/:slug/call?t=: the call list of one call page.
func (s *Server) callPage(c echo.Context) error {
	lang := langOf(c)
	lc, err := s.loadConstituent(c)
	if err != nil {
		return err
	}
	token := c.QueryParam("t")
	p, ok, err := s.callPageOf(c, lc, token)
	if !ok {
		return err
	}
	calls, err := s.callsFor(c, lc, p, token)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "calls", callPageView{Title: lang.T("calls.page_title", lc.title(lang)), Calls: calls}, false)
}

// callOutcome is POST /c/:slug/call/outcome: one office's outcome, counted
// once per call page (the store's claim decides between parallel and
// replayed posts). It answers with the call page again (303), where the
// office now shows what was reported.
func (s *Server) callOutcome(c echo.Context) error {
	lang := langOf(c)
	lc, err := s.loadConstituent(c)
	if err != nil {
		return err
	}
	token := c.FormValue("t")
	p, ok, err := s.callPageOf(c, lc, token)
	if !ok {
		return err
	}
	if mode, status := s.campaignMode(lc); mode != "form" {
		return s.msg(c, http.StatusConflict, msgView{Title: lang.T("act.unavailable_title"), Text: lang.T("act.unavailable_" + status)})
	}
	office := c.FormValue("office")
	outcome, ok := campaign.ParseOutcome(c.FormValue("outcome"))
	m, known := s.deps.Congress.Member(office)
	if !ok || !known || !p.Has(office) {
		return echo.NewHTTPError(http.StatusBadRequest, lang.T("act.link_bad"))
	}
	now := s.deps.Now()
	counted, _, err := s.deps.Store.LogCall(c.Request().Context(), store.CallLog{Nonce: p.Nonce, CampaignID: lc.C.ID,
		BioguideID: m.BioguideID, Chamber: string(m.Chamber), State: m.State, Party: m.Party, Outcome: string(outcome),
		At: now, Expires: now.Add(action.CallPageTTL)})
	if err != nil {
		return err
	}
	if counted {
		s.log.Info("call reported", "campaign", lc.C.ID, "office", m.BioguideID, "outcome", string(outcome))
	}
	return c.Redirect(http.StatusSeeOther, "/c/"+lc.C.Slug+"/call?"+url.Values{"t": {token}}.Encode()+"#call-"+m.BioguideID)
}

// submissionCalls is the call list on the thank-you page of a confirmed
// submission (ss, sealed with it): its offices, nearest to its ZIP code.
// The page's nonce comes from the submission, so reopening the thank-you
// page (a reload, a language switch) shows the same call page, outcomes
// included, and counts nothing twice.
func (s *Server) submissionCalls(c echo.Context, lc liveCampaign, subID int64, ss action.Sealed) *callsView {
	if !lc.C.HasCalls() || len(ss.Letters) == 0 {
		return nil
	}
	var members []*congress.Member
	var district *congress.District
	for _, sl := range ss.Letters {
		m, ok := s.deps.Congress.Member(sl.BioguideID)
		if !ok {
			continue
		}
		members = append(members, m)
		if d, ok := m.Seat(); ok {
			district = &d
		}
	}
	if len(members) == 0 {
		return nil
	}
	var offices []action.CallOffice
	for _, m := range members {
		offices = append(offices, action.CallOffice{BioguideID: m.BioguideID, Office: action.NearestOffice(s.deps.Congress, m, ss.Form.ZIP, district)})
	}
	p := action.CallPage{CampaignID: lc.C.ID, Nonce: s.deps.Keys.Index("call-page", strconv.FormatInt(subID, 10))[:32], Offices: offices}
	token := s.signer().SignCallPage(p, s.deps.Now().Add(action.CallPageTTL))
	v, err := s.callsFor(c, lc, p, token)
	if err != nil {
		s.log.Error("call list after confirmation", "campaign", lc.C.ID, "err", err)
		return nil
	}
	v.Heading = langOf(c).T("calls.after_letters")
	return v
}
