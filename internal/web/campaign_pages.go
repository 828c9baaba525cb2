package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/letter"
)

// campaignForm is the campaign form as typed, kept as text so a refused
// form comes back exactly as it was sent.
type campaignForm struct {
	Kind                                                              string
	Title, Slug, SummaryEN, SummaryES, CallToActionEN, CallToActionES string
	LOCTopic, Status, StartsAt, EndsAt                                string
	Targets                                                           targetsForm
	Subject, Template, OrganizationStatement                          string
	TitleES, SubjectES, TemplateES                                    string
	Version                                                           int // the letter version the editor started from
	MemberQuery, BioguideID                                           string
	// Delivery settings as typed; HasDelivery is false when the form
	// posted none (they are then left as they are).
	Delivery    deliveryForm
	HasDelivery bool
	CiteRelease bool // the citation line is appended
	// The call script as typed, and the calls-only box.
	CallScriptEN, CallScriptES string
	CallsOnly                  bool
	// EmbedOrigins is the allow-list box as typed: one origin a line.
	EmbedOrigins string
}

func readCampaignForm(c echo.Context) campaignForm {
	v, _ := strconv.Atoi(c.FormValue("version"))
	return campaignForm{
		Kind: c.FormValue("kind"), Title: c.FormValue("title"), Slug: c.FormValue("slug"), TitleES: c.FormValue("title_es"),
		SubjectES: c.FormValue("subject_es"), TemplateES: c.FormValue("template_es"),
		SummaryEN: c.FormValue("summary_en"), SummaryES: c.FormValue("summary_es"),
		CallToActionEN: c.FormValue("call_to_action_en"), CallToActionES: c.FormValue("call_to_action_es"),
		Targets: readTargetsForm(c), LOCTopic: c.FormValue("loc_topic"), Status: c.FormValue("status"),
		StartsAt: c.FormValue("starts_at"), EndsAt: c.FormValue("ends_at"),
		Subject: c.FormValue("subject"), Template: c.FormValue("template"), OrganizationStatement: c.FormValue("organization_statement"),
		Version: v, MemberQuery: c.FormValue("member_q"), BioguideID: c.FormValue("bioguide_id"),
		CiteRelease:  c.FormValue("cite_release") != "",
		CallScriptEN: c.FormValue("call_script_en"), CallScriptES: c.FormValue("call_script_es"), CallsOnly: c.FormValue("calls_only") != "",
		EmbedOrigins: c.FormValue("embed_origins"),
	}
}

// readDelivery adds the form's delivery settings to f.
func (s *Server) readDelivery(c echo.Context, f *campaignForm) {
	f.Delivery, f.HasDelivery = readDeliveryForm(c.FormValue, len(s.channels()))
}

// deliveryToSave checks the form's delivery settings against the
// campaign's current ones (was), adding refusals to r: own is true when
// they differ, so the campaign gets (or keeps) its own.
func (s *Server) deliveryToSave(f campaignForm, was deliveryJSON, r *refused) (d deliveryJSON, own bool) {
	if !f.HasDelivery {
		return was, false
	}
	d = f.Delivery.json(r)
	if d.same(was) && len(*r) == 0 {
		return was, false
	}
	s.checkDelivery(&d, r)
	return d, true
}

func formOf(c campaign.Campaign) campaignForm {
	f := campaignForm{Kind: string(kindOr(c.Kind)), Title: c.Title, TitleES: c.TitleES, SubjectES: c.SubjectES, TemplateES: c.TemplateES, Slug: c.Slug, SummaryEN: c.SummaryEN, SummaryES: c.SummaryES,
		CallToActionEN: c.CallToActionEN, CallToActionES: c.CallToActionES, Targets: targetsFormOf(c.Targets),
		LOCTopic: c.LOCTopic, Status: string(c.Status), Subject: c.Subject, Template: c.Template,
		OrganizationStatement: c.OrganizationStatement, Version: c.TemplateVersion, CiteRelease: !c.NoCitation,
		CallScriptEN: c.CallScriptEN, CallScriptES: c.CallScriptES, CallsOnly: c.CallsOnly,
		EmbedOrigins: strings.Join(c.EmbedOrigins, "\n")}
	if c.StartsAt != nil {
		f.StartsAt = c.StartsAt.UTC().Format(formTime)
	}
	if c.EndsAt != nil {
		f.EndsAt = c.EndsAt.UTC().Format(formTime)
	}
	return f
}

func (f campaignForm) campaign(r *refused) campaign.Campaign {
	c := campaign.Campaign{Kind: campaign.Kind(f.Kind), Title: f.Title, TitleES: f.TitleES, SubjectES: f.SubjectES, TemplateES: f.TemplateES, Slug: f.Slug, SummaryEN: f.SummaryEN, SummaryES: f.SummaryES,
		CallToActionEN: f.CallToActionEN, CallToActionES: f.CallToActionES, Targets: f.Targets.rules(),
		LOCTopic: f.LOCTopic, Status: campaign.Status(f.Status), Subject: f.Subject, Template: f.Template,
		OrganizationStatement: f.OrganizationStatement, TemplateVersion: f.Version, NoCitation: !f.CiteRelease,
		CallScriptEN: f.CallScriptEN, CallScriptES: f.CallScriptES, CallsOnly: f.CallsOnly,
		StartsAt: parseFormTime(r, "starts_at", f.StartsAt), EndsAt: parseFormTime(r, "ends_at", f.EndsAt),
		EmbedOrigins: campaign.ParseOrigins(f.EmbedOrigins)}
	c.Normalize()
	return c
}

// starterLetter is what a new campaign's form starts with: a working
// letter that shows how fields, statistics and the personal note are used.
var starterLetter = campaignForm{
	CiteRelease: true, Status: string(campaign.Draft), Targets: targetsForm{House: true, Senate: true}, LOCTopic: campaign.DefaultLOCTopic,
	Subject: "Please request the records of family separations",
	Template: `{{.salutation}}:

I am your constituent in {{.city}}, {{.state}}. Our coalition has documented {{stat "children_separated"}} children separated from their parents at the border.

I ask you to request the government's records of these separations and to hold an oversight hearing.
{{with .personal_note}}
{{.}}
{{end}}
Sincerely,
{{.first_name}} {{.last_name}}`,
}

// Views.

type option struct {
	Value, Label string
	Selected     bool
}

// textArea and choice are drawn by the "textarea" and "select" partials
// of campaign_edit.html; one-line inputs use the shared "field" partial.
type textArea struct {
	Name, Label, Hint, Value, Error string
	Rows                            int
	Code                            bool // monospace, for templates
}

type choice struct {
	Name, Label, Hint, Error string
	Options                  []option
}

type previewView struct {
	Query       string
	Matches     []option
	Member      string // label of the member previewed
	Subject     string
	Body        string
	Statement   string
	Targeted    bool
	Sample      bool // statistics are sample values
	Version     int  // letter version previewed; 0 for unsaved text
	Error       string
	Problems    []problemView // letter errors that prevent a preview, in words
	Ready       bool
	TargetsText string
	// The call script for the same member, English and Spanish ("" when
	// there is none), or why it cannot be shown.
	ScriptEN, ScriptES string
	ScriptError        string
	ScriptProblems     []problemView // named by their labels
}

type campaignEditView struct {
	ID       int64
	Heading  string
	Action   string
	Version  int
	CanEdit  bool
	Saved    *campaign.Campaign
	Problems []problemView // everything refused, listed first, in words
	// Picker lists what the "insert a field" control inserts.
	Picker   []pickerGroup
	Inputs   map[string]fieldView
	Texts    map[string]textArea
	Choices  map[string]choice
	Fields   []letter.FieldDoc
	StatKeys []string
	Preview  previewView
	Delivery deliveryFieldsView
	Targets  targetsView
	// CiteRelease: the citation checkbox is ticked. Org and StatsURL
	// show what the line says.
	CiteRelease   bool
	Org, StatsURL string
	// CallsOnly: the calls-only box is ticked. ScriptFields are the
	// fields a call script may use.
	CallsOnly    bool
	ScriptFields []string
	// Snippet is the HTML an organization pastes into its own site to
	// show the action form (an iframe and the resizing script), once
	// the campaign is saved; EmbedAllowed: its allow-list has a site.
	Snippet      string
	EmbedAllowed bool
}

func canEdit(c echo.Context) bool {
	u := currentUser(c)
	return u != nil && u.Role.Can(auth.PermEditCampaigns)
}

// editView builds the campaign form from f with the errors of ve (may be
// nil) and a preview of f's letter for the chosen member.
func (s *Server) editView(c echo.Context, saved *campaign.Campaign, f campaignForm, ve *campaign.ValidationError) campaignEditView {
	msgs := map[string]string{}
	v := campaignEditView{Heading: "New campaign", Action: "/admin/campaigns", Version: f.Version, CanEdit: canEdit(c), Saved: saved,
		Fields: letter.FieldDocs(), StatKeys: campaign.StatKeys(), CiteRelease: f.CiteRelease,
		Org: s.deps.OrgName, StatsURL: s.absURL("/stats", nil), CallsOnly: f.CallsOnly, ScriptFields: campaign.ScriptFields()}
	if ve != nil {
		msgs = ve.Messages()
		for api, form := range deliveryFormNames {
			if m, ok := msgs[api]; ok {
				if _, taken := msgs[form]; !taken {
					msgs[form] = m
				}
			}
		}
	}
	if saved != nil {
		v.ID, v.Heading, v.Action = saved.ID, saved.Title, "/admin/campaigns/"+idStr(saved.ID)
	}
	in := func(name, label, typ, value string) fieldView {
		return fieldView{Name: name, Label: label, Type: typ, Value: value, Error: msgs[name], Autocomplete: "off"}
	}
	v.Inputs = map[string]fieldView{
		"title":      in("title", "Title", "text", f.Title),
		"title_es":   in("title_es", "Title (Spanish, optional: Spanish readers see the English title without it)", "text", f.TitleES),
		"subject_es": in("subject_es", "Subject line in Spanish (optional; shown to Spanish readers only)", "text", f.SubjectES),
		"slug":       in("slug", "Slug: the address of the public page, /c/slug (lower-case letters, digits, hyphens)", "text", f.Slug),
		"starts_at":  in("starts_at", "Starts (UTC, optional)", "datetime-local", f.StartsAt),
		"ends_at":    in("ends_at", "Ends (UTC, optional)", "datetime-local", f.EndsAt),
		"subject":    in("subject", "Subject line (a template; one line, no HTML)", "text", f.Subject),
	}
	ta := func(name, label, hint, value string, rows int, code bool) textArea {
		return textArea{Name: name, Label: label, Hint: hint, Value: value, Error: msgs[name], Rows: rows, Code: code}
	}
	v.Texts = map[string]textArea{
		"summary_en":        ta("summary_en", "Summary (English)", "What the campaign is about, for supporters. Up to 2,000 characters.", f.SummaryEN, 4, false),
		"summary_es":        ta("summary_es", "Summary (Spanish)", "Required before the campaign is scheduled or live.", f.SummaryES, 4, false),
		"call_to_action_en": ta("call_to_action_en", "Call to action (English)", "Up to 500 characters.", f.CallToActionEN, 2, false),
		"call_to_action_es": ta("call_to_action_es", "Call to action (Spanish)", "Required before the campaign is scheduled or live.", f.CallToActionES, 2, false),
		"template": ta("template", "Letter", "The body every office receives, filled in for its member and the supporter. Use the fields listed beside the form. A letter that never names the member (no salutation, member_name or member_title field) starts with the greeting \"Dear <title> <last name>,\".",
			f.Template, 18, true),
		"template_es": ta("template_es", "Letter in Spanish (optional)",
			"A Spanish rendering of the letter, with the same fields, shown beside the English letter to supporters who read Spanish. Offices always receive the English letter. Without it the Spanish page says that there is no Spanish version.",
			f.TemplateES, 12, true),
		"organization_statement": ta("organization_statement", "Organization statement (optional)",
			"The organization's own text, delivered with every letter under the heading \"Statement from\" and your organization's name (CWC OrganizationStatement). It may quote statistics but not the personal note. Up to 5,000 characters.",
			f.OrganizationStatement, 5, true),
		"call_script_en": ta("call_script_en", "Call script (English, optional)",
			"What supporters read when they call each of their offices, after their letters (or instead, on a calls-only campaign). It may use the member's fields (salutation, member_name, member_title, member_phrase, chamber, member_state, district), date and the statistics, not the supporter's: they say their own name and town. Up to 8 KiB.",
			f.CallScriptEN, 6, true),
		"call_script_es": ta("call_script_es", "Call script (Spanish)", "Required before the campaign is scheduled or live when there is an English script. Name the member in a sentence with member_phrase: it carries the article that agrees with them (\"le pido a {{.member_phrase}}\" reads \"le pido al senador Alex Padilla\" or \"a la senadora ...\").", f.CallScriptES, 6, true),
		"embed_origins": ta("embed_origins", "Sites that may show the form (one a line)",
			"The address of each site, scheme and host only, like https://www.example.org (http only for localhost and 127.0.0.1 while you build a page). Browsers refuse to show the form on any other site. Up to 20.",
			f.EmbedOrigins, 3, true),
	}
	if ve != nil { // every bad origin, not only the first
		var all []string
		for _, fe := range ve.Errors {
			if fe.Field == "embed_origins" {
				all = append(all, fe.Message)
			}
		}
		if len(all) > 1 {
			t := v.Texts["embed_origins"]
			t.Error = strings.Join(all, "; ")
			v.Texts["embed_origins"] = t
		}
	}
	if saved != nil {
		v.Snippet, v.EmbedAllowed = s.embedSnippet(*saved), len(saved.EmbedOrigins) > 0
	}
	statuses := campaign.Statuses
	if saved != nil {
		statuses = saved.Status.Next()
	}
	var st, tp []option
	for _, x := range statuses {
		st = append(st, option{Value: string(x), Label: string(x), Selected: string(x) == f.Status})
	}
	for _, x := range campaign.LOCTopics {
		tp = append(tp, option{Value: x, Label: x, Selected: x == f.LOCTopic})
	}
	var kinds []option
	for _, k := range campaign.Kinds {
		label := "Constituent letters: each supporter writes to their own members"
		if k == campaign.SignOn {
			label = "Sign-on letter: organizations sign one letter to committee offices (never CWC)"
		}
		kinds = append(kinds, option{Value: string(k), Label: label, Selected: string(k) == f.Kind || (f.Kind == "" && k == campaign.Constituent)})
	}
	v.Choices = map[string]choice{
		"kind":      {Name: "kind", Label: "Kind", Error: msgs["kind"], Options: kinds},
		"status":    {Name: "status", Label: "Status", Error: msgs["status"], Options: st},
		"loc_topic": {Name: "loc_topic", Label: "Library of Congress topic (for CWC)", Error: msgs["loc_topic"], Options: tp},
	}
	custom := false
	if saved != nil {
		if d, err := s.campaignDelivery(c.Request().Context(), saved.ID); err == nil {
			custom = d.Custom
			if !f.HasDelivery && f.Delivery.TimeZone == "" && len(f.Delivery.Channels) == 0 {
				f.Delivery = deliveryFormOf(d)
			}
		}
	} else if !f.HasDelivery && f.Delivery.TimeZone == "" && len(f.Delivery.Channels) == 0 {
		f.Delivery = deliveryFormOf(deliveryOf(s.deliveryDefaults(), false))
	}
	v.Delivery = s.deliveryFields(f.Delivery, msgs, custom)
	v.Targets = s.targetsView(f.Targets, ve)
	if ve != nil {
		errs := make([]campaign.FieldError, 0, len(ve.Errors))
		for _, fe := range ve.Errors {
			if n, ok := deliveryFormNames[fe.Field]; ok {
				fe.Field = n
			}
			if i, ok := ruleIndex(fe.Field); ok {
				// the fieldset's anchor, with the rule named
				if rules := f.Targets.rules(); i < len(rules) {
					fe.Message = "“" + rules[i].Label(s.deps.Congress) + "”: " + fe.Message
				}
				fe.Field = "targets"
			}
			errs = append(errs, fe)
		}
		v.Problems = problemViews(errs, v.fieldLabels(),
			map[string]string{"subject": f.Subject, "template": f.Template, "organization_statement": f.OrganizationStatement})
	}
	if v.CanEdit {
		v.Picker = s.picker(c.Request().Context())
	}
	v.Preview = s.previewOf(c.Request().Context(), f.Subject, strings.ReplaceAll(f.Template, "\r\n", "\n"),
		strings.ReplaceAll(f.OrganizationStatement, "\r\n", "\n"), f.Targets.rules(), f.MemberQuery, f.BioguideID, 0, f.CiteRelease)
	s.scriptPreview(c.Request().Context(), &v.Preview, f)
	return v
}

// scriptPreview renders the form's call script, English and Spanish, for
// the member the letter preview shows, as the call page would.
// scriptProblems name the call scripts' refusals by the scripts' labels
// and quote the line, as the letter's problems are.
func scriptProblems(errs []campaign.FieldError, f campaignForm) []problemView {
	return problemViews(errs, map[string]string{"call_script_en": "English call script", "call_script_es": "Spanish call script"},
		map[string]string{"call_script_en": f.CallScriptEN, "call_script_es": f.CallScriptES})
}

func (s *Server) scriptPreview(ctx context.Context, pv *previewView, f campaignForm) {
	c := campaign.Campaign{CallScriptEN: f.CallScriptEN, CallScriptES: f.CallScriptES}
	c.Normalize()
	if c.CallScriptEN == "" && c.CallScriptES == "" {
		return
	}
	_, m := s.pickMember(f.MemberQuery, f.BioguideID, campaign.TargetBoth)
	if m == nil {
		return
	}
	sc, ve := campaign.CompileScript(c.CallScriptEN, c.CallScriptES)
	if ve != nil {
		pv.ScriptError, pv.ScriptProblems = "Fix the call script to see it:", scriptProblems(ve.Errors, f)
		return
	}
	rel, err := s.cachedRelease(ctx)
	if err != nil {
		pv.ScriptError = "The statistics are not available right now, so the call script cannot be shown."
		return
	}
	if errs := sc.Unpublished(rel); len(errs) > 0 {
		pv.ScriptError, pv.ScriptProblems = "Fix the call script to see it:", scriptProblems(errs, f)
		return
	}
	for _, p := range []struct {
		es  bool
		dst *string
	}{{false, &pv.ScriptEN}, {true, &pv.ScriptES}} {
		if p.es && c.CallScriptES == "" {
			continue
		}
		text, err := sc.RenderScript(ctx, m, s.deps.Now(), rel, p.es)
		switch {
		case errors.Is(err, campaign.ErrSyntheticScript):
			pv.ScriptError = "The script quotes the synthetic demonstration figures of the latest release: supporters are shown no script until a release from real records is published (synthetic figures never reach an office)."
			return
		case err != nil:
			pv.ScriptError = "The call script cannot be rendered for this member: " + err.Error()
			return
		}
		*p.dst = text
	}
}

// previewOf renders a letter (saved version n, or unsaved text with n 0)
// for the member chosen by q and id.
func (s *Server) previewOf(ctx context.Context, subject, body, statement string, targets campaign.Targets, q, id string, n int, cite bool) previewView {
	pv := previewView{Query: strings.TrimSpace(q), Version: n, TargetsText: targets.Label(s.deps.Congress)}
	matches, m := s.pickMember(q, id, targets)
	for _, x := range matches {
		pv.Matches = append(pv.Matches, option{Value: x.BioguideID, Label: memberLabel(x), Selected: x == m})
	}
	if m == nil {
		pv.Error = "No member of Congress matches “" + pv.Query + "”. Search by name (Pelosi), state (CA or California) or bioguide id."
		return pv
	}
	pv.Member = memberLabel(m)
	if strings.TrimSpace(statement) == "" {
		statement = ""
	}
	if strings.TrimSpace(subject) == "" && strings.TrimSpace(body) == "" && statement == "" {
		pv.Error = "This campaign has no letter (a calls-only campaign may have none): there is nothing to preview."
		return pv
	}
	cp, ve := campaign.Compile(subject, body, statement)
	if ve != nil {
		pv.Error, pv.Problems = "Fix the letter to see the preview:", letterProblems(ve.Errors, subject, body, statement)
		return pv
	}
	stats, release, err := s.statsProvider().Latest(ctx)
	if err != nil {
		s.log.Error("statistics for preview", "err", err)
		pv.Error = "The statistics are not available right now, so no preview can be shown."
		return pv
	}
	rel, _ := stats.(campaign.Release)
	if errs := cp.Refusals(rel); len(errs) > 0 {
		pv.Error, pv.Problems = "Fix the letter to see the preview:", letterProblems(errs, subject, body, statement)
		return pv
	}
	p, err := cp.Preview(ctx, targets.Reaches(s.deps.Congress, m), s.seatsFor(targets, m), m, stats, release)
	if err != nil {
		var ve *campaign.ValidationError
		if errors.As(renderRefusal(err), &ve) {
			pv.Error, pv.Problems = "This member's letter cannot be rendered:", letterProblems(ve.Errors, subject, body, statement)
			return pv
		}
		s.log.Error("render preview", "err", err)
		pv.Error = "The preview could not be rendered."
		return pv
	}
	if rel.ID != 0 {
		p.Body = withCitation(p.Body, s.citation(cp, campaign.Campaign{NoCitation: !cite}, rel))
	}
	pv.Subject, pv.Body, pv.Statement, pv.Targeted, pv.Sample, pv.Ready = p.Subject, p.Body, p.OrganizationStatement, p.Targeted, release == 0, true
	return pv
}

// renderEdit draws the form with ve's errors (status 200 without).
func (s *Server) renderEdit(c echo.Context, saved *campaign.Campaign, f campaignForm, err error) error {
	var ve *campaign.ValidationError
	status := http.StatusOK
	if err != nil {
		if !errors.As(err, &ve) {
			return err
		}
		status = http.StatusUnprocessableEntity
		if ve.Conflict {
			status = http.StatusConflict
		}
	}
	return s.render(c, status, "campaign_edit", s.editView(c, saved, f, ve), true) // app.js: the snippet's copy button
}

type campaignsView struct {
	Campaigns []campaign.Campaign
	CanEdit   bool
}

func (s *Server) campaignsPage(c echo.Context) error {
	list, err := s.deps.Store.Campaigns(c.Request().Context())
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "campaigns", campaignsView{Campaigns: list, CanEdit: canEdit(c)}, false)
}

func (s *Server) newCampaignPage(c echo.Context) error {
	f := starterLetter
	f.MemberQuery, f.BioguideID = c.QueryParam("member_q"), c.QueryParam("bioguide_id")
	f.Delivery = deliveryFormOf(deliveryOf(s.deliveryDefaults(), false))
	return s.renderEdit(c, nil, f, nil)
}

// createCampaign saves a new campaign, or with action=preview shows the
// form again with the preview and saves nothing.
func (s *Server) createCampaign(c echo.Context) error {
	f := readCampaignForm(c)
	s.readDelivery(c, &f)
	if c.FormValue("action") == "preview" {
		return s.renderEdit(c, nil, f, nil)
	}
	var r refused
	next := f.campaign(&r)
	d, own := s.deliveryToSave(f, deliveryOf(s.deliveryDefaults(), false), &r)
	err := s.validateCampaign(c.Request().Context(), &next, nil)
	if err := r.merge(err); err != nil {
		return s.renderEdit(c, nil, f, err)
	}
	var saved campaign.Campaign
	if own {
		saved, err = s.deps.Store.CreateCampaignAndDelivery(c.Request().Context(), next, d.settings(0), audit(c, "campaign.create", "", ""))
	} else {
		saved, err = s.deps.Store.CreateCampaign(c.Request().Context(), next, audit(c, "campaign.create", "", ""))
	}
	if err != nil {
		return s.renderEdit(c, nil, f, campaign.AsValidation(err))
	}
	flash(c, "Campaign created. Its letter is version 1.")
	return c.Redirect(http.StatusSeeOther, "/admin/campaigns/"+idStr(saved.ID))
}

func (s *Server) campaignPage(c echo.Context) error {
	cur, err := s.loadCampaign(c)
	if err != nil {
		return err
	}
	f := formOf(cur)
	f.MemberQuery, f.BioguideID = c.QueryParam("member_q"), c.QueryParam("bioguide_id")
	d, err := s.campaignDelivery(c.Request().Context(), cur.ID)
	if err != nil {
		return err
	}
	f.Delivery = deliveryFormOf(d)
	v := s.editView(c, &cur, f, nil)
	v.Preview.Version = cur.TemplateVersion
	return s.render(c, http.StatusOK, "campaign_edit", v, true)
}

// updateCampaign saves the form over the campaign (a new letter version
// when the letter changed), or with action=preview only shows it.
func (s *Server) updateCampaign(c echo.Context) error {
	ctx := c.Request().Context()
	cur, err := s.loadCampaign(c)
	if err != nil {
		return err
	}
	f := readCampaignForm(c)
	s.readDelivery(c, &f)
	if c.FormValue("action") == "preview" {
		return s.renderEdit(c, &cur, f, nil)
	}
	was, err := s.campaignDelivery(ctx, cur.ID)
	if err != nil {
		return err
	}
	var r refused
	next := f.campaign(&r)
	next.ID = cur.ID
	d, own := s.deliveryToSave(f, was, &r)
	err = s.validateCampaign(ctx, &next, &cur)
	if err := r.merge(err); err != nil {
		return s.renderEdit(c, &cur, f, err)
	}
	var saved campaign.Campaign
	if own {
		saved, err = s.deps.Store.UpdateCampaignAndDelivery(ctx, next, d.settings(cur.ID), audit(c, "campaign.update", "", ""))
	} else {
		saved, err = s.deps.Store.UpdateCampaign(ctx, next, audit(c, "campaign.update", "", ""))
	}
	if err != nil {
		if errors.Is(err, campaign.ErrStaleVersion) {
			// Show the newer version number in the form: saving again
			// now replaces it, deliberately.
			if latest, lerr := s.deps.Store.Campaign(ctx, cur.ID); lerr == nil {
				cur, f.Version = latest, latest.TemplateVersion
			}
		}
		return s.renderEdit(c, &cur, f, campaign.AsValidation(err))
	}
	switch {
	case saved.TemplateVersion != cur.TemplateVersion:
		flash(c, "Saved. The letter is now version "+strconv.Itoa(saved.TemplateVersion)+".")
	case saved.UpdatedAt.Equal(cur.UpdatedAt) && own:
		flash(c, "Saved the delivery settings. The letter did not change (still version "+strconv.Itoa(saved.TemplateVersion)+").")
	case saved.UpdatedAt.Equal(cur.UpdatedAt):
		flash(c, "Nothing had changed, so nothing was saved.")
	default:
		flash(c, "Saved. The letter did not change (still version "+strconv.Itoa(saved.TemplateVersion)+").")
	}
	return c.Redirect(http.StatusSeeOther, "/admin/campaigns/"+idStr(cur.ID))
}

// livePreview renders unsaved text for campaign.js: the same preview as
// the Preview button, as JSON. Problems in the letter are part of the
// answer (200), not an error.
func (s *Server) livePreview(c echo.Context) error {
	f := readCampaignForm(c)
	pv := s.previewOf(c.Request().Context(), f.Subject, strings.ReplaceAll(f.Template, "\r\n", "\n"),
		strings.ReplaceAll(f.OrganizationStatement, "\r\n", "\n"), f.Targets.rules(), f.MemberQuery, f.BioguideID, 0, f.CiteRelease)
	problems := pv.Problems
	if problems == nil {
		problems = []problemView{}
	}
	matches := make([]map[string]any, len(pv.Matches))
	for i, o := range pv.Matches {
		matches[i] = map[string]any{"id": o.Value, "label": o.Label, "selected": o.Selected}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]any{
		"ready": pv.Ready, "subject": pv.Subject, "body": pv.Body, "organization_statement": pv.Statement,
		"member": pv.Member, "targeted": pv.Targeted, "targets": pv.TargetsText, "sample_statistics": pv.Sample,
		"error": pv.Error, "problems": problems, "matches": matches,
	})
}

type campaignPreviewView struct {
	Campaign campaign.Campaign
	Preview  previewView
}

// campaignPreviewPage shows the saved letter (or ?version=n) as the office
// chosen with a plain GET form would receive it.
func (s *Server) campaignPreviewPage(c echo.Context) error {
	cur, err := s.loadCampaign(c)
	if err != nil {
		return err
	}
	ver, err := s.versionParam(c, cur, "version")
	if err != nil {
		return err
	}
	pv := s.previewOf(c.Request().Context(), ver.Subject, ver.Body, ver.OrganizationStatement, cur.Targets,
		c.QueryParam("q"), c.QueryParam("bioguide_id"), ver.Number, !cur.NoCitation)
	return s.render(c, http.StatusOK, "campaign_preview", campaignPreviewView{Campaign: cur, Preview: pv}, false)
}

type campaignVersionsView struct {
	Campaign campaign.Campaign
	Versions []campaign.Version
	A, B     int
}

func (s *Server) campaignVersionsPage(c echo.Context) error {
	cur, err := s.loadCampaign(c)
	if err != nil {
		return err
	}
	vs, err := s.deps.Store.CampaignVersions(c.Request().Context(), cur.ID)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "campaign_versions",
		campaignVersionsView{Campaign: cur, Versions: vs, A: max(cur.TemplateVersion-1, 1), B: cur.TemplateVersion}, false)
}

type diffRow struct {
	Op   string // "add", "del" or "same"
	Text string
}

type diffPart struct {
	Name    string
	Rows    []diffRow
	Changed bool
}

type campaignDiffView struct {
	Campaign campaign.Campaign
	A, B     campaign.Version
	Versions []campaign.Version
	Parts    []diffPart
}

func diffRows(name, a, b string) diffPart {
	p := diffPart{Name: name}
	for _, l := range letter.Diff(a, b) {
		op := "same"
		switch l.Op {
		case '+':
			op, p.Changed = "add", true
		case '-':
			op, p.Changed = "del", true
		}
		p.Rows = append(p.Rows, diffRow{Op: op, Text: l.Text})
	}
	return p
}

// campaignDiffPage compares two versions of the letter (?a=1&b=3).
func (s *Server) campaignDiffPage(c echo.Context) error {
	cur, a, b, err := s.diffVersions(c)
	if err != nil {
		return err
	}
	vs, err := s.deps.Store.CampaignVersions(c.Request().Context(), cur.ID)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "campaign_diff", campaignDiffView{Campaign: cur, A: a, B: b, Versions: vs, Parts: []diffPart{
		diffRows("Subject", a.Subject, b.Subject),
		diffRows("Letter", a.Body, b.Body),
		diffRows("Organization statement", a.OrganizationStatement, b.OrganizationStatement),
	}}, false)
}
