package main

import (
	"context"
	"log/slog"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/store"
)

// demoSlug is the campaign a new install shows at /c/demo.
const demoSlug = "demo"

// seedDemoCampaign creates the demonstration campaign on a database with
// no campaign yet, so that a new user of `go run ./cmd/outreach` can follow
// the whole supporter flow at /c/demo. It is marked Demo: its letters only
// ever go to the outbox, whatever channels are configured (dispatch).
// OUTREACH_DEMO=false turns it off.
func seedDemoCampaign(ctx context.Context, st *store.Store, log *slog.Logger) error {
	existing, err := st.Campaigns(ctx)
	if err != nil || len(existing) > 0 {
		return err
	}
	c := campaign.Campaign{
		Slug:    demoSlug,
		Title:   "Demand oversight of family separations at the border",
		TitleES: "Exija supervisión de las separaciones familiares en la frontera",
		SummaryEN: "Parents who crossed the border with their children were separated from them, often for months. " +
			"Many were handed forms in a language they could not read, some already marked to give up their rights.\n\n" +
			"Congress can demand answers. Ask your representative and your senators to hold oversight hearings.",
		SummaryES: "Padres y madres que cruzaron la frontera con sus hijos fueron separados de ellos, a menudo por meses. " +
			"Muchos recibieron formularios en un idioma que no podían leer, algunos ya marcados para renunciar a sus derechos.\n\n" +
			"El Congreso puede exigir respuestas. Pida a su representante y a sus senadores que realicen audiencias de supervisión.",
		CallToActionEN: "Write to your members of Congress",
		CallToActionES: "Escriba a sus miembros del Congreso",
		Targets:        campaign.TargetBoth,
		LOCTopic:       "Immigration",
		Status:         campaign.Live,
		Demo:           true,
		Subject:        "Please hold oversight hearings on family separations",
		Template: `{{.salutation}},

I am your constituent in {{.city}}, {{.state}}, and I am writing to ask you to demand oversight of how families were separated at the border.

According to the latest figures documented by attorneys, {{stat "children_separated"}} children were separated from their parents. {{stat "pct_forms_premarked"}} of the forms handed to parents were already marked, and {{stat "deported_without_child"}} parents were deported without their child.
{{if .personal_note}}
{{.personal_note}}
{{end}}
Please call for hearings, request the agencies' records, and make sure every family is reunited.

Sincerely,
{{.first_name}} {{.last_name}}
{{.city}}, {{.state}}`,
		// The Spanish rendering Spanish readers see beside the English
		// letter, which is what offices receive.
		SubjectES: "Por favor, realice audiencias de supervisión sobre las separaciones familiares",
		TemplateES: `{{.salutation}},

Soy su elector en {{.city}}, {{.state}}, y le escribo para pedirle que exija supervisión sobre cómo se separó a las familias en la frontera.

Según las cifras más recientes documentadas por abogados, {{stat "children_separated"}} niños y niñas fueron separados de sus padres. El {{stat "pct_forms_premarked"}} de los formularios entregados a los padres ya estaban marcados, y {{stat "deported_without_child"}} padres fueron deportados sin su hijo o hija.
{{if .personal_note}}
{{.personal_note}}
{{end}}
Por favor, convoque audiencias, solicite los registros de las agencias y asegúrese de que todas las familias se reúnan.

Atentamente,
{{.first_name}} {{.last_name}}
{{.city}}, {{.state}}`,
		// Calls after the letters, 5 Calls style. The script quotes no
		// figure: the demonstration's figures are synthetic, and a script
		// quoting them is never shown to a caller.
		CallScriptEN: "I am calling to ask {{.member_phrase}} to demand oversight of how families were separated at the border. " +
			"Please call for hearings, request the agencies' records, and make sure every family is reunited. Thank you.",
		CallScriptES: "Llamo para pedirle a {{.member_phrase}} que exija supervisión sobre cómo se separó a las familias en la frontera. " +
			"Por favor, convoque audiencias, solicite los registros de las agencias y asegúrese de que todas las familias se reúnan. Gracias.",
		OrganizationStatement: `Our coalition of attorneys documents family-separation cases. As of the latest release, {{stat "pct_told_no_rights"}} of parents in documented cases were told they had no rights. We ask Congress to exercise its oversight powers.`,
	}
	if _, err := st.CreateCampaign(ctx, c, store.Audit{Action: "campaign.seed_demo"}); err != nil {
		return err
	}
	log.Info("demonstration campaign created", "url_path", "/c/"+demoSlug)
	return nil
}
