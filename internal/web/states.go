package web

import (
	"slices"
	"strings"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/i18n"
	"github.com/outreach-org/outreach/internal/usstate"
)

// stateNames maps USPS codes to names (a copy of the congress table).
var stateNames = congress.StateNames()

// stateName is a place's English name (staff pages, the API).
func stateName(code string) string { return congress.StateName(code) }

// stateNameIn is a place's name in the reader's language: supporters' pages
// say "Nueva York" and "Carolina del Norte" in Spanish.
func stateNameIn(code string, lang i18n.Lang) string {
	if es, ok := stateNamesES[code]; ok && lang == i18n.Spanish {
		return es
	}
	return congress.StateName(code)
}

// stateNamesES are the Spanish names that differ from the English ones.
var stateNamesES = map[string]string{
	"DC": "Distrito de Columbia", "HI": "Hawái", "LA": "Luisiana", "MS": "Misisipi", "NC": "Carolina del Norte",
	"ND": "Dakota del Norte", "NH": "Nuevo Hampshire", "NJ": "Nueva Jersey", "NM": "Nuevo México", "NY": "Nueva York",
	"PA": "Pensilvania", "SC": "Carolina del Sur", "SD": "Dakota del Sur", "WV": "Virginia Occidental",
	"VI": "Islas Vírgenes de EE. UU.", "AS": "Samoa Americana", "MP": "Islas Marianas del Norte",
}

// stateOptions are a supporter form's places in the reader's language and
// in that language's alphabetical order (the states and DC, then the
// territories, as action.States has them in English).
func stateOptions(lang i18n.Lang) []stateOption {
	out := make([]stateOption, 0, len(action.States))
	for _, code := range action.States {
		out = append(out, stateOption{Code: code, Name: stateNameIn(code, lang)})
	}
	territory := func(o stateOption) bool {
		p, _ := usstate.Lookup(o.Code)
		return p.Kind == usstate.Territory
	}
	slices.SortStableFunc(out, func(a, b stateOption) int {
		if ta, tb := territory(a), territory(b); ta != tb {
			if ta {
				return 1
			}
			return -1
		}
		if territory(a) {
			return 0 // the territories keep their order
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}
