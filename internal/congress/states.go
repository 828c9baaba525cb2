package congress

import "github.com/outreach-org/outreach/internal/usstate"

// StateName is the full name of a USPS state or territory code, or the
// code itself when it is not one.
func StateName(code string) string { return usstate.Name(code) }

// StateNames returns a fresh code-to-name table of the places that elect a
// member of Congress.
func StateNames() map[string]string { return usstate.Names() }
