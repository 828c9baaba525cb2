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

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/mailing"
	"github.com/outreach-org/outreach/internal/store"
)

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
	Name       string         `json:"name"`
	CampaignID *int64         `json:"campaign_id"`
	SubjectEN  string         `json:"subject_en"`
	BodyEN     string         `json:"body_en"`
	SubjectES  string         `json:"subject_es"`
	BodyES     string         `json:"body_es"`
	Segment    segmentJSON    `json:"segment"`
	SendAt     *string        `json:"send_at"`
	Preview    *previewTarget `json:"preview,omitempty"`
}

type segmentJSON struct {
	CampaignID           *int64   `json:"campaign_id"`
	States               []string `json:"states,omitempty"`
	NoReplyCampaignID    *int64   `json:"no_reply_campaign_id,omitempty"`
	NotWrittenCampaignID *int64   `json:"not_written_campaign_id,omitempty"`
}

func (j segmentJSON) segment() mailing.Segment {
	s := mailing.Segment{States: j.States}
	for _, p := range []struct {
		src *int64
		dst *int64
	}{{j.CampaignID, &s.CampaignID}, {j.NoReplyCampaignID, &s.NoReplyCampaignID}, {j.NotWrittenCampaignID, &s.NotWrittenCampaignID}} {
		if p.src != nil {
			*p.dst = *p.src
		}
	}
	return s
}

func segmentJSONOf(s mailing.Segment) segmentJSON {
	j := segmentJSON{States: s.States}
	for _, p := range []struct {
		src int64
		dst **int64
	}{{s.CampaignID, &j.CampaignID}, {s.NoReplyCampaignID, &j.NoReplyCampaignID}, {s.NotWrittenCampaignID, &j.NotWrittenCampaignID}} {
		if p.src != 0 {
			v := p.src
			*p.dst = &v
		}
	}
	return j
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
	d.Segment = in.Segment.segment()
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
// and the segment matches someone now. It returns the recipients by
// stream.
func (s *Server) checkMailing(ctx context.Context, d mailing.Draft, r refused) (map[string]int, error) {
	_, err := mailing.Validate(d, s.deps.Now())
	var ve *campaign.ValidationError
	if err != nil && !errors.As(err, &ve) {
		return nil, err
	}
	if ve == nil {
		ve = &campaign.ValidationError{Object: "mailing"}
	}
	ve.Errors = append(r, ve.Errors...)
	for _, ref := range []struct {
		field string
		id    int64
	}{{"campaign_id", d.CampaignID}, {"segment.campaign_id", d.Segment.CampaignID},
		{"segment.no_reply_campaign_id", d.Segment.NoReplyCampaignID}, {"segment.not_written_campaign_id", d.Segment.NotWrittenCampaignID}} {
		if ref.id == 0 {
			continue
		}
		if _, err := s.deps.Store.Campaign(ctx, ref.id); errors.Is(err, store.ErrNotFound) {
			ve.Errors = append(ve.Errors, campaign.FieldError{Field: ref.field, Message: "is not a campaign"})
		} else if err != nil {
			return nil, err
		}
	}
	counts, err := s.deps.Store.CountMailingRecipients(ctx, d.Segment.Query(s.deps.Now()))
	if err != nil {
		return nil, err
	}
	if total(counts) == 0 {
		ve.Errors = append(ve.Errors, campaign.FieldError{Field: "segment",
			Message: "matches no supporter who can be emailed now (confirmed opt-in, not unsubscribed, not bounced): nothing would be sent"})
	}
	if len(ve.Errors) > 0 {
		return counts, ve
	}
	return counts, nil
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
			return &campaign.ValidationError{Object: "mailing", Errors: []campaign.FieldError{{Field: name, Message: "is not a mailing field"}}}
		}
		return echo.NewHTTPError(http.StatusBadRequest, "the body must be a JSON object describing a mailing")
	}
	return nil
}

// saveMailing validates and stores a mailing with its job (due at
// send_at, or now).
func (s *Server) saveMailing(c echo.Context, d mailing.Draft, r refused) (store.Mailing, error) {
	ctx := c.Request().Context()
	if _, err := s.checkMailing(ctx, d, r); err != nil {
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
	ID         int64       `json:"id"`
	Name       string      `json:"name"`
	Status     string      `json:"status"`
	CampaignID *int64      `json:"campaign_id"`
	SubjectEN  string      `json:"subject_en"`
	BodyEN     string      `json:"body_en"`
	SubjectES  string      `json:"subject_es"`
	BodyES     string      `json:"body_es"`
	Segment    segmentJSON `json:"segment"`
	Source     string      `json:"source"`
	SendAt     *string     `json:"send_at"`
	CreatedAt  string      `json:"created_at"`
	StartedAt  *string     `json:"started_at"`
	FinishedAt *string     `json:"finished_at"`
	Total      int         `json:"total"`
	Sent       int         `json:"sent"`
	Failed     int         `json:"failed"`
	Unknown    int         `json:"unknown"`
	Left       int         `json:"left"`
	Rate       float64     `json:"rate"`
	Detail     string      `json:"detail"`
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
		Total: m.Total, Sent: p.Sent, Failed: p.Failed, Unknown: p.Unknown, Detail: m.Detail, Segment: segmentJSONOf(seg)}
	switch m.Status {
	case store.MailingSending:
		out.Left = max(0, m.Total-p.Sent-p.Failed-p.Unknown)
	case store.MailingScheduled, store.MailingDraft:
		if counts, err := s.deps.Store.CountMailingRecipients(ctx, seg.Query(s.deps.Now())); err == nil {
			out.Left = total(counts)
		} else {
			return mailingJSON{}, err
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
	Recipients map[string]int    `json:"recipients"` // by language stream ("en", "es" or "all"), and "total"
	Lang       string            `json:"lang"`
	Sample     bool              `json:"sample"` // the sample supporter, not a real one
	Subject    string            `json:"subject"`
	Text       string            `json:"text"`
	Headers    map[string]string `json:"headers"`
}

// preview renders a draft for one supporter (by address, in the
// segment) or the sample supporter, in lang.
func (s *Server) preview(ctx context.Context, d mailing.Draft, t previewTarget, r refused) (previewJSON, error) {
	counts, err := s.checkMailing(ctx, d, r)
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
		w.Member = s.deps.Congress.Member
	}
	var rc *store.MailingRecipient
	if addr := strings.TrimSpace(t.Email); addr != "" {
		got, err := s.deps.Store.MailingRecipientByIndex(ctx, d.Segment.Query(s.deps.Now()), s.deps.Keys.Index("email", strings.ToLower(addr)))
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
	In         mailingInput
	SendAt     string // as typed (datetime-local, UTC)
	Segment    string
	States     string // as typed: "AZ, CA"
	NoReply    string
	NotWritten string
	NoReplies  []option
	NotWrote   []option
	Campaign   string
	Campaigns  []option
	Segments   []option
	Fields     []string
	Errors     formErrors
	Problems   []campaign.FieldError
	Preview    *previewJSON
	Email      string // preview for this supporter
	Lang       string
}

func (s *Server) mailingForm(ctx context.Context, v *mailingFormView) error {
	camps, err := s.deps.Store.Campaigns(ctx)
	if err != nil {
		return err
	}
	v.Campaigns = []option{{Value: "", Label: "None", Selected: v.Campaign == ""}}
	v.Segments = []option{{Value: "", Label: "Every opted-in supporter", Selected: v.Segment == ""}}
	v.NoReplies = []option{{Value: "", Label: "(no condition)", Selected: v.NoReply == ""}}
	v.NotWrote = []option{{Value: "", Label: "(no condition)", Selected: v.NotWritten == ""}}
	for _, cp := range camps {
		id := strconv.FormatInt(cp.ID, 10)
		v.Campaigns = append(v.Campaigns, option{Value: id, Label: cp.Title, Selected: v.Campaign == id})
		v.Segments = append(v.Segments, option{Value: id, Label: "Supporters who joined through " + cp.Title, Selected: v.Segment == id})
		v.NoReplies = append(v.NoReplies, option{Value: id, Label: cp.Title, Selected: v.NoReply == id})
		v.NotWrote = append(v.NotWrote, option{Value: id, Label: cp.Title, Selected: v.NotWritten == id})
	}
	v.Fields = mailing.FieldNames()
	if v.Errors == nil {
		v.Errors = formErrors{}
	}
	return nil
}

func (s *Server) newMailingPage(c echo.Context) error {
	v := mailingFormView{Lang: "en"}
	if id := c.QueryParam("campaign"); id != "" {
		v.Campaign, v.Segment = id, id
	}
	if err := s.mailingForm(c.Request().Context(), &v); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "mailing_new", v, false)
}

// createMailing is POST /admin/mailings: action=preview shows the email
// for one supporter (or the sample) and the recipients; action=send saves
// and schedules it. Errors keep everything typed.
func (s *Server) createMailing(c echo.Context) error {
	ctx := c.Request().Context()
	v := mailingFormView{SendAt: strings.TrimSpace(c.FormValue("send_at")), Segment: c.FormValue("segment"), Campaign: c.FormValue("campaign_id"),
		States: c.FormValue("states"), NoReply: c.FormValue("no_reply"), NotWritten: c.FormValue("not_written"),
		Email: strings.TrimSpace(c.FormValue("preview_email")), Lang: c.FormValue("preview_lang")}
	v.In = mailingInput{Name: c.FormValue("name"), SubjectEN: c.FormValue("subject_en"), BodyEN: c.FormValue("body_en"),
		SubjectES: c.FormValue("subject_es"), BodyES: c.FormValue("body_es")}
	var r refused
	for _, p := range []struct {
		field, val string
		dst        **int64
	}{{"campaign_id", v.Campaign, &v.In.CampaignID}, {"segment.campaign_id", v.Segment, &v.In.Segment.CampaignID},
		{"segment.no_reply_campaign_id", v.NoReply, &v.In.Segment.NoReplyCampaignID}, {"segment.not_written_campaign_id", v.NotWritten, &v.In.Segment.NotWrittenCampaignID}} {
		if p.val == "" {
			continue
		}
		id, err := strconv.ParseInt(p.val, 10, 64)
		if err != nil {
			r.add(p.field, "is not a campaign")
			continue
		}
		*p.dst = &id
	}
	v.In.Segment.States = strings.FieldsFunc(v.States, func(r rune) bool { return r == ',' || r == ' ' })
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
	for _, fe := range ve.Errors {
		name := strings.NewReplacer("segment.campaign_id", "segment", "segment.no_reply_campaign_id", "no_reply", "segment.not_written_campaign_id", "not_written").Replace(fe.Field)
		if strings.HasPrefix(name, "segment.states") {
			name = "states"
		}
		name = strings.ReplaceAll(name, "preview.email", "preview_email")
		msg := fe.Message
		if fe.Line > 0 {
			msg = fmt.Sprintf("line %d, column %d: %s", fe.Line, fe.Column, fe.Message)
		}
		if prev, ok := v.Errors[name]; ok {
			msg = prev + "; " + msg
		}
		v.Errors[name] = msg
		v.Problems = append(v.Problems, campaign.FieldError{Field: name, Line: fe.Line, Column: fe.Column, Message: fe.Message})
	}
	if ferr := s.mailingForm(ctx, &v); ferr != nil {
		return ferr
	}
	return s.render(c, http.StatusUnprocessableEntity, "mailing_new", v, false)
}

type mailingView struct {
	M       mailingJSON
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
	v := mailingView{M: j, Batches: batches, Live: m.Status == store.MailingSending || m.Status == store.MailingScheduled}
	v.Confirm = v.Live && c.QueryParam("cancel") == "1"
	if v.Live && !v.Confirm {
		c.Response().Header().Set("Refresh", "10") // the figures follow the send
	}
	return s.render(c, http.StatusOK, "mailing", v, false)
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
