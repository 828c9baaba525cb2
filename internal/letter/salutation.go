package letter

import "strings"

// Titles returned by Title.
const (
	TitleSenator              = "Senator"
	TitleRepresentative       = "Representative"
	TitleDelegate             = "Delegate"
	TitleResidentCommissioner = "Resident Commissioner"
)

// isSenate reports whether chamber names the Senate. Accepted
// (case-insensitive, surrounding space ignored): "senate", "upper",
// "sen", "s", "senator". Anything else is the House.
func isSenate(chamber string) bool {
	switch strings.ToLower(strings.TrimSpace(chamber)) {
	case "senate", "upper", "sen", "s", "senator", "us senate", "u.s. senate":
		return true
	}
	return false
}

// territoryKind maps a state or territory (USPS code or name,
// case-insensitive) to the House title of its member, when that is not
// "Representative".
var territoryTitles = map[string]string{
	"DC": TitleDelegate, "DISTRICT OF COLUMBIA": TitleDelegate,
	"GU": TitleDelegate, "GUAM": TitleDelegate,
	"VI": TitleDelegate, "VIRGIN ISLANDS": TitleDelegate, "U.S. VIRGIN ISLANDS": TitleDelegate, "US VIRGIN ISLANDS": TitleDelegate,
	"AS": TitleDelegate, "AMERICAN SAMOA": TitleDelegate,
	"MP": TitleDelegate, "NORTHERN MARIANA ISLANDS": TitleDelegate,
	"PR": TitleResidentCommissioner, "PUERTO RICO": TitleResidentCommissioner,
}

// Title returns the member's title: "Senator" for the Senate; for the
// House "Delegate" (DC, GU, VI, AS, MP), "Resident Commissioner" (PR) or
// "Representative". state is a USPS code or a territory's name.
func Title(chamber, state string) string {
	if isSenate(chamber) {
		return TitleSenator
	}
	if t, ok := territoryTitles[strings.ToUpper(strings.TrimSpace(state))]; ok {
		return t
	}
	return TitleRepresentative
}

// Salutation returns the greeting, e.g. "Dear Senator Padilla",
// "Dear Resident Commissioner Hernández". Spaces are normalised; with no
// last name it is "Dear <title>", with neither "Dear Member of Congress".
func Salutation(title, lastName string) string {
	return greet("Dear", "Member of Congress", title, lastName)
}

var titlesES = map[string]string{
	"senator":               "Senador/a",
	"representative":        "Representante",
	"delegate":              "Delegado/a",
	"resident commissioner": "Comisionado/a Residente",
}

// TitleES is the Spanish (gender-inclusive) form of Title:
// "Senador/a", "Representante", "Delegado/a", "Comisionado/a Residente".
func TitleES(chamber, state string) string { return titlesES[strings.ToLower(Title(chamber, state))] }

// SalutationES is the Spanish form of Salutation. title may be an English
// title as returned by Title (it is translated) or already Spanish:
// SalutationES("Senator", "Padilla") == "Estimado/a Senador/a Padilla".
func SalutationES(title, lastName string) string {
	t := strings.Join(strings.Fields(title), " ")
	if es, ok := titlesES[strings.ToLower(t)]; ok {
		t = es
	}
	return greet("Estimado/a", "miembro del Congreso", t, lastName)
}

func greet(dear, fallback, title, lastName string) string {
	title = strings.Join(strings.Fields(title), " ")
	lastName = strings.Join(strings.Fields(lastName), " ")
	switch {
	case title == "" && lastName == "":
		return dear + " " + fallback
	case lastName == "":
		return dear + " " + title
	case title == "":
		return dear + " " + lastName
	}
	return dear + " " + title + " " + lastName
}
