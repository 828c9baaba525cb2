package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/outbox"
	"github.com/outreach-org/outreach/internal/redact"
	"github.com/outreach-org/outreach/internal/store"
)

func (s *Server) deliveryRoutes(adm, api *echo.Group) {
	s.staff(adm, http.MethodGet, "/deliveries", auth.PermViewDeliveries, s.deliveriesPage)
	s.staff(adm, http.MethodGet, "/deliveries/:id", auth.PermViewDeliveries, s.deliveryPage)
	s.staff(adm, http.MethodPost, "/deliveries/requeue", auth.PermManageDelivery, s.requeueLetters)
	s.staff(adm, http.MethodGet, "/outbox", auth.PermViewDeliveries, s.outboxPage)
	s.staff(api, http.MethodGet, "/outbox", auth.PermViewDeliveries, s.apiOutbox)
	s.staff(adm, http.MethodGet, "/outbox/:id", auth.PermViewPersonalData, s.outboxMessagePage)
	s.staff(api, http.MethodGet, "/outbox/:id", auth.PermViewPersonalData, s.apiOutboxMessage)
	s.staff(api, http.MethodGet, "/letters", auth.PermViewDeliveries, s.apiLetters)
	s.staff(api, http.MethodGet, "/letters/:id", auth.PermViewDeliveries, s.apiLetter)
	s.staff(api, http.MethodPost, "/letters/requeue", auth.PermManageDelivery, s.apiRequeue)
}

func letterFilter(c echo.Context) store.LetterFilter {
	f := store.LetterFilter{Status: c.QueryParam("status"), OfficeCode: strings.ToUpper(strings.TrimSpace(c.QueryParam("office"))),
		Channel: c.QueryParam("channel")}
	f.CampaignID, _ = strconv.ParseInt(c.QueryParam("campaign"), 10, 64)
	f.BeforeID, _ = strconv.ParseInt(c.QueryParam("before"), 10, 64)
	return f
}

type deliveriesView struct {
	Filter   store.LetterFilter
	Letters  []letterRow
	Counts   map[string]int64
	Statuses []string
	Channels []delivery.Channel
	Next     int64
	CanEdit  bool
	// Campaigns and StatusOptions fill the filter bar's selects; Counts
	// lines the statuses in words.
	Campaigns     []option
	StatusOptions []option
	CountLines    []statusCount
	// Requeueable: some listed letter failed, bounced or was dropped.
	Requeueable bool
}

// letterRow is a letter as staff read it: the campaign's title, the
// member's name and seat, the status in words.
type letterRow struct {
	store.Letter
	Campaign    string
	Member      string
	StatusLabel string
}

// memberOf names a letter's office: "Rep. Nancy Pelosi (D, CA-11)"; the
// office code when the member is no longer in the congressional data.
func (s *Server) memberOf(bioguideID, officeCode string) string {
	if m, ok := s.deps.Congress.Member(bioguideID); ok {
		return memberLabel(m)
	}
	return "office " + officeCode + " (" + bioguideID + ")"
}

// campaignTitles maps campaign ids to titles, and offers them as options
// with selected chosen.
func (s *Server) campaignTitles(ctx context.Context, selected int64) (map[int64]string, []option, error) {
	list, err := s.deps.Store.Campaigns(ctx)
	if err != nil {
		return nil, nil, err
	}
	titles := make(map[int64]string, len(list))
	opts := []option{{Value: "", Label: "All campaigns", Selected: selected == 0}}
	for _, cm := range list {
		titles[cm.ID] = cm.Title
		opts = append(opts, option{Value: strconv.FormatInt(cm.ID, 10), Label: cm.Title, Selected: cm.ID == selected})
	}
	return titles, opts, nil
}

func (s *Server) deliveriesPage(c echo.Context) error {
	ctx := c.Request().Context()
	f := letterFilter(c)
	f.Limit = 101
	letters, err := s.deps.Store.Letters(ctx, f)
	if err != nil {
		return err
	}
	counts, err := s.deps.Store.LetterCounts(ctx, f.CampaignID)
	if err != nil {
		return err
	}
	titles, camps, err := s.campaignTitles(ctx, f.CampaignID)
	if err != nil {
		return err
	}
	v := deliveriesView{Filter: f, Counts: counts, Statuses: delivery.Statuses,
		Channels: s.deps.Channels, Campaigns: camps, CountLines: orderedCounts(counts),
		CanEdit: currentUser(c).Role.Can(auth.PermManageDelivery)}
	v.StatusOptions = []option{{Value: "", Label: "Any status", Selected: f.Status == ""}}
	for _, st := range delivery.Statuses {
		v.StatusOptions = append(v.StatusOptions, option{Value: st, Label: statusLabel(st), Selected: st == f.Status})
	}
	if len(letters) > 100 {
		letters, v.Next = letters[:100], letters[99].ID
	}
	for _, l := range letters {
		v.Letters = append(v.Letters, letterRow{Letter: l, Campaign: titles[l.CampaignID], Member: s.memberOf(l.BioguideID, l.OfficeCode),
			StatusLabel: statusLabel(l.Status)})
		v.Requeueable = v.Requeueable || l.Status == delivery.StatusFailed || l.Status == delivery.StatusBounced || l.Status == delivery.StatusDropped
	}
	return s.render(c, http.StatusOK, "deliveries", v, false)
}

type deliveryView struct {
	Letter   store.Letter
	Timeline []store.LetterEvent
	CanEdit  bool
	// Campaign, Member and Status in words; Subject and Text are the
	// letter as the office receives it, the sender hidden; TextError says
	// why there is no text.
	Campaign  string
	Member    string
	Status    string
	Subject   string
	Text      string
	TextError string
}

func (s *Server) loadLetter(c echo.Context) (store.Letter, error) {
	id, err := paramID(c, "id")
	if err != nil {
		return store.Letter{}, err
	}
	return s.deps.Store.LetterByID(c.Request().Context(), id)
}

func (s *Server) deliveryPage(c echo.Context) error {
	l, err := s.loadLetter(c)
	if err != nil {
		return err
	}
	tl, err := s.deps.Store.Timeline(c.Request().Context(), l.ID)
	if err != nil {
		return err
	}
	v := deliveryView{Letter: l, Timeline: tl, CanEdit: currentUser(c).Role.Can(auth.PermManageDelivery),
		Member: s.memberOf(l.BioguideID, l.OfficeCode), Status: statusLabel(l.Status)}
	if cm, err := s.deps.Store.Campaign(c.Request().Context(), l.CampaignID); err == nil {
		v.Campaign = cm.Title
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	v.Subject, v.Text, v.TextError = s.letterText(l)
	return s.render(c, http.StatusOK, "delivery", v, false)
}

// letterText opens a letter as the office receives it, with whatever the
// template merged of its sender (name, street, ZIP, email, phone) hidden:
// a campaigner checks what was said, not who said it.
func (s *Server) letterText(l store.Letter) (subject, text, problem string) {
	if s.deps.Keys == nil {
		return "", "", "The letter's text cannot be opened on this server (no key configured)."
	}
	var sl delivery.Sealed
	if err := s.deps.Keys.OpenJSON(l.Sealed, delivery.LetterAAD(l.ID), &sl); err != nil {
		return "", "", "The letter's text is no longer available (deleted at the supporter's request, or sealed with a key this server does not have)."
	}
	msg := sl.Message(l.ID, l.DeliveryID, delivery.Campaign{}, l.ReplyToken, l.CreatedAt)
	text = delivery.Compose(msg, delivery.FullSender).Text()
	subject, text = maskSender(sl.From, sl.Subject), maskSender(sl.From, text)
	return action.RedactTokens(subject), action.RedactTokens(text), ""
}

func parseIDs(vals []string) []int64 {
	var ids []int64
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			if id, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64); err == nil && id > 0 {
				ids = append(ids, id)
			}
		}
		if len(ids) > 1000 {
			break
		}
	}
	return ids
}

func (s *Server) requeueLetters(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	ids := parseIDs(form["id"])
	if len(ids) == 0 {
		flash(c, "Choose at least one failed letter to requeue.")
		return c.Redirect(http.StatusSeeOther, "/admin/deliveries?status=failed")
	}
	done, err := s.requeue(c, ids)
	if err != nil {
		return err
	}
	flash(c, strconv.Itoa(len(done))+" letter(s) requeued.")
	back := c.FormValue("back")
	if !strings.HasPrefix(back, "/admin/deliveries") {
		back = "/admin/deliveries"
	}
	return c.Redirect(http.StatusSeeOther, back)
}

func (s *Server) requeue(c echo.Context, ids []int64) ([]int64, error) {
	if s.deps.Enqueue == nil {
		return nil, echo.NewHTTPError(http.StatusServiceUnavailable, "the job queue is not running in this process")
	}
	return s.deps.Store.Requeue(c.Request().Context(), ids, s.deps.Enqueue, audit(c, "letters.requeue", "", ""))
}

type apiLetter struct {
	ID           int64   `json:"id"`
	Kind         string  `json:"kind"`
	FollowupOf   *int64  `json:"followup_of"`
	CampaignID   int64   `json:"campaign_id"`
	BioguideID   string  `json:"bioguide_id"`
	Office       string  `json:"office"`
	Chamber      string  `json:"chamber"`
	State        string  `json:"state"`
	District     *int    `json:"district"`
	Status       string  `json:"status"`
	Channel      string  `json:"channel"`
	Attempts     int     `json:"attempts"`
	LastError    string  `json:"last_error,omitempty"`
	TemplateVer  int     `json:"template_version"`
	StatsRelease *int64  `json:"stats_release_id"`
	CreatedAt    string  `json:"created_at"`
	SentAt       *string `json:"sent_at"`
	DeliveredAt  *string `json:"delivered_at"`
}

func toAPILetter(l store.Letter) apiLetter {
	ts := func(t interface{ Format(string) string }) string { return t.Format("2006-01-02T15:04:05Z07:00") }
	a := apiLetter{ID: l.ID, Kind: l.Kind, FollowupOf: l.FollowupOf, CampaignID: l.CampaignID, BioguideID: l.BioguideID, Office: l.OfficeCode, Chamber: l.Chamber, State: l.State,
		District: l.District, Status: l.Status, Channel: l.Channel, Attempts: l.Attempts, LastError: l.LastError,
		TemplateVer: l.TemplateVer, StatsRelease: l.StatsReleaseID, CreatedAt: ts(l.CreatedAt.UTC())}
	if l.SentAt != nil {
		v := ts(l.SentAt.UTC())
		a.SentAt = &v
	}
	if l.DeliveredAt != nil {
		v := ts(l.DeliveredAt.UTC())
		a.DeliveredAt = &v
	}
	return a
}

func (s *Server) apiLetters(c echo.Context) error {
	f := letterFilter(c)
	f.Limit, _ = strconv.Atoi(c.QueryParam("limit"))
	letters, err := s.deps.Store.Letters(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := make([]apiLetter, len(letters))
	for i, l := range letters {
		out[i] = toAPILetter(l)
	}
	return c.JSON(http.StatusOK, map[string]any{"letters": out})
}

func (s *Server) apiLetter(c echo.Context) error {
	l, err := s.loadLetter(c)
	if err != nil {
		return err
	}
	tl, err := s.deps.Store.Timeline(c.Request().Context(), l.ID)
	if err != nil {
		return err
	}
	type ev struct {
		At      string `json:"at"`
		Kind    string `json:"kind"`
		Channel string `json:"channel,omitempty"`
		Status  string `json:"status,omitempty"`
		Detail  string `json:"detail,omitempty"`
	}
	events := make([]ev, len(tl))
	for i, e := range tl {
		events[i] = ev{At: e.At.UTC().Format("2006-01-02T15:04:05Z07:00"), Kind: e.Kind, Channel: e.Channel, Status: e.Status, Detail: e.Detail}
	}
	return c.JSON(http.StatusOK, map[string]any{"letter": toAPILetter(l), "timeline": events})
}

func (s *Server) apiRequeue(c echo.Context) error {
	var body struct {
		IDs []int64 `json:"ids"`
	}
	if err := c.Bind(&body); err != nil || len(body.IDs) == 0 || len(body.IDs) > 1000 {
		return echo.NewHTTPError(http.StatusBadRequest, `send {"ids": [1, 2, ...]} with 1 to 1000 letter ids`)
	}
	done, err := s.requeue(c, body.IDs)
	if err != nil {
		return err
	}
	if done == nil {
		done = []int64{}
	}
	return c.JSON(http.StatusOK, map[string]any{"requeued": done})
}

// outboxItem is an opened outbox message for display. Listed, it is
// masked for every role: a letter keeps its text (what the office gets,
// sender block included) with the sender's name, address, email and phone
// replaced by labels, and no From, as the deliveries page shows no
// supporter; a supporter
// email keeps only its masked address and subject. Opened one at a time
// by an admin (PermViewPersonalData) it is in clear, and the read is in
// the audit log. Signed links never work in either: their tokens are
// removed (action.RedactTokens), in the HTML and in the JSON.
type outboxItem struct {
	ID        int64             `json:"id"`
	Kind      string            `json:"kind"`
	LetterID  *int64            `json:"letter_id"`
	CreatedAt string            `json:"created_at"`
	To        string            `json:"to"`
	From      *outboxSender     `json:"from,omitempty"` // a letter's sender, in clear only
	Subject   string            `json:"subject"`
	Text      string            `json:"text"`
	Headers   map[string]string `json:"headers,omitempty"`
	// Masked: personal data is hidden (every listed message; opened one
	// at a time by an admin, it is not); TextHidden: a supporter email's
	// text is withheld.
	Masked     bool   `json:"masked"`
	TextHidden bool   `json:"text_hidden,omitempty"`
	Full       string `json:"full,omitempty"` // where an admin opens it in clear (audited)
	Error      string `json:"error,omitempty"`
}

// outboxSender is a letter's sender block, shown only in clear.
type outboxSender struct {
	Prefix     string `json:"prefix,omitempty"`
	FirstName  string `json:"first_name"`
	MiddleName string `json:"middle_name,omitempty"`
	LastName   string `json:"last_name"`
	Suffix     string `json:"suffix,omitempty"`
	Address1   string `json:"address1"`
	Address2   string `json:"address2,omitempty"`
	City       string `json:"city"`
	State      string `json:"state"`
	ZIP        string `json:"zip"`
	Phone      string `json:"phone,omitempty"`
	Email      string `json:"email"`
}

// staffEmailKinds are outbox emails to staff (no supporter data): shown as
// they are, links aside. Every other email kind is a supporter's.
var staffEmailKinds = map[string]bool{"staff": true, "digest": true}

// openOutbox opens a stored message for display, masked or in clear.
func (s *Server) openOutbox(m store.OutboxMessage, masked bool, fullPath string) outboxItem {
	it := outboxItem{ID: m.ID, Kind: m.Kind, LetterID: m.LetterID, CreatedAt: m.CreatedAt.UTC().Format("2006-01-02T15:04:05Z07:00"), Masked: masked}
	st, err := outbox.Open(s.deps.Keys, m.ID, m.Sealed)
	switch {
	case err != nil:
		it.Error = "cannot decrypt this message (its key is not configured)"
		return it
	case st.Letter != nil:
		l := st.Letter
		it.To = l.Office.Title + " " + l.Office.Name + " (" + l.Office.Code + ")"
		it.Subject, it.Text = l.Subject, st.LetterText()
		if masked {
			it.Subject, it.Text = maskSender(l.From, it.Subject), maskSender(l.From, it.Text)
		} else {
			f := l.From
			it.From = &outboxSender{Prefix: f.Prefix, FirstName: f.FirstName, MiddleName: f.MiddleName, LastName: f.LastName, Suffix: f.Suffix,
				Address1: f.Address1, Address2: f.Address2, City: f.City, State: f.State, ZIP: f.ZIP, Phone: f.Phone, Email: f.Email}
		}
	case st.Email != nil:
		e := st.Email
		it.To, it.Subject, it.Text, it.Headers = e.To, e.Subject, e.Text, e.Headers
		if masked && !staffEmailKinds[m.Kind] {
			it.To = redact.Email(e.To)
			it.Subject = redact.Known(e.Subject, redact.Value{Label: "email", Text: e.To})
			it.Text, it.Headers, it.TextHidden = "", nil, true
		}
	}
	it.Subject, it.Text = action.RedactTokens(it.Subject), action.RedactTokens(it.Text)
	if len(it.Headers) > 0 {
		h := make(map[string]string, len(it.Headers))
		for k, v := range it.Headers {
			h[k] = action.RedactTokens(v)
		}
		it.Headers = h
	}
	if masked && fullPath != "" && (st.Letter != nil || (st.Email != nil && !staffEmailKinds[m.Kind])) {
		it.Full = fullPath + strconv.FormatInt(m.ID, 10)
	}
	return it
}

// maskSender hides a letter's sender in its text: whatever the template
// merged of them (name, street address, ZIP, email, phone) is replaced by
// a label. City and state stay: a campaigner sees where letters come
// from on the dashboards already.
func maskSender(c delivery.Constituent, text string) string {
	vals := []redact.Value{
		{Label: "name", Text: c.FirstName}, {Label: "name", Text: c.MiddleName}, {Label: "name", Text: c.LastName},
		{Label: "address", Text: c.Address1}, {Label: "address", Text: c.Address2},
		{Label: "ZIP", Text: c.ZIP}, {Label: "email", Text: c.Email}, {Label: "phone", Text: c.Phone},
	}
	if d := redact.Digits(c.Phone); len(d) >= 7 {
		vals = append(vals, redact.Value{Label: "phone", Text: d})
	}
	if zip5, _, ok := strings.Cut(c.ZIP, "-"); ok {
		vals = append(vals, redact.Value{Label: "ZIP", Text: zip5})
	}
	return redact.Known(text, vals...)
}

func (s *Server) outboxItems(c echo.Context, fullPath string) ([]outboxItem, int64, error) {
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	kind := c.QueryParam("kind")
	msgs, err := s.deps.Store.Outbox(c.Request().Context(), kind, before, 51)
	if err != nil {
		return nil, 0, err
	}
	var next int64
	if len(msgs) > 50 {
		msgs, next = msgs[:50], msgs[49].ID
	}
	if !currentUser(c).Role.Can(auth.PermViewPersonalData) {
		fullPath = ""
	}
	items := make([]outboxItem, 0, len(msgs))
	for _, m := range msgs {
		items = append(items, s.openOutbox(m, true, fullPath))
	}
	return items, next, nil
}

type outboxView struct {
	Items  []outboxItem
	Kind   string
	Next   int64
	Single bool // one message, opened in clear
	// CanOpen: this staff member may open a message in clear (admins).
	CanOpen bool
}

func (s *Server) outboxPage(c echo.Context) error {
	items, next, err := s.outboxItems(c, "/admin/outbox/")
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "outbox", outboxView{Items: items, Kind: c.QueryParam("kind"), Next: next,
		CanOpen: currentUser(c).Role.Can(auth.PermViewPersonalData)}, false)
}

func (s *Server) apiOutbox(c echo.Context) error {
	items, next, err := s.outboxItems(c, "/api/v1/outbox/")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"messages": items, "next_before": next})
}

// readOutbox opens one message in clear for an admin, recording the read
// in the audit log first (who, which message; never the content).
func (s *Server) readOutbox(c echo.Context) (outboxItem, error) {
	id, err := paramID(c, "id")
	if err != nil {
		return outboxItem{}, err
	}
	m, err := s.deps.Store.ReadOutboxMessage(c.Request().Context(), id, audit(c, "outbox.read", "", ""))
	if err != nil {
		return outboxItem{}, err
	}
	return s.openOutbox(m, false, ""), nil
}

func (s *Server) outboxMessagePage(c echo.Context) error {
	it, err := s.readOutbox(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "outbox", outboxView{Items: []outboxItem{it}, Single: true}, false)
}

func (s *Server) apiOutboxMessage(c echo.Context) error {
	it, err := s.readOutbox(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"message": it})
}
