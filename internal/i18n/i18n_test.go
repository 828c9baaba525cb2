package i18n

import (
	"reflect"
	"strings"
	"testing"
)

func TestCatalogsHaveSameKeys(t *testing.T) {
	if en, es := Keys(English), Keys(Spanish); !reflect.DeepEqual(en, es) {
		t.Fatalf("catalogs differ:\nonly in en: %v\nonly in es: %v", diff(en, es), diff(es, en))
	}
}

func TestPlaceholdersMatch(t *testing.T) {
	for _, k := range Keys(English) {
		if a, b := strings.Count(en[k], "%"), strings.Count(es[k], "%"); a != b {
			t.Errorf("%s: %d placeholders in English, %d in Spanish", k, a, b)
		}
	}
}

func TestFromAcceptLanguage(t *testing.T) {
	cases := map[string]Lang{
		"":                        English,
		"es-MX,es;q=0.9,en;q=0.8": Spanish,
		"en-US,en;q=0.9,es;q=0.8": English,
		"fr-FR,es;q=0.5":          Spanish,
		"de":                      English,
		"garbage;;;q=zz":          English,
		"es":                      Spanish,
	}
	for h, want := range cases {
		if got := FromAcceptLanguage(h); got != want {
			t.Errorf("FromAcceptLanguage(%q) = %s, want %s", h, got, want)
		}
	}
}

func TestT(t *testing.T) {
	if got := Spanish.T("lookup.split", 3); !strings.Contains(got, "3 distritos") {
		t.Errorf("Spanish split = %q", got)
	}
	if got := English.T("no.such.key"); got != "[no.such.key]" {
		t.Errorf("missing key = %q", got)
	}
}

// Every counted message has both forms in both languages, and N picks
// the singular for exactly one.
func TestPlurals(t *testing.T) {
	for _, l := range []Lang{English, Spanish} {
		for _, k := range Keys(l) {
			base, ok := strings.CutSuffix(k, ".one")
			if !ok {
				continue
			}
			if _, ok := catalogs[l][base+".other"]; !ok {
				t.Errorf("%s: %s has no .other form", l, k)
			}
		}
	}
	cases := []struct {
		l    Lang
		key  string
		n    int
		want string
	}{
		{English, "act.progress", 1, "1 letter sent so far."},
		{English, "act.progress", 0, "0 letters sent so far."},
		{English, "act.progress", 2, "2 letters sent so far."},
		{Spanish, "act.progress", 1, "1 carta enviada hasta ahora."},
		{Spanish, "act.progress", 3, "3 cartas enviadas hasta ahora."},
		{English, "act.thanks", 1, "Your letter is on its way. We emailed you a copy."},
		{Spanish, "act.thanks", 3, "Sus 3 cartas van en camino. Le enviamos una copia por correo."},
		{English, "stats.zero_omitted", 1, "Not shown: 1 state or territory with no documented cases."},
	}
	for _, c := range cases {
		if got := c.l.N(c.key, c.n); got != c.want {
			t.Errorf("%s N(%s, %d) = %q, want %q", c.l, c.key, c.n, got, c.want)
		}
	}
}

func diff(a, b []string) []string {
	in := map[string]bool{}
	for _, s := range b {
		in[s] = true
	}
	var out []string
	for _, s := range a {
		if !in[s] {
			out = append(out, s)
		}
	}
	return out
}

// Spanish titles agree with the member's gender; English ones do not
// change, and an unknown gender keeps the form for both.
func TestTitlesAgreeWithGender(t *testing.T) {
	cases := []struct {
		lang        Lang
		key, gender string
		want        string
	}{
		{Spanish, "lookup.title.Senator", "F", "Senadora"},
		{Spanish, "lookup.title.Senator", "M", "Senador"},
		{Spanish, "lookup.title.Senator", "", "Senador(a)"},
		{Spanish, "lookup.title.Representative", "F", "Representante"},
		{Spanish, "lookup.title.Resident Commissioner", "M", "Comisionado Residente"},
		{Spanish, "lookup.senior", "F", "senadora de mayor antigüedad"},
		{English, "lookup.title.Senator", "F", "Senator"},
		{English, "lookup.junior", "M", "junior senator"},
	}
	for _, c := range cases {
		if got := c.lang.TG(c.key, c.gender); got != c.want {
			t.Errorf("%s TG(%q, %q) = %q, want %q", c.lang, c.key, c.gender, got, c.want)
		}
	}
	if got := Spanish.TG("act.salutation_es", "F", "Senadora", "Cantwell"); got != "Estimada Senadora Cantwell" {
		t.Errorf("Spanish salutation = %q", got)
	}
}

// A member named in a Spanish sentence takes the article that agrees with
// them, joined to "a" and "de"; English names the title; without a
// gender, the title alone.
func TestMemberPhrase(t *testing.T) {
	cases := []struct {
		lang          Lang
		key, title, g string
		want          string
	}{
		{Spanish, "fu.survey.title_office", "Senator", "M", "¿Le respondió la oficina del senador Alex Padilla?"},
		{Spanish, "fu.survey.title_office", "Representative", "F", "¿Le respondió la oficina de la representante Alex Padilla?"},
		{Spanish, "act.skipped", "Senator", "M", "Usted ya había escrito al senador Alex Padilla en esta campaña, así que no se hizo una segunda carta."},
		{Spanish, "act.letter_to", "Resident Commissioner", "F", "Para la comisionada residente Alex Padilla"},
		{Spanish, "act.letter_to", "Senator", "", "Para Senador(a) Alex Padilla"},
		{English, "fu.survey.title_office", "Senator", "M", "Did the office of Senator Alex Padilla answer you?"},
	}
	for _, c := range cases {
		if got := c.lang.T(c.key, c.lang.MemberPhrase(c.title, c.g, "Alex Padilla")); got != c.want {
			t.Errorf("%s %s: %q, want %q", c.lang, c.key, got, c.want)
		}
	}
	// Only a member's title contracts: a place named El Paso does not.
	if got := Spanish.T("fu.survey.title_office", "El Paso"); got != "¿Le respondió la oficina de El Paso?" {
		t.Errorf("El Paso: %q", got)
	}
}

// Contract joins "a" and "de" to the article of a member's title, after a
// space, a line's start or punctuation and at a sentence's start, and
// nowhere else; English is left as it is.
func TestContract(t *testing.T) {
	for in, want := range map[string]string{
		"Le pido a el senador Alex Padilla.":                                 "Le pido al senador Alex Padilla.",
		"De el representante esperamos una respuesta.":                       "Del representante esperamos una respuesta.",
		"Hola.\nA el delegado le pido (de el comisionado residente también)": "Hola.\nAl delegado le pido (del comisionado residente también)",
		"Le pido a la senadora Alex Padilla.":                                "Le pido a la senadora Alex Padilla.",
		"Casa el senador.":                                                   "Casa el senador.",
		"Pide a el jefe.":                                                    "Pide a el jefe.",
	} {
		if got := Spanish.Contract(in); got != want {
			t.Errorf("Contract(%q) = %q, want %q", in, got, want)
		}
	}
	if got := English.Contract("a el senador"); got != "a el senador" {
		t.Errorf("English contracted: %q", got)
	}
}
