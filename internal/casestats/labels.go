package casestats

import "strings"

// countSpec describes a headline count. Definitions (every record is one
// child separated from a parent at or near the border; see doc.go):
type countSpec struct {
	key, label, labelES string
	alias               string // canonical variable when it is the same number as another figure or table cell
}

var countSpecs = []countSpec{
	{key: "cases", label: "Documented cases", labelES: "Casos documentados"},
	{key: "children_separated", label: "Children separated from their parents", labelES: "Niños y niñas separados de sus padres", alias: "cases"},
	{key: "parents_handed_form", label: "Parents handed a form", labelES: "Padres y madres a quienes se entregó un formulario"},
	{key: "forms_premarked", label: "Forms handed to parents already pre-marked", labelES: "Formularios entregados ya marcados"},
	{key: "forms_english_only", label: "Forms handed to parents in English only", labelES: "Formularios entregados solo en inglés"},
	{key: "language_barrier", label: "Parents facing a language barrier", labelES: "Padres y madres con barrera de idioma"},
	{key: "told_no_rights", label: "Parents told they had no rights", labelES: "Padres y madres a quienes se les dijo que no tenían derechos"},
	{key: "threatened_permanent_separation", label: "Parents threatened with permanent separation from their child", labelES: "Padres y madres amenazados con la separación permanente de su hijo o hija"},
	{key: "credible_fear_positive", label: "Parents who passed a credible-fear screening", labelES: "Padres y madres con resultado positivo en la entrevista de miedo creíble"},
	{key: "credible_fear_positive_withdrawn", label: "Parents who passed a credible-fear screening but withdrew their asylum claim", labelES: "Padres y madres con miedo creíble positivo que retiraron su solicitud de asilo"},
	{key: "still_separated", label: "Children still separated at last report", labelES: "Niños y niñas que siguen separados según el último informe", alias: "by_outcome.separated"},
	{key: "reunified", label: "Children reunified with their parent", labelES: "Niños y niñas reunificados con su padre o madre", alias: "by_outcome.reunified"},
	{key: "deported_without_child", label: "Parents deported without their child", labelES: "Padres y madres deportados sin su hijo o hija", alias: "by_outcome.deported_without_child"},
}

// nestedPairs lists headline counts where the second counts a subset of the
// first, so that their difference is itself the count of a group of people.
var nestedPairs = [][2]string{
	{"cases", "parents_handed_form"},
	{"cases", "forms_premarked"},
	{"cases", "forms_english_only"},
	{"cases", "language_barrier"},
	{"cases", "told_no_rights"},
	{"cases", "threatened_permanent_separation"},
	{"cases", "credible_fear_positive"},
	{"cases", "credible_fear_positive_withdrawn"},
	{"parents_handed_form", "forms_premarked"},
	{"parents_handed_form", "forms_english_only"},
	{"credible_fear_positive", "credible_fear_positive_withdrawn"},
}

type pctSpec struct {
	key, num, den, label, labelES string
}

var pctSpecs = []pctSpec{
	{"pct_handed_form", "parents_handed_form", "cases", "Share of documented cases in which the parent was handed a form", "Porcentaje de casos documentados en que se entregó un formulario al padre o la madre"},
	{"pct_forms_premarked", "forms_premarked", "parents_handed_form", "Share of forms handed to parents that were already pre-marked", "Porcentaje de formularios entregados que ya estaban marcados"},
	{"pct_english_only", "forms_english_only", "parents_handed_form", "Share of forms handed to parents that were in English only", "Porcentaje de formularios entregados solo en inglés"},
	{"pct_language_barrier", "language_barrier", "cases", "Share of documented cases with a language barrier", "Porcentaje de casos documentados con barrera de idioma"},
	{"pct_told_no_rights", "told_no_rights", "cases", "Share of documented cases in which the parent was told they had no rights", "Porcentaje de casos documentados en que se dijo al padre o la madre que no tenía derechos"},
	{"pct_threatened", "threatened_permanent_separation", "cases", "Share of documented cases in which the parent was threatened with permanent separation", "Porcentaje de casos documentados en que se amenazó al padre o la madre con la separación permanente"},
	{"pct_credible_fear_positive_withdrawn", "credible_fear_positive_withdrawn", "credible_fear_positive", "Share of parents who passed a credible-fear screening but withdrew their asylum claim", "Porcentaje de padres y madres con miedo creíble positivo que retiraron su solicitud de asilo"},
	{"pct_still_separated", "still_separated", "children_separated", "Share of separated children still separated at last report", "Porcentaje de niños y niñas separados que siguen separados"},
	{"pct_reunified", "reunified", "children_separated", "Share of separated children reunified with their parent", "Porcentaje de niños y niñas separados que fueron reunificados"},
	{"pct_deported_without_child", "deported_without_child", "children_separated", "Share of separated children whose parent was deported without them", "Porcentaje de niños y niñas separados cuyo padre o madre fue deportado sin ellos"},
}

type tableSpec struct {
	key     string
	field   int
	label   string
	labelES string
}

var tableSpecs = []tableSpec{
	{"by_quarter", fQuarter, "Cases by quarter of separation", "Casos por trimestre de la separación"},
	{"by_state", fState, "Cases by state or territory", "Casos por estado o territorio"},
	{"by_child_age_bracket", fAge, "Children by age group", "Niños y niñas por grupo de edad"},
	{"by_facility_type", fFacility, "Cases by type of facility", "Casos por tipo de centro"},
	{"by_outcome", fOutcome, "Cases by outcome at last report", "Casos por resultado según el último informe"},
}

var valueLabels = map[string][2]string{
	"0-4": {"0–4 years", "0–4 años"}, "5-9": {"5–9 years", "5–9 años"},
	"10-13": {"10–13 years", "10–13 años"}, "14-17": {"14–17 years", "14–17 años"},
	"cbp":          {"CBP (Border Patrol) station", "Estación de CBP (Patrulla Fronteriza)"},
	"ice_family":   {"ICE family detention center", "Centro de detención familiar de ICE"},
	"ice_adult":    {"ICE adult detention center", "Centro de detención de adultos de ICE"},
	"orr_shelter":  {"ORR shelter for children", "Albergue de ORR para menores"},
	"other":        {"Other", "Otro"},
	"none":         {"None", "Ninguno"},
	"two_option":   {"Two-option form", "Formulario de dos opciones"},
	"three_option": {"Three-option form", "Formulario de tres opciones"},
	"yes":          {"Yes", "Sí"}, "no": {"No", "No"}, "unknown": {"Unknown", "Se desconoce"},
	"not_screened": {"Not screened", "Sin entrevista"}, "pending": {"Pending", "Pendiente"},
	"positive": {"Positive", "Positivo"}, "negative": {"Negative", "Negativo"},
	"withdrawn": {"Withdrawn", "Retirada"}, "denied": {"Denied", "Denegada"}, "granted": {"Granted", "Concedida"},
	"separated":              {"Still separated", "Siguen separados"},
	"reunified":              {"Reunified", "Reunificados"},
	"deported_with_child":    {"Parent deported with the child", "Padre o madre deportado con su hijo o hija"},
	"deported_without_child": {"Parent deported without the child", "Padre o madre deportado sin su hijo o hija"},
	"released_together":      {"Released together", "Liberados juntos"},
}

// ValueLabel returns the display text of an allowed value for forms and
// tables, in English or, with lang "es", Spanish. States are shown by code;
// quarters as "2018-Q2" ("2018-T2" in Spanish). Unknown values are returned
// unchanged.
func ValueLabel(field, value, lang string) string {
	es := strings.HasPrefix(lang, "es")
	switch field {
	case FieldState:
		return value
	case FieldQuarter:
		if es && quarterIndex(value) >= 0 {
			return value[:5] + "T" + value[6:]
		}
		return value
	}
	if field == FieldAsylumClaim && value == "none" {
		if es {
			return "Sin solicitud"
		}
		return "No claim"
	}
	if l, ok := valueLabels[value]; ok {
		if es {
			return l[1]
		}
		return l[0]
	}
	return value
}
