package casestats

import (
	"fmt"
	"github.com/outreach-org/outreach/internal/usstate"
	"slices"
	"strconv"
	"strings"
)

// Field names, in CSV-header and JSON order.
const (
	FieldQuarter                       = "quarter"
	FieldState                         = "state"
	FieldChildAgeBracket               = "child_age_bracket"
	FieldFacilityType                  = "facility_type"
	FieldFormPresented                 = "form_presented"
	FieldFormPremarked                 = "form_premarked"
	FieldFormEnglishOnly               = "form_english_only"
	FieldLanguageBarrier               = "language_barrier"
	FieldToldNoRights                  = "told_no_rights"
	FieldThreatenedPermanentSeparation = "threatened_permanent_separation"
	FieldCredibleFear                  = "credible_fear"
	FieldAsylumClaim                   = "asylum_claim"
	FieldOutcome                       = "outcome"
)

// Field indexes (internal).
const (
	fQuarter = iota
	fState
	fAge
	fFacility
	fFormPresented
	fPremarked
	fEnglishOnly
	fLanguageBarrier
	fToldNoRights
	fThreatened
	fCredibleFear
	fAsylum
	fOutcome
	numFields
)

var fieldNames = [numFields]string{
	FieldQuarter, FieldState, FieldChildAgeBracket, FieldFacilityType,
	FieldFormPresented, FieldFormPremarked, FieldFormEnglishOnly,
	FieldLanguageBarrier, FieldToldNoRights, FieldThreatenedPermanentSeparation,
	FieldCredibleFear, FieldAsylumClaim, FieldOutcome,
}

// The range of quarters a record may carry. Separations under the 2017 El
// Paso pilot and the 2018 "zero tolerance" policy fall well inside it; a
// record outside it is refused (change these constants to extend it).
const (
	FirstQuarterYear = 2015
	LastQuarterYear  = 2030
	numQuarters      = (LastQuarterYear - FirstQuarterYear + 1) * 4
)

// Canonical values (internal; exported copies below).
var (
	quarterValues = func() []string {
		v := make([]string, 0, numQuarters)
		for y := FirstQuarterYear; y <= LastQuarterYear; y++ {
			for q := 1; q <= 4; q++ {
				v = append(v, strconv.Itoa(y)+"-Q"+strconv.Itoa(q))
			}
		}
		return v
	}()
	// 50 states + DC + PR, GU, VI, AS, MP, ordered by code.
	stateValues    = usstate.SortedCodes()
	ageValues      = []string{"0-4", "5-9", "10-13", "14-17"}
	facilityValues = []string{"cbp", "ice_family", "ice_adult", "orr_shelter", "other"}
	formValues     = []string{"none", "two_option", "three_option"}
	ynuValues      = []string{"yes", "no", "unknown"}
	cfValues       = []string{"not_screened", "pending", "positive", "negative"}
	asylumValues   = []string{"none", "pending", "withdrawn", "denied", "granted"}
	outcomeValues  = []string{"separated", "reunified", "deported_with_child", "deported_without_child", "released_together"}
)

// Indexes of some values used by the counter.
const (
	formNone = 0
	ynuYes   = 0

	cfPositive      = 2
	asylumWithdrawn = 2
)

const numStates = 56

// Exported copies of the field list and allowed values, for forms and docs.
// They are copies: changing them does not change what is accepted.
var (
	// Fields lists the record fields in CSV-header and JSON order.
	Fields = slices.Clone(fieldNames[:])

	Quarters             = slices.Clone(quarterValues)
	States               = slices.Clone(stateValues)
	ChildAgeBrackets     = slices.Clone(ageValues)
	FacilityTypes        = slices.Clone(facilityValues)
	FormPresentedValues  = slices.Clone(formValues)
	YesNoUnknown         = slices.Clone(ynuValues)
	CredibleFearValues   = slices.Clone(cfValues)
	AsylumClaimValues    = slices.Clone(asylumValues)
	Outcomes             = slices.Clone(outcomeValues)
	AllowedValuesByField = func() map[string][]string {
		m := make(map[string][]string, numFields)
		for i := range numFields {
			m[fieldNames[i]] = slices.Clone(fieldValues(i))
		}
		return m
	}()
)

// AllowedValues returns a fresh copy of the allowed values of field (in
// display order), or nil for an unknown field.
func AllowedValues(field string) []string {
	i := fieldIndexByName(field)
	if i < 0 {
		return nil
	}
	return slices.Clone(fieldValues(i))
}

func fieldValues(i int) []string {
	switch i {
	case fQuarter:
		return quarterValues
	case fState:
		return stateValues
	case fAge:
		return ageValues
	case fFacility:
		return facilityValues
	case fFormPresented:
		return formValues
	case fPremarked, fEnglishOnly, fLanguageBarrier, fToldNoRights, fThreatened:
		return ynuValues
	case fCredibleFear:
		return cfValues
	case fAsylum:
		return asylumValues
	case fOutcome:
		return outcomeValues
	}
	return nil
}

func fieldIndexByName(name string) int {
	for i, n := range fieldNames {
		if n == name {
			return i
		}
	}
	return -1
}

// stateIdx maps a two-letter upper-case code to its index in stateValues+1
// (0 = not a code we accept).
var stateIdx = func() (t [26 * 26]uint8) {
	for i, s := range stateValues {
		t[int(s[0]-'A')*26+int(s[1]-'A')] = uint8(i + 1)
	}
	return t
}()

func stateIndex(s string) int {
	if len(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' {
		return -1
	}
	return int(stateIdx[int(s[0]-'A')*26+int(s[1]-'A')]) - 1
}

// quarterIndex parses a canonical "YYYY-QN".
func quarterIndex(s string) int {
	if len(s) != 7 || s[4] != '-' || s[5] != 'Q' || s[6] < '1' || s[6] > '4' {
		return -1
	}
	y := 0
	for i := range 4 {
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		y = y*10 + int(c-'0')
	}
	if y < FirstQuarterYear || y > LastQuarterYear {
		return -1
	}
	return (y-FirstQuarterYear)*4 + int(s[6]-'1')
}

func enumIndex(values []string, v string) int {
	for i, s := range values {
		if s == v {
			return i
		}
	}
	return -1
}

// valueIndex returns the index of a canonical value of field i, or -1.
func valueIndex(i int, v string) int {
	switch i {
	case fQuarter:
		return quarterIndex(v)
	case fState:
		return stateIndex(v)
	}
	return enumIndex(fieldValues(i), v)
}

// Record is one documented family-separation case. It holds only
// allow-listed, enumerated fields: no names, numbers, dates, places below
// state level or free text. Every record documents one child separated from
// a parent; Quarter is the year-quarter of the separation and State the
// state or territory where it happened.
type Record struct {
	Quarter                       string `json:"quarter"`
	State                         string `json:"state"`
	ChildAgeBracket               string `json:"child_age_bracket"`
	FacilityType                  string `json:"facility_type"`
	FormPresented                 string `json:"form_presented"`
	FormPremarked                 string `json:"form_premarked"`
	FormEnglishOnly               string `json:"form_english_only"`
	LanguageBarrier               string `json:"language_barrier"`
	ToldNoRights                  string `json:"told_no_rights"`
	ThreatenedPermanentSeparation string `json:"threatened_permanent_separation"`
	CredibleFear                  string `json:"credible_fear"`
	AsylumClaim                   string `json:"asylum_claim"`
	Outcome                       string `json:"outcome"`
}

func (r *Record) field(i int) *string {
	switch i {
	case fQuarter:
		return &r.Quarter
	case fState:
		return &r.State
	case fAge:
		return &r.ChildAgeBracket
	case fFacility:
		return &r.FacilityType
	case fFormPresented:
		return &r.FormPresented
	case fPremarked:
		return &r.FormPremarked
	case fEnglishOnly:
		return &r.FormEnglishOnly
	case fLanguageBarrier:
		return &r.LanguageBarrier
	case fToldNoRights:
		return &r.ToldNoRights
	case fThreatened:
		return &r.ThreatenedPermanentSeparation
	case fCredibleFear:
		return &r.CredibleFear
	case fAsylum:
		return &r.AsylumClaim
	case fOutcome:
		return &r.Outcome
	}
	panic("casestats: bad field index")
}

// Get returns the value of the named field ("" for an unknown name).
func (r Record) Get(field string) string {
	i := fieldIndexByName(field)
	if i < 0 {
		return ""
	}
	return *r.field(i)
}

// FieldError reports one rejected field. Reason is built only from fixed text
// and the lists of allowed values: it never contains any part of the rejected
// input, so errors can be shown, returned as 422 bodies and logged.
type FieldError struct {
	Row    int    `json:"row"` // 1-based data row; 0 for a single record or the header/file
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (e FieldError) Error() string {
	var b strings.Builder
	if e.Row > 0 {
		fmt.Fprintf(&b, "row %d: ", e.Row)
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Normalize returns a copy of r with each value trimmed and, when it then
// matches an allowed value up to case, spacing or dashes ("Yes", " tx",
// "2018-q2", "ice family", "10 – 13"), replaced by the canonical value.
// Values that match nothing are only trimmed (never otherwise altered), so
// Validate can still recognise what they look like. ParseCSV and ParseJSON
// call it; other callers should call it on user input before Validate.
func (r Record) Normalize() Record {
	for i := range numFields {
		p := r.field(i)
		*p, _ = normalizeValue(i, *p)
	}
	return r
}

var dashReplacer = strings.NewReplacer("\u2013", "-", "\u2014", "-", " ", "")

// normalizeValue returns the canonical value and true, or the trimmed input
// and false.
func normalizeValue(i int, v string) (string, bool) {
	if k := valueIndex(i, v); k >= 0 { // fast path: already canonical
		return fieldValues(i)[k], true
	}
	t := strings.TrimSpace(v)
	if t == "" {
		return "", false
	}
	var c string
	switch i {
	case fQuarter:
		c = strings.ToUpper(strings.Join(strings.Fields(t), ""))
		if len(c) == 6 && c[4] == 'Q' { // 2018Q2
			c = c[:4] + "-" + c[4:]
		}
	case fState:
		c = strings.ToUpper(t)
	case fAge:
		c = dashReplacer.Replace(t)
	default:
		c = strings.ToLower(strings.Join(strings.Fields(t), "_"))
		c = strings.ReplaceAll(c, "-", "_")
	}
	if k := valueIndex(i, c); k >= 0 {
		return fieldValues(i)[k], true // canonical constant: no reference to input buffers
	}
	return t, false
}

// Validate checks that every field holds exactly one of its allowed
// (canonical) values and that the values are consistent. Values that look
// like identifying data get a reason saying what they look like. Row is 0.
func (r Record) Validate() []FieldError {
	return r.validate(false)
}

// validate skips the per-field checks when the caller knows every field is
// canonical.
func (r Record) validate(canonical bool) []FieldError {
	var errs []FieldError
	for i := range numFields {
		if canonical {
			break // every field already matched an allowed value
		}
		v := *r.field(i)
		switch {
		case v == "":
			errs = append(errs, FieldError{Field: fieldNames[i], Reason: "is required"})
		case valueIndex(i, v) < 0:
			errs = append(errs, FieldError{Field: fieldNames[i], Reason: rejectReason(i, v)})
		}
	}
	if r.FormPresented == "none" {
		if r.FormPremarked == "yes" {
			errs = append(errs, FieldError{Field: FieldFormPremarked, Reason: "must be no or unknown when form_presented is none"})
		}
		if r.FormEnglishOnly == "yes" {
			errs = append(errs, FieldError{Field: FieldFormEnglishOnly, Reason: "must be no or unknown when form_presented is none"})
		}
	}
	return errs
}

// identifyingReason is the reason given for a value that looks identifying.
func identifyingReason(kind string) string {
	return "looks like " + kind + "; identifying data is never stored"
}

func rejectReason(i int, v string) string {
	if kind, ok := LooksIdentifying(v); ok {
		r := identifyingReason(kind)
		if i == fAge && kind == "a date" {
			r += " (spreadsheet programs turn brackets like 10-13 into dates: format the column as text)"
		}
		return r
	}
	switch i {
	case fQuarter:
		return fmt.Sprintf("must be a year and quarter like 2018-Q2, from %s to %s", quarterValues[0], quarterValues[len(quarterValues)-1])
	case fState:
		return "must be the two-letter USPS code of a state, DC, PR, GU, VI, AS or MP"
	case fAge:
		if n, err := strconv.Atoi(v); err == nil && n >= 0 && n <= 17 {
			return "looks like an exact age; only the age bracket is stored (one of: " + strings.Join(ageValues, ", ") + ")"
		}
	case fLanguageBarrier:
		return "must be one of: yes, no, unknown (the language itself is never stored)"
	}
	return "must be one of: " + strings.Join(fieldValues(i), ", ")
}
