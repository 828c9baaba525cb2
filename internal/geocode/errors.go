package geocode

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Their messages are written for the person using the app;
// errors returned by Lookup match them with errors.Is and may add a
// technical cause (never containing the address) after the sentence.
// UserMessage returns just the sentence.
var (
	// ErrNoMatch: the service found no such address.
	ErrNoMatch = errors.New("we couldn't find that address; check the street, city, state and ZIP code, or choose your representative from the list")
	// ErrInvalidAddress: the address is not searchable as entered (no
	// street, too long, or rejected by the service). Errors of this kind
	// also match ErrNoMatch.
	ErrInvalidAddress = errors.New("that address looks incomplete; enter a street address with a city and state or a ZIP code, or choose your representative from the list")
	// ErrUnavailable: network error, timeout, non-200/400 status, a
	// malformed or oversized body, or a configuration the service rejects.
	ErrUnavailable = errors.New("the address service is not answering right now; choose your representative from the list or try again later")
)

// lookupError carries the kind(s) of failure and a technical cause.
type lookupError struct {
	kinds []error // sentinels this error matches; kinds[0] gives the message
	cause error
}

func (e *lookupError) Error() string {
	if e.cause == nil {
		return e.kinds[0].Error()
	}
	return e.kinds[0].Error() + " (geocode: " + e.cause.Error() + ")"
}

func (e *lookupError) Is(target error) bool {
	for _, k := range e.kinds {
		if target == k {
			return true
		}
	}
	return false
}

func (e *lookupError) Unwrap() error { return e.cause }

func unavailable(cause error) error {
	return &lookupError{kinds: []error{ErrUnavailable}, cause: cause}
}

func noMatch(cause error) error {
	return &lookupError{kinds: []error{ErrNoMatch}, cause: cause}
}

func invalidAddress(cause error) error {
	return &lookupError{kinds: []error{ErrInvalidAddress, ErrNoMatch}, cause: cause}
}

// UserMessage returns the person-readable sentence for an error from
// Lookup, without the technical cause, or "" for other errors.
func UserMessage(err error) string {
	for _, s := range []error{ErrInvalidAddress, ErrNoMatch, ErrUnavailable} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return ""
}

// classifyBadRequest maps an HTTP 400 body. The documented shape is
// {"errors": ["…"], "status": "400"}. Complaints about the benchmark,
// vintage or layers are our configuration, not the person's input, so they
// are ErrUnavailable. The service's own text is not copied into the error:
// it is matched only against fixed words, and the cause is a fixed phrase.
func classifyBadRequest(body []byte) error {
	var e struct {
		Errors []string `json:"errors"`
	}
	if err := json.Unmarshal(body, &e); err != nil || len(e.Errors) == 0 {
		return unavailable(fmt.Errorf("census geocoder answered HTTP 400 with an undocumented body"))
	}
	for _, msg := range e.Errors {
		l := strings.ToLower(msg)
		if strings.Contains(l, "benchmark") || strings.Contains(l, "vintage") || strings.Contains(l, "layer") {
			return unavailable(errors.New("census geocoder rejected the benchmark/vintage/layers configuration (HTTP 400)"))
		}
	}
	return invalidAddress(errors.New("census geocoder rejected the address (HTTP 400)"))
}
