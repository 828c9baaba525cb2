package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/sendgrid"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/tracking"
)

// maxInboundBody is the largest Inbound Parse post accepted (attachments
// included; they are read and thrown away, never stored).
const maxInboundBody = 5 << 20

// isInbound tells the Inbound Parse webhook, which has its own body limit
// (maxInboundBody) instead of OUTREACH_BODY_LIMIT.
func isInbound(c echo.Context) bool {
	r := c.Request()
	return r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/webhooks/sendgrid/inbound")
}

// inbound is POST /webhooks/sendgrid/inbound (SendGrid Inbound Parse,
// read by sendgrid.ParseInbound). The secret comes in the path (/inbound/SECRET), the query (?key=)
// or as the basic-auth password. A reply to reply+TOKEN@domain is queued
// for staff under its letter as plain text (HTML converted, first 20,000
// characters); attachments are discarded. Replies that match no letter are
// acknowledged (2xx, so SendGrid does not retry) and dropped. The text is
// never logged.
func (t *tracker) inbound(c echo.Context) error {
	secret := t.s.deps.InboundSecret
	if secret == "" {
		return echo.NewHTTPError(http.StatusForbidden, "the inbound webhook is not configured")
	}
	given := c.Param("key")
	if given == "" {
		given = c.QueryParam("key")
	}
	if given == "" {
		if _, p, ok := c.Request().BasicAuth(); ok {
			given = p
		}
	}
	a, b := sha256.Sum256([]byte(given)), sha256.Sum256([]byte(secret))
	if given == "" || subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
		t.s.log.Warn("inbound webhook refused", "reason", "bad or missing secret")
		return echo.NewHTTPError(http.StatusForbidden, "not allowed")
	}
	req := c.Request()
	if req.ContentLength > maxInboundBody {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "body too large")
	}
	req.Body = http.MaxBytesReader(c.Response(), req.Body, maxInboundBody)
	mail, err := sendgrid.ParseInbound(req)
	if err != nil {
		return inboundReadErr(err)
	}
	token := mail.ReplyToken()
	if token == "" {
		t.s.log.Info("inbound reply dropped", "reason", "no reply address")
		return c.JSON(http.StatusOK, map[string]string{"status": "ignored"})
	}
	st, err := t.store()
	if err != nil {
		return err
	}
	ctx := req.Context()
	l, err := st.LetterByReplyToken(ctx, token)
	if errors.Is(err, store.ErrNotFound) {
		t.s.log.Info("inbound reply dropped", "reason", "unknown reply address")
		return c.JSON(http.StatusOK, map[string]string{"status": "ignored"})
	}
	if err != nil {
		return err
	}
	body := mail.Text
	if strings.TrimSpace(body) == "" && mail.HTML != "" {
		body = tracking.HTMLToText(mail.HTML, store.MaxReplyText)
	}
	reply := tracking.Reply{From: tracking.CleanText(mail.From, 320), Subject: tracking.CleanText(mail.Subject, 300),
		Body: tracking.CleanText(body, store.MaxReplyText)}
	id, err := st.AddInboundReply(ctx, store.InboundReply{LetterID: l.ID, ReceivedAt: time.Now().UTC()}, func(id int64) (string, error) {
		return tracking.SealReply(t.s.deps.Keys, id, reply)
	})
	if err != nil {
		return err
	}
	t.s.log.Info("inbound reply queued", "reply", id, "letter", l.ID)
	return c.JSON(http.StatusOK, map[string]any{"status": "queued", "id": id})
}

// inboundReadErr maps what sendgrid.ParseInbound refuses to a status.
func inboundReadErr(err error) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "body too large")
	case errors.Is(err, sendgrid.ErrNotMultipart):
		return echo.NewHTTPError(http.StatusBadRequest, "expected multipart/form-data")
	}
	return echo.NewHTTPError(http.StatusBadRequest, "malformed multipart body")
}

// --- inbox -------------------------------------------------------------------

type inboxItem struct {
	store.InboundReply
	tracking.Reply
	Office   string
	Campaign string
	// Erased: the supporter asked for their data to be deleted, and the
	// reply's text went with it. Unreadable: its key is not configured.
	Erased, Unreadable bool
}

// inbox is GET /admin/responses/inbox: replies received by email, waiting
// to be classified. Each reply is opened from its sealed form and shown
// escaped, as plain text, with its letter's sender masked.
func (t *tracker) inbox(c echo.Context) error {
	st, err := t.store()
	if err != nil {
		return err
	}
	rs, err := st.InboundReplies(c.Request().Context(), "pending", 100)
	if err != nil {
		return err
	}
	titles, _, err := t.s.campaignTitles(c.Request().Context(), 0)
	if err != nil {
		return err
	}
	items := make([]inboxItem, 0, len(rs))
	for _, r := range rs {
		it := inboxItem{InboundReply: r, Office: officeLabel(t.s.deps.Congress, r.BioguideID), Campaign: titles[r.CampaignID]}
		it.Reply, it.Erased, err = tracking.OpenReply(t.s.deps.Keys, r.ID, r.Sealed)
		it.Unreadable = err != nil
		// Offices quote the constituent; classifying needs what the office
		// said, not who wrote: the sender's details are masked, as in the
		// outbox.
		var letter delivery.Sealed
		if r.LetterSealed != "" && t.s.deps.Keys.OpenJSON(r.LetterSealed, delivery.LetterAAD(r.LetterID), &letter) == nil {
			it.From, it.Subject, it.Body = maskSender(letter.From, it.From), maskSender(letter.From, it.Subject), maskSender(letter.From, it.Body)
		}
		items = append(items, it)
	}
	return t.s.render(c, http.StatusOK, "responses_inbox", struct{ Items []inboxItem }{items}, false)
}

// classify is POST /admin/responses/inbox/:id with decision=substantive,
// acknowledgement, refusal or discard.
func (t *tracker) classify(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	st, err := t.store()
	if err != nil {
		return err
	}
	d := c.FormValue("decision")
	if err := st.ClassifyInboundReply(c.Request().Context(), id, d, audit(c, "response.classify", "inbound_reply", c.Param("id"))); err != nil {
		return responseInvalid(err)
	}
	t.forget()
	if d == "discard" {
		flash(c, "Reply "+c.Param("id")+" discarded.")
	} else {
		flash(c, "Reply "+c.Param("id")+" recorded: "+strings.ToLower(substanceLabels[d][:1])+substanceLabels[d][1:]+".")
	}
	return c.Redirect(http.StatusSeeOther, "/admin/responses/inbox")
}

// --- staff logs --------------------------------------------------------------

// responseInput is the form and the JSON body of a staff log.
type responseInput struct {
	LetterID   string `json:"-" form:"letter_id"`
	CampaignID string `json:"-" form:"campaign_id"`
	BioguideID string `json:"bioguide_id" form:"bioguide_id"`
	Scope      string `json:"scope" form:"scope"` // letter or office
	Kind       string `json:"kind" form:"kind"`
	Substance  string `json:"substance" form:"substance"`
	Date       string `json:"date" form:"date"` // YYYY-MM-DD
	Note       string `json:"note" form:"note"`
}

type responseFormView struct {
	In         responseInput
	Error      string
	Kinds      []option
	Substances []option
	Campaigns  []campaignOpt
	// Offices are the members by state, named ("Sen. Alex Padilla (D,
	// CA)"), the bioguide id only as the value.
	Offices []officeGroup
}

type officeGroup struct {
	State   string
	Options []option
}

// responseKindLabels and substanceLabels say the response form's choices
// in words; the stored values stay the API's.
var responseKindLabels = map[string]string{
	"meeting":          "A meeting with the office",
	"call":             "A phone call with the office",
	"written_reply":    "A written reply (letter or email)",
	"public_statement": "A public statement",
}

var substanceLabels = map[string]string{
	store.SubstanceSubstantive:     "A substantive answer (a position or an action)",
	store.SubstanceAcknowledgement: "Only an acknowledgement that the letter arrived",
	store.SubstanceRefusal:         "A refusal to take a position",
}

func labelled(values []string, labels map[string]string, selected string) []option {
	out := make([]option, 0, len(values))
	for _, v := range values {
		l := labels[v]
		if l == "" {
			l = v
		}
		out = append(out, option{Value: v, Label: l, Selected: v == selected})
	}
	return out
}

// officeGroups lists every member by state for the response form.
func (s *Server) officeGroups(selected string) []officeGroup {
	var out []officeGroup
	byState := map[string]int{}
	members := append([]*congress.Member(nil), s.deps.Congress.Members()...)
	sort.SliceStable(members, func(i, j int) bool {
		if members[i].State != members[j].State {
			return members[i].State < members[j].State
		}
		return memberLabel(members[i]) < memberLabel(members[j])
	})
	for _, m := range members {
		i, ok := byState[m.State]
		if !ok {
			out = append(out, officeGroup{State: m.State})
			i = len(out) - 1
			byState[m.State] = i
		}
		out[i].Options = append(out[i].Options, option{Value: m.BioguideID, Label: memberLabel(m), Selected: strings.EqualFold(m.BioguideID, strings.TrimSpace(selected))})
	}
	return out
}

func (in responseInput) log() (store.ResponseLog, error) {
	r := store.ResponseLog{BioguideID: strings.ToUpper(strings.TrimSpace(in.BioguideID)), Kind: in.Kind, Substance: in.Substance,
		Note: in.Note, AllOpen: in.Scope == "office"}
	r.LetterID, _ = strconv.ParseInt(strings.TrimSpace(in.LetterID), 10, 64)
	r.CampaignID, _ = strconv.ParseInt(strings.TrimSpace(in.CampaignID), 10, 64)
	if in.Date != "" {
		d, err := time.Parse("2006-01-02", in.Date)
		if err != nil {
			return r, &inputError{Field: "date", Message: "the date must look like 2026-11-20"}
		}
		r.OccurredAt = d.Add(12 * time.Hour) // midday: the day, whatever the time zone
	}
	if err := r.Validate(); err != nil {
		return r, responseInvalid(err)
	}
	return r, nil
}

// responseForm is GET /admin/responses/new (?letter=ID, or ?campaign=&office=).
func (t *tracker) responseForm(c echo.Context) error {
	in := responseInput{LetterID: c.QueryParam("letter"), CampaignID: c.QueryParam("campaign"), BioguideID: c.QueryParam("office"),
		Scope: "letter", Date: time.Now().UTC().Format("2006-01-02")}
	if in.LetterID == "" && in.BioguideID != "" {
		in.Scope = "office"
	}
	return t.renderResponseForm(c, http.StatusOK, in, "")
}

func (t *tracker) renderResponseForm(c echo.Context, status int, in responseInput, msg string) error {
	v := responseFormView{In: in, Error: msg, Kinds: labelled(store.ResponseKinds, responseKindLabels, in.Kind),
		Substances: labelled([]string{store.SubstanceSubstantive, store.SubstanceAcknowledgement, store.SubstanceRefusal}, substanceLabels, in.Substance),
		Offices:    t.s.officeGroups(in.BioguideID)}
	if camps, err := t.s.deps.Store.Campaigns(c.Request().Context()); err == nil {
		for _, cp := range camps {
			v.Campaigns = append(v.Campaigns, campaignOpt{ID: cp.ID, Title: cp.Title, Selected: strconv.FormatInt(cp.ID, 10) == in.CampaignID})
		}
	}
	return t.s.render(c, status, "responses_form", v, false)
}

// logResponse is POST /admin/responses.
func (t *tracker) logResponse(c echo.Context) error {
	var in responseInput
	for k, p := range map[string]*string{"letter_id": &in.LetterID, "campaign_id": &in.CampaignID, "bioguide_id": &in.BioguideID,
		"scope": &in.Scope, "kind": &in.Kind, "substance": &in.Substance, "date": &in.Date, "note": &in.Note} {
		*p = c.FormValue(k)
	}
	r, err := in.log()
	if err != nil {
		return t.renderResponseForm(c, http.StatusUnprocessableEntity, in, err.Error())
	}
	st, err := t.store()
	if err != nil {
		return err
	}
	n, err := st.LogResponse(c.Request().Context(), r, audit(c, "response.log", "response", ""))
	if errors.Is(err, store.ErrInvalidResponse) || errors.Is(err, store.ErrNotFound) {
		msg := strings.TrimPrefix(err.Error(), store.ErrInvalidResponse.Error()+": ")
		if errors.Is(err, store.ErrNotFound) {
			msg = "no such letter"
		}
		return t.renderResponseForm(c, http.StatusUnprocessableEntity, in, msg)
	}
	if err != nil {
		return err
	}
	t.forget()
	flash(c, "Response recorded on "+strconv.Itoa(n)+" letter(s).")
	return c.Redirect(http.StatusSeeOther, "/admin/dashboard")
}

// apiLogResponse is POST /api/v1/responses with a JSON body:
// {"letter_id": 12} or {"campaign_id": 3, "bioguide_id": "P000197", "scope": "office"},
// plus "kind", "substance", "date" (YYYY-MM-DD) and "note". Answers 201
// {"applied_to": n}.
func (t *tracker) apiLogResponse(c echo.Context) error {
	var body struct {
		LetterID   int64 `json:"letter_id"`
		CampaignID int64 `json:"campaign_id"`
		responseInput
	}
	if c.Request().ContentLength != 0 {
		if err := json.NewDecoder(c.Request().Body).Decode(&body); err != nil && !errors.Is(err, io.EOF) {
			return echo.NewHTTPError(http.StatusBadRequest, "the body must be a JSON object")
		}
	}
	in := body.responseInput
	in.LetterID, in.CampaignID = strconv.FormatInt(body.LetterID, 10), strconv.FormatInt(body.CampaignID, 10)
	r, err := in.log()
	if err != nil {
		return err
	}
	st, err := t.store()
	if err != nil {
		return err
	}
	n, err := st.LogResponse(c.Request().Context(), r, audit(c, "response.log", "response", ""))
	if err != nil {
		return responseInvalid(err)
	}
	t.forget()
	return c.JSON(http.StatusCreated, map[string]int{"applied_to": n})
}

// officeLabel names an office as the dashboards do.
func officeLabel(dir *congress.Directory, bioguideID string) string {
	g, _ := tracking.Lookup("office")
	return g.LabelOf(dir, bioguideID)
}
