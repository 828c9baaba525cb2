package supporters

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
)

func campaigns(ref string) (int64, error) {
	if ref == "fall" || ref == "7" {
		return 7, nil
	}
	return 0, store.ErrNotFound
}

// TestParseCSVRefusesRowsWithoutConsent: every row without an explicit
// yes in the consent column is refused by line, as are bad values (by
// field), and the good rows are sealed to their address's index.
func TestParseCSVRefusesRowsWithoutConsent(t *testing.T) {
	k := seal.NewRandom()
	in := "Email,Consent,First_Name,last_name,language,state,district,source,campaign\n" +
		"Ana@Example.org,yes,Ana,García,es,ca,12,Newsletter,fall\n" + // 2: good
		"ben@example.org,,Ben,,,,,,\n" + // 3: no consent
		"cy@example.org,no,Cy,,,,,,\n" + // 4: consent says no
		"not-an-address,yes,Dee,,,,,,\n" + // 5
		"eve@example.org,YES,Eve,,fr,,,,\n" + // 6: language
		"fay@example.org,1,Fay,,,ZZ,,,\n" + // 7: state
		"gus@example.org,true,Gus,,,TX,TX-99x,,\n" + // 8: district
		"hal@example.org,y,Hal,,,,,hal@example.org,\n" + // 9: source is an address
		"ida@example.org,y,Ida,,,,,,spring\n" + // 10: campaign
		"\n" +
		"jo@example.org,y,,,,AK,AK-0,,7\n" // 12: good
	p, err := ParseCSV(strings.NewReader(in), k, campaigns)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.RowError{{Line: 3, Field: "consent"}, {Line: 4, Field: "consent"}, {Line: 5, Field: "email"}, {Line: 6, Field: "lang"},
		{Line: 7, Field: "state"}, {Line: 8, Field: "district"}, {Line: 9, Field: "source"}, {Line: 10, Field: "campaign"}}
	if len(p.Refused) != len(want) {
		t.Fatalf("refused %+v", p.Refused)
	}
	for i, w := range want {
		if g := p.Refused[i]; g.Line != w.Line || g.Field != w.Field || g.Reason == "" {
			t.Errorf("refused %d = %+v, want line %d field %s", i, g, w.Line, w.Field)
		}
		if strings.Contains(p.Refused[i].Reason, "@") {
			t.Errorf("a refusal quotes the row: %q", p.Refused[i].Reason)
		}
	}
	if len(p.Rows) != 2 || p.DataRows != 10 {
		t.Fatalf("rows %+v, data rows %d", p.Rows, p.DataRows)
	}
	ana := p.Rows[0]
	if ana.Line != 2 || ana.Lang != "es" || ana.State != "CA" || *ana.District != 12 || ana.Source != "newsletter" || ana.CampaignID != 7 ||
		ana.EmailIndex != k.Index("email", "ana@example.org") {
		t.Errorf("ana = %+v", ana)
	}
	var pii PII
	if err := k.OpenJSON(ana.Sealed, action.OptInAAD(ana.EmailIndex), &pii); err != nil || pii != (PII{"ana@example.org", "Ana", "García"}) {
		t.Errorf("sealed = %+v, %v", pii, err)
	}
	if strings.Contains(ana.Sealed, "ana@") {
		t.Error("the address is in clear")
	}
	if jo := p.Rows[1]; jo.State != "AK" || jo.District == nil || *jo.District != 0 || jo.Line != 12 {
		t.Errorf("jo = %+v", jo)
	}
	// file-level problems import nothing
	for _, bad := range []string{"", "email\nx@example.org\n", "email,consent,phone\n", "email,consent,email\n"} {
		if _, err := ParseCSV(strings.NewReader(bad), k, campaigns); err == nil {
			t.Errorf("file %q accepted", bad)
		}
	}
}

func TestParseFilter(t *testing.T) {
	q := map[string]string{"campaign": "fall", "state": "ca, tx, ak", "district": "CA-12,AK-AL", "source": "Newsletter", "lang": "es",
		"from": "2026-01-01", "to": "2026-01-31", "origin": "import", "status": "all", "not_written": "7"}
	f, err := ParseFilter(func(k string) string { return q[k] }, campaigns, nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.CampaignID != 7 || f.NotWrittenCampaignID != 7 || len(f.States) != 3 || f.States[1] != "TX" || len(f.Districts) != 2 ||
		f.Districts[1] != (store.District{State: "AK"}) || f.Source != "newsletter" || f.Lang != "es" || f.Origin != "import" || f.Status != "all" ||
		!f.To.Equal(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("filter = %+v", f)
	}
	for field, bad := range map[string]string{"campaign": "nope", "state": "ZZ", "district": "CA", "source": "a@b", "lang": "fr",
		"from": "yesterday", "origin": "web", "status": "gone", "not_replied": "nope"} {
		_, err := ParseFilter(func(k string) string {
			if k == field {
				return bad
			}
			return ""
		}, campaigns, nil)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s=%q: %v", field, bad, err)
		}
	}
	// Every filter that cannot be used is named at once; a district
	// outside the states chosen is one; a committee needs the data.
	bad := map[string]string{"state": "AZ", "district": "CA-12", "lang": "fr", "committee": "SSJU"}
	_, err = ParseFilter(func(k string) string { return bad[k] }, campaigns, nil)
	var fes FieldErrors
	if !errors.As(err, &fes) || len(fes) != 3 || fes[0].Field != "district" || fes[1].Field != "committee" || fes[2].Field != "lang" {
		t.Errorf("several bad filters: %v", err)
	}
}

func TestExportWritesOpenedRows(t *testing.T) {
	k := seal.NewRandom()
	idx := k.Index("email", "ana@example.org")
	sealed, _ := k.SealJSON(PII{Email: "ana@example.org", FirstName: "=cmd", LastName: "García"}, action.OptInAAD(idx))
	var b bytes.Buffer
	w, err := NewWriter(&b, k, func(int64) string { return "fall" })
	if err != nil {
		t.Fatal(err)
	}
	d := 12
	if err := w.Write(store.Supporter{EmailIndex: idx, Sealed: sealed, Lang: "es", CampaignID: 7, State: "CA", District: &d, Source: "newsletter",
		Origin: "action", JoinedAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	if n, err := w.Flush(); n != 1 || err != nil {
		t.Fatal(n, err)
	}
	want := "email,first_name,last_name,lang,state,district,source,campaign,origin,joined_at,status\n" +
		"ana@example.org,'=cmd,García,es,CA,12,newsletter,fall,action,2026-12-01T00:00:00Z,subscribed\n"
	if b.String() != want {
		t.Errorf("export:\n%s\nwant\n%s", b.String(), want)
	}
}
