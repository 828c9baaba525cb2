package casestats

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseJSON(t *testing.T) {
	r := validRecord()
	one, _ := json.Marshal(r)
	recs, errs, err := ParseJSON(strings.NewReader(string(one)))
	if err != nil || len(errs) != 0 || len(recs) != 1 || recs[0] != r {
		t.Fatalf("single: %v %v %v", recs, errs, err)
	}
	arr := "[" + string(one) + "," + strings.Replace(string(one), `"TX"`, `" tx "`, 1) + "]"
	recs, errs, err = ParseJSON(strings.NewReader(arr))
	if err != nil || len(errs) != 0 || len(recs) != 2 || recs[1] != r {
		t.Fatalf("array: %v %v %v", recs, errs, err)
	}
}

func TestParseJSONErrors(t *testing.T) {
	base := `"quarter":"2018-Q2","state":"TX","child_age_bracket":"5-9","facility_type":"cbp","form_presented":"none","form_premarked":"no","form_english_only":"no","language_barrier":"yes","told_no_rights":"no","threatened_permanent_separation":"no","credible_fear":"pending","asylum_claim":"pending"`
	cases := []struct {
		name, body string
		want       []FieldError
		rejected   []string
	}{
		{"unknown key with A-number", `{` + base + `,"outcome":"reunified","notes":"A-123-456-789"}`,
			[]FieldError{{0, "notes", "unknown field; its value looks like an A-number; identifying data is never stored"}}, []string{"123-456-789"}},
		{"identifying key name", `{` + base + `,"outcome":"reunified","Maria Lopez":"x"}`,
			[]FieldError{{0, "key 14", "unknown field (name looks like a name)"}}, []string{"Maria", "Lopez"}},
		{"number value", `{` + base + `,"outcome":"reunified","extra":123456789}`,
			[]FieldError{{0, "extra", "unknown field; its value looks like an identification number; identifying data is never stored"}}, []string{"123456789"}},
		{"nested value", `{` + base + `,"outcome":"reunified","x":{"y":["(555) 123-4567"]}}`,
			[]FieldError{{0, "x", "unknown field; its value looks like a phone number; identifying data is never stored"}}, []string{"555"}},
		{"duplicate key", `{` + base + `,"outcome":"reunified","outcome":"Maria Lopez"}`,
			[]FieldError{{0, "outcome", "appears more than once"}}, []string{"Maria"}},
		{"missing and null", `{` + base + `,"outcome":null}`,
			[]FieldError{{0, "outcome", "is required"}}, nil},
		{"non-string", `{` + base + `,"outcome":true}`,
			[]FieldError{{0, "outcome", "must be a string"}}, nil},
		{"bad value in array", `[{` + base + `,"outcome":"reunified"},{` + base + `,"outcome":"14 Jun 2018"}]`,
			[]FieldError{{2, "outcome", "looks like a date; identifying data is never stored"}}, []string{"Jun"}},
		{"not an object", `[{` + base + `,"outcome":"reunified"},"Maria Lopez",[1]]`,
			[]FieldError{{2, "", "must be a JSON object"}, {3, "", "must be a JSON object"}}, []string{"Maria"}},
		{"scalar", `"Maria Lopez"`, []FieldError{{0, "", "expected a JSON object or an array of objects"}}, []string{"Maria"}},
		{"malformed", `{"quarter": Maria}`, []FieldError{{0, "", "malformed JSON near byte 11"}}, []string{"Maria"}},
		{"truncated", `[{"quarter":"2018-Q2"`, []FieldError{{0, "", "malformed JSON: unexpected end of input"}}, nil},
		{"trailing", `{` + base + `,"outcome":"reunified"} {"a":1}`, []FieldError{{0, "", "unexpected data after the JSON value"}}, nil},
		{"empty", ``, []FieldError{{0, "", "empty body: expected a JSON object or an array of objects"}}, nil},
	}
	for _, c := range cases {
		recs, errs, err := ParseJSON(strings.NewReader(c.body))
		if err != nil {
			t.Errorf("%s: err %v", c.name, err)
			continue
		}
		if recs != nil {
			t.Errorf("%s: records returned despite errors", c.name)
		}
		if len(errs) != len(c.want) {
			t.Errorf("%s: errs %v, want %v", c.name, errs, c.want)
			continue
		}
		for i := range errs {
			if errs[i] != c.want[i] {
				t.Errorf("%s: %+v, want %+v", c.name, errs[i], c.want[i])
			}
		}
		assertNoEcho(t, errs, c.rejected...)
	}
}

func TestStatAvailable(t *testing.T) {
	ten := 10
	f := &Figures{Figures: []Figure{
		{Key: "cases", Type: TypeCount, Value: &ten, Display: "10"},
		{Key: "children_separated", Type: TypeCount, Suppressed: true, Display: "fewer than 11"},
		{Key: "parents_deported", Type: TypeCount, Suppressed: true, Display: NotPublished},
	}}
	for k, want := range map[string]bool{"cases": true, "children_separated": true, "parents_deported": false, "no_such_key": false} {
		if got := f.StatAvailable(k); got != want {
			t.Errorf("StatAvailable(%q) = %v, want %v", k, got, want)
		}
	}
}
