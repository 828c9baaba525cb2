package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/letter"
	"github.com/outreach-org/outreach/internal/store"
)

// campaignJSON is a campaign as the API shows it.
type campaignJSON struct {
	ID                    int64            `json:"id"`
	Slug                  string           `json:"slug"`
	Kind                  string           `json:"kind"`
	Title                 string           `json:"title"`
	TitleES               string           `json:"title_es"`
	SummaryEN             string           `json:"summary_en"`
	SummaryES             string           `json:"summary_es"`
	CallToActionEN        string           `json:"call_to_action_en"`
	CallToActionES        string           `json:"call_to_action_es"`
	Targets               campaign.Targets `json:"targets"`
	LOCTopic              string           `json:"loc_topic"`
	Status                string           `json:"status"`
	StartsAt              *time.Time       `json:"starts_at"`
	EndsAt                *time.Time       `json:"ends_at"`
	Subject               string           `json:"subject"`
	Template              string           `json:"template"`
	OrganizationStatement string           `json:"organization_statement"`
	SubjectES             string           `json:"subject_es"`
	TemplateES            string           `json:"template_es"`
	TemplateVersion       int              `json:"template_version"`
	CiteRelease           bool             `json:"cite_release"`
	Demo                  bool             `json:"demo"`
	Hold                  *holdJSON        `json:"hold"`
	CallScript            callScriptJSON   `json:"call_script"`
	CallsOnly             bool             `json:"calls_only"`
	EmbedOrigins          []string         `json:"embed_origins"`
	CreatedBy             int64            `json:"created_by"`
	CreatedAt             time.Time        `json:"created_at"`
	UpdatedAt             time.Time        `json:"updated_at"`
	// Delivery is in the answers about one campaign, not in lists.
	Delivery *deliveryJSON `json:"delivery,omitempty"`
	// TargetsReach says what each rule reaches for the sample ZIP asked
	// for (?sample_zip= on GET, "sample_zip" in a PUT or POST body).
	TargetsReach *campaign.Explanation `json:"targets_reach,omitempty"`
}

// callScriptJSON is a campaign's call script: what supporters read when
// they call their offices ("" when there is none).
type callScriptJSON struct {
	EN string `json:"en"`
	ES string `json:"es"`
}

// holdJSON says why a campaign's letters are held (null when they are
// not): the latest statistics release does not publish a figure the
// letter prints outside {{if stat_available}}.
type holdJSON struct {
	Reason    string    `json:"reason"`
	ReleaseID *int64    `json:"release_id"`
	Since     time.Time `json:"since"`
}

// kindOr is k, or Constituent for a campaign stored before kinds.
func kindOr(k campaign.Kind) campaign.Kind {
	if k == "" {
		return campaign.Constituent
	}
	return k
}

func toJSON(c campaign.Campaign) campaignJSON {
	var hold *holdJSON
	if c.HeldReason != "" {
		hold = &holdJSON{Reason: c.HeldReason, ReleaseID: c.HeldReleaseID}
		if c.HeldAt != nil {
			hold.Since = c.HeldAt.UTC()
		}
	}
	return campaignJSON{CiteRelease: !c.NoCitation, Demo: c.Demo, Hold: hold, ID: c.ID, Slug: c.Slug, Kind: string(kindOr(c.Kind)), Title: c.Title, TitleES: c.TitleES,
		SubjectES: c.SubjectES, TemplateES: c.TemplateES, SummaryEN: c.SummaryEN, SummaryES: c.SummaryES,
		CallToActionEN: c.CallToActionEN, CallToActionES: c.CallToActionES, Targets: slices.Clone(c.Targets), LOCTopic: c.LOCTopic,
		Status: string(c.Status), StartsAt: c.StartsAt, EndsAt: c.EndsAt, Subject: c.Subject, Template: c.Template,
		OrganizationStatement: c.OrganizationStatement, TemplateVersion: c.TemplateVersion, CreatedBy: c.CreatedBy,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, CallScript: callScriptJSON{EN: c.CallScriptEN, ES: c.CallScriptES},
		CallsOnly: c.CallsOnly, EmbedOrigins: nonNil(slices.Clone(c.EmbedOrigins))}
}

// campaignInput is the body of POST and PUT. For PUT it starts from the
// stored campaign, so fields left out keep their values; the read-only
// fields of campaignJSON are accepted and ignored, so a client may send
// back what it read. template_version, when given on PUT, is the version
// the client edited: if someone saved a newer one since, the save is
// refused with 409 instead of overwriting it.
type campaignInput struct {
	Title                 string           `json:"title"`
	TitleES               string           `json:"title_es"`
	SubjectES             string           `json:"subject_es"`
	TemplateES            string           `json:"template_es"`
	Slug                  string           `json:"slug"`
	Kind                  string           `json:"kind"`
	SummaryEN             string           `json:"summary_en"`
	SummaryES             string           `json:"summary_es"`
	CallToActionEN        string           `json:"call_to_action_en"`
	CallToActionES        string           `json:"call_to_action_es"`
	Targets               campaign.Targets `json:"targets"`
	SampleZIP             string           `json:"sample_zip"` // write-only: explain the targets for this ZIP
	LOCTopic              string           `json:"loc_topic"`
	Status                string           `json:"status"`
	StartsAt              *string          `json:"starts_at"`
	EndsAt                *string          `json:"ends_at"`
	Subject               string           `json:"subject"`
	Template              string           `json:"template"`
	OrganizationStatement string           `json:"organization_statement"`
	TemplateVersion       int              `json:"template_version"`
	Delivery              *deliveryJSON    `json:"delivery"`
	CiteRelease           *bool            `json:"cite_release"`
	CallScript            *callScriptJSON  `json:"call_script"`
	CallsOnly             bool             `json:"calls_only"`
	EmbedOrigins          []string         `json:"embed_origins"`
	Demo                  json.RawMessage  `json:"demo"`
	Hold                  json.RawMessage  `json:"hold"`
	TargetsReach          json.RawMessage  `json:"targets_reach"`
	ID                    json.RawMessage  `json:"id"`
	CreatedBy             json.RawMessage  `json:"created_by"`
	CreatedAt             json.RawMessage  `json:"created_at"`
	UpdatedAt             json.RawMessage  `json:"updated_at"`
}

func inputOf(c campaign.Campaign) campaignInput {
	in := campaignInput{Title: c.Title, TitleES: c.TitleES, SubjectES: c.SubjectES, TemplateES: c.TemplateES, Slug: c.Slug, Kind: string(kindOr(c.Kind)), SummaryEN: c.SummaryEN, SummaryES: c.SummaryES,
		CallToActionEN: c.CallToActionEN, CallToActionES: c.CallToActionES, Targets: slices.Clone(c.Targets), LOCTopic: c.LOCTopic,
		Status: string(c.Status), Subject: c.Subject, Template: c.Template, OrganizationStatement: c.OrganizationStatement}
	cite := !c.NoCitation
	in.CiteRelease = &cite
	in.CallScript, in.CallsOnly = &callScriptJSON{EN: c.CallScriptEN, ES: c.CallScriptES}, c.CallsOnly
	in.EmbedOrigins = slices.Clone(c.EmbedOrigins)
	for _, p := range []struct {
		t   *time.Time
		dst **string
	}{{c.StartsAt, &in.StartsAt}, {c.EndsAt, &in.EndsAt}} {
		if p.t != nil {
			v := p.t.UTC().Format(time.RFC3339)
			*p.dst = &v
		}
	}
	return in
}

// decodeInput reads a JSON body onto in. Unknown fields and wrong types
// are refused with the field's name.
func decodeInput(c echo.Context, in *campaignInput) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(in); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field != "":
			msg := "must be a string"
			switch te.Type.Kind() {
			case reflect.Int:
				msg = "must be a whole number"
			case reflect.Pointer:
				msg = "must be a string or null"
			case reflect.Slice:
				msg = "must be a list"
			case reflect.Struct:
				msg = "must be an object"
			case reflect.Bool:
				msg = "must be true or false"
			}
			return &campaign.ValidationError{Errors: []campaign.FieldError{{Field: te.Field, Message: msg}}}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return &campaign.ValidationError{Errors: []campaign.FieldError{{Field: name, Message: "is not a campaign field"}}}
		case strings.HasPrefix(err.Error(), "targets: "):
			return &campaign.ValidationError{Errors: []campaign.FieldError{{Field: "targets", Message: strings.TrimPrefix(err.Error(), "targets: ")}}}
		case errors.Is(err, io.EOF):
			return echo.NewHTTPError(http.StatusBadRequest, "send the campaign as a JSON object")
		}
		var he *echo.HTTPError
		if errors.As(err, &he) { // body too large
			return err
		}
		return echo.NewHTTPError(http.StatusBadRequest, "the request body is not valid JSON")
	}
	if dec.More() {
		return echo.NewHTTPError(http.StatusBadRequest, "send one JSON object")
	}
	return nil
}

// campaignOf turns input into a campaign (times parsed, text normalized).
func (s *Server) checkSampleZIP(zip string, r *refused) {
	if strings.TrimSpace(zip) == "" {
		return
	}
	if _, err := s.deps.Congress.LookupZIP(zip); err != nil {
		r.add("sample_zip", err.Error())
	}
}

func (in campaignInput) campaignOf(r *refused) campaign.Campaign {
	c := campaign.Campaign{Title: in.Title, TitleES: in.TitleES, SubjectES: in.SubjectES, TemplateES: in.TemplateES, Slug: in.Slug, Kind: campaign.Kind(in.Kind), SummaryEN: in.SummaryEN, SummaryES: in.SummaryES,
		CallToActionEN: in.CallToActionEN, CallToActionES: in.CallToActionES, Targets: in.Targets,
		LOCTopic: in.LOCTopic, Status: campaign.Status(in.Status), Subject: in.Subject, Template: in.Template,
		OrganizationStatement: in.OrganizationStatement, TemplateVersion: in.TemplateVersion, NoCitation: in.CiteRelease != nil && !*in.CiteRelease,
		StartsAt: parseAPITime(r, "starts_at", in.StartsAt), EndsAt: parseAPITime(r, "ends_at", in.EndsAt), CallsOnly: in.CallsOnly,
		EmbedOrigins: slices.Clone(in.EmbedOrigins)}
	if in.CallScript != nil {
		c.CallScriptEN, c.CallScriptES = in.CallScript.EN, in.CallScript.ES
	}
	c.Normalize()
	return c
}

// apiFieldNames renames the call script's fields as the API spells them
// (call_script.en, call_script.es) in a refusal.
func apiFieldNames(err error) error {
	var ve *campaign.ValidationError
	if errors.As(err, &ve) {
		for i, fe := range ve.Errors {
			switch fe.Field {
			case "call_script_en":
				ve.Errors[i].Field = "call_script.en"
			case "call_script_es":
				ve.Errors[i].Field = "call_script.es"
			}
		}
	}
	return err
}

func (s *Server) apiCampaigns(c echo.Context) error {
	list, err := s.deps.Store.Campaigns(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]campaignJSON, len(list))
	for i, x := range list {
		out[i] = toJSON(x)
	}
	return c.JSON(http.StatusOK, map[string]any{"campaigns": out})
}

func (s *Server) apiCampaign(c echo.Context) error {
	cur, err := s.loadCampaign(c)
	if err != nil {
		return err
	}
	out := toJSON(cur)
	d, err := s.campaignDelivery(c.Request().Context(), cur.ID)
	if err != nil {
		return err
	}
	out.Delivery = &d
	if err := s.explainTargets(&out, c.QueryParam("sample_zip")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// explainTargets adds what each targeting rule reaches for zip ("" for
// none). A bad ZIP is refused naming sample_zip.
func (s *Server) explainTargets(out *campaignJSON, zip string) error {
	if strings.TrimSpace(zip) == "" {
		return nil
	}
	ex, err := out.Targets.Explain(s.deps.Congress, zip)
	if err != nil {
		return &campaign.ValidationError{Errors: []campaign.FieldError{{Field: "sample_zip", Message: err.Error()}}}
	}
	out.TargetsReach = &ex
	return nil
}

// withDelivery is the campaign's JSON with its delivery settings.
func (s *Server) withDelivery(c echo.Context, saved campaign.Campaign) (campaignJSON, error) {
	out := toJSON(saved)
	d, err := s.campaignDelivery(c.Request().Context(), saved.ID)
	if err != nil {
		return out, err
	}
	out.Delivery = &d
	return out, nil
}

// apiCreateCampaign: 201 with the campaign; 422 with field_errors when
// anything is refused (nothing is saved); 409 when the slug is taken.
func (s *Server) apiCreateCampaign(c echo.Context) error {
	def := deliveryOf(s.deliveryDefaults(), false)
	in := campaignInput{Status: string(campaign.Draft), Delivery: &def}
	if err := decodeInput(c, &in); err != nil {
		return err
	}
	var r refused
	next := in.campaignOf(&r)
	s.checkSampleZIP(in.SampleZIP, &r)
	own := in.Delivery != nil && !in.Delivery.same(deliveryOf(s.deliveryDefaults(), false))
	if own {
		s.checkDelivery(in.Delivery, &r)
	}
	err := s.validateCampaign(c.Request().Context(), &next, nil)
	if err := r.merge(err); err != nil {
		return apiFieldNames(err)
	}
	var saved campaign.Campaign
	if own {
		saved, err = s.deps.Store.CreateCampaignAndDelivery(c.Request().Context(), next, in.Delivery.settings(0), audit(c, "campaign.create", "", ""))
	} else {
		saved, err = s.deps.Store.CreateCampaign(c.Request().Context(), next, audit(c, "campaign.create", "", ""))
	}
	if err != nil {
		return campaign.AsValidation(err)
	}
	out, err := s.withDelivery(c, saved)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/api/v1/campaigns/"+idStr(saved.ID))
	if err := s.explainTargets(&out, in.SampleZIP); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

// apiUpdateCampaign changes the fields sent and keeps the others.
func (s *Server) apiUpdateCampaign(c echo.Context) error {
	cur, err := s.loadCampaign(c)
	if err != nil {
		return err
	}
	in := inputOf(cur)
	// Fields of "delivery" left out keep their values.
	was, err := s.campaignDelivery(c.Request().Context(), cur.ID)
	if err != nil {
		return err
	}
	edit := was
	edit.Channels = slices.Clone(was.Channels)
	in.Delivery = &edit
	if err := decodeInput(c, &in); err != nil {
		return err
	}
	var r refused
	next := in.campaignOf(&r)
	s.checkSampleZIP(in.SampleZIP, &r)
	next.ID = cur.ID
	changed := in.Delivery != nil && !in.Delivery.same(was)
	if changed {
		s.checkDelivery(in.Delivery, &r)
	}
	err = s.validateCampaign(c.Request().Context(), &next, &cur)
	if err := r.merge(err); err != nil {
		return apiFieldNames(err)
	}
	var saved campaign.Campaign
	if changed {
		saved, err = s.deps.Store.UpdateCampaignAndDelivery(c.Request().Context(), next, in.Delivery.settings(cur.ID), audit(c, "campaign.update", "", ""))
	} else {
		saved, err = s.deps.Store.UpdateCampaign(c.Request().Context(), next, audit(c, "campaign.update", "", ""))
	}
	if err != nil {
		return campaign.AsValidation(err)
	}
	out, err := s.withDelivery(c, saved)
	if err != nil {
		return err
	}
	if err := s.explainTargets(&out, in.SampleZIP); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

type previewMemberJSON struct {
	BioguideID string `json:"bioguide_id"`
	Name       string `json:"name"`
	Title      string `json:"title"`
	Chamber    string `json:"chamber"`
	State      string `json:"state"`
	District   *int   `json:"district"`
}

// apiCampaignPreview answers the exact subject and body the office of
// ?bioguide_id= would receive from the sample supporter, for the current
// letter or for ?version=n.
func (s *Server) apiCampaignPreview(c echo.Context) error {
	cur, err := s.loadCampaign(c)
	if err != nil {
		return err
	}
	id := strings.TrimSpace(c.QueryParam("bioguide_id"))
	if id == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "bioguide_id is required, like P000197")
	}
	m, ok := s.deps.Congress.Member(id)
	if !ok {
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("no sitting member has bioguide_id %q", id))
	}
	ver, err := s.versionParam(c, cur, "version")
	if err != nil {
		return err
	}
	if ver.Subject == "" && ver.Body == "" {
		return echo.NewHTTPError(http.StatusConflict, "this campaign has no letter (it asks for calls only): there is nothing to preview")
	}
	cp, verr := campaign.Compile(ver.Subject, ver.Body, ver.OrganizationStatement)
	if verr != nil {
		return verr
	}
	stats, release, err := s.statsProvider().Latest(c.Request().Context())
	if err != nil {
		return err
	}
	rel, _ := stats.(campaign.Release)
	if errs := cp.Refusals(rel); len(errs) > 0 {
		return &campaign.ValidationError{Errors: errs}
	}
	p, err := cp.Preview(c.Request().Context(), cur.Targets.Reaches(s.deps.Congress, m), s.seatsFor(cur.Targets, m), m, stats, release)
	if err != nil {
		return renderRefusal(err)
	}
	if rel.ID != 0 {
		p.Body = withCitation(p.Body, s.citation(cp, cur, rel))
	}
	body := map[string]any{
		"subject": p.Subject, "body": p.Body, "organization_statement": p.OrganizationStatement,
		"template_version": ver.Number, "targeted": p.Targeted,
		"member": previewMemberJSON{BioguideID: m.BioguideID, Name: m.Name, Title: m.Title, Chamber: string(m.Chamber),
			State: m.State, District: m.District},
		"stats_release_id": nil, "sample_statistics": release == 0,
	}
	if release != 0 {
		body["stats_release_id"] = release
	}
	return c.JSON(http.StatusOK, body)
}

// renderRefusal explains a render failure of a valid template (a subject
// that grows past 200 characters with these values, say) as a field
// error; other errors pass through.
func renderRefusal(err error) error {
	switch {
	case errors.Is(err, letter.ErrSubjectTooLong):
		return &campaign.ValidationError{Errors: []campaign.FieldError{{Field: "subject", Message: "is longer than 200 characters for this member"}}}
	case errors.Is(err, letter.ErrTooLarge):
		return &campaign.ValidationError{Errors: []campaign.FieldError{{Field: "template", Message: "renders a letter larger than 64 KiB for this member"}}}
	case errors.Is(err, letter.ErrTimeout):
		return &campaign.ValidationError{Errors: []campaign.FieldError{{Field: "template", Message: "took too long to render"}}}
	case errors.Is(err, letter.ErrStatUnavailable):
		return &campaign.ValidationError{Errors: []campaign.FieldError{{Field: "template", Message: err.Error()}}}
	}
	return err
}

// versionParam returns the version named by query parameter name, or the
// current letter when it is absent.
func (s *Server) versionParam(c echo.Context, cur campaign.Campaign, name string) (campaign.Version, error) {
	v := strings.TrimSpace(c.QueryParam(name))
	if v == "" {
		v = strconv.Itoa(cur.TemplateVersion)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return campaign.Version{}, echo.NewHTTPError(http.StatusBadRequest, name+" must be a version number from 1 to "+strconv.Itoa(cur.TemplateVersion))
	}
	ver, err := s.deps.Store.CampaignVersion(c.Request().Context(), cur.ID, n)
	if errors.Is(err, store.ErrNotFound) {
		return campaign.Version{}, echo.NewHTTPError(http.StatusBadRequest, name+" must be a version number from 1 to "+strconv.Itoa(cur.TemplateVersion))
	}
	return ver, err
}

type versionJSON struct {
	Version               int       `json:"version"`
	Subject               string    `json:"subject"`
	Body                  string    `json:"body"`
	OrganizationStatement string    `json:"organization_statement"`
	CreatedBy             int64     `json:"created_by"`
	CreatedByEmail        string    `json:"created_by_email"`
	CreatedAt             time.Time `json:"created_at"`
}

func (s *Server) apiCampaignVersions(c echo.Context) error {
	cur, err := s.loadCampaign(c)
	if err != nil {
		return err
	}
	vs, err := s.deps.Store.CampaignVersions(c.Request().Context(), cur.ID)
	if err != nil {
		return err
	}
	out := make([]versionJSON, len(vs))
	for i, v := range vs {
		out[i] = versionJSON{Version: v.Number, Subject: v.Subject, Body: v.Body, OrganizationStatement: v.OrganizationStatement,
			CreatedBy: v.CreatedBy, CreatedByEmail: v.CreatedByEmail, CreatedAt: v.CreatedAt}
	}
	return c.JSON(http.StatusOK, map[string]any{"campaign_id": cur.ID, "current_version": cur.TemplateVersion, "versions": out})
}

type diffLineJSON struct {
	Op   string `json:"op"` // " ", "-" or "+"
	Text string `json:"text"`
}

func diffJSON(a, b string) []diffLineJSON {
	lines := letter.Diff(a, b)
	out := make([]diffLineJSON, len(lines))
	for i, l := range lines {
		out[i] = diffLineJSON{Op: string(rune(l.Op)), Text: l.Text}
	}
	return out
}

// apiCampaignDiff compares versions ?a= and ?b= line by line (b defaults
// to the current version, a to the one before b).
func (s *Server) apiCampaignDiff(c echo.Context) error {
	cur, a, b, err := s.diffVersions(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{
		"campaign_id": cur.ID, "a": a.Number, "b": b.Number,
		"subject":                diffJSON(a.Subject, b.Subject),
		"body":                   diffJSON(a.Body, b.Body),
		"organization_statement": diffJSON(a.OrganizationStatement, b.OrganizationStatement),
	})
}

// diffVersions loads the campaign and the two versions to compare.
func (s *Server) diffVersions(c echo.Context) (cur campaign.Campaign, a, b campaign.Version, err error) {
	if cur, err = s.loadCampaign(c); err != nil {
		return
	}
	if b, err = s.versionParam(c, cur, "b"); err != nil {
		return
	}
	if strings.TrimSpace(c.QueryParam("a")) == "" { // the version before b
		q := c.Request().URL.Query()
		q.Set("a", strconv.Itoa(max(b.Number-1, 1)))
		c.Request().URL.RawQuery = q.Encode()
	}
	a, err = s.versionParam(c, cur, "a")
	return
}
