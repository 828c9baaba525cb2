package web_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery/outbox"
	"github.com/outreach-org/outreach/internal/geocode"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/web"
)

// subjects lists the subjects of the supporter emails in the outbox.
func (a *actionFixture) subjects(t *testing.T) string {
	t.Helper()
	msgs, err := a.store.Outbox(context.Background(), "supporter", 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		st, err := outbox.Open(a.keys, m.ID, m.Sealed)
		if err != nil || st.Email == nil {
			continue // another test's (PostgreSQL shares the outbox)
		}
		out = append(out, st.Email.Subject)
	}
	return strings.Join(out, "|") + "|"
}

// switchLink is the language switch's link to lang on a page.
func switchLink(t *testing.T, page, lang string) string {
	t.Helper()
	m := regexp.MustCompile(`<a href="([^"]+)" lang="` + lang + `" hreflang`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no link to %s in the language switch", lang)
	}
	return html.UnescapeString(m[1])
}

// TestSupporterCheckEmailAndThanks: "check your email" names the (masked)
// address and the offices, offers one resend, and reopens in the other
// language by a GET link; "thank you" lists the offices written to, the
// next steps, and reopens the same way. No page after a form post leads
// the language switch to a 405 or a "link not valid".
func TestSupporterCheckEmailAndThanks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		slug := "after-" + string(st.Dialect())
		a := newActionServer(t, st, slug, campaign.Live)
		c := browserClient(t)

		code, body := a.post(t, c, "/c/"+slug+"/send", supporter("94110", "CA"))
		body = html.UnescapeString(body)
		if code != 200 || !strings.Contains(body, "We sent an email to an•••@example.org") || strings.Contains(body, "ana@example.org") {
			t.Fatalf("check your email: %d %s", code, body)
		}
		for _, want := range []string{"Senator Alex Padilla", "Representative Nancy Pelosi", "Send the email again", `<a href="/c/` + slug + `?lang=en">Back to the campaign page</a>`} {
			if !strings.Contains(body, want) {
				t.Errorf("check your email lacks %q", want)
			}
		}
		es := switchLink(t, body, "es")
		if !strings.HasPrefix(es, "/c/"+slug+"/sent?") {
			t.Fatalf("language switch on check-your-email: %s", es)
		}
		ces := browserClient(t) // a reader of Spanish (the switch sets a cookie)
		code, page := getPage(t, ces, a.srv.URL+es)
		if code != 200 || !strings.Contains(page, "Revise su correo") || !strings.Contains(html.UnescapeString(page), "an•••@example.org") {
			t.Fatalf("check your email in Spanish: %d", code)
		}
		// one resend, in the page's language; a second is refused
		tok := regexp.MustCompile(`name="t" value="([^"]+)"`).FindStringSubmatch(page)
		csrf := csrfField.FindStringSubmatch(page)
		if tok == nil || csrf == nil {
			t.Fatal("no resend form")
		}
		form := url.Values{"_csrf": {csrf[1]}, "t": {html.UnescapeString(tok[1])}}
		code, page, _ = postForm(t, ces, a.srv.URL+"/c/"+slug+"/sent", form)
		if code != 200 || !strings.Contains(html.UnescapeString(page), "Enviamos el correo a an•••@example.org otra vez") {
			t.Fatalf("resend: %d %s", code, page)
		}
		a.waitMail(t)
		if subjects := a.subjects(t); !strings.Contains(subjects, "Confirme sus cartas al Congreso") {
			t.Errorf("after a resend the outbox holds %s", subjects)
		}
		if code, page, _ = postForm(t, ces, a.srv.URL+"/c/"+slug+"/sent", form); code != http.StatusTooManyRequests || !strings.Contains(page, "segunda vez") {
			t.Errorf("second resend: %d", code)
		}
		// a forged token names nothing
		if code, _ := getPage(t, c, a.srv.URL+"/c/"+slug+"/sent?t=abc.def.0123456789abcdef0123456789abcdef"); code != 400 {
			t.Errorf("forged sent token: %d", code)
		}

		// the newest link is the Spanish one sent again: open it in English
		code, body = a.confirm(t, c, strings.Replace(a.confirmLink(t), "lang=es", "lang=en", 1))
		if code != 200 || !strings.Contains(body, "Your letters go to:") || !strings.Contains(body, "Senator Adam B. Schiff") ||
			!strings.Contains(body, "What you can do next") || !strings.Contains(body, `href="/?lang=en&amp;q=94110"`) {
			t.Fatalf("thank you: %d %s", code, body[strings.Index(body, "<main"):])
		}
		es = switchLink(t, body, "es")
		if !strings.HasPrefix(es, "/c/"+slug+"/thanks?") {
			t.Fatalf("language switch on thank-you: %s", es)
		}
		code, page = getPage(t, ces, a.srv.URL+es)
		if code != 200 || !strings.Contains(page, "¡Gracias!") || !strings.Contains(page, "Sus 3 cartas van en camino") || !strings.Contains(page, "Sus cartas van a:") {
			t.Errorf("thank you in Spanish: %d", code)
		}
		// after confirming, "check your email" says it is done
		// the confirmation page (a GET link) switches with its token
		link, other := a.confirmLink(t), "en"
		if strings.Contains(link, "lang=en") { // the jobs may have sent the two emails in either order
			other = "es"
		}
		if _, page := getPage(t, c, a.srv.URL+link); !strings.Contains(switchLink(t, page, other), "t=") {
			t.Error("the confirmation page's language switch drops the token")
		}
		code, _ = getPage(t, c, a.srv.URL+strings.Replace(es, "/thanks?", "/sent?", 1))
		if code != 400 {
			t.Errorf("a thanks token opens the sent page: %d", code)
		}
	})
}

// TestSupporterMessagesAndErrorsSwitchLanguage: a message or an error page
// that answered a POST switches language to GET /m/KEY, the same message;
// a 405 is translated.
func TestSupporterMessagesAndErrorsSwitchLanguage(t *testing.T) {
	st := storetest.SQLite(t)
	a := newActionServer(t, st, "msgs", campaign.Live)
	c := browserClient(t)
	code, page := getPage(t, browserClient(t), a.srv.URL+"/c/msgs/send?lang=es")
	if code != http.StatusMethodNotAllowed || !strings.Contains(page, "no se puede abrir de esa manera") || !strings.Contains(page, "Esta página no guarda nada sobre usted.") {
		t.Errorf("405 in Spanish: %d %s", code, page)
	}
	// an expired form (no CSRF token) answers a POST: the switch reopens its message
	code, page, _ = postForm(t, c, a.srv.URL+"/c/msgs/send", url.Values{})
	if code != http.StatusForbidden {
		t.Fatalf("post without token: %d", code)
	}
	es := switchLink(t, page, "es")
	if es != "/m/err.csrf?lang=es" {
		t.Fatalf("switch on a POST's error page: %s", es)
	}
	if code, page = getPage(t, c, a.srv.URL+es); code != 200 || !strings.Contains(page, "Este formulario venció") {
		t.Errorf("reopened error in Spanish: %d", code)
	}
	for path, want := range map[string]string{"/nope": "No encontramos esa página", "/m/err.internal": "Algo salió mal de nuestro lado",
		"/m/err.too_many": "Demasiadas solicitudes", "/m/err.bad_request": "No pudimos entender la solicitud"} {
		if _, page := getPage(t, browserClient(t), a.srv.URL+path+"?lang=es"); !strings.Contains(page, want) || !strings.Contains(page, "Algo salió mal</h1>") {
			t.Errorf("%s in Spanish lacks %q", path, want)
		}
	}
	for key, want := range map[string]string{"slow_down": "Espere un poco", "unsub_done": "Se dio de baja", "forget_done": "Sus datos se borraron"} {
		if code, page := getPage(t, c, a.srv.URL+"/m/"+key+"?lang=es"); code != 200 || !strings.Contains(page, want) {
			t.Errorf("/m/%s: %d", key, code)
		}
	}
	if code, _ := getPage(t, c, a.srv.URL+"/m/nope"); code != 404 {
		t.Errorf("/m/nope: %d", code)
	}
}

// TestSupporterErrorSummary: the summary lists the errors in the form's
// order, each naming its field and linking to it, in both languages; the
// language switch on the answer re-posts what was typed.
func TestSupporterErrorSummary(t *testing.T) {
	st := storetest.SQLite(t)
	a := newActionServer(t, st, "summary", campaign.Live)
	c := browserClient(t)
	v := supporter("94110", "CA")
	v.Set("first_name", "")
	v.Set("email", "ana@")
	v.Set("city", "")
	v.Set("phone", "12")
	code, body := a.post(t, c, "/c/summary", v)
	if code != 422 {
		t.Fatalf("bad form: %d", code)
	}
	items := regexp.MustCompile(`<li><a href="#([a-z_0-9]+)">([^<]+)</a></li>`).FindAllStringSubmatch(body, -1)
	var got []string
	for _, it := range items {
		got = append(got, it[1]+"="+html.UnescapeString(it[2]))
	}
	want := []string{"first_name=Enter your first name.", "email=Email: Enter an email address like name@example.org.", "city=Enter your city.",
		"phone=Phone: Enter a 10-digit US phone number, like 415-555-0134, or leave it empty."}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("summary:\n got %q\nwant %q", got, want)
	}
	if !strings.Contains(body, `class="notice error summary" role="alert" id="result" tabindex="-1"`) || !strings.Contains(body, `data-focus`) {
		t.Error("the summary does not take the focus")
	}
	// the switch re-posts the form: Spanish, same errors, nothing lost
	if !strings.Contains(body, `<form method="post" action="/c/summary?lang=es" class="lang-form">`) {
		t.Fatal("no re-posting language switch on the answer to a form")
	}
	v.Set("_csrf", csrfFrom(t, c, a.srv.URL+"/c/summary"))
	ces := browserClient(t) // the switch sets a cookie: a reader of Spanish
	v.Set("_csrf", csrfFrom(t, ces, a.srv.URL+"/c/summary"))
	code, page, _ := postForm(t, ces, a.srv.URL+"/c/summary?lang=es", v)
	page = html.UnescapeString(page)
	if code != 422 || !strings.Contains(page, "Escriba su nombre.") || !strings.Contains(page, "Correo electrónico: Escriba un correo") ||
		!strings.Contains(page, `value="3200 24th St"`) || !strings.Contains(page, "My cousin was separated") {
		t.Errorf("Spanish re-post: %d", code)
	}
	// the review re-posts too, and comes back as the review
	v = supporter("94110", "CA")
	code, body = a.post(t, c, "/c/summary", v)
	if code != 200 || !strings.Contains(body, `action="/c/summary?lang=es" class="lang-form"`) || !strings.Contains(body, `name="note" value="My cousin`) {
		t.Fatalf("review: %d", code)
	}
	// the letters differ only in their salutation: the first is open, the others collapsed
	if n := strings.Count(body, `<details class="same-letter">`); n != 2 || !strings.Contains(html.UnescapeString(body), "The same letter, starting “Dear Senator Padilla,”") {
		t.Errorf("%d letters collapsed as the same letter", n)
	}
	v.Set("_csrf", csrfFrom(t, ces, a.srv.URL+"/c/summary"))
	if code, page, _ = postForm(t, ces, a.srv.URL+"/c/summary?lang=es", v); code != 200 || !strings.Contains(page, "Revise sus cartas") {
		t.Errorf("review in Spanish: %d", code)
	}
	// the Spanish form names the titles in Spanish; Congress gets the English value
	if _, page := a.get(t, "/c/summary?lang=es"); !strings.Contains(page, `<option value="Mrs.">Sra. (Mrs.)</option>`) {
		t.Error("title options are not translated")
	}
}

// TestLookupAsksOnlyWhatItCanResolve: without the geocoder the page asks
// for a ZIP code, an address without one is a 422 that keeps what was
// typed (never a 501), and a PO-box ZIP offers the state's districts
// instead of asking for a street address it cannot look up; with the
// geocoder the page asks for "ZIP code or street address".
func TestLookupAsksOnlyWhatItCanResolve(t *testing.T) {
	f := newServer(t, web.Deps{})
	_, body := f.get(t, "/")
	if !strings.Contains(body, `<label for="q">ZIP code</label>`) || strings.Contains(body, "street address") {
		t.Errorf("home without geocoder asks for more than a ZIP code")
	}
	resp, body := f.get(t, "/?q="+url.QueryEscape("3200 24th Street San Francisco"))
	if resp.StatusCode != 422 || !strings.Contains(body, "by ZIP code only") || !strings.Contains(body, `value="3200 24th Street San Francisco"`) {
		t.Errorf("address without ZIP: %d", resp.StatusCode)
	}
	resp, body = f.get(t, "/?q=12345")
	if resp.StatusCode != 200 || !strings.Contains(body, "choose your district from your state") || strings.Count(body, `type="radio"`) < 20 ||
		strings.Count(body, "Vacant seat") > 2 {
		t.Fatalf("PO-box ZIP: %d, %d choices", resp.StatusCode, strings.Count(body, `type="radio"`))
	}
	_, body = f.get(t, "/?q=12345&district=NY-20")
	if strings.Count(body, `class="member"`) != 3 || strings.Contains(body, `type="radio"`) {
		t.Errorf("PO-box ZIP, district chosen: %d members", strings.Count(body, `class="member"`))
	}
	if resp, _ := f.get(t, "/?q=12345&district=CA-12"); resp.StatusCode != 400 {
		t.Errorf("another state's district for a PO-box ZIP: %d", resp.StatusCode)
	}

	gc := geocode.New(geocode.Config{BaseURL: censusFake(t, "no_match.json", 200).URL}, nil)
	g := newServer(t, web.Deps{Geocoder: gc})
	if _, body := g.get(t, "/"); !strings.Contains(body, `<label for="q">ZIP code or street address</label>`) {
		t.Error("home with the geocoder does not offer the street address")
	}
}

// TestCrossStateAndNoSenators: a ZIP across state lines says once, in both
// languages, that each state's senators are shown (they differ); DC and
// the territories say why there are no senators.
func TestCrossStateAndNoSenators(t *testing.T) {
	f := newServer(t, web.Deps{})
	for lang, want := range map[string][]string{
		"en": {"crosses state lines (Kentucky and Tennessee), so the senators of each state are shown"},
		"es": {"cruza límites estatales (Kentucky y Tennessee), así que se muestran los senadores de cada estado"},
	} {
		_, body := f.get(t, "/?q=42223&lang="+lang)
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: cross-state ZIP lacks %q", lang, w)
			}
		}
		if strings.Contains(body, "same either way") || strings.Contains(body, "mismos en") {
			t.Errorf("%s: cross-state ZIP still says the senators are the same", lang)
		}
		if n := strings.Count(body, `data-chamber="senate"`); n != 4 {
			t.Errorf("%s: %d senators for a ZIP in two states", lang, n)
		}
	}
	_, body := f.get(t, "/?q=20001&lang=en")
	if !strings.Contains(body, "The District of Columbia has no senators") || strings.Contains(body, `data-chamber="senate"`) {
		t.Error("DC: no explanation of the missing senators")
	}
	_, body = f.get(t, "/?q=00901&lang=es")
	if !strings.Contains(body, "Puerto Rico no tiene senadores") {
		t.Error("PR: no explanation in Spanish")
	}
	// Spanish titles agree with the member: Washington's senators are
	// two women, California's two men.
	_, body = f.get(t, "/?q=98101&lang=es")
	if !strings.Contains(body, "Senadora Maria Cantwell") || !strings.Contains(body, "senadora de mayor antigüedad") || strings.Contains(body, "Senador(a)") {
		t.Errorf("WA in Spanish: no \"Senadora\":\n%s", body)
	}
	_, body = f.get(t, "/?q=94110&lang=es")
	if !strings.Contains(body, "Senador Alex Padilla") || !strings.Contains(body, "senador de mayor antigüedad") || strings.Contains(body, "Senador(a)") {
		t.Errorf("CA in Spanish: no \"Senador\":\n%s", body)
	}
}

// TestActionPOBoxAndNoSenators: on the campaign form a PO-box ZIP leads to
// the state's districts (not the same message again), and a DC address
// on a senators-only campaign is told why there is no letter.
func TestActionPOBoxAndNoSenators(t *testing.T) {
	st := storetest.SQLite(t)
	a := newActionServer(t, st, "pobox", campaign.Live)
	c := browserClient(t)
	v := supporter("12345", "NY")
	code, body := a.post(t, c, "/c/pobox", v)
	if code != 422 || !strings.Contains(body, "used for PO boxes or a single organization") || strings.Count(body, `type="radio" name="district"`) < 20 {
		t.Fatalf("PO-box ZIP: %d", code)
	}
	v.Set("district", "NY-20")
	if code, body = a.post(t, c, "/c/pobox", v); code != 200 || strings.Count(body, `class="letter"`) != 3 {
		t.Errorf("PO-box ZIP with a district: %d", code)
	}

	// a campaign to both chambers: DC's review says why only the delegate gets a letter
	code, body = a.post(t, c, "/c/pobox", supporter("20001", "DC"))
	if code != 200 || strings.Count(body, `class="letter"`) != 1 || !strings.Contains(body, "The District of Columbia has no senators") {
		t.Errorf("DC review: %d, %d letters", code, strings.Count(body, `class="letter"`))
	}
	b := newActionServer(t, st, "senate-only", campaign.Live, func(c *campaign.Campaign) { c.Targets = campaign.TargetSenate })
	code, body = b.post(t, browserClient(t), "/c/senate-only", supporter("20001", "DC"))
	if code != 422 || !strings.Contains(body, "District of Columbia has no senators") {
		t.Errorf("DC on a senators-only campaign: %d", code)
	}
}

const spanishTemplate = `Estimado/a {{.member_name}}:

Vivo en {{.city}}, {{.state}}. {{stat "children_separated"}} niños fueron separados de sus padres.
{{if .personal_note}}
{{.personal_note}}
{{end}}
Atentamente,
{{.first_name}} {{.last_name}}`

// TestSpanishCampaignText: a campaign's Spanish title, subject and letter
// are saved through the API (a broken Spanish letter is refused under
// its own field, on both databases); Spanish readers see the Spanish
// title, and on the review each English letter, which the page says is
// what the office receives, with the campaign's Spanish rendering beside
// it; a campaign without one says so instead of translating.
func TestSpanishCampaignText(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := staffServer(t, st, web.Deps{})
		tok := bearer(t, st, addUser(t, st, unique("es-campaigner")+"@example.org", auth.Campaigner))
		c := browserClient(t)
		api := f.srv.URL + "/api/v1/campaigns"
		code, body := do(t, c, http.MethodPost, api, tok, "application/json", campaignBody(unique("es-refused"), map[string]any{"subject_es": "Asunto"}))
		if code != 422 {
			t.Fatalf("a Spanish subject without a Spanish letter: %d %s", code, body)
		}
		refusalFor(t, body, "template_es")
		code, body = do(t, c, http.MethodPost, api, tok, "application/json", campaignBody(unique("es-broken"), map[string]any{"template_es": "Hola {{.nope}}"}))
		if code != 422 {
			t.Fatalf("a broken Spanish letter: %d %s", code, body)
		}
		refusalFor(t, body, "template_es")
		slug := unique("es-ok")
		code, body = do(t, c, http.MethodPost, api, tok, "application/json", campaignBody(slug, map[string]any{
			"title_es": "Los registros de las separaciones", "subject_es": "Supervisión de las separaciones", "template_es": spanishTemplate}))
		if code != http.StatusCreated {
			t.Fatalf("create: %d %s", code, body)
		}
		got := decode[struct{ ID int64 }](t, body)
		fields := decode[map[string]any](t, body)
		if fields["title_es"] != "Los registros de las separaciones" || fields["template_es"] != spanishTemplate || got.ID == 0 {
			t.Errorf("the API does not give back the Spanish fields: %v", fields)
		}
		saved, err := st.Campaign(context.Background(), got.ID)
		if err != nil || saved.SubjectES != "Supervisión de las separaciones" {
			t.Fatalf("stored: %+v %v", saved, err)
		}
	})

	st := storetest.SQLite(t)
	a := newActionServer(t, st, "bilingual", campaign.Live, func(c *campaign.Campaign) {
		c.TitleES, c.SubjectES, c.TemplateES = "Reunir a las familias separadas", "Supervisión de las separaciones, de {{.first_name}}", spanishTemplate
	})
	ces := browserClient(t)
	_, page := getPage(t, ces, a.srv.URL+"/c/bilingual?lang=es")
	if !strings.Contains(page, "<h1>Reunir a las familias separadas</h1>") || !strings.Contains(page, "<title>Reunir a las familias separadas") {
		t.Error("the Spanish page does not show the Spanish title")
	}
	v := supporter("94110", "CA")
	v.Set("_csrf", csrfFrom(t, ces, a.srv.URL+"/c/bilingual"))
	code, page, _ := postForm(t, ces, a.srv.URL+"/c/bilingual", v)
	page = html.UnescapeString(page)
	if code != 200 || !strings.Contains(page, "Las cartas al Congreso se envían en inglés") || strings.Count(page, `<div class="letter-es">`) != 3 ||
		!strings.Contains(page, `<div class="letter-en" lang="en">`) || !strings.Contains(page, "Dear Representative Pelosi") ||
		!strings.Contains(page, "Vivo en San Francisco, CA.") || !strings.Contains(page, "Supervisión de las separaciones, de Ana") ||
		!strings.Contains(page, "My cousin was separated") {
		t.Errorf("Spanish review: %d", code)
	}
	// the same review in English has no Spanish rendering
	cen := browserClient(t)
	v.Set("_csrf", csrfFrom(t, cen, a.srv.URL+"/c/bilingual?lang=en"))
	if _, page, _ = postForm(t, cen, a.srv.URL+"/c/bilingual", v); strings.Contains(page, "letter-es") || strings.Contains(page, "envían en inglés") {
		t.Error("the English review shows the Spanish rendering")
	}
	// without a Spanish letter, the Spanish page says there is none
	b := newActionServer(t, st, "english-only", campaign.Live)
	ces = browserClient(t)
	v.Set("_csrf", csrfFrom(t, ces, b.srv.URL+"/c/english-only?lang=es"))
	_, page, _ = postForm(t, ces, b.srv.URL+"/c/english-only", v)
	if !strings.Contains(page, "no tiene una versión en español de la carta, y no la traducimos automáticamente") || strings.Contains(page, "letter-es") {
		t.Error("a campaign without a Spanish letter does not say so")
	}
}

// TestBrandingSettings: an admin sets the organization's name, logo,
// colour, privacy policy and contact (a colour white text is unreadable
// on is refused, keeping what was typed); public pages show them in the
// header and footer (the logo's origin is allowed by the CSP, the colour
// comes from /brand.css), supporters' emails carry them, and the footer's
// privacy sentence is the one true of each page.
func TestBrandingSettings(t *testing.T) {
	st := storetest.SQLite(t)
	a := newActionServer(t, st, "branded", campaign.Live)
	addUser(t, st, "brand-admin@example.org", auth.Admin)
	c := browserClient(t)
	signIn(t, c, a.srv.URL, "brand-admin@example.org")
	form := url.Values{"_csrf": {csrfFrom(t, c, a.srv.URL+"/admin/branding")}, "name": {"Families Together"},
		"logo_url": {"https://cdn.example.org/logo.png"}, "color": {"#ffcc00"}, "privacy_url": {"https://example.org/privacy"},
		"contact_url": {"mailto:help@example.org"}}
	code, body, _ := postForm(t, c, a.srv.URL+"/admin/branding", form)
	if code != 422 || !strings.Contains(body, "too light") || !strings.Contains(body, `value="https://example.org/privacy"`) {
		t.Fatalf("a light colour: %d", code)
	}
	form.Set("color", "#7a1f5c")
	if code, _, loc := postForm(t, c, a.srv.URL+"/admin/branding", form); code != 303 || loc != "/admin/branding?saved=1" {
		t.Fatalf("save: %d %s", code, loc)
	}

	anon := browserClient(t)
	resp, err := anon.Get(a.srv.URL + "/?lang=en")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	home := string(page)
	for _, want := range []string{`<img class="logo" src="https://cdn.example.org/logo.png" alt="" height="40">Families Together</a>`,
		`<a href="https://example.org/privacy">Privacy policy of Families Together</a>`, `<a href="mailto:help@example.org">Contact Families Together</a>`,
		`<link rel="stylesheet" href="/brand.css?v=`, "We do not store the ZIP codes, addresses or locations you look up."} {
		if !strings.Contains(home, want) {
			t.Errorf("home lacks %s", want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data: https://cdn.example.org;") {
		t.Errorf("CSP: %s", csp)
	}
	if _, css := getPage(t, anon, a.srv.URL+"/brand.css"); !strings.Contains(css, "--brand: #7a1f5c; --brand-dark: #5c1745;") {
		t.Errorf("brand.css: %s", css)
	}
	_, campaignPage := getPage(t, anon, a.srv.URL+"/c/branded?lang=en")
	if !strings.Contains(campaignPage, "When you send letters, we keep your name, address, email, phone and letters, encrypted") ||
		strings.Contains(campaignPage, "We do not store the ZIP codes") {
		t.Error("the campaign page's footer does not say what it keeps")
	}
	if _, statsPage := getPage(t, anon, a.srv.URL+"/stats?lang=es"); !strings.Contains(statsPage, "Esta página no guarda nada sobre usted.") {
		t.Error("the statistics page's footer")
	}
	// staff pages keep the plain look; supporters' emails carry the branding
	if _, staff := getPage(t, c, a.srv.URL+"/admin"); strings.Contains(staff, "brand.css") {
		t.Error("staff pages use the public branding")
	}
	if code, _ := a.post(t, browserClient(t), "/c/branded/send", supporter("94110", "CA")); code != 200 {
		t.Fatalf("send: %d", code)
	}
	if m := a.lastEmail(t); !strings.Contains(m.Text, "action you took with Families Together") || !strings.Contains(m.Text, "Privacy policy: https://example.org/privacy") ||
		!strings.Contains(m.Text, "Contact Families Together: help@example.org") {
		t.Errorf("confirmation email footer:\n%s", m.Text)
	}
}
