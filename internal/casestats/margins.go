package casestats

import (
	"errors"
	"fmt"
)

// A release depends on the records only through a few margins: the joint
// counts of small groups of fields (the five table fields one by one, the
// three form fields together, the credible-fear result with the asylum
// claim, and each remaining flag). A store need not send every record (or
// every distinct record, which for a large data set is nearly as many):
// it can count the records per combination of values of a union of
// margins (a SQL GROUP BY over those columns) and give each row to
// AddMargin. Any set of unions that covers every margin exactly once gives
// the same Counter as adding the records one by one; Figures refuses a
// Counter whose margins do not all add up to the same number of cases.

const numMargins = 10

var marginFieldIdx = [numMargins][]int{
	{fQuarter}, {fState}, {fAge}, {fFacility}, {fOutcome},
	{fFormPresented, fPremarked, fEnglishOnly},
	{fLanguageBarrier}, {fToldNoRights}, {fThreatened},
	{fCredibleFear, fAsylum},
}

var marginMasks = func() (m [numMargins]uint16) {
	for i, fs := range marginFieldIdx {
		for _, f := range fs {
			m[i] |= 1 << f
		}
	}
	return m
}()

const allFieldsMask = 1<<numFields - 1

// ErrMargins is wrapped when AddMargin is given fields that are not whole
// margins, or when Figures finds that the margins do not add up to the
// same number of cases (a margin was left out or counted twice).
var ErrMargins = errors.New("casestats: inconsistent margins")

// Margins lists the groups of fields a Counter depends on (see AddMargin).
// Every field is in exactly one margin.
func Margins() [][]string {
	out := make([][]string, numMargins)
	for i, fs := range marginFieldIdx {
		for _, f := range fs {
			out[i] = append(out[i], fieldNames[f])
		}
	}
	return out
}

// TableFields lists the fields that have a table in a release (by_quarter,
// by_state, ...), each a margin of its own.
func TableFields() []string {
	out := make([]string, len(tableSpecs))
	for i, ts := range tableSpecs {
		out[i] = fieldNames[ts.field]
	}
	return out
}

// AddMargin counts n records whose values on fields are those of r (the
// other fields of r are ignored). fields must be a union of whole Margins,
// in any order; their values must be canonical and allowed, as for Add.
// Give every margin the counts of all the records exactly once, through
// one or several calls per group of rows: for example the rows of
//
//	SELECT quarter, state, child_age_bracket, facility_type, outcome, count(*) ... GROUP BY 1, 2, 3, 4, 5
//
// with those five fields, and the rows of a second GROUP BY over all the
// other fields with theirs.
func (c *Counter) AddMargin(r Record, n int64, fields ...string) error {
	var mask uint16
	for _, f := range fields {
		i := fieldIndexByName(f)
		if i < 0 {
			return fmt.Errorf("%w: %q is not a field", ErrMargins, f)
		}
		mask |= 1 << i
	}
	for _, mm := range marginMasks {
		if mask&mm != 0 && mask&mm != mm {
			return fmt.Errorf("%w: fields %v do not make whole margins (see Margins)", ErrMargins, fields)
		}
	}
	return c.add(&r, mask, n)
}

// checkMargins makes sure every margin counted the same records.
func (c *Counter) checkMargins() error {
	for i, n := range c.margins {
		if n != c.cases {
			var names []string
			for _, f := range marginFieldIdx[i] {
				names = append(names, fieldNames[f])
			}
			return fmt.Errorf("%w: margin %v counts a different number of records than the quarter margin", ErrMargins, names)
		}
	}
	return nil
}
