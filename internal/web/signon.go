package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/i18n"
	"github.com/outreach-org/outreach/internal/signon"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/supportermail"
)

// Coalition sign-on letters: the public page of a sign-on campaign (the
// letter, the approved signatories, the form), the confirmation link, the
// staff page that reviews signatories and delivers the letter, and their
// API.

func (s *Server) signOnRoutes(root, adm, api *echo.Group) {
	s.public(root, http.MethodPost, "/c/:slug/sign", s.signOnSubmit)
	// Inside an iframe on the organization's site the session cookie is
	// not sent (SameSite=Lax), so the embedded form posts here, with the
	// embed's own form token instead (embedded).
	s.public(root, http.MethodPost, "/c/:slug/embed/sign", s.embedded(s.signOnSubmit))
	s.public(root, http.MethodGet, "/c/:slug/sign/confirm", s.signOnConfirmPage)
	s.public(root, http.MethodPost, "/c/:slug/sign/confirm", s.signOnConfirm)
	s.public(api, http.MethodGet, "/signon/:slug", s.apiSignOnPublic)

	s.staff(adm, http.MethodGet, "/campaigns/:id/signatories", auth.PermViewCampaigns, s.signatoriesPage)
	s.staff(adm, http.MethodPost, "/campaigns/:id/signatories/:sid", auth.PermEditCampaigns, s.signatoryReview)
	s.staff(adm, http.MethodPost, "/campaigns/:id/signatories/:sid/merge", auth.PermEditCampaigns, s.signatoryMerge)
	s.staff(adm, http.MethodPost, "/campaigns/:id/signon/schedule", auth.PermManageDelivery, s.signOnSchedule)
	s.staff(adm, http.MethodPost, "/campaigns/:id/signon/deliver", auth.PermManageDelivery, s.signOnDeliver)

	s.staff(api, http.MethodGet, "/campaigns/:id/signatories", auth.PermViewCampaigns, s.apiSignatories)
	s.staff(api, http.MethodPost, "/campaigns/:id/signatories/:sid", auth.PermEditCampaigns, s.apiSignatoryReview)
	s.staff(api, http.MethodPost, "/campaigns/:id/signon/deliver", auth.PermManageDelivery, s.apiSignOnDeliver)
}

// --- the public page ---

// signOnView is the public page of a sign-on letter.
type signOnView struct {
	Campaign  campaign.Campaign
	Title     string
	Summary   string
	CallToAct string
	// Mode is "form" while organizations can sign, else "unavailable"
	// with Status closed, paused or not_yet.
	Mode, Status string
	ClosesAt     string // "December 20, 2026 17:00" (UTC), "" when none
	Offices      []string
	Subject      string
	Letter       string // as the first office receives it, without the list
	Spanish      bool
	Count        int64
	Signatories  []publicSignatory
	Delivered    string // the date it was delivered, "" when not yet
	DeliveredN   int
	Form         signon.Form
	Errors       map[string]string
	ErrorList    []summaryItem
	Problem      string
	States       []stateOption
	Focus        bool
	// Base and Q are where the form posts: the campaign page, or inside
	// an iframe its embedded form (flowBase). Stale: the embedded form's
	// token no longer fits (nothing was kept; the form is shown again).
	Base, Q string
	Stale   bool
}

// publicSignatory is what the page and the public API show of a
// signatory: never the contact.
type publicSignatory struct {
	Organization string `json:"organization"`
	City         string `json:"city"`
	State        string `json:"state"`
}

// langRepost sends the form again in the other language with what was
// typed (a form with errors keeps them).
func (v signOnView) langRepost() *repost {
	if v.Mode != "form" || (len(v.Errors) == 0 && v.Problem == "") {
		return nil
	}
	f := v.Form
	rp := &repost{Action: "/c/" + v.Campaign.Slug + "/sign"}
	for _, kv := range [][2]string{{"organization", f.Organization}, {"city", f.City}, {"state", f.State},
		{"contact_name", f.ContactName}, {"email", f.Email}, {"org_website", f.Website}} {
		rp.Fields = append(rp.Fields, hiddenField{kv[0], kv[1]})
	}
	return rp
}

// signOnMode is whether organizations can sign now: the campaign's status
// and its closing date (EndsAt), and never after the letter was delivered.
func (s *Server) signOnMode(lc liveCampaign, d store.SignOnDelivery) (mode, status string) {
	if d.DeliveredAt != nil {
		return "unavailable", "closed"
	}
	return s.campaignMode(lc)
}

func (s *Server) signOnView(c echo.Context, lc liveCampaign) (signOnView, error) {
	ctx := c.Request().Context()
	lang := langOf(c)
	v := signOnView{Campaign: lc.C, Title: lc.title(lang), Summary: lc.C.SummaryEN, CallToAct: lc.C.CallToActionEN, Spanish: lang == i18n.Spanish}
	v.Base, v.Q = flowBase(c, lc.C.Slug)
	if lang == i18n.Spanish {
		if lc.C.SummaryES != "" {
			v.Summary = lc.C.SummaryES
		}
		if lc.C.CallToActionES != "" {
			v.CallToAct = lc.C.CallToActionES
		}
	}
	v.States = stateOptions(lang)
	d, err := s.deps.Store.SignOnDeliveryOf(ctx, lc.C.ID)
	if err != nil {
		return v, err
	}
	v.Mode, v.Status = s.signOnMode(lc, d)
	if lc.C.EndsAt != nil {
		v.ClosesAt = lc.C.EndsAt.UTC().Format("2006-01-02 15:04")
	}
	if d.DeliveredAt != nil {
		v.Delivered, v.DeliveredN = d.DeliveredAt.UTC().Format("2006-01-02"), d.Signatories
	}
	approved, err := s.deps.Store.Signatories(ctx, lc.C.ID, store.SignApproved)
	if err != nil {
		return v, err
	}
	v.Count = int64(len(approved))
	for _, a := range approved {
		v.Signatories = append(v.Signatories, publicSignatory{Organization: a.Organization, City: a.City, State: a.State})
	}
	offices := lc.C.Targets.SignOnOffices(s.deps.Congress)
	for _, m := range offices {
		label := lang.TG("lookup.title."+m.Title, m.Gender) + " " + m.Name
		if seats := seatLabels(s.deps.Congress, s.seatsFor(lc.C.Targets, m), lang); seats != "" {
			label += " (" + seats + ")"
		}
		v.Offices = append(v.Offices, label)
	}
	if len(offices) > 0 && lc.Compiled.Letter != nil {
		rel, err := s.cachedRelease(ctx)
		if err != nil {
			return v, err
		}
		m := offices[0]
		msg, err := signon.Render(ctx, lc.Compiled, lc.C, m, s.seatsFor(lc.C.Targets, m), rel, s.deps.Now(), s.deps.OrgName,
			s.citation(lc.Compiled, lc.C, rel), nil)
		if err == nil {
			comp := delivery.Compose(msg, delivery.NoSender)
			v.Subject, v.Letter = comp.Subject, joinNonEmpty(comp.Letter(), comp.StatementText())
		}
	}
	return v, nil
}

func joinNonEmpty(parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, "\n\n")
}

// signOnPage renders the public page (GET /c/:slug of a sign-on campaign).
func (s *Server) signOnPage(c echo.Context, status int, v signOnView) error {
	v.Focus = c.Request().Method == http.MethodPost
	v.ErrorList = nil
	lang := langOf(c)
	for _, f := range signon.Fields {
		if msg, ok := v.Errors[f.Name]; ok {
			if !strings.HasPrefix(msg, lang.T("sign.err.required."+f.Name)) {
				msg = lang.T("act.err.named", lang.T(f.Label), msg)
			}
			v.ErrorList = append(v.ErrorList, summaryItem{Field: f.Name, Message: msg})
		}
	}
	c.Set(privacyOverride, "footer.privacy_signon")
	return s.render(c, status, "signon", v, true)
}

// signOnBytes is the page as the page cache keeps it.
func (s *Server) signOnBytes(c echo.Context, lc liveCampaign) ([]byte, error) {
	v, err := s.signOnView(c, lc)
	if err != nil {
		return nil, err
	}
	c.Set(privacyOverride, "footer.privacy_signon")
	return s.renderBytes(c, "signon", v, true, csrfSlot)
}

// privacyOverride names the footer's privacy sentence for a page whose
// route (/c/:slug) is shared with the constituent campaign page.
const privacyOverride = "privacy_key"

// loadSignOn is the live sign-on campaign of the page.
func (s *Server) loadSignOn(c echo.Context) (liveCampaign, error) {
	lc, err := s.loadLive(c)
	if err != nil {
		return lc, err
	}
	if !lc.C.Organizational() {
		return liveCampaign{}, store.ErrNotFound
	}
	return lc, nil
}

// signOnSubmit is POST /c/:slug/sign: the organization's signature is
// stored (unconfirmed) with its confirmation email; a form with errors
// comes back with what was typed.
func (s *Server) signOnSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	lang := langOf(c)
	lc, err := s.loadSignOn(c)
	if err != nil {
		return err
	}
	v, err := s.signOnView(c, lc)
	if err != nil {
		return err
	}
	f := signon.Form{Organization: c.FormValue("organization"), City: c.FormValue("city"), State: c.FormValue("state"),
		ContactName: c.FormValue("contact_name"), Email: c.FormValue("email"), Website: c.FormValue("org_website")}
	f.Normalize()
	v.Form = f
	if v.Mode != "form" {
		return s.signOnPage(c, http.StatusConflict, v)
	}
	if embedStale(c) { // the embedded form's token: nothing is kept
		v.Stale = true
		return s.signOnPage(c, http.StatusOK, v)
	}
	// A bot fills the field people never see: told it worked, nothing kept.
	if strings.TrimSpace(c.FormValue("website")) != "" {
		s.log.Info("honeypot triggered", "route", c.Path())
		return s.msg(c, http.StatusOK, s.signOnSent(c, lc, f))
	}
	if errs := f.Validate(); len(errs) > 0 {
		v.Errors = map[string]string{}
		for k, key := range errs {
			v.Errors[k] = lang.T(key)
		}
		v.Problem = lang.T("sign.problem")
		return s.signOnPage(c, http.StatusUnprocessableEntity, v)
	}
	emailIdx := s.deps.Keys.Index("email", f.Email)
	if sup, err := s.deps.Store.IsSuppressed(ctx, emailIdx); err != nil {
		return err
	} else if sup {
		return s.message(c, http.StatusOK, "suppressed")
	}
	ipHash := s.deps.Keys.HashIP(c.RealIP())
	limits, err := s.submissionLimits(ctx, lc.C.ID, emailIdx, ipHash)
	if err != nil {
		return err
	}
	sig := store.Signatory{Organization: f.Organization, City: f.City, State: f.State, Website: f.Website,
		NameKey: signon.NameKey(f.Organization), SiteKey: signon.SiteKey(f.Website)}
	if d := signon.OrgDomain(f.Email); d != "" {
		sig.DomainIndex = s.deps.Keys.Index("domain", d)
	}
	var enqueue store.MailEnqueue
	if s.deps.Jobs != nil {
		enqueue = supportermail.Enqueue(s.deps.Jobs)
	}
	_, err = s.deps.Store.CreateSignatory(ctx, store.Submission{CampaignID: lc.C.ID, EmailIndex: emailIdx, Lang: string(lang), IPHash: ipHash, CreatedAt: s.deps.Now()},
		func(id int64) (string, error) {
			return s.deps.Keys.SealJSON(action.Sealed{Form: action.Form{FirstName: f.ContactName, Email: f.Email}, Lang: string(lang)}, action.SubmissionAAD(id))
		}, sig, enqueue, limits...)
	if le := (*store.LimitError)(nil); errors.As(err, &le) {
		s.deps.Metrics.Throttled("signon")
		return s.message(c, http.StatusTooManyRequests, "slow_down")
	}
	if err != nil {
		return err
	}
	s.log.Info("sign-on received", "campaign", lc.C.ID)
	return s.msg(c, http.StatusOK, s.signOnSent(c, lc, f))
}

func (s *Server) signOnSent(c echo.Context, lc liveCampaign, f signon.Form) msgView {
	lang := langOf(c)
	return msgView{Title: lang.T("sign.sent_title"), Text: lang.T("sign.sent_text", maskEmail(f.Email), f.Organization),
		Back: "/c/" + lc.C.Slug, Switch: "/c/" + lc.C.Slug}
}

// signOnConfirmPage is GET /c/:slug/sign/confirm?t=: a button, so that mail
// scanners that open links confirm nothing.
func (s *Server) signOnConfirmPage(c echo.Context) error {
	lang := langOf(c)
	token := c.QueryParam("t")
	val, err := s.signer().Verify(signon.ConfirmPurpose, token, s.deps.Now())
	if err != nil {
		return s.badLink(c, err)
	}
	id, _ := strconv.ParseInt(val, 10, 64)
	sig, err := s.deps.Store.SignatoryBySubmission(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return s.badLink(c, action.ErrBadToken)
	}
	if err != nil {
		return err
	}
	return s.msg(c, http.StatusOK, msgView{Title: lang.T("sign.confirm_title"), Text: lang.T("sign.confirm_text", sig.Organization),
		Form: &confirmForm{Action: "/c/" + c.Param("slug") + "/sign/confirm", Token: token, Button: lang.T("sign.confirm_button")}})
}

// signOnConfirm is POST /c/:slug/sign/confirm: the signature is confirmed
// and waits for staff. A closed letter takes no confirmation.
func (s *Server) signOnConfirm(c echo.Context) error {
	lang := langOf(c)
	ctx := c.Request().Context()
	val, err := s.signer().Verify(signon.ConfirmPurpose, c.FormValue("t"), s.deps.Now())
	if err != nil {
		return s.badLink(c, err)
	}
	subID, _ := strconv.ParseInt(val, 10, 64)
	lc, err := s.loadSignOn(c)
	if err != nil {
		return err
	}
	d, err := s.deps.Store.SignOnDeliveryOf(ctx, lc.C.ID)
	if err != nil {
		return err
	}
	if mode, _ := s.signOnMode(lc, d); mode != "form" {
		v, err := s.signOnView(c, lc)
		if err != nil {
			return err
		}
		return s.signOnPage(c, http.StatusConflict, v)
	}
	sig, err := s.deps.Store.ConfirmSignatory(ctx, lc.C.ID, subID, s.deps.Now())
	switch {
	case errors.Is(err, store.ErrAlreadyDone):
		return s.msg(c, http.StatusOK, msgView{Title: lang.T("sign.confirmed_title"), Text: lang.T("sign.already_confirmed"), Back: "/c/" + lc.C.Slug})
	case errors.Is(err, store.ErrNotFound):
		return s.badLink(c, action.ErrBadToken)
	case err != nil:
		return err
	}
	s.log.Info("sign-on confirmed", "campaign", lc.C.ID, "signatory", sig.ID)
	return s.msg(c, http.StatusOK, msgView{Title: lang.T("sign.confirmed_title"), Text: lang.T("sign.confirmed_text", sig.Organization),
		Back: "/c/" + lc.C.Slug, Switch: "/c/" + lc.C.Slug})
}

// --- staff ---

// signatoryView is one signatory on the staff page.
type signatoryView struct {
	store.Signatory
	Contact, Email string // "" when the viewer may not see personal data
	// Duplicates names the other signatories with the same normalised
	// name, website or organisational email domain, and why.
	Duplicates []duplicateView
	MergedName string
}

type duplicateView struct {
	ID           int64
	Organization string
	Why          string
}

type signatoriesView struct {
	Campaign    campaign.Campaign
	Counts      map[string]int
	Groups      []signatoryGroup
	Delivery    store.SignOnDelivery
	Offices     []string
	DeliverAt   string // form value
	CanEdit     bool
	CanDeliver  bool
	ClosesAt    string
	Closed      bool
	SeesContact bool
	Total       int // signatories in every status
}

type signatoryGroup struct {
	Status string
	Label  string // the status as a heading says it
	Items  []signatoryView
}

// signatoryGroupLabels say what each status means to the reviewer.
var signatoryGroupLabels = map[string]string{
	store.SignPending: "Pending review", store.SignApproved: "Approved", store.SignUnconfirmed: "Unconfirmed (the email link not yet opened)",
	store.SignRejected: "Rejected", store.SignMerged: "Merged into another",
}

func (s *Server) signOnCampaign(c echo.Context) (campaign.Campaign, error) {
	id, err := paramID(c, "id")
	if err != nil {
		return campaign.Campaign{}, err
	}
	camp, err := s.deps.Store.Campaign(c.Request().Context(), id)
	if err != nil {
		return camp, err
	}
	if !camp.Organizational() {
		return camp, store.ErrNotFound
	}
	return camp, nil
}

// signatoryViews opens the contacts (when allowed) and finds duplicates.
func (s *Server) signatoryViews(ctx context.Context, all []store.Signatory, contact bool) ([]signatoryView, error) {
	out := make([]signatoryView, len(all))
	names := map[int64]string{}
	for _, x := range all {
		names[x.ID] = x.Organization
	}
	for i, x := range all {
		v := signatoryView{Signatory: x}
		if x.MergedInto != nil {
			v.MergedName = names[*x.MergedInto]
		}
		if contact {
			sub, err := s.deps.Store.SubmissionByID(ctx, x.SubmissionID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
			if sub.Sealed != "" {
				var ss action.Sealed
				if err := s.deps.Keys.OpenJSON(sub.Sealed, action.SubmissionAAD(sub.ID), &ss); err != nil {
					return nil, err
				}
				v.Contact, v.Email = ss.Form.FirstName, ss.Form.Email
			} else {
				v.Contact = "(deleted at the contact's request)"
			}
		}
		if x.Status != store.SignMerged && x.Status != store.SignRejected {
			for _, y := range all {
				if y.ID == x.ID || y.Status == store.SignMerged || y.Status == store.SignRejected {
					continue
				}
				var why []string
				if x.NameKey != "" && x.NameKey == y.NameKey {
					why = append(why, "same name")
				}
				if x.SiteKey != "" && x.SiteKey == y.SiteKey {
					why = append(why, "same website")
				}
				if x.DomainIndex != "" && x.DomainIndex == y.DomainIndex {
					why = append(why, "same email domain")
				}
				if len(why) > 0 {
					v.Duplicates = append(v.Duplicates, duplicateView{ID: y.ID, Organization: y.Organization, Why: strings.Join(why, ", ")})
				}
			}
		}
		out[i] = v
	}
	return out, nil
}

func (s *Server) signatoriesPage(c echo.Context) error {
	ctx := c.Request().Context()
	camp, err := s.signOnCampaign(c)
	if err != nil {
		return err
	}
	u := currentUser(c)
	all, err := s.deps.Store.Signatories(ctx, camp.ID)
	if err != nil {
		return err
	}
	views, err := s.signatoryViews(ctx, all, u.Role.Can(auth.PermViewPersonalData))
	if err != nil {
		return err
	}
	d, err := s.deps.Store.SignOnDeliveryOf(ctx, camp.ID)
	if err != nil {
		return err
	}
	v := signatoriesView{Campaign: camp, Counts: map[string]int{}, Delivery: d, CanEdit: u.Role.Can(auth.PermEditCampaigns),
		CanDeliver: u.Role.Can(auth.PermManageDelivery), SeesContact: u.Role.Can(auth.PermViewPersonalData), Total: len(views)}
	for _, st := range store.SignatoryStatuses {
		g := signatoryGroup{Status: st, Label: signatoryGroupLabels[st]}
		for _, x := range views {
			if x.Status == st {
				g.Items = append(g.Items, x)
			}
		}
		v.Counts[st] = len(g.Items)
		v.Groups = append(v.Groups, g)
	}
	for _, m := range camp.Targets.SignOnOffices(s.deps.Congress) {
		v.Offices = append(v.Offices, m.Title+" "+m.Name)
	}
	if d.DeliverAt != nil {
		v.DeliverAt = d.DeliverAt.UTC().Format(formTime)
	}
	if camp.EndsAt != nil {
		v.ClosesAt = camp.EndsAt.UTC().Format("2006-01-02 15:04")
		v.Closed = !s.deps.Now().Before(*camp.EndsAt)
	}
	return s.render(c, http.StatusOK, "signatories", v, false)
}

func (s *Server) backToSignatories(c echo.Context, id int64, msg string) error {
	flash(c, msg)
	return c.Redirect(http.StatusSeeOther, "/admin/campaigns/"+strconv.FormatInt(id, 10)+"/signatories")
}

// reviewError turns the store's refusals into a 409 with their text.
func reviewError(err error) error {
	var st *store.ErrSignatoryState
	var ref *signon.Refusal
	switch {
	case errors.Is(err, store.ErrSignOnDelivered), errors.As(err, &st), errors.As(err, &ref):
		return echo.NewHTTPError(http.StatusConflict, err.Error())
	case errors.Is(err, store.ErrAlreadyDone):
		return echo.NewHTTPError(http.StatusConflict, store.ErrSignOnDelivered.Error())
	}
	return err
}

func (s *Server) signatoryReview(c echo.Context) error {
	camp, err := s.signOnCampaign(c)
	if err != nil {
		return err
	}
	sid, err := paramID(c, "sid")
	if err != nil {
		return err
	}
	status := c.FormValue("status")
	if status != store.SignApproved && status != store.SignRejected && status != store.SignPending {
		return echo.NewHTTPError(http.StatusBadRequest, "status must be approved, rejected or pending")
	}
	sig, err := s.deps.Store.ReviewSignatory(c.Request().Context(), camp.ID, sid, status, store.Audit{ActorID: currentUser(c).ID})
	if err != nil {
		return reviewError(err)
	}
	return s.backToSignatories(c, camp.ID, sig.Organization+": "+status+".")
}

func (s *Server) signatoryMerge(c echo.Context) error {
	camp, err := s.signOnCampaign(c)
	if err != nil {
		return err
	}
	dup, err := paramID(c, "sid")
	if err != nil {
		return err
	}
	keep, err := strconv.ParseInt(c.FormValue("into"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "into: choose the signatory to keep")
	}
	if err := s.deps.Store.MergeSignatories(c.Request().Context(), camp.ID, keep, dup, store.Audit{ActorID: currentUser(c).ID}); err != nil {
		return reviewError(err)
	}
	return s.backToSignatories(c, camp.ID, "Merged: the duplicate leaves the list; the signatory kept is unchanged.")
}

func (s *Server) signOnSchedule(c echo.Context) error {
	camp, err := s.signOnCampaign(c)
	if err != nil {
		return err
	}
	var at *time.Time
	if v := strings.TrimSpace(c.FormValue("deliver_at")); v != "" {
		t, err := time.ParseInLocation(formTime, v, time.UTC)
		if err != nil {
			return echo.NewHTTPError(http.StatusUnprocessableEntity, "deliver_at: enter a date and time like 2026-12-21T09:00 (UTC)")
		}
		if camp.EndsAt != nil && t.Before(*camp.EndsAt) {
			return echo.NewHTTPError(http.StatusUnprocessableEntity, "deliver_at: must be at or after the closing date ("+camp.EndsAt.UTC().Format("2006-01-02 15:04")+" UTC), so that every organization could sign")
		}
		at = &t
	}
	if err := s.deps.Store.ScheduleSignOn(c.Request().Context(), camp.ID, at, store.Audit{ActorID: currentUser(c).ID}); err != nil {
		return reviewError(err)
	}
	if at == nil {
		return s.backToSignatories(c, camp.ID, "The scheduled delivery is cancelled.")
	}
	return s.backToSignatories(c, camp.ID, "The letter will be delivered at "+at.Format("2006-01-02 15:04")+" UTC.")
}

// deliverer writes a sign-on letter's letters for this server.
func (s *Server) deliverer() *signon.Deliverer {
	return &signon.Deliverer{Store: s.deps.Store, Keys: s.deps.Keys, Congress: s.deps.Congress, OrgName: s.deps.OrgName,
		StatsURL: s.absURL("/stats", nil), Enqueue: s.deps.Enqueue,
		Overseen: func(id string) bool { _, ok := i18n.English.Oversees(id); return ok }}
}

func (s *Server) signOnDeliver(c echo.Context) error {
	camp, err := s.signOnCampaign(c)
	if err != nil {
		return err
	}
	n, err := s.deps.Store.ApprovedCount(c.Request().Context(), camp.ID)
	if err != nil {
		return err
	}
	if ok, err := s.confirmed(c, confirmView{Title: "Deliver the letter now?",
		Lost: []string{fmt.Sprintf("Each of the %d targeted offices receives one letter listing the %d approved organizations.", len(camp.Targets.SignOnOffices(s.deps.Congress)), n),
			"The list is final: no organization can sign, be approved or be merged afterwards."},
		Action: c.Request().URL.Path, Button: "Deliver now", Cancel: "/admin/campaigns/" + strconv.FormatInt(camp.ID, 10) + "/signatories"}); !ok {
		return err
	}
	ids, err := s.deliverer().Deliver(c.Request().Context(), camp.ID, s.deps.Now(), store.Audit{ActorID: currentUser(c).ID})
	if err != nil {
		return reviewError(err)
	}
	return s.backToSignatories(c, camp.ID, fmt.Sprintf("Delivered: %d letters are on their way.", len(ids)))
}

// --- API ---

type signatoryJSON struct {
	ID           int64      `json:"id"`
	Organization string     `json:"organization"`
	City         string     `json:"city"`
	State        string     `json:"state"`
	Website      string     `json:"website"`
	Status       string     `json:"status"`
	MergedInto   *int64     `json:"merged_into"`
	Contact      *string    `json:"contact_name"`
	Email        *string    `json:"contact_email"`
	Duplicates   []int64    `json:"duplicates"`
	CreatedAt    time.Time  `json:"created_at"`
	ConfirmedAt  *time.Time `json:"confirmed_at"`
	ReviewedAt   *time.Time `json:"reviewed_at"`
}

type signOnDeliveryJSON struct {
	DeliverAt   *time.Time `json:"deliver_at"`
	DeliveredAt *time.Time `json:"delivered_at"`
	Signatories int        `json:"signatories"`
	Letters     int        `json:"letters"`
	Refused     string     `json:"refused"`
	RefusedAt   *time.Time `json:"refused_at"`
}

func deliveryJSONOf(d store.SignOnDelivery) signOnDeliveryJSON {
	return signOnDeliveryJSON{DeliverAt: d.DeliverAt, DeliveredAt: d.DeliveredAt, Signatories: d.Signatories, Letters: d.Letters,
		Refused: d.Refused, RefusedAt: d.RefusedAt}
}

func (s *Server) apiSignatories(c echo.Context) error {
	ctx := c.Request().Context()
	camp, err := s.signOnCampaign(c)
	if err != nil {
		return err
	}
	all, err := s.deps.Store.Signatories(ctx, camp.ID)
	if err != nil {
		return err
	}
	contact := currentUser(c).Role.Can(auth.PermViewPersonalData)
	views, err := s.signatoryViews(ctx, all, contact)
	if err != nil {
		return err
	}
	d, err := s.deps.Store.SignOnDeliveryOf(ctx, camp.ID)
	if err != nil {
		return err
	}
	out := struct {
		Signatories []signatoryJSON    `json:"signatories"`
		Delivery    signOnDeliveryJSON `json:"delivery"`
	}{Signatories: []signatoryJSON{}, Delivery: deliveryJSONOf(d)}
	for _, v := range views {
		j := signatoryJSON{ID: v.ID, Organization: v.Organization, City: v.City, State: v.State, Website: v.Website, Status: v.Status,
			MergedInto: v.MergedInto, Duplicates: []int64{}, CreatedAt: v.CreatedAt.UTC(), ConfirmedAt: v.ConfirmedAt, ReviewedAt: v.ReviewedAt}
		if contact {
			j.Contact, j.Email = &v.Contact, &v.Email
		}
		for _, d := range v.Duplicates {
			j.Duplicates = append(j.Duplicates, d.ID)
		}
		out.Signatories = append(out.Signatories, j)
	}
	return c.JSON(http.StatusOK, out)
}

// apiSignatoryReview is POST /api/v1/campaigns/:id/signatories/:sid with
// {"status": "approved"|"rejected"|"pending"} or {"merge_into": id}.
func (s *Server) apiSignatoryReview(c echo.Context) error {
	camp, err := s.signOnCampaign(c)
	if err != nil {
		return err
	}
	sid, err := paramID(c, "sid")
	if err != nil {
		return err
	}
	var in struct {
		Status    string `json:"status"`
		MergeInto int64  `json:"merge_into"`
	}
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "send {\"status\": \"approved\"}, {\"status\": \"rejected\"}, {\"status\": \"pending\"} or {\"merge_into\": id}")
	}
	a := store.Audit{ActorID: currentUser(c).ID}
	switch {
	case in.MergeInto != 0 && in.Status == "":
		if err := s.deps.Store.MergeSignatories(c.Request().Context(), camp.ID, in.MergeInto, sid, a); err != nil {
			return reviewError(err)
		}
	case in.Status == store.SignApproved || in.Status == store.SignRejected || in.Status == store.SignPending:
		if _, err := s.deps.Store.ReviewSignatory(c.Request().Context(), camp.ID, sid, in.Status, a); err != nil {
			return reviewError(err)
		}
	default:
		return &campaign.ValidationError{Object: "signatory review", Errors: []campaign.FieldError{{Field: "status",
			Message: "must be approved, rejected or pending (or send merge_into alone)"}}}
	}
	sig, err := s.deps.Store.Signatory(c.Request().Context(), camp.ID, sid)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, signatoryJSON{ID: sig.ID, Organization: sig.Organization, City: sig.City, State: sig.State, Website: sig.Website,
		Status: sig.Status, MergedInto: sig.MergedInto, Duplicates: []int64{}, CreatedAt: sig.CreatedAt.UTC(), ConfirmedAt: sig.ConfirmedAt, ReviewedAt: sig.ReviewedAt})
}

// apiSignOnDeliver is POST /api/v1/campaigns/:id/signon/deliver: 200 with
// the letters written, 409 when it was delivered before.
func (s *Server) apiSignOnDeliver(c echo.Context) error {
	camp, err := s.signOnCampaign(c)
	if err != nil {
		return err
	}
	ids, err := s.deliverer().Deliver(c.Request().Context(), camp.ID, s.deps.Now(), store.Audit{ActorID: currentUser(c).ID})
	if err != nil {
		return reviewError(err)
	}
	d, err := s.deps.Store.SignOnDeliveryOf(c.Request().Context(), camp.ID)
	if err != nil {
		return err
	}
	_ = ids
	return c.JSON(http.StatusOK, deliveryJSONOf(d))
}

// apiSignOnPublic is GET /api/v1/signon/:slug: what the public page shows.
func (s *Server) apiSignOnPublic(c echo.Context) error {
	lc, err := s.loadSignOn(c)
	if err != nil {
		return err
	}
	v, err := s.signOnView(c, lc)
	if err != nil {
		return err
	}
	sigs := v.Signatories
	if sigs == nil {
		sigs = []publicSignatory{}
	}
	var delivered *string
	if v.Delivered != "" {
		delivered = &v.Delivered
	}
	return c.JSON(http.StatusOK, struct {
		Slug        string            `json:"slug"`
		Title       string            `json:"title"`
		Open        bool              `json:"open"`
		ClosesAt    *time.Time        `json:"closes_at"`
		DeliveredOn *string           `json:"delivered_on"`
		Count       int64             `json:"count"`
		Signatories []publicSignatory `json:"signatories"`
	}{Slug: lc.C.Slug, Title: v.Title, Open: v.Mode == "form", ClosesAt: lc.C.EndsAt, DeliveredOn: delivered, Count: v.Count, Signatories: sigs})
}

// loadConstituent is the live constituent campaign of the page: a sign-on
// letter takes no supporter letters or calls (404).
func (s *Server) loadConstituent(c echo.Context) (liveCampaign, error) {
	lc, err := s.loadLive(c)
	if err == nil && lc.C.Organizational() {
		return liveCampaign{}, store.ErrNotFound
	}
	return lc, err
}
