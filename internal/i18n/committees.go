package i18n

// Committee text lives in its own file so the committee work does not
// collide with every other change to messages.go; init merges it into the
// catalogs (the same-keys test covers it like any other key).

var enCommittees = map[string]string{
	"lookup.committees":           "Committees",
	"role.chair":                  "Chair",
	"role.ranking_member":         "Ranking member",
	"role.vice_chair":             "Vice chair",
	"role.ex_officio":             "Ex officio",
	"role.member":                 "Member",
	"committee.sub_of":            "%s of the %s",
	"why.or":                      " or the ",
	"why.campaign":                "Your letter goes to those of your members who sit on the %s.",
	"why.campaign_oversees":       "Your letter goes to those of your members who sit on the %s, which oversees %s.",
	"why.member":                  "%s sits on the %s.",
	"why.member_oversees":         "%s sits on the %s, which oversees %s.",
	"why.chair":                   "%s chairs the %s.",
	"why.chair_oversees":          "%s chairs the %s, which oversees %s.",
	"why.ranking_member":          "%s is the ranking member of the %s.",
	"why.ranking_member_oversees": "%s is the ranking member of the %s, which oversees %s.",
	"why.vice_chair":              "%s is vice chair of the %s.",
	"why.vice_chair_oversees":     "%s is vice chair of the %s, which oversees %s.",
	"why.ex_officio":              "%s sits on the %s.",
	"why.ex_officio_oversees":     "%s sits on the %s, which oversees %s.",
	"why.none_match":              "This campaign writes only to members of Congress who sit on the %s. Your members (%s) do not, so there is no letter for you to send here. Thank you for checking: you can still call your members using the numbers on the home page.",
	"why.none_match_generic":      "This campaign writes only to particular offices, and none of them represents you (your members: %s). Thank you for checking: you can still call your members using the numbers on the home page.",
	"oversees.SSJU":               "immigration law, the immigration courts and DHS detention",
	"oversees.HSJU":               "immigration law, the immigration courts and DHS detention",
	"oversees.SSJU04":             "immigration enforcement and family detention",
	"oversees.HSJU01":             "immigration enforcement and family detention",
	"oversees.HSHM":               "the Department of Homeland Security, including ICE and CBP",
	"oversees.HSHM11":             "border enforcement by CBP",
	"oversees.SSGA":               "the Department of Homeland Security",
	"oversees.SSGA01":             "investigations of federal agencies, including DHS",
	"oversees.HSGO":               "the conduct of federal agencies, including DHS",
	"oversees.HSAP15":             "the money DHS spends on detention",
	"oversees.SSAP14":             "the money DHS spends on detention",
}

var esCommittees = map[string]string{
	"lookup.committees":           "Comités",
	"role.chair":                  "Presidencia",
	"role.ranking_member":         "Líder de la minoría",
	"role.vice_chair":             "Vicepresidencia",
	"role.ex_officio":             "Miembro ex officio",
	"role.member":                 "Miembro",
	"committee.sub_of":            "%s del %s",
	"why.or":                      " o del ",
	"why.campaign":                "Su carta va a aquellos de sus representantes que forman parte del %s.",
	"why.campaign_oversees":       "Su carta va a aquellos de sus representantes que forman parte del %s, que supervisa %s.",
	"why.member":                  "%s forma parte del %s.",
	"why.member_oversees":         "%s forma parte del %s, que supervisa %s.",
	"why.chair":                   "%s preside el %s.",
	"why.chair_oversees":          "%s preside el %s, que supervisa %s.",
	"why.ranking_member":          "%s es líder de la minoría en el %s.",
	"why.ranking_member_oversees": "%s es líder de la minoría en el %s, que supervisa %s.",
	"why.vice_chair":              "%s ocupa la vicepresidencia del %s.",
	"why.vice_chair_oversees":     "%s ocupa la vicepresidencia del %s, que supervisa %s.",
	"why.ex_officio":              "%s forma parte del %s.",
	"why.ex_officio_oversees":     "%s forma parte del %s, que supervisa %s.",
	"why.none_match":              "Esta campaña escribe solo a miembros del Congreso que forman parte del %s. Sus representantes (%s) no forman parte, así que aquí no hay carta que enviar. Gracias por comprobarlo: puede llamar a sus representantes con los teléfonos de la página principal.",
	"why.none_match_generic":      "Esta campaña escribe solo a ciertas oficinas, y ninguna le representa (sus representantes: %s). Gracias por comprobarlo: puede llamar a sus representantes con los teléfonos de la página principal.",
	"oversees.SSJU":               "las leyes de inmigración, los tribunales de inmigración y la detención del DHS",
	"oversees.HSJU":               "las leyes de inmigración, los tribunales de inmigración y la detención del DHS",
	"oversees.SSJU04":             "la aplicación de las leyes de inmigración y la detención de familias",
	"oversees.HSJU01":             "la aplicación de las leyes de inmigración y la detención de familias",
	"oversees.HSHM":               "el Departamento de Seguridad Nacional (DHS), incluidos ICE y CBP",
	"oversees.HSHM11":             "el control fronterizo de CBP",
	"oversees.SSGA":               "el Departamento de Seguridad Nacional (DHS)",
	"oversees.SSGA01":             "las investigaciones sobre agencias federales, incluido el DHS",
	"oversees.HSGO":               "la conducta de las agencias federales, incluido el DHS",
	"oversees.HSAP15":             "el dinero que el DHS gasta en detención",
	"oversees.SSAP14":             "el dinero que el DHS gasta en detención",
}

func init() {
	for k, v := range enCommittees {
		en[k] = v
	}
	for k, v := range esCommittees {
		es[k] = v
	}
}

// Oversees says what committee id oversees, in l, and whether the table
// has an entry for it: the "which oversees ..." clause of the supporter's
// page. Only committees that matter to the organization's ask are listed.
func (l Lang) Oversees(committeeID string) (string, bool) {
	k := "oversees." + committeeID
	if _, ok := catalogs[English][k]; !ok {
		return "", false
	}
	return l.T(k), true
}
