package contacts

import (
	"errors"
	"strings"
	"testing"
)

func known(id string) bool { return id == "P000197" || id == "P000145" }

func TestParseCSV(t *testing.T) {
	good := "bioguide_id,name,role,email,fax\n" +
		"p000197,Rosa  Díaz,Immigration legislative assistant,rosa.diaz@MAIL.HOUSE.GOV,(202) 555-0143\n" +
		"P000197,Front desk,,,\n" +
		"P000145,Lee Park,Legislative director,lee_park@padilla.senate.gov,1-202-555-0199\n"
	p, err := ParseCSV(strings.NewReader(good), known)
	if err != nil || len(p.Errors) > 0 || p.Rows != 3 {
		t.Fatalf("good file: %+v %v", p, err)
	}
	if strings.Join(p.Offices, ",") != "P000197,P000145" || len(p.Contacts["P000197"]) != 2 {
		t.Fatalf("offices %v contacts %+v", p.Offices, p.Contacts)
	}
	c := p.Contacts["P000197"][0]
	if c.Name != "Rosa Díaz" || c.Email != "rosa.diaz@mail.house.gov" || c.Fax != "202-555-0143" || c.BioguideID != "P000197" {
		t.Errorf("normalized: %+v", c)
	}
	if Primary(p.Contacts["P000197"]) != "rosa.diaz@mail.house.gov" || p.Contacts["P000145"][0].Fax != "202-555-0199" {
		t.Errorf("primary/fax: %+v", p.Contacts)
	}

	// Every bad row is reported by row and field, without the value, and
	// nothing is kept.
	bad := "name,bioguide_id,role,email,fax\n" +
		"Ana Secret,X1,,,\n" +
		"Ana Secret,Z999999,,,\n" +
		",P000197,,,\n" +
		"Ana Secret,P000197,,not-an-address,\n" +
		"Ana Secret,P000197,,,555-0143\n" +
		"Ana Secret,P000197,,a@b.gov,\n" +
		"Ana Secret,P000197,,A@b.gov,\n" +
		"too,few\n"
	p, err = ParseCSV(strings.NewReader(bad), known)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"row 1: bioguide_id: must be a letter and six digits",
		"row 2: bioguide_id: no sitting member of Congress has Z999999",
		"row 3: name: is required",
		"row 4: email: is not an email address",
		"row 5: fax: must be a 10-digit US number",
		"row 7: email: the same office and email as row 6",
		"row 8: has 2 fields, the header 5",
	}
	if len(p.Errors) != len(want) || p.Contacts != nil {
		t.Fatalf("errors %v, contacts %v", p.Errors, p.Contacts)
	}
	for i, w := range want {
		if got := p.Errors[i].Error(); !strings.HasPrefix(got, w) || strings.Contains(got, "Secret") || strings.Contains(got, "not-an-address") {
			t.Errorf("error %d: %q, want %q", i, got, w)
		}
	}

	for in, msg := range map[string]string{
		"":                                     "the file is empty",
		"bioguide_id,name,role,email\n":        "missing fax",
		"bioguide_id,name,role,email,fax,x\n":  "unknown column x",
		"bioguide_id,name,name,role,email,fax": "names \"name\" twice",
	} {
		if _, err := ParseCSV(strings.NewReader(in), known); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: %v, want %q", in, err, msg)
		}
	}
	if _, err := ParseCSV(strings.NewReader("bioguide_id,name,role,email,fax\n"), known); !errors.Is(err, ErrNoRows) {
		t.Errorf("header only: %v", err)
	}
	var b strings.Builder
	many := "bioguide_id,name,role,email,fax\n" + strings.Repeat("P000197,A,,,\n", MaxPerOffice+1)
	if p, _ := ParseCSV(strings.NewReader(many), known); len(p.Errors) != 1 || p.Errors[0].Row != MaxPerOffice+1 {
		t.Errorf("too many contacts: %v", p.Errors)
	}
	if err := WriteCSV(&b, []Contact{c}); err != nil || b.String() != "bioguide_id,name,role,email,fax\nP000197,Rosa Díaz,Immigration legislative assistant,rosa.diaz@mail.house.gov,202-555-0143\n" {
		t.Errorf("write: %q %v", b.String(), err)
	}
}

func TestCheckOffice(t *testing.T) {
	list := []Contact{{Name: "A", Email: "a@x.gov"}, {Name: "B", Email: "A@X.gov"}, {Name: "", Email: "Bob <b@x.gov>"}}
	errs := CheckOffice("p000197", list, known)
	if len(errs) != 3 || errs[0].Index != 1 || errs[1].Field != "name" || errs[1].Index != 2 || errs[2].Field != "email" || list[0].BioguideID != "P000197" {
		t.Errorf("%+v", errs)
	}
	if errs := CheckOffice("Z999999", nil, known); len(errs) != 1 || errs[0].Field != "bioguide_id" {
		t.Errorf("unknown office: %+v", errs)
	}
}
