package campaign_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/letter"
)

// A call script is checked on save like a letter: syntax errors and
// fields it may not use are refused with their line and column, and the
// supporter's own fields are refused (the call page knows only the
// member).
func TestCallScriptValidation(t *testing.T) {
	c := valid()
	c.CallScriptEN = "Hello, I'm calling {{.salutation}}'s office.\nI ask {{.first_name}} to act."
	c.CallScriptES = "Hola {{if .member_name}}"
	_, err := campaign.Validate(&c, nil)
	var ve *campaign.ValidationError
	if !errors.As(err, &ve) || len(ve.Errors) != 2 {
		t.Fatalf("err = %v", err)
	}
	en, es := ve.For("call_script_en"), ve.For("call_script_es")
	if len(en) != 1 || en[0].Line != 2 || en[0].Column != 9 || !strings.Contains(en[0].Message, "cannot use {{.first_name}}") {
		t.Errorf("English error %+v", en)
	}
	if len(es) != 1 || es[0].Line == 0 || !strings.Contains(es[0].Message, "{{end}}") {
		t.Errorf("Spanish error %+v", es)
	}
	if !strings.Contains(ve.Error(), "call_script_en line 2 column 9") {
		t.Errorf("Error() = %q", ve.Error())
	}

	// A calls-only campaign needs an English script, and a Spanish one
	// once it is scheduled or live; it needs no letter.
	c = valid()
	c.CallsOnly, c.Subject, c.Template, c.OrganizationStatement = true, "", "", ""
	if f := fieldsOf(validate(&c)); f["call_script_en"].Message == "" || len(f) != 1 {
		t.Errorf("calls-only without a script: %+v", f)
	}
	c.CallScriptEN = "Please act, {{.member_title}} {{.member_name}}."
	cp, err := campaign.Validate(&c, nil)
	if err != nil || cp.Letter != nil || cp.Script == nil {
		t.Fatalf("calls-only without a letter: %v %+v", err, cp)
	}
	if _, err := cp.Render(context.Background(), letter.Data{}, nil); !errors.Is(err, campaign.ErrNoLetter) {
		t.Errorf("rendering the missing letter: %v", err)
	}
	c.Status, c.SummaryES, c.CallToActionES = campaign.Live, "Resumen", "Llame"
	if f := fieldsOf(validate(&c)); f["call_script_es"].Message == "" || len(f) != 1 {
		t.Errorf("live without a Spanish script: %+v", f)
	}
	c.CallScriptES = "Por favor, {{.member_title}} {{.member_name}}."
	if _, err := campaign.Validate(&c, nil); err != nil {
		t.Error(err)
	}
	// A letters campaign keeps needing its letter.
	c.CallsOnly = false
	if f := fieldsOf(validate(&c)); f["template"].Message == "" {
		t.Errorf("letters campaign without a letter: %+v", f)
	}
	// Invisible characters are refused in scripts too.
	c = valid()
	c.CallScriptEN = "Hello\u202e there"
	if f := fieldsOf(validate(&c)); !strings.Contains(f["call_script_en"].Message, "invisible") {
		t.Errorf("invisible character: %+v", f)
	}
}

func validate(c *campaign.Campaign) error { _, err := campaign.Validate(c, nil); return err }

// A script that prints a figure the latest release does not publish,
// outside a stat_available guard, is refused on save (with line and
// column); guarded, it is accepted and the sentence is left out.
func TestCallScriptUnpublishedFigure(t *testing.T) {
	c := valid()
	c.OrganizationStatement = ""
	c.CallScriptEN = "Hello.\nForms: {{stat \"pct_forms_premarked\"}}."
	_, err := campaign.ValidateWith(&c, nil, release8())
	var ve *campaign.ValidationError
	if !errors.As(err, &ve) || len(ve.Errors) != 1 || ve.Errors[0].Field != "call_script_en" || ve.Errors[0].Line != 2 || ve.Errors[0].Column != 10 {
		t.Fatalf("err = %v", err)
	}
	c.CallScriptEN = "Hello.{{if stat_available \"pct_forms_premarked\"}} Forms: {{stat \"pct_forms_premarked\"}}.{{end}} {{stat \"children_separated\"}} children."
	cp, err := campaign.ValidateWith(&c, nil, release8())
	if err != nil {
		t.Fatal(err)
	}
	m := member(t, "P000145")
	got, err := cp.Script.RenderScript(context.Background(), m, time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC), release8(), false)
	if err != nil || got != "Hello. 5,570 children." {
		t.Errorf("render = %q %v", got, err)
	}
	// A later release that stops publishing an unguarded figure: the
	// script is not rendered (the page shows none), rather than reading
	// "not published" aloud.
	c.CallScriptEN = "{{stat \"pct_forms_premarked\"}} of forms."
	cp, _ = campaign.Validate(&c, nil)
	if _, err := cp.Script.RenderScript(context.Background(), m, time.Now(), release8(), false); !errors.Is(err, letter.ErrStatNotPublished) {
		t.Errorf("unpublished figure rendered: %v", err)
	}
}

// scriptFor is a valid campaign with these call scripts, compiled, and
// the member and day its tests call about: Alex Padilla, December 5, 2026.
func scriptFor(t *testing.T, en, es string) (campaign.Campaign, *campaign.Compiled, *congress.Member, time.Time) {
	t.Helper()
	c := valid()
	c.CallScriptEN, c.CallScriptES = en, es
	cp, err := campaign.Validate(&c, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, cp, member(t, "P000145"), time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
}

// A script names the member in a sentence with member_phrase: in English
// the title and name, in Spanish with the article that agrees, contracted
// after a whole word "a" or "de" ("al senador", "del senador"; "Casa el
// senador" stays).
func TestScriptMemberPhrase(t *testing.T) {
	_, cp, m, day := scriptFor(t, "I am asking {{.member_phrase}} to demand oversight.",
		"Le pido a {{.member_phrase}} que exija supervisión. De {{.member_phrase}} esperamos una respuesta. Casa el senador.")
	ctx := context.Background()
	if m.Gender != "M" {
		t.Fatalf("Alex Padilla's gender in the data: %q", m.Gender)
	}
	if got, err := cp.Script.RenderScript(ctx, m, day, release8(), false); err != nil || got != "I am asking Senator Alex Padilla to demand oversight." {
		t.Errorf("English %q %v", got, err)
	}
	if got, err := cp.Script.RenderScript(ctx, m, day, release8(), true); err != nil ||
		got != "Le pido al senador Alex Padilla que exija supervisión. Del senador Alex Padilla esperamos una respuesta. Casa el senador." {
		t.Errorf("Spanish, el %q %v", got, err)
	}
	she := *m
	she.Gender = "F"
	if got, err := cp.Script.RenderScript(ctx, &she, day, release8(), true); err != nil ||
		got != "Le pido a la senadora Alex Padilla que exija supervisión. De la senadora Alex Padilla esperamos una respuesta. Casa el senador." {
		t.Errorf("Spanish, la %q %v", got, err)
	}
	unknown := *m
	unknown.Gender = ""
	if got, err := cp.Script.RenderScript(ctx, &unknown, day, release8(), true); err != nil ||
		got != "Le pido a Senador(a) Alex Padilla que exija supervisión. De Senador(a) Alex Padilla esperamos una respuesta. Casa el senador." {
		t.Errorf("Spanish, no gender %q %v", got, err)
	}
}

// The Spanish script is rendered with Spanish figures, title and date; a
// Spanish reader of a campaign without a Spanish script gets the English
// one in English; synthetic figures are never rendered for a caller.
func TestRenderScriptLanguagesAndSynthetic(t *testing.T) {
	rel := release8()
	rel.Figures.Figures[0].DisplayES = "5.570"
	c, cp, padilla, day := scriptFor(t, "{{.salutation}}: {{stat \"children_separated\"}} children, {{.date}}, release {{release_date}}.",
		"{{.salutation}}: {{stat \"children_separated\"}} niños, {{.date}}, publicación del {{release_date}}.")
	m := *padilla
	m.Gender = "" // the Spanish title without a gender: "Senador(a)"
	ctx := context.Background()
	en, err := cp.Script.RenderScript(ctx, &m, day, rel, false)
	if err != nil || en != "Dear Senator Padilla: 5,570 children, December 5, 2026, release November 3, 2026." {
		t.Errorf("English %q %v", en, err)
	}
	es, err := cp.Script.RenderScript(ctx, &m, day, rel, true)
	if err != nil || es != "Senador(a) Padilla: 5.570 niños, 5 de diciembre de 2026, publicación del 3 de noviembre de 2026." {
		t.Errorf("Spanish %q %v", es, err)
	}
	c.CallScriptES = ""
	cp, _ = campaign.Validate(&c, nil)
	if got, err := cp.Script.RenderScript(ctx, &m, day, rel, true); err != nil || got != en {
		t.Errorf("Spanish reader without a Spanish script: %q %v", got, err)
	}
	rel.Synthetic = true
	if _, err := cp.Script.RenderScript(ctx, &m, day, rel, false); !errors.Is(err, campaign.ErrSyntheticScript) {
		t.Errorf("synthetic figures rendered: %v", err)
	}
	// A script quoting nothing of a release is rendered whatever the release.
	c.CallScriptEN = "Please act, {{.member_title}} {{.member_name}}."
	cp, _ = campaign.Validate(&c, nil)
	if got, err := cp.Script.RenderScript(ctx, &m, day, rel, false); err != nil || got != "Please act, Senator Alex Padilla." {
		t.Errorf("no figures, synthetic release: %q %v", got, err)
	}
	if o, ok := campaign.ParseOutcome("voicemail"); !ok || o != campaign.Voicemail {
		t.Error("ParseOutcome voicemail")
	}
	if _, ok := campaign.ParseOutcome("hung-up"); ok {
		t.Error("ParseOutcome accepted an unknown outcome")
	}
}
