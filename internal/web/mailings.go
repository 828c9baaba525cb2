package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/mailing"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/supporters"
)

// supportersURL is the staff list of a segment's supporters.
func supportersURL(seg mailing.Segment) string {
	if e := seg.Values().Encode(); e != "" {
		return "/admin/supporters?" + e
	}
	return "/admin/supporters"
}

// Mobilization emails (internal/mailing): staff write one, preview it,
// and send it now or later; the progress view follows the send.

func (s *Server) mailingRoutes(adm, api *echo.Group) {
	view, edit := auth.PermViewCampaigns, auth.PermEditCampaigns
	s.staff(api, http.MethodGet, "/mailings", view, s.apiMailings)
	s.staff(api, http.MethodPost, "/mailings", edit, s.apiCreateMailing)
	s.staff(api, http.MethodPost, "/mailings/preview", edit, s.apiPreviewMailing)
	s.staff(api, http.MethodGet, "/mailings/:id", view, s.apiMailing)
	s.staff(api, http.MethodPost, "/mailings/:id/cancel", edit, s.apiCancelMailing)
	s.staff(adm, http.MethodGet, "/mailings", view, s.mailingsPage)
	s.staff(adm, http.MethodGet, "/mailings/new", edit, s.newMailingPage)
	s.staff(adm, http.MethodPost, "/mailings", edit, s.createMailing)
	s.staff(adm, http.MethodGet, "/mailings/:id", view, s.mailingPage)
	s.staff(adm, http.MethodPost, "/mailings/:id/cancel", edit, s.cancelMailing)
}

// mailingInput is the JSON (and form) of a new mailing.
type mailingInput struct {
	Name       string          `json:"name"`
	CampaignID *int64          `json:"campaign_id"`
	SubjectEN  string          `json:"subject_en"`
	BodyEN     string          `json:"body_en"`
	SubjectES  string          `json:"subject_es"`
	BodyES     string          `json:"body_es"`
	Segment    mailing.Segment `json:"segment"`
	SendAt     *string         `json:"send_at"`
	Preview    *previewTarget  `json:"preview,omitempty"`
}

// previewTarget chooses the supporter a preview is for: the address of
// one in the segment (empty: the sample supporter) and the language.
type previewTarget struct {
	Email string `json:"email"`
	Lang  string `json:"lang"`
}

// draft reads the input; problems reading it (a time that does not
// parse) are added to r.
func (in mailingInput) draft(r *refused) mailing.Draft {
	d := mailing.Draft{Name: in.Name, SubjectEN: in.SubjectEN, BodyEN: in.BodyEN, SubjectES: in.SubjectES, BodyES: in.BodyES}
	if in.CampaignID != nil {
		d.CampaignID = *in.CampaignID
	}
	d.Segment = in.Segment
	if in.SendAt != nil && strings.TrimSpace(*in.SendAt) != "" {
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(*in.SendAt))
		if err != nil {
			r.add("send_at", "must be a time like 2026-12-05T18:00:00Z")
		} else {
			d.SendAt = &t
		}
	}
	d.Normalize()
	return d
}

// checkMailing validates a draft and its references: the campaigns exist,
// the segment's filters are the list's and can be used, and the segment
// matches someone now. It returns the segment's filter and the
// recipients by language.
func (s *Server) checkMailing(ctx context.Context, d mailing.Draft, r refused) (store.SupporterFilter, map[string]int, error) {
	_, err := mailing.Validate(d, s.deps.Now())
	var ve *campaign.ValidationError
	if err != nil && !errors.As(err, &ve) {
		return store.SupporterFilter{}, nil, err
	}
	if ve == nil {
		ve = &campaign.ValidationError{Object: "mailing"}
	}
	ve.Errors = append(r, ve.Errors...)
	if d.CampaignID != 0 {
		if _, err := s.deps.Store.Campaign(ctx, d.CampaignID); errors.Is(err, store.ErrNotFound) {
			ve.Errors = append(ve.Errors, campaign.FieldError{Field: "campaign_id", Message: "is not a campaign"})
		} else if err != nil {
			return store.SupporterFilter{}, nil, err
		}
	}
	f, err := d.Segment.Filter(s.campaignRef(ctx), supporters.DirectoryOf(s.deps.Congress))
	var sve *campaign.ValidationError
	if errors.As(err, &sve) {
		ve.Errors = append(ve.Errors, sve.Errors...)
	} else if err != nil {
		return f, nil, err
	}
	if sve != nil {
		return f, nil, ve
	}
	counts, err := s.deps.Store.CountMailingRecipients(ctx, mailing.Query(f, s.deps.Now()))
	if err != nil {
		return f, nil, err
	}
	if total(counts) == 0 {
		ve.Errors = append(ve.Errors, campaign.FieldError{Field: "segment",
			Message: "matches no supporter who can be emailed now (confirmed opt-in, not unsubscribed, not bounced): nothing would be sent"})
	}
	if len(ve.Errors) > 0 {
		return f, counts, ve
	}
	return f, counts, nil
}

func total(counts map[string]int) int {
	n := 0
	for _, v := range counts {
		n += v
	}
	return n
}

func decodeMailing(c echo.Context, in *mailingInput) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(in); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return &campaign.ValidationError{Object: "mailing", Errors: []campaign.FieldError{{Field: te.Field, Message: "has the wrong type"}}}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			msg := "is not a mailing field"
			if name == "no_reply_campaign_id" {
				// the segment's filters are the supporter list's since 00034
				msg = "is now not_replied_campaign_id: the House office of the supporter's district has not replied to this campaign"
				name = "segment." + name
			}
			return &campaign.ValidationError{Object: "mailing", Errors: []campaign.FieldError{{Field: name, Message: msg}}}
		}
		return echo.NewHTTPError(http.StatusBadRequest, "the body must be a JSON object describing a mailing")
	}
	return nil
}

// saveMailing validates and stores a mailing with its job (due at
// send_at, or now).
func (s *Server) saveMailing(c echo.Context, d mailing.Draft, r refused) (store.Mailing, error) {
	ctx := c.Request().Context()
	if _, _, err := s.checkMailing(ctx, d, r); err != nil {
		return store.Mailing{}, err
	}
	row, err := d.Row()
	if err != nil {
		return store.Mailing{}, err
	}
	if u := currentUser(c); u != nil {
		id := u.ID
		row.CreatedBy = &id
	}
	var enqueue store.MailingEnqueue
	if s.deps.Jobs != nil {
		enqueue = mailing.Enqueue(s.deps.Jobs)
	}
	return s.deps.Store.CreateMailing(ctx, row, audit(c, "mailing.create", "", ""), enqueue)
}

// mailingJSON is a mailing and its progress.
type mailingJSON struct {
	ID         int64           `json:"id"`
	Name       string          `json:"name"`
	Status     string          `json:"status"`
	CampaignID *int64          `json:"campaign_id"`
	SubjectEN  string          `json:"subject_en"`
	BodyEN     string          `json:"body_en"`
	SubjectES  string          `json:"subject_es"`
	BodyES     string          `json:"body_es"`
	Segment    mailing.Segment `json:"segment"`
	// SupportersURL is the supporter list with the segment's filters: the
	// same people (until the mailing's cutoff).
	SupportersURL string  `json:"supporters_url"`
	Source        string  `json:"source"`
	SendAt        *string `json:"send_at"`
	CreatedAt     string  `json:"created_at"`
	StartedAt     *string `json:"started_at"`
	FinishedAt    *string `json:"finished_at"`
	Total         int     `json:"total"`
	Sent          int     `json:"sent"`
	Failed        int     `json:"failed"`
	Unknown       int     `json:"unknown"`
	Left          int     `json:"left"`
	// Unsubscribed: supporters who left the list through this mailing's
	// links since it was sent.
	Unsubscribed int     `json:"unsubscribed"`
	Rate         float64 `json:"rate"`
	Detail       string  `json:"detail"`
}

func timeStr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	v := t.UTC().Format(time.RFC3339)
	return &v
}

// progressOf is a mailing's figures: left is what the send has still to
// try (0 once it ended: recipients who left the list meanwhile were not
// sent to), rate the emails taken per second from the first batch to the
// last (or to now while sending).
func (s *Server) mailingJSONOf(ctx context.Context, m store.Mailing) (mailingJSON, error) {
	p, err := s.deps.Store.MailingProgress(ctx, m.ID)
	if err != nil {
		return mailingJSON{}, err
	}
	seg, _ := mailing.SegmentOf(m)
	out := mailingJSON{ID: m.ID, Name: m.Name, Status: m.Status, CampaignID: m.CampaignID, SubjectEN: m.SubjectEN, BodyEN: m.BodyEN,
		SubjectES: m.SubjectES, BodyES: m.BodyES, Source: mailing.Source(m.ID), SendAt: timeStr(m.SendAt),
		CreatedAt: m.CreatedAt.UTC().Format(time.RFC3339), StartedAt: timeStr(m.StartedAt), FinishedAt: timeStr(m.FinishedAt),
		Total: m.Total, Sent: p.Sent, Failed: p.Failed, Unknown: p.Unknown, Unsubscribed: p.Unsubscribed, Detail: m.Detail, Segment: seg, SupportersURL: supportersURL(seg)}
	switch m.Status {
	case store.MailingSending:
		out.Left = max(0, m.Total-p.Sent-p.Failed-p.Unknown)
	case store.MailingScheduled, store.MailingDraft:
		// what it would go to now (a segment that no longer applies, a
		// committee gone from the data say: nobody)
		if f, err := seg.Filter(nil, supporters.DirectoryOf(s.deps.Congress)); err == nil {
			counts, err := s.deps.Store.CountMailingRecipients(ctx, mailing.Query(f, s.deps.Now()))
			if err != nil {
				return mailingJSON{}, err
			}
			out.Left = total(counts)
		}
	}
	if p.First != nil && p.Sent > 0 {
		end := s.deps.Now()
		if m.Status != store.MailingSending && p.Last != nil {
			end = *p.Last
		}
		if secs := end.Sub(*p.First).Seconds(); secs > 0 {
			out.Rate = float64(int(float64(p.Sent)/secs*10)) / 10
		}
	}
	return out, nil
}

func (s *Server) apiMailings(c echo.Context) error {
	ctx := c.Request().Context()
	list, err := s.deps.Store.Mailings(ctx, 200)
	if err != nil {
		return err
	}
	out := make([]mailingJSON, 0, len(list))
	for _, m := range list {
		j, err := s.mailingJSONOf(ctx, m)
		if err != nil {
			return err
		}
		out = append(out, j)
	}
	return c.JSON(http.StatusOK, map[string]any{"mailings": out})
}

func (s *Server) apiMailing(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	m, err := s.deps.Store.Mailing(c.Request().Context(), id)
	if err != nil {
		return err
	}
	out, err := s.mailingJSONOf(c.Request().Context(), m)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// apiCreateMailing is POST /api/v1/mailings: 201 with the mailing, which
// is sent at send_at (now when null); 422 with field_errors (templates
// with line and column; "segment" when it matches nobody): nothing saved.
func (s *Server) apiCreateMailing(c echo.Context) error {
	var in mailingInput
	if err := decodeMailing(c, &in); err != nil {
		return err
	}
	var r refused
	if in.Preview != nil {
		r.add("preview", "belongs in POST /api/v1/mailings/preview")
	}
	m, err := s.saveMailing(c, in.draft(&r), r)
	if err != nil {
		return err
	}
	out, err := s.mailingJSONOf(c.Request().Context(), m)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/api/v1/mailings/"+strconv.FormatInt(m.ID, 10))
	return c.JSON(http.StatusCreated, out)
}

// previewJSON is the email one supporter would get, and how many the
// segment matches now.
type previewJSON struct {
	Recipients map[string]int `json:"recipients"` // by language stream ("en", "es" or "all"), and "total"
	// WithoutMembers and WithoutRepresentative count the recipients whose
	// member fields will be empty: never wrote a letter, and the list has
	// no state for them (no members), or a state but no district (no
	// representative).
	WithoutMembers        int               `json:"without_members"`
	WithoutRepresentative int               `json:"without_representative"`
	Lang                  string            `json:"lang"`
	Sample                bool              `json:"sample"` // the sample supporter, not a real one
	Subject               string            `json:"subject"`
	Text                  string            `json:"text"`
	Headers               map[string]string `json:"headers"`
}

// preview renders a draft for one supporter (by address, in the
// segment) or the sample supporter, in lang.
func (s *Server) preview(ctx context.Context, d mailing.Draft, t previewTarget, r refused) (previewJSON, error) {
	f, counts, err := s.checkMailing(ctx, d, r)
	var ve *campaign.ValidationError
	if errors.As(err, &ve) {
		// A segment that matches nobody still previews (with the sample).
		kept := ve.Errors[:0]
		for _, fe := range ve.Errors {
			if fe.Field != "segment" {
				kept = append(kept, fe)
			}
		}
		if ve.Errors = kept; len(kept) > 0 {
			return previewJSON{}, ve
		}
	} else if err != nil {
		return previewJSON{}, err
	}
	c, err := mailing.Validate(d, s.deps.Now())
	if err != nil {
		return previewJSON{}, err
	}
	row, err := d.Row()
	if err != nil {
		return previewJSON{}, err
	}
	stream := store.StreamAll
	if c.Spanish() {
		stream = store.StreamEN
		if t.Lang == "es" {
			stream = store.StreamES
		}
	}
	w := &mailing.Worker{Store: s.deps.Store, Keys: s.deps.Keys, BaseURL: s.deps.BaseURL, OrgName: s.deps.OrgName, Now: s.deps.Now}
	if s.deps.Congress != nil {
		w.Member, w.Place = s.deps.Congress.Member, s.places()
	}
	var rc *store.MailingRecipient
	if addr := strings.TrimSpace(t.Email); addr != "" {
		got, err := s.deps.Store.MailingRecipientByIndex(ctx, mailing.Query(f, s.deps.Now()), s.deps.Keys.Index("email", strings.ToLower(addr)))
		if errors.Is(err, store.ErrNotFound) {
			return previewJSON{}, &campaign.ValidationError{Object: "mailing", Errors: []campaign.FieldError{{Field: "preview.email",
				Message: "is not a supporter this segment would email (not opted in, unsubscribed, or outside the segment)"}}}
		}
		if err != nil {
			return previewJSON{}, err
		}
		rc = &got
		if c.Spanish() {
			stream = store.StreamEN
			if got.Lang == "es" {
				stream = store.StreamES
			}
		}
	}
	e, err := w.Preview(ctx, row, c, stream, rc)
	if err != nil {
		return previewJSON{}, err
	}
	lang := "en"
	if stream == store.StreamES {
		lang = "es"
	}
	if counts == nil {
		counts = map[string]int{}
	}
	out := previewJSON{Recipients: recipientsByStream(c, counts), Lang: lang, Sample: rc == nil, Subject: e.Subject, Text: e.Text, Headers: e.Headers}
	if out.Recipients["total"] > 0 {
		if out.WithoutMembers, out.WithoutRepresentative, err = s.deps.Store.UnknownPlaces(ctx, mailing.Query(f, s.deps.Now())); err != nil {
			return previewJSON{}, err
		}
	}
	return out, nil
}

// recipientsByStream regroups counts by language into the mailing's
// streams.
func recipientsByStream(c *mailing.Compiled, counts map[string]int) map[string]int {
	out := map[string]int{"total": total(counts)}
	if c.Spanish() {
		out[store.StreamES] = counts["es"]
		out[store.StreamEN] = out["total"] - counts["es"]
	} else {
		out[store.StreamAll] = out["total"]
	}
	return out
}

// apiPreviewMailing is POST /api/v1/mailings/preview: the draft (as for
// POST /api/v1/mailings, with "preview": {"email", "lang"}) rendered for
// one supporter, and the recipients it has now. Nothing is saved.
func (s *Server) apiPreviewMailing(c echo.Context) error {
	var in mailingInput
	if err := decodeMailing(c, &in); err != nil {
		return err
	}
	var r refused
	d := in.draft(&r)
	var t previewTarget
	if in.Preview != nil {
		t = *in.Preview
	}
	out, err := s.preview(c.Request().Context(), d, t, r)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiCancelMailing(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if err := s.cancelMailingID(c, id); err != nil {
		return err
	}
	return s.apiMailing(c)
}

func (s *Server) cancelMailingID(c echo.Context, id int64) error {
	err := s.deps.Store.CancelMailing(c.Request().Context(), id, audit(c, "mailing.cancel", "", ""))
	if errors.Is(err, store.ErrMailingState) {
		return echo.NewHTTPError(http.StatusConflict, "this mailing has ended: it can no longer be cancelled")
	}
	return err
}

// --- pages ---

type mailingsView struct {
	Mailings []mailingJSON
}

func (s *Server) mailingsPage(c echo.Context) error {
	ctx := c.Request().Context()
	list, err := s.deps.Store.Mailings(ctx, 100)
	if err != nil {
		return err
	}
	var v mailingsView
	for _, m := range list {
		j, err := s.mailingJSONOf(ctx, m)
		if err != nil {
			return err
		}
		v.Mailings = append(v.Mailings, j)
	}
	return s.render(c, http.StatusOK, "mailings", v, false)
}

type mailingFormView struct {
	In       mailingInput
	SendAt   string     // as typed (datetime-local, UTC)
	Seg      url.Values // the segment's filters as typed, by the list's parameter names
	Campaign string     // the campaign the email links to
	// Options of the segment's selects, and the link campaign's.
	SegCampaigns, NotReplied, NotWritten, Committees, Campaigns []option
	Fields                                                      []string
	Errors                                                      formErrors
	Problems                                                    []problemView // named by their labels
	Preview                                                     *previewJSON
	Email                                                       string // preview for this supporter
	Lang                                                        string
	ListURL                                                     string // the supporter list with these filters
	SegLangs, Origins                                           []option
}

// segmentParams are the list's filters a mailing's segment offers (all
// but status: a mailing goes only to those who can be emailed).
var segmentParams = func() []string {
	var out []string
	for _, p := range supporters.FilterParams {
		if p != "status" {
			out = append(out, p)
		}
	}
	return out
}()

func (s *Server) mailingForm(ctx context.Context, v *mailingFormView) error {
	camps, err := s.deps.Store.Campaigns(ctx)
	if err != nil {
		return err
	}
	if v.Seg == nil {
		v.Seg = url.Values{}
	}
	pick := func(param, none string) []option {
		return []option{{Value: "", Label: none, Selected: v.Seg.Get(param) == ""}}
	}
	v.Campaigns = []option{{Value: "", Label: "None", Selected: v.Campaign == ""}}
	v.SegCampaigns = pick("campaign", "Any campaign")
	v.NotReplied, v.NotWritten = pick("not_replied", "(no condition)"), pick("not_written", "(no condition)")
	for _, cp := range camps {
		id := strconv.FormatInt(cp.ID, 10)
		v.Campaigns = append(v.Campaigns, option{Value: id, Label: cp.Title, Selected: v.Campaign == id})
		v.SegCampaigns = append(v.SegCampaigns, option{Value: id, Label: cp.Title, Selected: v.Seg.Get("campaign") == id})
		v.NotReplied = append(v.NotReplied, option{Value: id, Label: cp.Title, Selected: v.Seg.Get("not_replied") == id})
		v.NotWritten = append(v.NotWritten, option{Value: id, Label: cp.Title, Selected: v.Seg.Get("not_written") == id})
	}
	// A campaign the link or the API named that is not one (a typo, a
	// deleted campaign) stays selected as typed, marked unknown: showing
	// "Any campaign" instead would widen the mailing to every supporter.
	for _, c := range []struct {
		param string
		opts  *[]option
	}{{"campaign", &v.SegCampaigns}, {"not_replied", &v.NotReplied}, {"not_written", &v.NotWritten}} {
		x := strings.TrimSpace(v.Seg.Get(c.param))
		if x == "" || slices.ContainsFunc(*c.opts, func(o option) bool { return o.Selected && o.Value != "" }) {
			continue
		}
		*c.opts = append(*c.opts, option{Value: x, Label: x + " (unknown)", Selected: true})
		if v.Errors == nil {
			v.Errors = formErrors{}
		}
		if _, ok := v.Errors["seg_"+c.param]; !ok {
			v.Errors["seg_"+c.param] = "No campaign has the id or link name “" + x + "”: choose one, or “" + (*c.opts)[0].Label + "”."
		}
	}
	v.Committees = pick("committee", "(no condition)")
	sel := strings.ToUpper(strings.TrimSpace(v.Seg.Get("committee")))
	known := sel == ""
	for _, cm := range s.deps.Congress.Committees() {
		label := cm.Name + " (" + cm.ID + ")"
		if cm.ParentID != "" {
			label = "— " + label
		}
		known = known || cm.ID == sel
		v.Committees = append(v.Committees, option{Value: cm.ID, Label: label, Selected: cm.ID == sel})
	}
	if !known { // what was typed (through the API or a link) stays, to be corrected
		v.Committees = append(v.Committees, option{Value: sel, Label: sel + " (unknown)", Selected: true})
	}
	choose := func(param string, opts ...option) []option {
		for i := range opts {
			opts[i].Selected = opts[i].Value == strings.TrimSpace(v.Seg.Get(param))
		}
		return opts
	}
	v.SegLangs = choose("lang", option{Value: "", Label: "Both"}, option{Value: "en", Label: "English"}, option{Value: "es", Label: "Spanish"})
	v.Origins = choose("origin", option{Value: "", Label: "Either"}, option{Value: store.OriginAction, Label: "Double opt-in on a campaign page"},
		option{Value: store.OriginImport, Label: "Imported with consent"})
	if o := strings.TrimSpace(v.Seg.Get("origin")); o != "" && o != store.OriginAction && o != store.OriginImport {
		v.Origins = append(v.Origins, option{Value: o, Label: o + " (unknown)", Selected: true})
	}
	if l := strings.TrimSpace(v.Seg.Get("lang")); l != "" && l != "en" && l != "es" {
		v.SegLangs = append(v.SegLangs, option{Value: l, Label: l + " (unknown)", Selected: true})
	}
	v.Fields = mailing.FieldNames()
	if v.Errors == nil {
		v.Errors = formErrors{}
	}
	vals := url.Values{}
	for _, p := range segmentParams {
		if x := strings.TrimSpace(v.Seg.Get(p)); x != "" {
			vals.Set(p, x)
		}
	}
	v.ListURL = "/admin/supporters"
	if e := vals.Encode(); e != "" {
		v.ListURL += "?" + e
	}
	return nil
}

// newMailingPage is the form, its segment filled from the query: the
// supporter list's filters ("Email these supporters" on the list), a
// campaign by id or slug.
func (s *Server) newMailingPage(c echo.Context) error {
	ctx := c.Request().Context()
	v := mailingFormView{Lang: "en", Seg: url.Values{}}
	ref := s.campaignRef(ctx)
	for _, p := range segmentParams {
		x := strings.TrimSpace(c.QueryParam(p))
		if x == "" {
			continue
		}
		if p == "campaign" || p == "not_replied" || p == "not_written" {
			if id, err := ref(x); err == nil {
				x = strconv.FormatInt(id, 10)
			}
		}
		v.Seg.Set(p, x)
	}
	v.Campaign = v.Seg.Get("campaign")
	if err := s.mailingForm(ctx, &v); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "mailing_new", v, false)
}

// segmentOfForm reads the segment's fields of the form (the list's
// parameter names): campaigns by id, lists split at commas and spaces.
func segmentOfForm(vals url.Values, r *refused) mailing.Segment {
	var seg mailing.Segment
	id := func(param string, dst *int64) {
		if x := strings.TrimSpace(vals.Get(param)); x != "" {
			n, err := strconv.ParseInt(x, 10, 64)
			if err != nil {
				r.add("segment."+mailing.SegmentFields[param], "is not a campaign")
				return
			}
			*dst = n
		}
	}
	list := func(param string) []string {
		return strings.FieldsFunc(vals.Get(param), func(r rune) bool { return r == ',' || r == ' ' })
	}
	id("campaign", &seg.CampaignID)
	id("not_replied", &seg.NotRepliedCampaignID)
	id("not_written", &seg.NotWrittenCampaignID)
	seg.States, seg.Districts = list("state"), list("district")
	seg.Committee, seg.Source, seg.Lang = vals.Get("committee"), vals.Get("source"), vals.Get("lang")
	seg.JoinedFrom, seg.JoinedTo, seg.Origin = vals.Get("from"), vals.Get("to"), vals.Get("origin")
	return seg
}

// formField names a field of the API as the form names it.
func formField(field string) string {
	if rest, ok := strings.CutPrefix(field, "segment."); ok {
		for p, j := range mailing.SegmentFields {
			if j == rest {
				return "seg_" + p
			}
		}
	}
	return strings.ReplaceAll(field, "preview.email", "preview_email")
}

// mailingLabels name the new-mailing form's fields in its error summary
// as the form labels them, rather than by their parameter names.
var mailingLabels = map[string]string{
	"name": "Name", "campaign_id": "Campaign the email links to", "send_at": "Send at",
	"subject_en": "English subject", "body_en": "English body", "subject_es": "Spanish subject", "body_es": "Spanish body",
	"preview_email": "Preview address", "segment": "Send to",
	"seg_campaign": "Send to: campaign", "seg_state": "Send to: states", "seg_district": "Send to: House districts",
	"seg_committee": "Send to: committee", "seg_source": "Send to: source code", "seg_lang": "Send to: language",
	"seg_from": "Send to: joined on or after", "seg_to": "Send to: joined on or before", "seg_origin": "Send to: how they joined",
	"seg_not_replied": "Send to: House office has not replied to", "seg_not_written": "Send to: have not written in",
}

// createMailing is POST /admin/mailings: action=preview shows the email
// for one supporter (or the sample) and the recipients; action=send saves
// and schedules it. Errors keep everything typed.
func (s *Server) createMailing(c echo.Context) error {
	ctx := c.Request().Context()
	v := mailingFormView{SendAt: strings.TrimSpace(c.FormValue("send_at")), Campaign: c.FormValue("campaign_id"), Seg: url.Values{},
		Email: strings.TrimSpace(c.FormValue("preview_email")), Lang: c.FormValue("preview_lang")}
	for _, p := range segmentParams {
		v.Seg.Set(p, c.FormValue("seg_"+p))
	}
	v.In = mailingInput{Name: c.FormValue("name"), SubjectEN: c.FormValue("subject_en"), BodyEN: c.FormValue("body_en"),
		SubjectES: c.FormValue("subject_es"), BodyES: c.FormValue("body_es")}
	var r refused
	if v.Campaign != "" {
		if id, err := strconv.ParseInt(v.Campaign, 10, 64); err != nil {
			r.add("campaign_id", "is not a campaign")
		} else {
			v.In.CampaignID = &id
		}
	}
	v.In.Segment = segmentOfForm(v.Seg, &r)
	d := v.In.draft(&r)
	if v.SendAt != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", v.SendAt, time.UTC)
		if err != nil {
			r.add("send_at", "must be a date and time like 2026-12-05T18:00 (UTC)")
		} else {
			d.SendAt = &t
		}
	}
	var err error
	if c.FormValue("action") == "preview" {
		var p previewJSON
		p, err = s.preview(ctx, d, previewTarget{Email: v.Email, Lang: v.Lang}, r)
		if err == nil {
			v.Preview = &p
			if ferr := s.mailingForm(ctx, &v); ferr != nil {
				return ferr
			}
			return s.render(c, http.StatusOK, "mailing_new", v, false)
		}
	} else {
		var m store.Mailing
		m, err = s.saveMailing(c, d, r)
		if err == nil {
			when := "now"
			if m.SendAt != nil {
				when = "at " + m.SendAt.UTC().Format("2006-01-02 15:04") + " UTC"
			}
			flash(c, fmt.Sprintf("Mailing %q saved: it is sent %s.", m.Name, when))
			return c.Redirect(http.StatusSeeOther, "/admin/mailings/"+strconv.FormatInt(m.ID, 10))
		}
	}
	var ve *campaign.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	v.Errors = formErrors{}
	var problems []campaign.FieldError
	for _, fe := range ve.Errors {
		name := formField(fe.Field)
		msg := fe.Message
		if fe.Line > 0 {
			msg = fmt.Sprintf("line %d, column %d: %s", fe.Line, fe.Column, fe.Message)
		}
		if prev, ok := v.Errors[name]; ok {
			msg = prev + "; " + msg
		}
		v.Errors[name] = msg
		problems = append(problems, campaign.FieldError{Field: name, Line: fe.Line, Column: fe.Column, Message: fe.Message})
	}
	v.Problems = problemViews(problems, mailingLabels, map[string]string{"subject_en": v.In.SubjectEN, "body_en": v.In.BodyEN,
		"subject_es": v.In.SubjectES, "body_es": v.In.BodyES})
	if ferr := s.mailingForm(ctx, &v); ferr != nil {
		return ferr
	}
	return s.render(c, http.StatusUnprocessableEntity, "mailing_new", v, false)
}

type mailingView struct {
	M       mailingJSON
	Segment []string // the segment's filters, in words
	Batches []store.MailingBatch
	Live    bool
	Confirm bool // asked to cancel: say what happens first
}

func (s *Server) mailingPage(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	m, err := s.deps.Store.Mailing(ctx, id)
	if err != nil {
		return err
	}
	j, err := s.mailingJSONOf(ctx, m)
	if err != nil {
		return err
	}
	batches, err := s.deps.Store.MailingBatches(ctx, id)
	if err != nil {
		return err
	}
	v := mailingView{M: j, Batches: batches, Live: m.Status == store.MailingSending || m.Status == store.MailingScheduled,
		Segment: s.describeSegment(ctx, j.Segment)}
	v.Confirm = v.Live && c.QueryParam("cancel") == "1"
	if v.Live && !v.Confirm {
		c.Response().Header().Set("Refresh", "10") // the figures follow the send
	}
	return s.render(c, http.StatusOK, "mailing", v, false)
}

// describeSegment says a segment's filters in words, for the progress
// page.
func (s *Server) describeSegment(ctx context.Context, seg mailing.Segment) []string {
	title := func(id int64) string {
		if c, err := s.deps.Store.Campaign(ctx, id); err == nil {
			return c.Title
		}
		return "campaign " + strconv.FormatInt(id, 10)
	}
	var out []string
	add := func(ok bool, f string, a ...any) {
		if ok {
			out = append(out, fmt.Sprintf(f, a...))
		}
	}
	add(seg.CampaignID != 0, "joined through or wrote in %s", title(seg.CampaignID))
	add(len(seg.States) > 0, "in %s", strings.Join(seg.States, ", "))
	add(len(seg.Districts) > 0, "in district %s", strings.Join(seg.Districts, ", "))
	if seg.Committee != "" {
		name := seg.Committee
		if cm, ok := s.deps.Congress.Committee(seg.Committee); ok {
			name = cm.Name + " (" + cm.ID + ")"
		}
		add(true, "in the states of the members of the %s", name)
	}
	add(seg.Source != "", "joined through source=%s", seg.Source)
	add(seg.Lang != "", "reading %s", map[string]string{"en": "English", "es": "Spanish"}[seg.Lang])
	add(seg.JoinedFrom != "", "joined on or after %s", seg.JoinedFrom)
	add(seg.JoinedTo != "", "joined on or before %s", seg.JoinedTo)
	add(seg.Origin == store.OriginAction, "joined through a campaign page")
	add(seg.Origin == store.OriginImport, "imported")
	add(seg.NotRepliedCampaignID != 0, "whose district's House office has not replied to %s", title(seg.NotRepliedCampaignID))
	add(seg.NotWrittenCampaignID != 0, "who have not written in %s", title(seg.NotWrittenCampaignID))
	return out
}

func (s *Server) cancelMailing(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if err := s.cancelMailingID(c, id); err != nil {
		return err
	}
	flash(c, "Mailing cancelled: no further batch is sent.")
	return c.Redirect(http.StatusSeeOther, "/admin/mailings/"+strconv.FormatInt(id, 10))
}

// choiceArgs, textArgs and langOptions build the "select" and "textarea"
// partials' data in a template.
func choiceArgs(name, label, hint, errMsg string, opts []option) choice {
	return choice{Name: name, Label: label, Hint: hint, Error: errMsg, Options: opts}
}

func textArgs(name, label, hint, value, errMsg string, rows int) textArea {
	return textArea{Name: name, Label: label, Hint: hint, Value: value, Error: errMsg, Rows: rows, Code: true}
}

func langOptions(sel string) []option {
	return []option{{Value: "en", Label: "English", Selected: sel != "es"}, {Value: "es", Label: "Spanish", Selected: sel == "es"}}
}
