package casestats

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// maxJSONErrors bounds the errors ParseJSON collects.
const maxJSONErrors = 1000

// ParseJSON reads either one JSON object or an array of objects, each with
// the keys of Fields and string values. Values are normalised and
// validated like CSV rows; unknown keys are refused (named only when the
// name is a short snake_case word that does not look identifying) and their
// values are checked for identifying data so the error can say what was
// sent; duplicated keys are refused.
//
// Row in errors is 0 for a single object and the 1-based position in the
// array otherwise (Row 0 with an empty Field for document-level problems
// such as malformed JSON). Errors never contain input values.
//
// It is all-or-nothing: records is nil whenever errs is non-empty. err is
// reserved for failures reading r. The whole input is held in memory:
// callers bound the request body size.
func ParseJSON(r io.Reader) (records []Record, errs []FieldError, err error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	add := func(e FieldError) {
		if len(errs) < maxJSONErrors {
			errs = append(errs, e)
		}
	}
	syntax := func(e error) error {
		var se *json.SyntaxError
		switch {
		case errors.As(e, &se):
			add(FieldError{Reason: fmt.Sprintf("malformed JSON near byte %d", se.Offset)})
		case errors.Is(e, io.ErrUnexpectedEOF) || errors.Is(e, io.EOF):
			add(FieldError{Reason: "malformed JSON: unexpected end of input"})
		default:
			var ute *json.UnmarshalTypeError
			if errors.As(e, &ute) {
				add(FieldError{Reason: fmt.Sprintf("malformed JSON near byte %d", ute.Offset)})
				return nil
			}
			return fmt.Errorf("casestats: reading JSON: %w", e)
		}
		return nil
	}

	tok, e := dec.Token()
	if e != nil {
		if e == io.EOF {
			return nil, []FieldError{{Reason: "empty body: expected a JSON object or an array of objects"}}, nil
		}
		return nil, errs, syntax(e)
	}
	switch tok {
	case json.Delim('{'):
		rec, ok, e := decodeObject(dec, 0, add)
		if e != nil {
			return nil, errs, syntax(e)
		}
		if ok {
			records = append(records, rec)
		}
	case json.Delim('['):
		row := 0
		for dec.More() {
			row++
			t, e := dec.Token()
			if e != nil {
				return nil, errs, syntax(e)
			}
			if t != json.Delim('{') {
				add(FieldError{Row: row, Reason: "must be a JSON object"})
				if d, isDelim := t.(json.Delim); isDelim {
					if e := skipRest(dec, d); e != nil {
						return nil, errs, syntax(e)
					}
				}
				continue
			}
			rec, ok, e := decodeObject(dec, row, add)
			if e != nil {
				return nil, errs, syntax(e)
			}
			if ok {
				records = append(records, rec)
			}
		}
		if _, e := dec.Token(); e != nil { // closing ]
			return nil, errs, syntax(e)
		}
	default:
		add(FieldError{Reason: "expected a JSON object or an array of objects"})
		return nil, errs, nil
	}
	if _, e := dec.Token(); e != io.EOF {
		add(FieldError{Reason: "unexpected data after the JSON value"})
	}
	if len(errs) > 0 {
		return nil, errs, nil
	}
	return records, nil, nil
}

// skipRest consumes the rest of a composite value whose opening delimiter
// was already read.
func skipRest(dec *json.Decoder, open json.Delim) error {
	depth := 1
	for depth > 0 {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := t.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
	}
	return nil
}

// decodeObject reads the members of an object whose '{' was consumed.
func decodeObject(dec *json.Decoder, row int, add func(FieldError)) (Record, bool, error) {
	var rec Record
	ok := true
	var seen, reported [numFields]bool
	pos := 0
	for dec.More() {
		pos++
		kt, err := dec.Token()
		if err != nil {
			return rec, false, err
		}
		key, _ := kt.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return rec, false, err
		}
		i := fieldIndexByName(key)
		if i < 0 {
			ok = false
			field, hidden := describeColumn(key, pos)
			if hidden != "" {
				field = "key " + strconv.Itoa(pos)
			}
			reason := "unknown field"
			if hidden != "" {
				reason = "unknown field (name " + hidden + ")"
			}
			if kind, bad := rawLooksIdentifying(raw); bad {
				reason += "; its value looks like " + kind + "; identifying data is never stored"
			}
			add(FieldError{Row: row, Field: field, Reason: reason})
			continue
		}
		if seen[i] {
			ok = false
			add(FieldError{Row: row, Field: key, Reason: "appears more than once"})
			continue
		}
		seen[i] = true
		raw = bytes.TrimSpace(raw)
		if bytes.Equal(raw, []byte("null")) {
			continue // reported as required by Validate
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			ok = false
			reported[i] = true
			if kind, bad := rawLooksIdentifying(raw); bad {
				add(FieldError{Row: row, Field: key, Reason: identifyingReason(kind)})
			} else {
				add(FieldError{Row: row, Field: key, Reason: "must be a string"})
			}
			continue
		}
		*rec.field(i), _ = normalizeValue(i, s)
	}
	if _, err := dec.Token(); err != nil { // closing }
		return rec, false, err
	}
	for _, fe := range rec.Validate() { // missing keys are reported as required
		if j := fieldIndexByName(fe.Field); j >= 0 && reported[j] {
			continue
		}
		fe.Row = row
		add(fe)
		ok = false
	}
	return rec, ok, nil
}

// rawLooksIdentifying checks every string and number inside a raw JSON
// value (and object keys) for identifying data.
func rawLooksIdentifying(raw json.RawMessage) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	for {
		t, err := dec.Token()
		if err != nil {
			return "", false
		}
		var s string
		switch v := t.(type) {
		case string:
			s = v
		case json.Number:
			s = v.String()
		default:
			continue
		}
		if kind, ok := LooksIdentifying(s); ok {
			return kind, true
		}
	}
}
