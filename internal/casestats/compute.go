package casestats

import (
	"errors"
	"fmt"
	"iter"
)

// Disclosure-control defaults and floors (privacy.md: the CMS cell-size
// rule, threshold configurable with 11 as the floor; rounding to 5 by
// default; percentages only over at least 30).
const (
	DefaultThreshold      = 11
	DefaultRounding       = 5
	DefaultMinDenominator = 30

	MaxThreshold      = 1000
	MaxRounding       = 100
	MaxMinDenominator = 100000
)

// ErrParams is wrapped by every error about Params.
var ErrParams = errors.New("casestats: invalid disclosure parameters")

// ParamError is an ErrParams that names the parameter (threshold,
// rounding, min_denominator), so that forms and the API can point at it.
type ParamError struct {
	Param  string
	Reason string
}

func (e *ParamError) Error() string { return ErrParams.Error() + ": " + e.Reason }

func (e *ParamError) Unwrap() error { return ErrParams }

// Params are the disclosure-control settings of a release. A zero field
// takes its default; a non-zero value below the floor is an error (never
// silently raised).
type Params struct {
	// Threshold: counts from 1 to Threshold-1 are never published
	// (default 11, never below 11; stricter agencies use 15 or 16).
	Threshold int
	// Rounding: published counts are rounded to a multiple of it
	// (default 5, at least 1).
	Rounding int
	// MinDenominator: a percentage is published only over a group of at
	// least this many (default 30, never below 30).
	MinDenominator int
}

// WithDefaults fills zero fields with the defaults and checks the floors.
func (p Params) WithDefaults() (Params, error) {
	if p.Threshold == 0 {
		p.Threshold = DefaultThreshold
	}
	if p.Rounding == 0 {
		p.Rounding = DefaultRounding
	}
	if p.MinDenominator == 0 {
		p.MinDenominator = DefaultMinDenominator
	}
	switch {
	case p.Threshold < DefaultThreshold || p.Threshold > MaxThreshold:
		return p, &ParamError{"threshold", fmt.Sprintf("threshold must be between %d and %d", DefaultThreshold, MaxThreshold)}
	case p.Rounding < 1 || p.Rounding > MaxRounding:
		return p, &ParamError{"rounding", fmt.Sprintf("rounding must be between 1 and %d", MaxRounding)}
	case p.MinDenominator < DefaultMinDenominator || p.MinDenominator > MaxMinDenominator:
		return p, &ParamError{"min_denominator", fmt.Sprintf("minimum denominator must be between %d and %d", DefaultMinDenominator, MaxMinDenominator)}
	}
	return p, nil
}

// ErrInvalidRecord is wrapped by Counter.Add and Compute for a record that
// does not hold canonical allowed values (run Normalize and Validate first).
var ErrInvalidRecord = errors.New("casestats: invalid record")

// Counter accumulates the exact counts a release is computed from, in fixed
// arrays (no maps, no allocation per record). The zero value is ready to
// use. Fill it with Add (for example while streaming records out of the
// store) and call Figures. Its counts are exact and must not be published
// as such.
type Counter struct {
	cases     int
	quarter   [numQuarters]int
	state     [numStates]int
	age       [4]int
	facility  [5]int
	outcome   [5]int
	handed    int // form_presented != none
	premarked int // form_presented != none && form_premarked == yes
	english   int // form_presented != none && form_english_only == yes
	language  int // language_barrier == yes
	noRights  int // told_no_rights == yes
	threat    int // threatened_permanent_separation == yes
	cfPos     int // credible_fear == positive
	cfPosWd   int // credible_fear == positive && asylum_claim == withdrawn
	// margins[m] is the number of records counted on margin m (Add counts
	// every margin; AddMargin the ones it is given). Figures checks that
	// they all equal cases.
	margins [numMargins]int
}

// Add counts one record. The record must hold canonical allowed values (as
// produced by Normalize and accepted by Validate); otherwise nothing is
// counted and an error wrapping ErrInvalidRecord names the field (never the
// value).
func (c *Counter) Add(r Record) error { return c.AddN(r, 1) }

// AddN counts n identical records r (a row of a SQL GROUP BY over all the
// fields with its count, say). n must not be negative; 0 counts nothing.
// Errors as for Add.
func (c *Counter) AddN(r Record, n int64) error {
	idx := [numFields]int{
		quarterIndex(r.Quarter), stateIndex(r.State),
		enumIndex(ageValues, r.ChildAgeBracket), enumIndex(facilityValues, r.FacilityType),
		enumIndex(formValues, r.FormPresented), enumIndex(ynuValues, r.FormPremarked),
		enumIndex(ynuValues, r.FormEnglishOnly), enumIndex(ynuValues, r.LanguageBarrier),
		enumIndex(ynuValues, r.ToldNoRights), enumIndex(ynuValues, r.ThreatenedPermanentSeparation),
		enumIndex(cfValues, r.CredibleFear), enumIndex(asylumValues, r.AsylumClaim),
		enumIndex(outcomeValues, r.Outcome),
	}
	return c.apply(&idx, allFieldsMask, n)
}

// add counts n records whose values on the fields in mask are those of r.
// mask is a union of whole margins (see margins.go).
func (c *Counter) add(r *Record, mask uint16, n int64) error {
	var idx [numFields]int
	for i := range numFields {
		if mask&(1<<i) != 0 {
			idx[i] = valueIndex(i, *r.field(i))
		}
	}
	return c.apply(&idx, mask, n)
}

// apply counts n records with the value indexes idx on the fields in mask.
func (c *Counter) apply(idx *[numFields]int, mask uint16, n int64) error {
	if n < 0 {
		return fmt.Errorf("%w: negative count", ErrInvalidRecord)
	}
	bad := 0
	for _, v := range idx {
		bad |= v
	}
	if bad < 0 {
		for i := range numFields {
			if mask&(1<<i) != 0 && idx[i] < 0 {
				return fmt.Errorf("%w: %s is not an allowed value", ErrInvalidRecord, fieldNames[i])
			}
		}
	}
	fp, pm, en := idx[fFormPresented], idx[fPremarked], idx[fEnglishOnly]
	if mask&(1<<fFormPresented) != 0 && fp == formNone && (pm == ynuYes || en == ynuYes) {
		return fmt.Errorf("%w: form flags set although no form was presented", ErrInvalidRecord)
	}
	if n == 0 {
		return nil
	}
	k := int(n)
	for m := range numMargins {
		if mask&marginMasks[m] != 0 {
			c.margins[m] += k
		}
	}
	if mask&(1<<fQuarter) != 0 {
		c.cases += k
		c.quarter[idx[fQuarter]] += k
	}
	if mask&(1<<fState) != 0 {
		c.state[idx[fState]] += k
	}
	if mask&(1<<fAge) != 0 {
		c.age[idx[fAge]] += k
	}
	if mask&(1<<fFacility) != 0 {
		c.facility[idx[fFacility]] += k
	}
	if mask&(1<<fOutcome) != 0 {
		c.outcome[idx[fOutcome]] += k
	}
	if mask&(1<<fFormPresented) != 0 && fp != formNone {
		c.handed += k
		if pm == ynuYes {
			c.premarked += k
		}
		if en == ynuYes {
			c.english += k
		}
	}
	if mask&(1<<fLanguageBarrier) != 0 && idx[fLanguageBarrier] == ynuYes {
		c.language += k
	}
	if mask&(1<<fToldNoRights) != 0 && idx[fToldNoRights] == ynuYes {
		c.noRights += k
	}
	if mask&(1<<fThreatened) != 0 && idx[fThreatened] == ynuYes {
		c.threat += k
	}
	if mask&(1<<fCredibleFear) != 0 && idx[fCredibleFear] == cfPositive {
		c.cfPos += k
		if idx[fAsylum] == asylumWithdrawn {
			c.cfPosWd += k
		}
	}
	return nil
}

// Merge adds the counts of o (e.g. from counters filled in parallel).
func (c *Counter) Merge(o *Counter) {
	c.cases += o.cases
	for i := range c.quarter {
		c.quarter[i] += o.quarter[i]
	}
	for i := range c.state {
		c.state[i] += o.state[i]
	}
	for i := range c.age {
		c.age[i] += o.age[i]
	}
	for i := range c.facility {
		c.facility[i] += o.facility[i]
	}
	for i := range c.outcome {
		c.outcome[i] += o.outcome[i]
	}
	c.handed += o.handed
	c.premarked += o.premarked
	c.english += o.english
	c.language += o.language
	c.noRights += o.noRights
	c.threat += o.threat
	c.cfPos += o.cfPos
	c.cfPosWd += o.cfPosWd
	for i := range c.margins {
		c.margins[i] += o.margins[i]
	}
}

// String hides the exact counts (so %v in a log is safe).
func (c Counter) String() string { return "casestats.Counter{...}" }

// GoString likewise hides the exact counts from %#v.
func (c Counter) GoString() string { return c.String() }

// Len is the number of records counted.
func (c *Counter) Len() int { return c.cases }

// headline returns the exact value of a non-table headline count.
func (c *Counter) headline(key string) int {
	switch key {
	case "cases":
		return c.cases
	case "parents_handed_form":
		return c.handed
	case "forms_premarked":
		return c.premarked
	case "forms_english_only":
		return c.english
	case "language_barrier":
		return c.language
	case "told_no_rights":
		return c.noRights
	case "threatened_permanent_separation":
		return c.threat
	case "credible_fear_positive":
		return c.cfPos
	case "credible_fear_positive_withdrawn":
		return c.cfPosWd
	}
	panic("casestats: unknown headline " + key)
}

func (c *Counter) tableCounts(field int) []int {
	switch field {
	case fQuarter:
		return c.quarter[:]
	case fState:
		return c.state[:]
	case fAge:
		return c.age[:]
	case fFacility:
		return c.facility[:]
	case fOutcome:
		return c.outcome[:]
	}
	panic("casestats: no table for field")
}

// Compute counts records and returns the release figures under p (see
// Counter.Figures). It stops at the first record that is not canonical and
// valid, returning an error that wraps ErrInvalidRecord and gives the
// record's 1-based position.
func Compute(records iter.Seq[Record], p Params, previous ...*Figures) (*Figures, error) {
	p, err := p.WithDefaults()
	if err != nil {
		return nil, err
	}
	var c Counter
	i := 0
	for r := range records {
		i++
		if err := c.Add(r); err != nil {
			return nil, fmt.Errorf("record %d: %w", i, err)
		}
	}
	return c.Figures(p, previous...)
}

// Figures applies disclosure control to the counts and returns the public
// figures of a release (see doc.go for every rule). previous are the
// earlier published releases of the same data set, as decoded from their
// JSON; the new release is compared with each of them (see release.go)
// and counts are held back until no change between the two can be worked
// out to be a small number. An error wrapping ErrTooCloseToPrevious (a
// *TooCloseError) means that would take holding back the total, a whole
// table, or every count that changed: wait for more data or use a larger
// Rounding.
func (c *Counter) Figures(p Params, previous ...*Figures) (*Figures, error) {
	p, err := p.WithDefaults()
	if err != nil {
		return nil, err
	}
	if err := c.checkMargins(); err != nil {
		return nil, err
	}
	m := newModel(c, p)
	// A bound on every count of any release, for the reader's program.
	big := int64(c.cases)
	for _, f := range previous {
		for _, x := range f.Figures {
			if x.Value != nil {
				big = max(big, int64(*x.Value))
			}
		}
	}
	big = 4*big + 1000
	for range 1000 {
		m.suppress()
		f := m.publish()
		if len(previous) == 0 {
			return f, nil
		}
		risks, err := differencingRisks(previous, f, big)
		if err != nil {
			return nil, err
		}
		if len(risks) == 0 {
			if err := m.checkChanged(previous, f); err != nil {
				return nil, err
			}
			f.heldBack = m.heldBackKeys()
			return f, nil
		}
		if err := m.fix(risks); err != nil {
			return nil, err
		}
	}
	return nil, errors.New("casestats: disclosure control did not converge")
}
