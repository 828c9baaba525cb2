package web

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/supportermail"
)

// msgView is a one-message page of the supporter flow.
type msgView struct {
	Title, Text string
	Lines       []string
	Share       *shareLinks // the thank-you page's share links
	Campaign    string
	Form        *confirmForm
	// Check marks "check your email"; Email is the supporter's address
	// masked, Offices the offices the letters go (or went) to, Notice a
	// line after a resend.
	Check   bool
	Email   string
	Offices []string
	Notice  string
	Back    string     // the campaign page, for a supporter who typed the wrong address
	Next    []nextStep // the thank-you page's next steps
	Calls   *callsView // the call list after the letters, when the campaign asks for calls
	// Switch is the GET page (path and query, without lang) the language
	// switch opens: a page that answered a POST is reopened there.
	Switch string
}

func (v msgView) langSwitch() string { return v.Switch }

type confirmForm struct {
	Action, Token, Button string
}

func (s *Server) msg(c echo.Context, status int, v msgView) error {
	return s.render(c, status, "action_msg", v, v.Share != nil) // app.js: the copy button
}

func (s *Server) signer() action.Signer { return action.NewSigner(s.deps.Keys.Index) }

func (s *Server) links() supportermail.Links {
	return supportermail.Links{BaseURL: s.deps.BaseURL, Keys: s.deps.Keys}
}

func (s *Server) absURL(path string, q url.Values) string { return s.links().URL(path, q) }

// actionSend is POST /c/:slug/send: the supporter sends their letters. The
// submission is stored and a confirmation link emailed; no letter exists
// until the link is followed.
func (s *Server) actionSend(c echo.Context) error {
	lang := langOf(c)
	ctx := c.Request().Context()
	lc, err := s.loadConstituent(c)
	if err != nil {
		return err
	}
	v, rel, err := s.baseView(c, lc)
	if err != nil {
		return err
	}
	if v.Mode != "form" || lc.C.CallsOnly { // a calls-only campaign takes no letters
		return s.renderAction(c, http.StatusConflict, v)
	}
	f := formFrom(c)
	// A bot fills the field people never see: it is told it worked, and
	// nothing is stored or sent.
	if strings.TrimSpace(c.FormValue("website")) != "" {
		s.log.Info("honeypot triggered", "route", c.Path())
		v, err := s.sentView(c, lc.C.Slug, 0)
		if err != nil {
			return err
		}
		return s.msg(c, http.StatusOK, v)
	}
	v, letters, ok, err := s.prepare(c, lc, v, rel, f)
	if err != nil {
		return err
	}
	if !ok {
		return s.renderAction(c, http.StatusUnprocessableEntity, v)
	}
	// Only the letters the supporter was shown are sent: if they changed
	// since the review (their own words edited there, the campaign's
	// text, the statistics, the date), the review is shown again.
	if c.FormValue("reviewed") != v.Reviewed {
		v.Mode, v.Changed = "review", true
		return s.renderAction(c, http.StatusOK, v)
	}
	if embedStale(c) { // the embedded form's token: nothing is sent
		v.Mode, v.Stale = "review", true
		return s.renderAction(c, http.StatusOK, v)
	}
	f = v.Form
	emailIdx := s.deps.Keys.Index("email", f.Email)
	ipHash := s.deps.Keys.HashIP(c.RealIP())
	written, err := s.deps.Store.WrittenOffices(ctx, lc.C.ID, emailIdx)
	if err != nil {
		return err
	}
	fresh := 0
	for _, l := range letters {
		if !written[l.Member.BioguideID] {
			fresh++
		}
	}
	if fresh == 0 {
		return s.message(c, http.StatusOK, "already_sent")
	}
	if sup, err := s.deps.Store.IsSuppressed(ctx, emailIdx); err != nil {
		return err
	} else if sup {
		return s.message(c, http.StatusOK, "suppressed")
	}
	limits, err := s.submissionLimits(ctx, lc.C.ID, emailIdx, ipHash)
	if err != nil {
		return err
	}
	// The offices the confirmation email lists are sealed with the
	// submission: the job that sends the email carries ids only.
	// So are the letters, as rendered now (the review page's text): the
	// confirmation stores these.
	var offices []action.OfficeName
	var sealedLetters []action.SealedLetter
	for _, l := range letters {
		if !written[l.Member.BioguideID] {
			offices = append(offices, action.OfficeName{Title: l.Member.Title, Gender: l.Member.Gender, Name: l.Member.Name})
			sealedLetters = append(sealedLetters, action.SealedLetter{BioguideID: l.Member.BioguideID, Letter: l.Message.Sealed(),
				ReleaseID: rel.ID, TemplateVersion: lc.C.TemplateVersion})
		}
	}
	// The submission and its confirmation email (a row and its job) are
	// one transaction; the page answers at once, and the email goes out
	// from the job, retried there when the provider is busy or down.
	var enqueue store.MailEnqueue
	if s.deps.Jobs != nil {
		enqueue = supportermail.Enqueue(s.deps.Jobs)
	}
	sub, err := s.deps.Store.CreateSubmissionMail(ctx, store.Submission{CampaignID: lc.C.ID, EmailIndex: emailIdx, Lang: string(lang), IPHash: ipHash,
		CreatedAt: s.deps.Now(), Source: v.Attr.Source, UTMSource: v.Attr.UTMSource, UTMMedium: v.Attr.UTMMedium, UTMCampaign: v.Attr.UTMCampaign},
		func(id int64) (string, error) {
			return s.deps.Keys.SealJSON(action.Sealed{Form: f, Lang: string(lang), Offices: offices, Letters: sealedLetters}, action.SubmissionAAD(id))
		}, enqueue, limits...)
	if le := (*store.LimitError)(nil); errors.As(err, &le) {
		s.deps.Metrics.Throttled("action")
		return s.message(c, http.StatusTooManyRequests, "slow_down")
	}
	if err != nil {
		return err
	}
	sv, err := s.sentView(c, lc.C.Slug, sub.ID)
	if err != nil {
		return err
	}
	return s.msg(c, http.StatusOK, sv)
}

// submissionLimits are the hourly limits a new submission must fit: per
// email address, and per client IP (campaign.DefaultIPLimit, or the limit
// of the campaign's tabling event running now). The store counts and
// writes atomically, so parallel requests cannot overshoot them.
func (s *Server) submissionLimits(ctx context.Context, campaignID int64, emailIdx, ipHash string) ([]store.SubmissionLimit, error) {
	hourAgo := s.deps.Now().Add(-time.Hour)
	ipLimit := campaign.DefaultIPLimit
	if n, ok, err := s.deps.Store.TablingIPLimit(ctx, campaignID, s.deps.Now()); err != nil {
		return nil, err
	} else if ok {
		ipLimit = n
	}
	return []store.SubmissionLimit{
		{Column: "ip_hash", Value: ipHash, Max: int64(ipLimit), Since: hourAgo},
		{Column: "email_index", Value: emailIdx, Max: campaign.MaxPerEmailHour, Since: hourAgo},
	}, nil
}

// actionConfirmPage is GET /c/:slug/confirm?t=: a button, not an action,
// so that mail scanners that open links confirm nothing.
func (s *Server) actionConfirmPage(c echo.Context) error {
	lang := langOf(c)
	token := c.QueryParam("t")
	if _, err := s.signer().Verify("confirm", token, s.deps.Now()); err != nil {
		return s.badLink(c, err)
	}
	return s.msg(c, http.StatusOK, msgView{Title: lang.T("act.confirm_title"), Text: lang.T("act.confirm_text"),
		Form: &confirmForm{Action: "/c/" + c.Param("slug") + "/confirm", Token: token, Button: lang.T("act.confirm_button")}})
}

func (s *Server) badLink(c echo.Context, err error) error {
	if errors.Is(err, action.ErrExpiredToken) {
		return s.message(c, http.StatusGone, "link_expired")
	}
	return s.message(c, http.StatusBadRequest, "link_bad")
}

// actionConfirm is POST /c/:slug/confirm: the letters are created and
// handed to delivery in one transaction, with the opt-in request and the
// job that emails the supporter a copy (supportermail); a second
// confirmation does nothing more. The usual path is one transaction: the
// campaign and the release come from the caches, and the submission is
// changed and read back in one statement.
func (s *Server) actionConfirm(c echo.Context) error {
	lang := langOf(c)
	ctx := c.Request().Context()
	val, err := s.signer().Verify("confirm", c.FormValue("t"), s.deps.Now())
	if err != nil {
		return s.badLink(c, err)
	}
	subID, _ := strconv.ParseInt(val, 10, 64)
	lc, err := s.loadConstituent(c)
	if err != nil {
		return err
	}
	if mode, status := s.campaignMode(lc); mode != "form" {
		return s.confirmUnavailable(c, subID, lc, status)
	}
	rel, err := s.cachedRelease(ctx)
	if err != nil {
		return err
	}
	var mail []string // the supporter's emails: the copy, the opt-in request
	ids, err := s.deps.Store.Confirm(ctx, subID, store.Confirmation{CampaignID: lc.C.ID, Now: s.deps.Now(),
		Build: func(sub store.Submission, already map[string]bool) (store.Confirmed, error) {
			var ss action.Sealed
			if err := s.deps.Keys.OpenJSON(sub.Sealed, action.SubmissionAAD(sub.ID), &ss); err != nil {
				return store.Confirmed{}, err
			}
			res, err := s.deps.Congress.LookupZIP(ss.Form.ZIP)
			if err != nil {
				return store.Confirmed{}, err
			}
			rcp, err := action.ChooseRecipients(s.deps.Congress, res, ss.Form, lc.C.Targets)
			if err != nil {
				return store.Confirmed{}, err
			}
			// The letters sealed with the submission are stored as they
			// were sent; an office they do not cover (the directory
			// changed since, or a submission sealed before letters were)
			// gets its letter rendered now.
			sent := map[string]action.SealedLetter{}
			for _, sl := range ss.Letters {
				sent[sl.BioguideID] = sl
			}
			var out store.Confirmed
			mail = nil
			for _, m := range rcp.Members {
				if already[m.BioguideID] {
					continue // the thank-you page names it (thanksView)
				}
				if sl, ok := sent[m.BioguideID]; ok {
					out.Letters = append(out.Letters, s.newLetter(lc, sub, m, sl.Letter, sl.ReleaseID, sl.TemplateVersion))
					continue
				}
				l, err := s.renderLetter(ctx, lc, m, ss.Form, rel)
				if err != nil {
					return store.Confirmed{}, err
				}
				out.Letters = append(out.Letters, s.newLetter(lc, sub, m, l.Message.Sealed(), rel.ID, lc.C.TemplateVersion))
			}
			if len(out.Letters) > 0 {
				mail = append(mail, supportermail.KindCopy)
			}
			if ss.Form.OptIn {
				sealed, err := s.deps.Keys.SealJSON(map[string]string{"email": ss.Form.Email, "first_name": ss.Form.FirstName, "last_name": ss.Form.LastName},
					action.OptInAAD(sub.EmailIndex))
				if err != nil {
					return store.Confirmed{}, err
				}
				// the supporter list filters by state, House district and
				// source: the supporter's own House seat (whether or not the
				// campaign writes to it) says which district
				out.OptIn = &store.OptInRequest{Sealed: sealed, Lang: string(lang), State: ss.Form.State, Source: sub.Source}
				for _, m := range rcp.Own {
					if m.Chamber == congress.House && m.District != nil {
						d := *m.District
						out.OptIn.District = &d
					}
				}
				for _, vac := range rcp.Vacancies {
					if vac.District != nil {
						d := *vac.District
						out.OptIn.District = &d
					}
				}
				mail = append(mail, supportermail.KindOptIn)
			}
			out.Mail, out.MailLang = mail, string(lang)
			return out, nil
		},
		Jobs: func(ctx context.Context, tx *sql.Tx, sub store.Submission, letterIDs []int64) error {
			if s.deps.Jobs == nil {
				return nil
			}
			params := append(dispatch.JobParams(letterIDs), supportermail.JobParams(sub.ID, mail...)...)
			if len(params) == 0 {
				return nil // every office had this email's letter already
			}
			_, err := s.deps.Jobs.InsertManyTx(ctx, tx, params)
			return err
		}})
	if errors.Is(err, store.ErrAlreadyDone) {
		return s.message(c, http.StatusOK, "already_confirmed")
	}
	if errors.Is(err, store.ErrNotFound) {
		return s.badLink(c, action.ErrBadToken)
	}
	if err != nil {
		return err
	}
	s.log.Info("submission confirmed", "campaign", lc.C.ID, "letters", len(ids))
	v, err := s.thanksView(c, lc, subID)
	if err != nil {
		return err
	}
	return s.msg(c, http.StatusOK, v)
}

// confirmUnavailable answers a confirmation on a campaign that takes no
// letters now (paused, closed, not yet open): a bad or used link says so
// first, as on an open campaign.
func (s *Server) confirmUnavailable(c echo.Context, subID int64, lc liveCampaign, status string) error {
	sub, err := s.deps.Store.SubmissionByID(c.Request().Context(), subID)
	if errors.Is(err, store.ErrNotFound) {
		return s.badLink(c, action.ErrBadToken)
	}
	if err != nil {
		return err
	}
	if sub.Status == "erased" || lc.C.ID != sub.CampaignID {
		return s.badLink(c, action.ErrBadToken)
	}
	if sub.Status == "confirmed" {
		return s.message(c, http.StatusOK, "already_confirmed")
	}
	return s.message(c, http.StatusConflict, "unavailable_"+status)
}

// newLetter builds the stored form of one letter to member m: its parts,
// sender and office (sealed), the release it quotes (0: none) and the
// template version it was rendered from.
func (s *Server) newLetter(lc liveCampaign, sub store.Submission, m *congress.Member, sealed delivery.Sealed, releaseID int64, templateVer int) store.NewLetter {
	office := sealed.Office
	var relID *int64 // only a letter that quotes figures records their release
	if releaseID != 0 && (sealed.Citation != "" || lc.Compiled.QuotesRelease()) {
		relID = &releaseID
	}
	if templateVer == 0 {
		templateVer = lc.C.TemplateVersion
	}
	return store.NewLetter{
		CampaignID: lc.C.ID, SubmissionID: sub.ID, BioguideID: m.BioguideID, OfficeCode: office.Code, Chamber: office.Chamber,
		State: m.State, District: m.District, Party: m.Party, TemplateVer: templateVer, StatsReleaseID: relID,
		DeliveryID: delivery.NewDeliveryID(), ReplyToken: delivery.NewReplyToken(),
		Seal: func(id int64) (string, error) { return s.deps.Keys.SealJSON(sealed, delivery.LetterAAD(id)) },
	}
}

// --- opt-in, unsubscribe, delete my data ---

func (s *Server) tokenPage(c echo.Context, purpose, title, text, button, action string) error {
	token := c.QueryParam("t")
	if _, err := s.signer().Verify(purpose, token, s.deps.Now()); err != nil {
		return s.badLink(c, err)
	}
	return s.msg(c, http.StatusOK, msgView{Title: title, Text: text, Form: &confirmForm{Action: action, Token: token, Button: button}})
}

func (s *Server) optinPage(c echo.Context) error {
	l := langOf(c)
	return s.tokenPage(c, "optin", l.T("act.optin_title"), l.T("act.optin_text", s.deps.OrgName), l.T("act.optin_button"), "/optin")
}

func (s *Server) optin(c echo.Context) error {
	idx, err := s.signer().Verify("optin", c.FormValue("t"), s.deps.Now())
	if err != nil {
		return s.badLink(c, err)
	}
	if err := s.deps.Store.ConfirmOptIn(c.Request().Context(), idx); errors.Is(err, store.ErrNotFound) {
		return s.badLink(c, action.ErrBadToken)
	} else if err != nil {
		return err
	}
	return s.message(c, http.StatusOK, "optin_done")
}

func (s *Server) unsubscribePage(c echo.Context) error {
	l := langOf(c)
	return s.tokenPage(c, "unsub", l.T("act.unsub_title"), l.T("act.unsub_text"), l.T("act.unsub_button"), "/u")
}

// unsubscribe is POST /u: the page's button, or a mail client's RFC 8058
// one-click request (List-Unsubscribe=One-Click in the body). It is
// exempt from CSRF: the signed token is the proof.
func (s *Server) unsubscribe(c echo.Context) error {
	token := c.QueryParam("t")
	if token == "" {
		token = c.FormValue("t")
	}
	v, err := s.signer().Verify("unsub", token, s.deps.Now())
	if err != nil {
		return s.badLink(c, err)
	}
	// A link from a mobilization email says which: the mailing counts
	// the supporters it took off the list.
	idx, mailingID := action.ParseUnsubValue(v)
	if err := s.deps.Store.UnsubscribeVia(c.Request().Context(), idx, "unsubscribe", mailingID); err != nil {
		return err
	}
	return s.message(c, http.StatusOK, "unsub_done")
}

func (s *Server) forgetPage(c echo.Context) error {
	l := langOf(c)
	return s.tokenPage(c, "forget", l.T("act.forget_title"), l.T("act.forget_text"), l.T("act.forget_button"), "/forget")
}

func (s *Server) forget(c echo.Context) error {
	idx, err := s.signer().Verify("forget", c.FormValue("t"), s.deps.Now())
	if err != nil {
		return s.badLink(c, err)
	}
	ctx := c.Request().Context()
	if _, err := s.deps.Store.EraseSupporter(ctx, idx, store.Audit{Action: "supporter.erase"}); err != nil {
		return err
	}
	// Stop all email too: a deleted supporter must not hear from us again.
	if err := s.deps.Store.Unsubscribe(ctx, idx, "erased"); err != nil {
		return err
	}
	return s.message(c, http.StatusOK, "forget_done")
}
