package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/attribution"
	"github.com/outreach-org/outreach/internal/branding"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/casestats"
	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/geocode"
	"github.com/outreach-org/outreach/internal/i18n"
	"github.com/outreach-org/outreach/internal/letter"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/ttlcache"
)

func (s *Server) actionRoutes(root *echo.Group) {
	s.public(root, http.MethodGet, "/c/:slug", s.actionPage)
	s.public(root, http.MethodPost, "/c/:slug", s.actionReview)
	s.public(root, http.MethodPost, "/c/:slug/send", s.actionSend)
	s.public(root, http.MethodGet, "/c/:slug/confirm", s.actionConfirmPage)
	s.public(root, http.MethodPost, "/c/:slug/confirm", s.actionConfirm)
	s.public(root, http.MethodGet, "/optin", s.optinPage)
	s.public(root, http.MethodPost, "/optin", s.optin)
	s.public(root, http.MethodGet, "/u", s.unsubscribePage)
	s.public(root, http.MethodPost, "/u", s.unsubscribe)
	s.public(root, http.MethodGet, "/forget", s.forgetPage)
	s.public(root, http.MethodPost, "/forget", s.forget)
	s.afterRoutes(root)
}

// --- caches: the campaign page answers without a database round trip ---

// found is a cached value or its absence: the caches remember that a
// campaign does not exist (store.ErrNotFound) as well as what it is.
type found[T any] struct {
	v   T
	err error
}

// loadFound answers key from c or from load. Replicas may serve a value up
// to the cache's TTL old: campaigns and releases change rarely and a page
// that lags by seconds is fine. Database errors are not kept.
func loadFound[T any](ctx context.Context, c *ttlcache.Cache[string, found[T]], key string, load func(ctx context.Context) (T, error)) (T, error) {
	f, err := c.Load(ctx, key, func(ctx context.Context) (found[T], error) {
		v, err := load(ctx)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return found[T]{}, err
		}
		return found[T]{v, err}, nil
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return f.v, f.err
}

// liveCampaign is a campaign with its parsed letter.
type liveCampaign struct {
	C        campaign.Campaign
	Compiled *campaign.Compiled
	// CompiledES is the Spanish rendering of the letter (nil: none),
	// shown to Spanish readers beside the English letter; never sent.
	CompiledES *campaign.Compiled
}

// title is the campaign's title in lang.
func (lc liveCampaign) title(lang i18n.Lang) string {
	if lang == i18n.Spanish && lc.C.TitleES != "" {
		return lc.C.TitleES
	}
	return lc.C.Title
}

// release is the latest statistics release, or none (zero value): the
// StatSource letters are rendered from.
type release = campaign.Release

// renderLetter renders lc's letter for one office (action.Render) with
// the campaign's citation line.
func (s *Server) renderLetter(ctx context.Context, lc liveCampaign, m *congress.Member, f action.Form, rel release) (action.Letter, error) {
	l, err := action.Render(ctx, lc.Compiled, m, s.seatsFor(lc.C.Targets, m), f, rel, s.deps.Now(), s.deps.OrgName)
	if err != nil {
		return l, err
	}
	l.Citation = s.citation(lc.Compiled, lc.C, rel)
	return l, nil
}

// withCitation is a composed letter (delivery.Composed.Letter) with the
// citation line after it, as Compose places it.
func withCitation(letterText, citation string) string {
	if citation == "" {
		return letterText
	}
	return letterText + "\n\n" + citation
}

// citation is the line appended to a letter of campaign c quoting rel
// (campaign.Citation), or "" when the letter quotes no figure or the
// campaign turned the citation off (a synthetic release is always cited).
func (s *Server) citation(cp *campaign.Compiled, c campaign.Campaign, rel release) string {
	return cp.CitationFor(c, s.deps.OrgName, s.absURL("/stats", nil), rel)
}

func (s *Server) initActionCaches() {
	s.campaigns = ttlcache.New[string, found[liveCampaign]](15*time.Second, 1000, nil)
	s.releases = ttlcache.New[string, found[release]](15*time.Second, 1, nil)
	s.pageCache = ttlcache.New[string, []byte](5*time.Second, 500, nil)
	s.progress = ttlcache.New[int64, int64](30*time.Second, 1000, nil)
	s.brandings = ttlcache.New[struct{}, branding.Branding](brandingTTL, 1, nil)
}

// cachedCampaign is the campaign of slug with its compiled letter.
func (s *Server) cachedCampaign(ctx context.Context, slug string) (liveCampaign, error) {
	return loadFound(ctx, s.campaigns, slug, func(ctx context.Context) (liveCampaign, error) {
		c, err := s.deps.Store.CampaignBySlug(ctx, slug)
		if err != nil {
			return liveCampaign{}, err
		}
		cp, verr := campaign.CompileCampaign(c)
		if verr != nil {
			return liveCampaign{}, fmt.Errorf("campaign %d letter does not compile: %v", c.ID, verr)
		}
		lc := liveCampaign{C: c, Compiled: cp}
		if c.TemplateES != "" {
			subject := c.SubjectES
			if subject == "" {
				subject = c.Subject
			}
			// Validate refused a broken Spanish letter; one saved before
			// the rule is shown as missing rather than breaking the page.
			if es, err := campaign.Compile(subject, c.TemplateES, ""); err == nil {
				lc.CompiledES = es
			}
		}
		return lc, nil
	})
}

// cachedRelease is the latest statistics release, or none (zero value),
// as the supporter pages show it (cached; see latestRelease).
func (s *Server) cachedRelease(ctx context.Context) (release, error) {
	return loadFound(ctx, s.releases, "latest", func(ctx context.Context) (release, error) {
		r, err := s.deps.Store.LatestRelease(ctx)
		if errors.Is(err, store.ErrNotFound) {
			return release{}, nil
		}
		if err != nil {
			return release{}, err
		}
		return release{ID: r.ID, AsOf: r.CreatedAt, Synthetic: r.Synthetic, Figures: r.Figures}, nil
	})
}

// --- the page ---

type actionView struct {
	Mode     string // form, review, unavailable
	Campaign campaign.Campaign
	Title    string // the campaign's title in the page's language
	// Spanish: the page is in Spanish, so each letter (in English, as
	// the office receives it) has the campaign's Spanish rendering
	// beside it, or says there is none.
	Spanish bool
	// SpanishLetter: the campaign has a Spanish rendering of its letter.
	SpanishLetter bool
	Summary       string
	CallToAct     string
	Figures       []figureView
	// Committees says, for a campaign aimed at committees, whom the
	// letters go to and what each committee oversees.
	Committees []string
	AsOf       string
	Synthetic  bool
	Progress   int64
	Form       action.Form
	Errors     map[string]string // field -> message
	Problem    string            // a message above the form
	ErrorList  []summaryItem     // the errors in form order, each naming its field
	Prefixes   []prefixOption
	States     []stateOption
	Candidates []candidateView
	WhyChoose  string
	Letters    []letterView
	// Reviewed identifies the letters the review shows (reviewDigest);
	// the send form carries it back. Changed: the letters differ from
	// the ones the supporter was shown, so they are shown again.
	Reviewed  string
	Changed   bool
	Vacancies []string
	Already   []string // offices already written to by this email
	MaxNote   int
	Honeypot  string
	Status    string // for unavailable: draft, paused, closed, not yet
	// Focus: the page answers the form, so the review heading or the
	// error summary takes the focus (and the screen) as the page opens.
	Focus bool
	// Attr is the link that brought the supporter (?source=, utm_*),
	// carried as hidden fields through the review, the language switch
	// and the send, and kept on the submission.
	Attr attribution.Attribution
	// Base is where the flow's forms post (the campaign page or its
	// embedded form) and Q the query they carry (flowBase). Stale: an
	// embedded form's token did not match, so the step is shown again.
	Base, Q string
	Stale   bool
	// Meta: the link-preview tags of the campaign page (GET /c/{slug}).
	Meta *shareMeta
}

type figureView struct{ Label, Value string }

// summaryItem is one line of the error summary: the field's id and a
// message that names the field.
type summaryItem struct{ Field, Message string }

// prefixOption is one choice of how Congress addresses the supporter: the
// value offices receive (English) and its label in the page's language.
type prefixOption struct{ Value, Label string }

// formFields are the campaign form's fields in the order the page shows
// them, with their label keys: the error summary follows this order.
var formFields = []struct{ name, label string }{
	{"district", "act.choose_district"}, {"prefix", "act.prefix"}, {"first_name", "act.first_name"}, {"last_name", "act.last_name"},
	{"email", "act.email"}, {"address1", "act.address1"}, {"address2", "act.address2"}, {"city", "act.city"},
	{"state", "act.state"}, {"zip", "act.zip"}, {"phone", "act.phone"}, {"note", "act.note_label"},
}

// summarize orders v's errors as the form does; an entry names its field
// (a required field's message does already: "Enter your first name").
func summarize(v *actionView, lang i18n.Lang) {
	v.ErrorList = nil
	for _, f := range formFields {
		msg, ok := v.Errors[f.name]
		if !ok {
			continue
		}
		if !strings.HasPrefix(msg, lang.T("act.err.required."+f.name)) {
			msg = lang.T("act.err.named", lang.T(f.label), msg)
		}
		v.ErrorList = append(v.ErrorList, summaryItem{Field: f.name, Message: msg})
	}
}

// langRepost sends the form again in the other language: the review, the
// form with its errors, or the form as typed (edit) come back the same.
func (v actionView) langRepost() *repost {
	rp := &repost{Action: v.Base}
	if v.Mode == "unavailable" {
		return rp
	}
	f := v.Form
	for _, kv := range [][2]string{{"prefix", f.Prefix}, {"first_name", f.FirstName}, {"last_name", f.LastName}, {"email", f.Email},
		{"address1", f.Address1}, {"address2", f.Address2}, {"city", f.City}, {"state", f.State}, {"zip", f.ZIP}, {"phone", f.Phone},
		{"note", f.Note}, {"district", f.District}} {
		rp.Fields = append(rp.Fields, hiddenField{kv[0], kv[1]})
	}
	if f.OptIn {
		rp.Fields = append(rp.Fields, hiddenField{"optin", "on"})
	}
	for _, a := range v.Attr.Fields() {
		rp.Fields = append(rp.Fields, hiddenField{a.Name, a.Value})
	}
	if v.Mode == "form" && len(v.Errors) == 0 && v.Problem == "" {
		rp.Fields = append(rp.Fields, hiddenField{"edit", "1"})
	}
	return rp
}

type stateOption struct{ Code, Name string }

// letterView is one letter of the review: its delivered form
// (delivery.Compose with the full sender block), whose parts the page
// prints so that the text of its <pre> is Composed.Text() exactly.
type letterView struct {
	To, Subject, Letter, Sender, StatementHeading, Statement string
	// Why says why the office matters: its seats on the committees the
	// campaign names (or that oversee the organization's issue).
	Why []string
	// SubjectES and LetterES are the Spanish rendering (empty: none).
	SubjectES, LetterES string
	// SameAs: the letter is the first one but for its salutation (the
	// first line), so the page collapses it; Salutation is that line.
	SameAs     bool
	Salutation string
}

func newLetterView(to string, c delivery.Composed) letterView {
	return letterView{To: to, Subject: c.Subject, Letter: c.Letter(), Sender: c.SenderText(), StatementHeading: c.StatementHeading, Statement: c.Statement}
}

// markSame collapses every letter that differs from the first only in its
// salutation line: supporters read one letter, not three copies.
func markSame(ls []letterView) {
	if len(ls) < 2 {
		return
	}
	rest := func(l letterView) (string, string) {
		first, body, _ := strings.Cut(l.Letter, "\n")
		return first, l.Subject + "\x00" + body + "\x00" + l.Sender + "\x00" + l.StatementHeading + "\x00" + l.Statement
	}
	_, want := rest(ls[0])
	for i := 1; i < len(ls); i++ {
		if sal, r := rest(ls[i]); r == want {
			ls[i].SameAs, ls[i].Salutation = true, sal
		}
	}
}

// headlineKeys are the figures the campaign page shows.
var headlineKeys = []string{"children_separated", "parents_handed_form", "pct_forms_premarked", "pct_told_no_rights"}

func (s *Server) loadLive(c echo.Context) (liveCampaign, error) {
	slug := c.Param("slug")
	if len(slug) > 64 {
		return liveCampaign{}, store.ErrNotFound
	}
	lc, err := s.cachedCampaign(c.Request().Context(), slug)
	if err != nil {
		return lc, err
	}
	if lc.C.Status == campaign.Draft {
		return liveCampaign{}, store.ErrNotFound // drafts are not public
	}
	return lc, nil
}

func (s *Server) baseView(c echo.Context, lc liveCampaign) (actionView, release, error) {
	lang := langOf(c)
	v := actionView{Campaign: lc.C, Title: lc.title(lang), Spanish: lang == i18n.Spanish, SpanishLetter: lc.CompiledES != nil, Summary: lc.C.SummaryEN, CallToAct: lc.C.CallToActionEN, MaxNote: action.MaxNote,
		Committees: campaignCommittees(s.deps.Congress, lc.C.Targets, lang), Attr: attribution.From(c.FormValue)}
	v.Base, v.Q = flowBase(c, lc.C.Slug)
	for _, p := range action.Prefixes() {
		v.Prefixes = append(v.Prefixes, prefixOption{Value: p, Label: lang.T("act.prefix." + p)})
	}
	if lang == i18n.Spanish {
		if lc.C.SummaryES != "" {
			v.Summary = lc.C.SummaryES
		}
		if lc.C.CallToActionES != "" {
			v.CallToAct = lc.C.CallToActionES
		}
	}
	v.States = stateOptions(lang)
	rel, err := s.cachedRelease(c.Request().Context())
	if err != nil {
		return v, rel, err
	}
	if rel.Figures != nil {
		v.AsOf, v.Synthetic = rel.AsOf.Format("2006-01-02"), rel.Synthetic
		for _, k := range headlineKeys {
			if val, ok := rel.Figures.ValueLang(k, string(lang)); ok {
				v.Figures = append(v.Figures, figureView{Label: figureLabel(rel.Figures, k, lang), Value: val})
			}
		}
	}
	v.Progress, _ = s.progress.Load(c.Request().Context(), lc.C.ID, func(ctx context.Context) (int64, error) {
		return s.deps.Store.CampaignLetterCount(ctx, lc.C.ID)
	})
	v.Mode, v.Status = s.campaignMode(lc)
	return v, rel, nil
}

// campaignMode tells whether a campaign takes letters now ("form"), or
// why not ("unavailable" with paused, closed or not_yet).
func (s *Server) campaignMode(lc liveCampaign) (mode, status string) {
	now := s.deps.Now()
	switch {
	case lc.C.Status == campaign.Paused:
		return "unavailable", "paused"
	case lc.C.Status == campaign.Closed || (lc.C.EndsAt != nil && now.After(*lc.C.EndsAt)):
		return "unavailable", "closed"
	case lc.C.Status == campaign.Scheduled || (lc.C.StartsAt != nil && now.Before(*lc.C.StartsAt)):
		return "unavailable", "not_yet"
	}
	return "form", ""
}

func figureLabel(f *casestats.Figures, key string, lang i18n.Lang) string {
	for _, fig := range f.Figures {
		if fig.Key == key {
			if lang == i18n.Spanish && fig.LabelES != "" {
				return fig.LabelES
			}
			return fig.Label
		}
	}
	return key
}

func (s *Server) renderAction(c echo.Context, status int, v actionView) error {
	summarize(&v, langOf(c))
	v.Focus = c.Request().Method == http.MethodPost
	return s.render(c, status, "action", v, true)
}

// actionPage is GET /c/:slug. The page is the same for every visitor but
// for the CSRF token, so it is rendered once per campaign, language and
// query for a few seconds, and the token is put in per request: no
// database round trip and no template execution on the hot path.
func (s *Server) actionPage(c echo.Context) error {
	key := c.Param("slug") + "|" + string(langOf(c)) + "|" + c.QueryString()
	if isEmbedded(c) {
		key = "embed|" + key
	}
	page, err := s.pageCache.Load(c.Request().Context(), key, func(ctx context.Context) ([]byte, error) {
		lc, err := s.loadLive(c)
		if err != nil {
			return nil, err
		}
		if lc.C.Organizational() {
			return s.signOnBytes(c, lc)
		}
		v, rel, err := s.baseView(c, lc)
		if err != nil {
			return nil, err
		}
		if !isEmbedded(c) {
			v.Meta = s.shareMetaFor(ctx, lc, rel, langOf(c), v.Summary)
		}
		return s.renderBytes(c, "action", v, true, csrfSlot)
	})
	if err != nil {
		return err
	}
	return s.cachedPage(c, page)
}

// cachedPage serves a page rendered for many visitors with this
// visitor's CSRF token put in.
func (s *Server) cachedPage(c echo.Context, page []byte) error {
	out := page // a page without a form (/stats) is served as it was kept
	if bytes.Contains(page, []byte(csrfSlot)) {
		out = bytes.ReplaceAll(page, []byte(csrfSlot), []byte(template.HTMLEscapeString(csrfToken(c))))
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	// A known length is sent as it is; without it net/http chunks the
	// body, which costs the client and the server per request.
	h.Set("Content-Length", strconv.Itoa(len(out)))
	return c.HTMLBlob(http.StatusOK, out)
}

func formFrom(c echo.Context) action.Form {
	f := action.Form{
		Prefix: c.FormValue("prefix"), FirstName: c.FormValue("first_name"), LastName: c.FormValue("last_name"),
		Email: c.FormValue("email"), Address1: c.FormValue("address1"), Address2: c.FormValue("address2"),
		City: c.FormValue("city"), State: c.FormValue("state"), ZIP: c.FormValue("zip"), Phone: c.FormValue("phone"),
		Note: c.FormValue("note"), District: c.FormValue("district"), OptIn: c.FormValue("optin") == "on",
	}
	// Keep what was typed, but never more than a sane amount.
	clip := func(s *string, n int) {
		if len(*s) > n {
			*s = (*s)[:n]
		}
	}
	for _, p := range []*string{&f.Prefix, &f.FirstName, &f.LastName, &f.Email, &f.Address1, &f.Address2, &f.City, &f.State, &f.ZIP, &f.Phone, &f.District} {
		clip(p, 300)
	}
	clip(&f.Note, 20000)
	return f
}

// prepare validates the form and works out the letters. It answers the
// view to show (the form again with errors, or the review).
func (s *Server) prepare(c echo.Context, lc liveCampaign, v actionView, rel release, f action.Form) (actionView, []action.Letter, bool, error) {
	lang := langOf(c)
	ctx := c.Request().Context()
	f.Normalize()
	v.Form = f
	errs := f.Validate()
	v.Form = f
	v.Errors = map[string]string{}
	for field, key := range errs {
		switch key {
		case "act.err.note_long":
			v.Errors[field] = lang.T(key, action.MaxNote)
		case "act.err.required":
			v.Errors[field] = lang.T("act.err.required." + field)
		default:
			v.Errors[field] = lang.T(key)
		}
	}
	if len(v.Errors) > 0 {
		v.Problem = lang.T("act.fix_below")
		return v, nil, false, nil
	}
	res, err := s.deps.Congress.LookupZIP(f.ZIP)
	if err != nil {
		v.Errors["zip"] = classifyMsg(err, lang, f.ZIP)
		v.Problem = lang.T("act.fix_below")
		return v, nil, false, nil
	}
	// A split ZIP: the street address settles it when the geocoder is on.
	if res.Split && f.District == "" && s.deps.Geocoder != nil {
		m, gerr := s.deps.Geocoder.Lookup(ctx, geocode.Address{Street: f.Address1, City: f.City, State: f.State, ZIP: f.ZIP})
		if gerr == nil && m.HasDistrict && m.StateAbbr == f.State {
			f.District = action.DistrictValue(congress.District{State: m.StateAbbr, Number: m.District})
			v.Form.District = f.District
		}
	}
	rcp, err := action.ChooseRecipients(s.deps.Congress, res, f, lc.C.Targets)
	switch {
	case errors.Is(err, action.ErrStateMismatch):
		v.Errors["state"] = lang.T("act.err.state_zip", f.ZIP, strings.Join(res.States, ", "))
		v.Problem = lang.T("act.fix_below")
		return v, nil, false, nil
	case errors.Is(err, action.ErrNeedAddress), errors.Is(err, action.ErrNeedDistrict):
		s.districtChoice(&v, err, rcp, res, f, lang)
		return v, nil, false, nil
	case errors.Is(err, action.ErrNoTargets):
		v.Problem = noTargetsMessage(s.deps.Congress, lc.C.Targets, rcp.Own, lang)
		if noSenators(f.State) && lc.C.Targets.Has(campaign.RuleSenate) && !lc.C.Targets.Has(campaign.RuleHouse) {
			v.Problem = lang.T("act.no_senators", stateNameIn(f.State, lang))
		}
		return v, nil, false, nil
	case err != nil:
		return v, nil, false, err
	}
	if noSenators(f.State) && lc.C.Targets.Has(campaign.RuleSenate) {
		// DC and the territories: say why no senator gets a letter.
		v.Vacancies = append(v.Vacancies, lang.T("lookup.no_senators."+f.State))
	}
	for _, vac := range rcp.Vacancies {
		if vac.District != nil {
			v.Vacancies = append(v.Vacancies, lang.T("act.vacant_house", areaLabel(congress.District{State: vac.State, Number: *vac.District}, lang)))
		} else {
			v.Vacancies = append(v.Vacancies, lang.T("lookup.vacant_senate", stateNameIn(vac.State, lang)))
		}
	}
	var letters []action.Letter
	for _, m := range rcp.Members {
		l, err := s.renderLetter(ctx, lc, m, f, rel)
		if errors.Is(err, letter.ErrStatUnavailable) {
			// The letter quotes a figure no release has published yet:
			// nothing can be sent until staff publish one.
			s.log.Error("campaign letter quotes an unpublished statistic", "campaign", lc.C.ID, "err", err)
			v.Problem = lang.T("act.not_ready")
			return v, nil, false, nil
		}
		if err != nil {
			return v, nil, false, err
		}
		letters = append(letters, l)
		lv := newLetterView(lang.MemberPhrase(m.Title, m.Gender, m.Name), delivery.Compose(l.Message, delivery.FullSender))
		lv.Why = whyOffice(s.deps.Congress, lc.C.Targets, m, lang)
		if lang == i18n.Spanish && lc.CompiledES != nil {
			// The supporter's own paragraph stays as they wrote it.
			// The greeting, the member's title and the date are Spanish too.
			spanish := func(d *letter.Data) {
				title := lang.TG("lookup.title."+m.Title, m.Gender)
				d.MemberTitle, d.Salutation = title, lang.TG("act.salutation_es", m.Gender, title, m.LastName)
				d.MemberPhrase = lang.MemberPhrase(m.Title, m.Gender, m.Name)
				d.Date = campaign.SpanishDate(s.deps.Now())
			}
			if es, err := action.RenderWith(ctx, lc.CompiledES, m, s.seatsFor(lc.C.Targets, m), f, rel, s.deps.Now(), s.deps.OrgName, spanish); err == nil {
				c := delivery.Compose(es.Message, delivery.NoSender)
				lv.SubjectES, lv.LetterES = lang.Contract(c.Subject), lang.Contract(c.Letter())
			} else {
				s.log.Warn("the Spanish rendering of a letter does not render", "campaign", lc.C.ID, "err", err)
			}
		}
		v.Letters = append(v.Letters, lv)
	}
	if len(letters) == 0 {
		v.Problem = lang.T("act.all_vacant")
		return v, nil, false, nil
	}
	markSame(v.Letters)
	v.Reviewed = reviewDigest(letters)
	return v, letters, true, nil
}

// districtChoice fills v for a supporter who must choose their district:
// after a PO-box ZIP (action.ErrNeedAddress) the state's districts (or
// the home ZIP to type instead), after a split ZIP
// (action.ErrNeedDistrict) its districts.
func (s *Server) districtChoice(v *actionView, err error, rcp action.Recipients, res *congress.Result, f action.Form, lang i18n.Lang) {
	if errors.Is(err, action.ErrNeedAddress) {
		v.WhyChoose = lang.T("act.po_box_why", f.ZIP, stateNameIn(f.State, lang))
	} else {
		v.WhyChoose = lang.T("act.choose_why", len(rcp.Candidates))
		if len(res.States) > 1 {
			v.WhyChoose = lang.T("act.choose_why_states", len(rcp.Candidates), stateNameIn(f.State, lang))
		}
		if s.deps.Geocoder == nil {
			v.WhyChoose += " " + lang.T("act.choose_no_geocoder")
		}
	}
	v.Candidates = s.candidates(rcp.Candidates, lang)
	if f.District != "" {
		v.Errors["district"] = lang.T("err.district_choice")
	}
	v.Problem = lang.T("act.choose_district")
}

// candidates are the districts a supporter chooses among, each with its
// member (or "vacant seat").
func (s *Server) candidates(ds []congress.District, lang i18n.Lang) []candidateView {
	var out []candidateView
	for _, d := range ds {
		cv := candidateView{Value: action.DistrictValue(d), Label: areaLabel(d, lang)}
		if dr, err := s.deps.Congress.ForDistrict(d); err == nil {
			for _, m := range dr.Members {
				if md, ok := m.Seat(); ok && md == d {
					cv.Member = lang.TG("lookup.title."+m.Title, m.Gender) + " " + m.Name
				}
			}
		}
		if cv.Member == "" {
			cv.Member = lang.T("lookup.vacant")
		}
		out = append(out, cv)
	}
	return out
}

// noSenators reports whether st elects no senators (DC and the
// territories send a delegate or resident commissioner to the House).
func noSenators(st string) bool {
	switch st {
	case "DC", "PR", "GU", "VI", "AS", "MP":
		return true
	}
	return false
}

// reviewDigest identifies a set of letters by everything an office
// receives: each letter's office, subject and delivered text (with the
// full sender block). The review page carries it in its send form, and
// sending refuses letters whose digest differs from it: the supporter
// sees them again first.
func reviewDigest(letters []action.Letter) string {
	h := sha256.New()
	for _, l := range letters {
		c := delivery.Compose(l.Message, delivery.FullSender)
		for _, part := range []string{l.Member.BioguideID, c.Subject, c.Text()} {
			fmt.Fprintf(h, "%d:%s", len(part), part)
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func classifyMsg(err error, lang i18n.Lang, zip string) string {
	if errors.Is(err, congress.ErrUnknownZIP) {
		return lang.T("err.zip_unknown", zip)
	}
	_, msg := classify(err, lang)
	return msg
}

// actionReview is POST /c/:slug: check the form and show the letters.
func (s *Server) actionReview(c echo.Context) error {
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
	if c.FormValue("edit") != "" || embedStale(c) { // "Back" from the review: the form, as typed
		f.Normalize()
		v.Form, v.Stale = f, embedStale(c)
		return s.renderAction(c, http.StatusOK, v)
	}
	v, _, ok, err := s.prepare(c, lc, v, rel, f)
	if err != nil {
		return err
	}
	if !ok {
		return s.renderAction(c, http.StatusUnprocessableEntity, v)
	}
	v.Mode = "review"
	return s.renderAction(c, http.StatusOK, v)
}
