package web

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/store"
)

// A campaign's delivery settings: the order in which channels are tried
// for each office, the office hours in which letters are released, and
// the most letters an office gets in an hour. A campaign follows the
// server's defaults (OUTREACH_DELIVERY_CHANNELS and the built-in hours and
// cap) until staff change them; then it keeps its own.

// officeHoursJSON is when offices receive letters.
type officeHoursJSON struct {
	TimeZone string `json:"time_zone"` // the offices' IANA time zone
	Days     string `json:"days"`      // "mon-fri" or "mon,wed,fri"
	Open     string `json:"open"`      // "09:00"
	Close    string `json:"close"`     // "17:00"
}

// deliveryJSON is the "delivery" object of GET/PUT /api/v1/campaigns/{id}.
type deliveryJSON struct {
	Channels    []string        `json:"channels"`
	OfficeHours officeHoursJSON `json:"office_hours"`
	HourlyCap   int             `json:"hourly_cap"`
	// Custom is read-only: true once the campaign has its own settings,
	// false while it follows the server's defaults.
	Custom bool `json:"custom"`
}

func deliveryOf(s dispatch.Settings, custom bool) deliveryJSON {
	d := deliveryJSON{Channels: []string{}, HourlyCap: s.OfficeHourlyCap, Custom: custom,
		OfficeHours: officeHoursJSON{TimeZone: s.TimeZone, Days: s.OfficeDays, Open: s.OfficeOpen, Close: s.OfficeClose}}
	for _, c := range s.Channels {
		d.Channels = append(d.Channels, string(c))
	}
	return d
}

// same tells whether two settings are the same, whether custom or not.
func (d deliveryJSON) same(o deliveryJSON) bool {
	return slices.Equal(d.Channels, o.Channels) && d.OfficeHours == o.OfficeHours && d.HourlyCap == o.HourlyCap
}

func (d deliveryJSON) settings(campaignID int64) store.DeliverySettings {
	return store.DeliverySettings{CampaignID: campaignID, Channels: d.Channels, OfficeDays: d.OfficeHours.Days,
		OfficeOpen: d.OfficeHours.Open, OfficeClose: d.OfficeHours.Close, TimeZone: d.OfficeHours.TimeZone, OfficeHourlyCap: d.HourlyCap}
}

// MaxHourlyCap is the largest hourly cap per office a campaign may set.
const MaxHourlyCap = 10000

// deliveryDefaults are the server's settings for campaigns without their
// own.
func (s *Server) deliveryDefaults() dispatch.Settings { return s.deps.DeliveryDefaults }

// campaignDelivery is a campaign's effective settings (its own, or the
// defaults) and whether they are its own.
func (s *Server) campaignDelivery(ctx context.Context, id int64) (deliveryJSON, error) {
	if id == 0 {
		return deliveryOf(s.deliveryDefaults(), false), nil
	}
	d, err := s.deps.Store.DeliverySettingsFor(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return deliveryOf(s.deliveryDefaults(), false), nil
	}
	if err != nil {
		return deliveryJSON{}, err
	}
	return deliveryOf(dispatch.Merge(s.deliveryDefaults(), d), true), nil
}

// checkDelivery normalizes d and adds what is wrong with it to r, under
// the API's names (delivery.channels, delivery.office_hours.days, ...).
func (s *Server) checkDelivery(d *deliveryJSON, r *refused) {
	known := s.channels()
	names := make([]string, len(known))
	for i, c := range known {
		names[i] = string(c)
	}
	var order []string
	seen := map[string]bool{}
	for _, c := range d.Channels {
		c = strings.ToLower(strings.TrimSpace(c))
		switch {
		case c == "":
			continue
		case !slices.Contains(names, c):
			r.add("delivery.channels", fmt.Sprintf("%q is not a channel of this server: use %s", c, strings.Join(names, ", ")))
		case seen[c]:
			r.add("delivery.channels", fmt.Sprintf("%s is listed twice", c))
		}
		seen[c] = true
		order = append(order, c)
	}
	if len(order) == 0 {
		r.add("delivery.channels", "name at least one channel, in the order to try them: "+strings.Join(names, ", "))
	}
	d.Channels = order
	h := &d.OfficeHours
	h.TimeZone, h.Days, h.Open, h.Close = strings.TrimSpace(h.TimeZone), strings.ToLower(strings.TrimSpace(h.Days)), strings.TrimSpace(h.Open), strings.TrimSpace(h.Close)
	tzOK := true
	if _, err := time.LoadLocation(h.TimeZone); err != nil || h.TimeZone == "" || h.TimeZone == "Local" {
		r.add("delivery.office_hours.time_zone", "is not a time zone like America/New_York (the offices' own time zone)")
		tzOK = false
	}
	daysOK, openOK, closeOK := true, true, true
	if _, err := dispatch.ParseOfficeHours(h.Days, "09:00", "17:00", "UTC"); err != nil {
		r.add("delivery.office_hours.days", "use day names like mon-fri or mon,wed,fri")
		daysOK = false
	}
	if _, err := dispatch.ParseOfficeHours("mon", h.Open, "24:00", "UTC"); err != nil || h.Open == "24:00" {
		r.add("delivery.office_hours.open", "is not a time like 09:00")
		openOK = false
	}
	if _, err := dispatch.ParseOfficeHours("mon", "00:00", h.Close, "UTC"); err != nil || h.Close == "00:00" {
		r.add("delivery.office_hours.close", "is not a time like 17:00")
		closeOK = false
	}
	if tzOK && daysOK && openOK && closeOK {
		if _, err := dispatch.ParseOfficeHours(h.Days, h.Open, h.Close, h.TimeZone); err != nil {
			r.add("delivery.office_hours.close", "must be later than the opening time")
		}
	}
	if d.HourlyCap < 1 || d.HourlyCap > MaxHourlyCap {
		r.add("delivery.hourly_cap", fmt.Sprintf("must be a whole number from 1 to %d letters per office per hour", MaxHourlyCap))
	}
}

// Editor form fields of the delivery settings, by their API names.
var deliveryFormNames = map[string]string{
	"delivery.channels":               "delivery_channel_1",
	"delivery.office_hours.time_zone": "time_zone",
	"delivery.office_hours.days":      "office_days",
	"delivery.office_hours.open":      "office_open",
	"delivery.office_hours.close":     "office_close",
	"delivery.hourly_cap":             "hourly_cap",
}

// deliveryForm is the delivery part of the campaign editor, as typed.
type deliveryForm struct {
	Channels                         []string // in order; "" for an unused place
	TimeZone, Days, Open, Close, Cap string
}

func deliveryFormOf(d deliveryJSON) deliveryForm {
	return deliveryForm{Channels: d.Channels, TimeZone: d.OfficeHours.TimeZone, Days: d.OfficeHours.Days,
		Open: d.OfficeHours.Open, Close: d.OfficeHours.Close, Cap: strconv.Itoa(d.HourlyCap)}
}

// readDeliveryForm reads the delivery fields; present is false when the
// form has none (a client posting only the campaign's own fields).
func readDeliveryForm(get func(string) string, places int) (f deliveryForm, present bool) {
	for i := 1; i <= places; i++ {
		f.Channels = append(f.Channels, get("delivery_channel_"+strconv.Itoa(i)))
	}
	f.TimeZone, f.Days, f.Open, f.Close, f.Cap = get("time_zone"), get("office_days"), get("office_open"), get("office_close"), get("hourly_cap")
	present = f.TimeZone != "" || f.Days != "" || f.Open != "" || f.Close != "" || f.Cap != "" || slices.ContainsFunc(f.Channels, func(s string) bool { return s != "" })
	return f, present
}

// json turns the form into settings, adding a refusal for a cap that is
// not a number.
func (f deliveryForm) json(r *refused) deliveryJSON {
	d := deliveryJSON{Channels: f.Channels, OfficeHours: officeHoursJSON{TimeZone: f.TimeZone, Days: f.Days, Open: f.Open, Close: f.Close}}
	capText := strings.ReplaceAll(strings.TrimSpace(f.Cap), ",", "")
	n, err := strconv.Atoi(capText)
	if err != nil {
		r.add("delivery.hourly_cap", fmt.Sprintf("must be a whole number from 1 to %d letters per office per hour", MaxHourlyCap))
		n = 1 // checked no further
	}
	d.HourlyCap = n
	return d
}

// deliveryFieldsView is the delivery fieldset of the editor.
type deliveryFieldsView struct {
	Places  []choice // channel order: first choice, second, ...
	Inputs  []fieldView
	Custom  bool
	Default string // the server's defaults, in words
}

func channelLabel(c string) string {
	switch c {
	case "cwc":
		return "CWC (Communicating with Congress)"
	case "sendgrid":
		return "Email (SendGrid) to the office's contact"
	case "packet":
		return "Printed packet"
	case "outbox":
		return "Outbox (nothing leaves; for testing)"
	case "", "none":
		return "No channel (letters would fail)"
	}
	return c
}

func (s *Server) deliveryFields(f deliveryForm, msgs map[string]string, custom bool) deliveryFieldsView {
	v := deliveryFieldsView{Custom: custom}
	ordinals := []string{"First", "Second", "Third", "Fourth", "Fifth", "Sixth"}
	for i := range s.channels() {
		cur := ""
		if i < len(f.Channels) {
			cur = f.Channels[i]
		}
		opts := []option{{Value: "", Label: "(none)", Selected: cur == ""}}
		for _, c := range s.channels() {
			opts = append(opts, option{Value: string(c), Label: channelLabel(string(c)), Selected: cur == string(c)})
		}
		label := "Channel " + strconv.Itoa(i+1)
		if i < len(ordinals) {
			label = ordinals[i] + " channel to try"
		}
		ch := choice{Name: "delivery_channel_" + strconv.Itoa(i+1), Label: label, Options: opts}
		if i == 0 {
			ch.Error = msgs["delivery_channel_1"]
		}
		v.Places = append(v.Places, ch)
	}
	in := func(name, label, value string) fieldView {
		return fieldView{Name: name, Label: label, Type: "text", Value: value, Error: msgs[name], Autocomplete: "off"}
	}
	v.Inputs = []fieldView{
		in("time_zone", "Offices' time zone", f.TimeZone),
		in("office_days", "Days", f.Days),
		in("office_open", "From (HH:MM)", f.Open),
		in("office_close", "Until (HH:MM)", f.Close),
		in("hourly_cap", "Letters per office per hour", f.Cap),
	}
	d := deliveryOf(s.deliveryDefaults(), false)
	v.Default = fmt.Sprintf("%s; %s %s-%s %s; %d letters per office per hour", strings.Join(d.Channels, ", "),
		d.OfficeHours.Days, d.OfficeHours.Open, d.OfficeHours.Close, d.OfficeHours.TimeZone, d.HourlyCap)
	return v
}

// defaultChannels are the channels a test server (no main) uses.
var defaultChannels = []delivery.Channel{"outbox"}

// channels are the build's channel names (main's registry).
func (s *Server) channels() []delivery.Channel {
	if len(s.deps.Channels) == 0 {
		return defaultChannels
	}
	return s.deps.Channels
}
