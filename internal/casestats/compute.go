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
		return p, fmt.Errorf("%w: threshold must be between %d and %d", ErrParams, DefaultThreshold, MaxThreshold)
	case p.Rounding < 1 || p.Rounding > MaxRounding:
		return p, fmt.Errorf("%w: rounding must be between 1 and %d", ErrParams, MaxRounding)
	case p.MinDenominator < DefaultMinDenominator || p.MinDenominator > MaxMinDenominator:
		return p, fmt.Errorf("%w: minimum denominator must be between %d and %d", ErrParams, DefaultMinDenominator, MaxMinDenominator)
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
}

// Add counts one record. The record must hold canonical allowed values (as
// produced by Normalize and accepted by Validate); otherwise nothing is
// counted and an error wrapping ErrInvalidRecord names the field (never the
// value).
func (c *Counter) Add(r Record) error {
	q := quarterIndex(r.Quarter)
	st := stateIndex(r.State)
	ag := enumIndex(ageValues, r.ChildAgeBracket)
	fa := enumIndex(facilityValues, r.FacilityType)
	fp := enumIndex(formValues, r.FormPresented)
	pm := enumIndex(ynuValues, r.FormPremarked)
	en := enumIndex(ynuValues, r.FormEnglishOnly)
	lb := enumIndex(ynuValues, r.LanguageBarrier)
	nr := enumIndex(ynuValues, r.ToldNoRights)
	th := enumIndex(ynuValues, r.ThreatenedPermanentSeparation)
	cf := enumIndex(cfValues, r.CredibleFear)
	as := enumIndex(asylumValues, r.AsylumClaim)
	oc := enumIndex(outcomeValues, r.Outcome)
	if q|st|ag|fa|fp|pm|en|lb|nr|th|cf|as|oc < 0 {
		for i, v := range [numFields]int{q, st, ag, fa, fp, pm, en, lb, nr, th, cf, as, oc} {
			if v < 0 {
				return fmt.Errorf("%w: %s is not an allowed value", ErrInvalidRecord, fieldNames[i])
			}
		}
	}
	if fp == formNone && (pm == ynuYes || en == ynuYes) {
		return fmt.Errorf("%w: form flags set although no form was presented", ErrInvalidRecord)
	}
	c.cases++
	c.quarter[q]++
	c.state[st]++
	c.age[ag]++
	c.facility[fa]++
	c.outcome[oc]++
	if fp != formNone {
		c.handed++
		if pm == ynuYes {
			c.premarked++
		}
		if en == ynuYes {
			c.english++
		}
	}
	if lb == ynuYes {
		c.language++
	}
	if nr == ynuYes {
		c.noRights++
	}
	if th == ynuYes {
		c.threat++
	}
	if cf == cfPositive {
		c.cfPos++
		if as == asylumWithdrawn {
			c.cfPosWd++
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
// JSON; the new release is checked against each of them so that no count
// can be differenced down to a small exact change (see release.go). An
// error wrapping ErrTooCloseToPrevious means the total itself would reveal
// such a change: wait for more data or use a larger Rounding.
func (c *Counter) Figures(p Params, previous ...*Figures) (*Figures, error) {
	p, err := p.WithDefaults()
	if err != nil {
		return nil, err
	}
	m := newModel(c, p)
	for range 1000 {
		m.suppress()
		f := m.publish()
		if len(previous) == 0 {
			return f, nil
		}
		viaPct, viaRounding := differencingRisks(previous, f)
		if len(viaPct) == 0 && len(viaRounding) == 0 {
			return f, nil
		}
		for _, k := range viaPct {
			for _, ps := range pctSpecs {
				if canonicalKey(ps.num) == k || canonicalKey(ps.den) == k {
					m.dropPct[ps.key] = true
				}
			}
		}
		for _, k := range viaRounding {
			if k == "cases" {
				return nil, ErrTooCloseToPrevious
			}
			m.vars[k].forced = true
		}
	}
	return nil, errors.New("casestats: disclosure control did not converge")
}
