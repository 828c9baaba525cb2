package web

import "github.com/outreach-org/outreach/internal/congress"

// stateNames maps USPS codes to names (a copy of the congress table).
var stateNames = congress.StateNames()

func stateName(code string) string { return congress.StateName(code) }
