package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/deliverytest"
	"github.com/outreach-org/outreach/internal/delivery/outbox"
	"github.com/outreach-org/outreach/internal/delivery/packet"
	"github.com/outreach-org/outreach/internal/delivery/sendgrid"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/web"
)

var buildChannels = []delivery.Channel{"cwc", "sendgrid", "packet", "outbox"}

type apiDelivery struct {
	Channels    []string `json:"channels"`
	OfficeHours struct {
		TimeZone string `json:"time_zone"`
		Days     string `json:"days"`
		Open     string `json:"open"`
		Close    string `json:"close"`
	} `json:"office_hours"`
	HourlyCap int  `json:"hourly_cap"`
	Custom    bool `json:"custom"`
}

// TestCampaignDeliverySettingsAPI: GET shows the defaults until a PUT
// changes them; a partial "delivery" keeps the fields left out; refusals
// name each field and save nothing, the campaign's other changes either.
func TestCampaignDeliverySettingsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		defaults := dispatch.DefaultSettings()
		defaults.Channels = []delivery.Channel{"cwc", "sendgrid", "packet"}
		f := staffServer(t, st, web.Deps{Channels: buildChannels, DeliveryDefaults: defaults})
		tok := bearer(t, st, addUser(t, st, unique("deliv")+"@example.org", auth.Campaigner))
		c := browserClient(t)
		code, body := do(t, c, http.MethodPost, f.srv.URL+"/api/v1/campaigns", tok, "application/json", campaignBody(unique("deliv"), nil))
		if code != http.StatusCreated {
			t.Fatalf("create: %d %s", code, body)
		}
		id := decode[apiCampaign](t, body).ID
		u := f.srv.URL + "/api/v1/campaigns/" + itoa(id)
		// A campaign may be created with its own settings.
		code, body = do(t, c, http.MethodPost, f.srv.URL+"/api/v1/campaigns", tok, "application/json",
			campaignBody(unique("deliv"), map[string]any{"delivery": map[string]any{"channels": []string{"packet"}, "hourly_cap": 5}}))
		if created := decode[struct{ Delivery apiDelivery }](t, body).Delivery; code != 201 || !created.Custom || created.HourlyCap != 5 ||
			strings.Join(created.Channels, ",") != "packet" || created.OfficeHours.Days != "mon-fri" {
			t.Errorf("create with delivery: %d %s", code, body)
		}
		code, body = do(t, c, http.MethodPost, f.srv.URL+"/api/v1/campaigns", tok, "application/json",
			campaignBody(unique("deliv"), map[string]any{"delivery": map[string]any{"hourly_cap": -1}}))
		if _, _, msg := refusalFor(t, body, "delivery.hourly_cap"); code != 422 || msg == "" {
			t.Errorf("create with a bad cap: %d %s", code, body)
		}
		get := func() apiDelivery {
			code, body := do(t, c, http.MethodGet, u, tok, "", "")
			if code != 200 {
				t.Fatalf("get: %d %s", code, body)
			}
			return decode[struct{ Delivery apiDelivery }](t, body).Delivery
		}
		d := get()
		if strings.Join(d.Channels, ",") != "cwc,sendgrid,packet" || d.OfficeHours.TimeZone != "America/New_York" || d.OfficeHours.Days != "mon-fri" ||
			d.OfficeHours.Open != "09:00" || d.OfficeHours.Close != "17:00" || d.HourlyCap != 200 || d.Custom {
			t.Fatalf("defaults: %+v", d)
		}

		put := func(body string) (int, string) { return do(t, c, http.MethodPut, u, tok, "application/json", body) }
		code, body = put(`{"delivery": {"channels": ["sendgrid", "packet"], "office_hours": {"time_zone": "America/Los_Angeles", "open": "10:00"}, "hourly_cap": 25}}`)
		if code != 200 {
			t.Fatalf("put: %d %s", code, body)
		}
		d = get()
		if strings.Join(d.Channels, ",") != "sendgrid,packet" || d.OfficeHours.TimeZone != "America/Los_Angeles" || d.OfficeHours.Days != "mon-fri" ||
			d.OfficeHours.Open != "10:00" || d.OfficeHours.Close != "17:00" || d.HourlyCap != 25 || !d.Custom {
			t.Fatalf("after put: %+v", d)
		}
		// What the worker reads.
		ds, err := st.DeliverySettingsFor(context.Background(), id)
		if err != nil || strings.Join(ds.Channels, ",") != "sendgrid,packet" || ds.TimeZone != "America/Los_Angeles" || ds.OfficeHourlyCap != 25 {
			t.Fatalf("stored: %+v %v", ds, err)
		}

		// Every bad field is named; nothing is saved, not even the title.
		code, body = put(`{"title": "Changed title", "delivery": {"channels": ["fax", "packet", "packet"], "office_hours": {"time_zone": "Mars/Olympus", "days": "weekdays", "open": "9am", "close": "25:00"}, "hourly_cap": 0}}`)
		if code != http.StatusUnprocessableEntity {
			t.Fatalf("bad put: %d %s", code, body)
		}
		for field, want := range map[string]string{
			"delivery.channels":               `"fax" is not a channel of this server: use cwc, sendgrid, packet, outbox`,
			"delivery.office_hours.time_zone": "is not a time zone like America/New_York",
			"delivery.office_hours.days":      "use day names like mon-fri",
			"delivery.office_hours.open":      "is not a time like 09:00",
			"delivery.office_hours.close":     "is not a time like 17:00",
			"delivery.hourly_cap":             "must be a whole number from 1 to 10000",
		} {
			if _, _, msg := refusalFor(t, body, field); !strings.Contains(msg, want) {
				t.Errorf("%s: %q, want %q", field, msg, want)
			}
		}
		if !strings.Contains(body, "packet is listed twice") {
			t.Errorf("duplicate channel not named: %s", body)
		}
		code, body = put(`{"delivery": {"office_hours": {"open": "17:00", "close": "09:00"}}}`)
		if _, _, msg := refusalFor(t, body, "delivery.office_hours.close"); code != 422 || !strings.Contains(msg, "later than the opening") {
			t.Errorf("close before open: %d %s", code, msg)
		}
		code, body = put(`{"delivery": {"hourly_cap": "lots"}}`)
		if _, _, msg := refusalFor(t, body, "delivery.hourly_cap"); code != 422 || msg != "must be a whole number" {
			t.Errorf("cap as text: %d %s", code, msg)
		}
		code, body = put(`{"delivery": {"channels": []}}`)
		if _, _, msg := refusalFor(t, body, "delivery.channels"); code != 422 || !strings.Contains(msg, "name at least one channel") {
			t.Errorf("no channel: %d %s", code, msg)
		}
		if d2 := get(); strings.Join(d2.Channels, ",") != "sendgrid,packet" || d2.HourlyCap != 25 || d2.OfficeHours.Open != "10:00" {
			t.Errorf("a refused put changed the settings: %+v", d2)
		}
		_, body = do(t, c, http.MethodGet, u, tok, "", "")
		if decode[apiCampaign](t, body).Title == "Changed title" {
			t.Error("a refused put saved the title")
		}
		// What a client read can be sent back as it is.
		code, body = put(body)
		if code != 200 {
			t.Errorf("round trip: %d %s", code, body)
		}
	})
}

// TestCampaignEditorDeliverySettings: the editor shows and saves the
// delivery settings, and a refused form comes back as typed.
func TestCampaignEditorDeliverySettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := staffServer(t, st, web.Deps{Channels: buildChannels})
		u := addUser(t, st, unique("editor")+"@example.org", auth.Campaigner)
		c := browserClient(t)
		signIn(t, c, f.srv.URL, u.Email)
		base := f.srv.URL + "/admin/campaigns"
		tok := csrfFrom(t, c, base+"/new")
		slug := unique("edit-deliv")
		v := formValues(slug)
		v.Set("_csrf", tok)
		v.Set("action", "save")
		code, _, loc := postForm(t, c, base, v)
		if code != http.StatusSeeOther {
			t.Fatalf("create: %d", code)
		}
		code, page := getPage(t, c, f.srv.URL+loc)
		for _, want := range []string{`id="delivery_channel_1"`, `value="America/New_York"`, "follows the server's defaults"} {
			if code != 200 || !strings.Contains(page, want) {
				i := strings.Index(page, "delivery-settings")
				t.Fatalf("editor: %d, no %q in %s", code, want, page[i:min(len(page), i+600)])
			}
		}
		id := strings.TrimPrefix(loc, "/admin/campaigns/")

		bad := formValues(slug)
		bad.Set("_csrf", tok)
		bad.Set("action", "save")
		bad.Set("title", "A new title")
		for k, x := range map[string]string{"delivery_channel_1": "packet", "delivery_channel_2": "packet", "time_zone": "Eastern",
			"office_days": "mon-fri", "office_open": "08:30", "office_close": "18:00", "hourly_cap": "fifty"} {
			bad.Set(k, x)
		}
		code, body, _ := postForm(t, c, base+"/"+id, bad)
		if code != http.StatusUnprocessableEntity {
			t.Fatalf("bad delivery: %d", code)
		}
		for _, want := range []string{`value="Eastern"`, `value="fifty"`, `value="08:30"`, "packet is listed twice", "is not a time zone like America/New_York",
			"must be a whole number from 1 to 10000", `value="A new title"`} {
			if !strings.Contains(body, want) {
				t.Errorf("refused form lacks %q", want)
			}
		}
		if cur, _ := st.Campaign(context.Background(), mustID(t, id)); cur.Title == "A new title" {
			t.Error("the title was saved with refused delivery settings")
		}

		good := formValues(slug)
		good.Set("_csrf", tok)
		good.Set("action", "save")
		for k, x := range map[string]string{"delivery_channel_1": "sendgrid", "delivery_channel_2": "packet", "time_zone": "America/Chicago",
			"office_days": "mon-thu", "office_open": "08:30", "office_close": "16:00", "hourly_cap": "40"} {
			good.Set(k, x)
		}
		if code, _, _ := postForm(t, c, base+"/"+id, good); code != http.StatusSeeOther {
			t.Fatalf("save: %d", code)
		}
		ds, err := st.DeliverySettingsFor(context.Background(), mustID(t, id))
		if err != nil || strings.Join(ds.Channels, ",") != "sendgrid,packet" || ds.TimeZone != "America/Chicago" || ds.OfficeDays != "mon-thu" ||
			ds.OfficeOpen != "08:30" || ds.OfficeClose != "16:00" || ds.OfficeHourlyCap != 40 {
			t.Fatalf("stored: %+v %v", ds, err)
		}
		_, page = getPage(t, c, base+"/"+id)
		if !strings.Contains(page, `<option value="sendgrid" selected>`) || !strings.Contains(page, `value="America/Chicago"`) || !strings.Contains(page, "has its own delivery settings") {
			t.Error("the editor does not show the saved settings")
		}
	})
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if err := json.Unmarshal([]byte(s), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

type apiContacts struct {
	Office struct {
		BioguideID string `json:"bioguide_id"`
		Name       string `json:"name"`
	} `json:"office"`
	Contacts []struct {
		Name, Role, Email, Fax string
	} `json:"contacts"`
	Email string `json:"email"`
}

// TestOfficeContactsAPIAndPages: GET/PUT an office's contacts (refusals
// by field, nothing saved), the import page all or nothing, and the
// office's form keeping what was typed.
func TestOfficeContactsAPIAndPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := staffServer(t, st, web.Deps{Channels: buildChannels})
		camp := addUser(t, st, unique("contacts")+"@example.org", auth.Campaigner)
		tok := bearer(t, st, camp)
		org := bearer(t, st, addUser(t, st, unique("org")+"@example.org", auth.Organizer))
		c := browserClient(t)
		const office = "P000197"
		t.Cleanup(func() { _ = st.ReplaceOfficeContacts(context.Background(), office, nil, store.Audit{Action: "test"}) })
		_ = st.ReplaceOfficeContacts(context.Background(), office, nil, store.Audit{Action: "test"})
		u := f.srv.URL + "/api/v1/offices/" + office + "/contacts"

		code, body := do(t, c, http.MethodGet, u, tok, "", "")
		if got := decode[apiContacts](t, body); code != 200 || got.Office.Name != "Nancy Pelosi" || len(got.Contacts) != 0 || got.Email != "" {
			t.Fatalf("empty: %d %s", code, body)
		}
		if code, _ := do(t, c, http.MethodGet, u, org, "", ""); code != http.StatusForbidden {
			t.Errorf("organizer read contacts: %d", code)
		}
		if code, _ := do(t, c, http.MethodGet, f.srv.URL+"/api/v1/offices/Z999999/contacts", tok, "", ""); code != 404 {
			t.Errorf("unknown office: %d", code)
		}
		code, body = do(t, c, http.MethodPut, u, tok, "application/json",
			`{"contacts": [{"name": "Front desk"}, {"name": "Rosa Díaz", "role": "Immigration legislative assistant", "email": "rosa.diaz@mail.house.gov", "fax": "(202) 555-0143"}]}`)
		got := decode[apiContacts](t, body)
		if code != 200 || len(got.Contacts) != 2 || got.Email != "rosa.diaz@mail.house.gov" || got.Contacts[1].Fax != "202-555-0143" {
			t.Fatalf("put: %d %s", code, body)
		}
		code, body = do(t, c, http.MethodPut, u, tok, "application/json", `{"contacts": [{"name": "", "email": "nope"}, {"name": "B", "email": "rosa.diaz@mail.house.gov", "phone": "x"}]}`)
		if _, _, msg := refusalFor(t, body, "phone"); code != 422 || !strings.Contains(msg, "not a contact field") {
			t.Errorf("unknown field: %d %s", code, body)
		}
		code, body = do(t, c, http.MethodPut, u, tok, "application/json", `{"contacts": [{"name": "", "email": "nope"}, {"name": "B", "email": "rosa.diaz@mail.house.gov"}, {"name": "C", "email": "ROSA.DIAZ@mail.house.gov"}]}`)
		if code != 422 {
			t.Fatalf("bad put: %d %s", code, body)
		}
		for field, want := range map[string]string{"contacts[0].name": "is required", "contacts[0].email": "is not an email address", "contacts[2].email": "is the same as contact 2"} {
			if _, _, msg := refusalFor(t, body, field); !strings.Contains(msg, want) {
				t.Errorf("%s: %q", field, msg)
			}
		}
		if _, body = do(t, c, http.MethodGet, u, tok, "", ""); len(decode[apiContacts](t, body).Contacts) != 2 {
			t.Errorf("a refused put changed the contacts: %s", body)
		}

		// The admin pages.
		signIn(t, c, f.srv.URL, camp.Email)
		code, page := getPage(t, c, f.srv.URL+"/admin/contacts?q=Pelosi")
		if code != 200 || !strings.Contains(page, `href="/admin/offices/P000197/contacts"`) || !strings.Contains(page, "rosa.diaz@mail.house.gov") {
			t.Fatalf("contacts page: %d", code)
		}
		tok2 := csrfFrom(t, c, f.srv.URL+"/admin/contacts")
		upload := func(csv string) (int, string) {
			var b bytes.Buffer
			mw := multipart.NewWriter(&b)
			_ = mw.WriteField("_csrf", tok2)
			fw, _ := mw.CreateFormFile("file", "contacts.csv")
			_, _ = fw.Write([]byte(csv))
			_ = mw.Close()
			req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/admin/contacts/import", &b)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out bytes.Buffer
			_, _ = out.ReadFrom(resp.Body)
			return resp.StatusCode, out.String()
		}
		code, page = upload("bioguide_id,name,role,email,fax\nP000197,Sam Lee,Chief of staff,sam@mail.house.gov,\nP000145,Lee,,bad,\n")
		if code != 422 || !strings.Contains(page, "row 2: email: is not an email address") || !strings.Contains(page, "Nothing was imported: 1 problem(s) in 2 rows.") {
			t.Errorf("refused import: %d", code)
		}
		if got, _ := st.OfficeContacts(context.Background(), office); len(got) != 2 {
			t.Errorf("a refused import wrote: %+v", got)
		}
		code, _ = upload("bioguide_id,name,role,email,fax\nP000197,Sam Lee,Chief of staff,sam@mail.house.gov,\n")
		if code != http.StatusSeeOther {
			t.Errorf("import: %d", code)
		}
		if _, page = getPage(t, c, f.srv.URL+"/admin/contacts"); !strings.Contains(page, "Imported 1 contacts of 1 offices.") {
			t.Error("no message after the import")
		}
		if got, _ := st.OfficeContacts(context.Background(), office); len(got) != 1 || got[0].Email != "sam@mail.house.gov" {
			t.Errorf("after import: %+v", got)
		}

		form := url.Values{"_csrf": {tok2}, "name": {"Rosa Díaz", "", "Ana"}, "role": {"LA", "", ""}, "email": {"rosa@mail.house.gov", "", "not-an-email"}, "fax": {"", "", "12"}}
		code, page, _ = postForm(t, c, f.srv.URL+"/admin/offices/P000197/contacts", form)
		if code != 422 || !strings.Contains(page, `value="not-an-email"`) || !strings.Contains(page, "Contact 2, email: is not an email address") ||
			!strings.Contains(page, "Contact 2, fax: must be a 10-digit US number") || !strings.Contains(page, `value="Rosa Díaz"`) {
			t.Errorf("refused form: %d", code)
		}
		form.Set("email", "rosa@mail.house.gov")
		form["email"] = []string{"rosa@mail.house.gov", "", "ana@mail.house.gov"}
		form["fax"] = []string{"", "", "202 555 0100"}
		if code, _, _ = postForm(t, c, f.srv.URL+"/admin/offices/P000197/contacts", form); code != http.StatusSeeOther {
			t.Fatalf("save: %d", code)
		}
		if got, _ := st.OfficeContacts(context.Background(), office); len(got) != 2 || got[0].Email != "rosa@mail.house.gov" || got[1].Fax != "202-555-0100" {
			t.Errorf("after the form: %+v", got)
		}
	})
}

// TestCoverage: per office, the channel its letters take (CWC off here,
// so email for an office with a contact email, the packet otherwise) and
// the letters waiting, by the campaign's channel order.
func TestCoverage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		fake := deliverytest.NewSendGrid(t)
		sg, err := sendgrid.New(sendgrid.Config{APIKey: "SG.cov", BaseURL: fake.URL, FromEmail: "letters@example.org", FromName: "Test"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defaults := dispatch.DefaultSettings()
		defaults.Channels = []delivery.Channel{"cwc", sendgrid.Name, packet.Name}
		f := staffServer(t, st, web.Deps{Channels: buildChannels, Senders: []delivery.Sender{sg, packet.Sender{}, outbox.New(st, nil)}, DeliveryDefaults: defaults})
		tok := bearer(t, st, addUser(t, st, unique("cov")+"@example.org", auth.Campaigner))
		c := browserClient(t)
		code, body := do(t, c, http.MethodPost, f.srv.URL+"/api/v1/campaigns", tok, "application/json", campaignBody(unique("cov"), map[string]any{"targets": "senate"}))
		if code != 201 {
			t.Fatalf("create: %d %s", code, body)
		}
		camp := decode[apiCampaign](t, body)
		const withEmail, without = "P000145", "S001150"
		t.Cleanup(func() {
			_ = st.ReplaceOfficeContacts(context.Background(), withEmail, nil, store.Audit{Action: "test"})
		})
		if code, body := do(t, c, http.MethodPut, f.srv.URL+"/api/v1/offices/"+withEmail+"/contacts", tok, "application/json",
			`{"contacts": [{"name": "Lee Park", "role": "Immigration counsel", "email": "lee_park@padilla.senate.gov"}]}`); code != 200 {
			t.Fatalf("contacts: %d %s", code, body)
		}
		seedWaiting(t, st, camp.ID, map[string]string{withEmail: "SCA03", without: "SCA01"}, 2)

		type cov struct {
			Channels []string `json:"channels"`
			Totals   []struct {
				Channel string `json:"channel"`
				Offices int    `json:"offices"`
				Waiting int64  `json:"waiting"`
			} `json:"totals"`
			Offices []struct {
				BioguideID string `json:"bioguide_id"`
				Channel    string `json:"channel"`
				HasEmail   bool   `json:"has_email"`
				Waiting    int64  `json:"waiting"`
				Chamber    string `json:"chamber"`
			} `json:"offices"`
		}
		get := func() cov {
			code, body := do(t, c, http.MethodGet, f.srv.URL+"/api/v1/campaigns/"+itoa(camp.ID)+"/coverage", tok, "", "")
			if code != 200 {
				t.Fatalf("coverage: %d %s", code, body)
			}
			return decode[cov](t, body)
		}
		got := get()
		if len(got.Offices) != 100 {
			t.Errorf("a senate campaign covers %d offices", len(got.Offices))
		}
		byID := map[string]int{}
		for i, o := range got.Offices {
			byID[o.BioguideID] = i
			if o.Chamber != "senate" {
				t.Errorf("office %s of chamber %s", o.BioguideID, o.Chamber)
			}
		}
		if o := got.Offices[byID[withEmail]]; o.Channel != "sendgrid" || !o.HasEmail || o.Waiting != 2 {
			t.Errorf("office with a contact email: %+v", o)
		}
		if o := got.Offices[byID[without]]; o.Channel != "packet" || o.HasEmail || o.Waiting != 2 {
			t.Errorf("office without: %+v", o)
		}
		if len(got.Totals) != 2 || got.Totals[0].Channel != "sendgrid" || got.Totals[0].Offices != 1 || got.Totals[0].Waiting != 2 ||
			got.Totals[1].Channel != "packet" || got.Totals[1].Offices != 99 || got.Totals[1].Waiting != 2 {
			t.Errorf("totals: %+v", got.Totals)
		}
		// The campaign's own order: packets first, so no email at all.
		if code, body := do(t, c, http.MethodPut, f.srv.URL+"/api/v1/campaigns/"+itoa(camp.ID), tok, "application/json", `{"delivery": {"channels": ["packet", "sendgrid"]}}`); code != 200 {
			t.Fatalf("order: %d %s", code, body)
		}
		if got := get(); len(got.Totals) != 1 || got.Totals[0].Channel != "packet" || got.Totals[0].Waiting != 4 || strings.Join(got.Channels, ",") != "packet,sendgrid" {
			t.Errorf("packet first: %+v", got.Totals)
		}
		// Only CWC, which is not configured: no channel reaches anyone.
		if code, body := do(t, c, http.MethodPut, f.srv.URL+"/api/v1/campaigns/"+itoa(camp.ID), tok, "application/json", `{"delivery": {"channels": ["cwc"]}}`); code != 200 {
			t.Fatalf("order: %d %s", code, body)
		}
		if got := get(); len(got.Totals) != 1 || got.Totals[0].Channel != "none" || got.Totals[0].Offices != 100 {
			t.Errorf("cwc only: %+v", got.Totals)
		}

		u := addUser(t, st, unique("covpage")+"@example.org", auth.Campaigner)
		signIn(t, c, f.srv.URL, u.Email)
		code, page := getPage(t, c, f.srv.URL+"/admin/campaigns/"+itoa(camp.ID)+"/coverage?waiting=1")
		if code != 200 || !strings.Contains(page, "No channel") || strings.Count(page, "<tr>") != 1+1+1+2 || !strings.Contains(page, `href="/admin/offices/S001150/contacts"`) {
			t.Errorf("coverage page: %d, %d rows", code, strings.Count(page, "<tr>"))
		}
		if _, page = getPage(t, c, f.srv.URL+"/admin/campaigns/"+itoa(camp.ID)+"/coverage?channel=sendgrid"); !strings.Contains(page, "No office matches.") {
			t.Error("the channel filter shows offices of another channel")
		}
		// The state filter: California's two senators of the campaign's
		// 100, California chosen in the list; a state without an office
		// of the campaign says so and shows none.
		code, page = getPage(t, c, f.srv.URL+"/admin/campaigns/"+itoa(camp.ID)+"/coverage?state=ca")
		if code != 200 || strings.Count(page, "<tr>") != 1+1+1+2 || !strings.Contains(page, "2 of 100 offices shown.") ||
			!strings.Contains(page, `<option value="CA" selected>California</option>`) || !strings.Contains(page, "Alex Padilla") {
			t.Errorf("state filter: %d, %d rows\n%s", code, strings.Count(page, "<tr>"), page)
		}
		code, page = getPage(t, c, f.srv.URL+"/admin/campaigns/"+itoa(camp.ID)+"/coverage?state=ZZ")
		if code != 200 || !strings.Contains(page, "No office matches.") || !strings.Contains(page, `No office of this campaign is in &#34;ZZ&#34;`) {
			t.Errorf("unknown state: %d\n%s", code, page)
		}
		_ = ctx
	})
}

// seedWaiting writes n pending letters per office of the campaign (no
// delivery job: they wait).
func seedWaiting(t *testing.T, st *store.Store, campaignID int64, offices map[string]string, n int) {
	t.Helper()
	ctx := context.Background()
	for id, code := range offices {
		for i := range n {
			sub, err := st.CreateSubmission(ctx, store.Submission{CampaignID: campaignID, EmailIndex: unique("idx"), Lang: "en"},
				func(int64) (string, error) { return "k.sealed", nil })
			if err != nil {
				t.Fatal(err)
			}
			_ = i
			if _, err := st.CreateLetters(ctx, []store.NewLetter{{CampaignID: campaignID, SubmissionID: sub.ID, BioguideID: id, OfficeCode: code,
				Chamber: "senate", State: "CA", TemplateVer: 1, DeliveryID: delivery.NewDeliveryID(), ReplyToken: delivery.NewReplyToken(),
				Seal: func(int64) (string, error) { return "k.sealed", nil }}}, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
}
