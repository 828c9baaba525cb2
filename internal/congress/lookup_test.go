package congress

import (
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// loadTestDir loads the embedded snapshot once for all tests.
var loadTestDir = sync.OnceValues(LoadEmbedded)

func testDir(t testing.TB) *Directory {
	t.Helper()
	dir, err := loadTestDir()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func ids(ms []*Member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.BioguideID
	}
	return out
}

func labels(ds []District) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Label()
	}
	return out
}

func vacancyLabels(vs []Vacancy) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		if v.District != nil {
			out[i] = District{v.State, *v.District}.Label()
		} else {
			out[i] = v.State + " senate"
		}
	}
	return out
}

// The expected members were read from legislators-current.json (snapshot
// 2026-06-15), not guessed.
func TestLookupZIP(t *testing.T) {
	dir := testDir(t)
	tests := []struct {
		name, zip    string
		split, needs bool
		states       []string
		districts    []string
		members      []string
		vacancies    []string
	}{
		{name: "single district", zip: "94110", states: []string{"CA"}, districts: []string{"CA-11"},
			members: []string{"P000197", "P000145", "S001150"}}, // Pelosi, Padilla, Schiff
		{name: "ZIP+4", zip: "94110-1234", states: []string{"CA"}, districts: []string{"CA-11"},
			members: []string{"P000197", "P000145", "S001150"}},
		{name: "split", zip: "43215", split: true, states: []string{"OH"}, districts: []string{"OH-3", "OH-15"},
			members: []string{"B001281", "C001126", "M001242", "H001104"}}, // Beatty, Carey, Moreno, Husted
		{name: "split, tract-level superset", zip: "91001", split: true, states: []string{"CA"},
			districts: []string{"CA-27", "CA-28", "CA-29", "CA-30", "CA-31"},
			members:   []string{"W000830", "C001080", "R000620", "F000483", "C001123", "P000145", "S001150"}},
		{name: "three states", zip: "57717", split: true, states: []string{"MT", "SD", "WY"},
			districts: []string{"MT-2", "SD at-large", "WY at-large"},
			members:   []string{"D000634", "J000301", "H001096", "D000618", "S001232", "T000250", "R000605", "B001261", "L000571"}},
		{name: "two states", zip: "02861", split: true, states: []string{"MA", "RI"}, districts: []string{"MA-4", "RI-1"},
			members: []string{"A000148", "A000380", "W000817", "M000133", "R000122", "W000802"}},
		{name: "three states VA/WV", zip: "20135", split: true, states: []string{"VA", "WV"}, districts: []string{"VA-6", "VA-10", "WV-2"}},
		{name: "three states CO/NE/WY", zip: "82082", split: true, states: []string{"CO", "NE", "WY"},
			districts: []string{"CO-4", "CO-8", "NE-3", "WY at-large"}},
		{name: "three states AZ/NM/UT", zip: "86514", split: true, states: []string{"AZ", "NM", "UT"},
			districts: []string{"AZ-2", "NM-3", "UT-3"}},
		{name: "at-large AK", zip: "99501", states: []string{"AK"}, districts: []string{"AK at-large"},
			members: []string{"B001323", "M001153", "S001198"}},
		{name: "at-large WY", zip: "82001", states: []string{"WY"}, districts: []string{"WY at-large"},
			members: []string{"H001096", "B001261", "L000571"}},
		{name: "at-large VT", zip: "05401", states: []string{"VT"}, districts: []string{"VT at-large"},
			members: []string{"B001318", "S000033", "W000800"}},
		{name: "at-large DE", zip: "19901", states: []string{"DE"}, districts: []string{"DE at-large"},
			members: []string{"M001238", "C001088", "B001303"}},
		{name: "DC", zip: "20001", states: []string{"DC"}, districts: []string{"DC delegate"}, members: []string{"N000147"}},
		{name: "PR", zip: "00901", states: []string{"PR"}, districts: []string{"PR resident commissioner"}, members: []string{"H001103"}},
		{name: "VI by range", zip: "00802", states: []string{"VI"}, districts: []string{"VI delegate"}, members: []string{"P000610"}},
		{name: "GU by range", zip: "96910", states: []string{"GU"}, districts: []string{"GU delegate"}, members: []string{"M001219"}},
		{name: "AS by rule", zip: "96799", states: []string{"AS"}, districts: []string{"AS delegate"}, members: []string{"R000600"}},
		{name: "MP by range", zip: "96950", states: []string{"MP"}, districts: []string{"MP delegate"}, members: []string{"K000404"}},
		{name: "vacant CA-14", zip: "94541", states: []string{"CA"}, districts: []string{"CA-14"},
			members: []string{"P000145", "S001150"}, vacancies: []string{"CA-14"}},
		{name: "vacant TX-23", zip: "78852", states: []string{"TX"}, districts: []string{"TX-23"},
			members: []string{"C001056", "C001098"}, vacancies: []string{"TX-23"}},
		{name: "vacant FL-20", zip: "33313", states: []string{"FL"}, districts: []string{"FL-20"},
			members: []string{"S001217", "M001244"}, vacancies: []string{"FL-20"}},
		{name: "vacant GA-13", zip: "30017", states: []string{"GA"}, districts: []string{"GA-13"},
			members: []string{"O000174", "W000790"}, vacancies: []string{"GA-13"}},
		{name: "appointed senator Moody", zip: "32301", states: []string{"FL"}, districts: []string{"FL-2"},
			members: []string{"D000628", "S001217", "M001244"}},
		{name: "PO box", zip: "12345", needs: true, states: []string{"NY"}, members: []string{"S000148", "G000555"}},
		{name: "PO box 10008", zip: "10008", needs: true, states: []string{"NY"}, members: []string{"S000148", "G000555"}},
		{name: "PO box 90209", zip: "90209", needs: true, states: []string{"CA"}, members: []string{"P000145", "S001150"}},
		{name: "PO box, prefix in two states", zip: "06301", needs: true, split: true, states: []string{"CT", "NY"},
			members: []string{"B001277", "M001169", "S000148", "G000555"}},
		{name: "unique ZIP, one-seat jurisdiction", zip: "20500", states: []string{"DC"}, districts: []string{"DC delegate"},
			members: []string{"N000147"}},
		// No offline list says which ZIPs are assigned: a never-assigned
		// ZIP under a state's prefix is treated like a PO box (README).
		{name: "never assigned, one-seat state", zip: "99999", states: []string{"AK"}, districts: []string{"AK at-large"},
			members: []string{"B001323", "M001153", "S001198"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" "+tt.zip, func(t *testing.T) {
			r, err := dir.LookupZIP(tt.zip)
			if err != nil {
				t.Fatal(err)
			}
			if r.Split != tt.split || r.NeedsAddress != tt.needs {
				t.Errorf("Split, NeedsAddress = %v, %v; want %v, %v", r.Split, r.NeedsAddress, tt.split, tt.needs)
			}
			if !slices.Equal(r.States, tt.states) {
				t.Errorf("States = %v, want %v", r.States, tt.states)
			}
			if got := labels(r.Districts); !slices.Equal(got, tt.districts) && !(len(got) == 0 && tt.districts == nil) {
				t.Errorf("Districts = %v, want %v", got, tt.districts)
			}
			if tt.members != nil && !slices.Equal(ids(r.Members), tt.members) {
				t.Errorf("Members = %v, want %v", ids(r.Members), tt.members)
			}
			if got := vacancyLabels(r.Vacancies); !slices.Equal(got, tt.vacancies) && !(len(got) == 0 && tt.vacancies == nil) {
				t.Errorf("Vacancies = %v, want %v", got, tt.vacancies)
			}
		})
	}
}

func TestLookupZIPErrors(t *testing.T) {
	dir := testDir(t)
	for zip, want := range map[string]error{
		"":           ErrInvalidZIP,
		"abcde":      ErrInvalidZIP,
		"9411":       ErrInvalidZIP,
		"941100":     ErrInvalidZIP,
		"94110-12":   ErrInvalidZIP,
		"09001":      ErrMilitaryZIP, // AE
		"34001":      ErrMilitaryZIP, // AA
		"96201":      ErrMilitaryZIP, // AP
		"96601-1234": ErrMilitaryZIP,
		"00000":      ErrUnknownZIP,
		"00100":      ErrUnknownZIP,
		"73301":      ErrUnknownZIP, // IRS Austin: real, but no ZCTA shares its prefix
		"96940":      ErrOutsideUS,  // Palau
		"96960":      ErrOutsideUS,  // Marshall Islands
	} {
		r, err := dir.LookupZIP(zip)
		if !errors.Is(err, want) || r != nil {
			t.Errorf("LookupZIP(%q) = %v, %v; want nil, %v", zip, r, err, want)
		}
	}
}

// TestEveryZIP checks invariants over all 100,000 five-digit ZIPs.
func TestEveryZIP(t *testing.T) {
	dir := testDir(t)
	counts := map[string]int{}
	var buf [5]byte
	for z := range 100000 {
		zip := string(appendZIP(buf[:0], z))
		r, err := dir.LookupZIP(zip)
		switch {
		case errors.Is(err, ErrUnknownZIP), errors.Is(err, ErrMilitaryZIP), errors.Is(err, ErrOutsideUS):
			counts[err.Error()]++
			continue
		case err != nil:
			t.Fatalf("%s: %v", zip, err)
		}
		counts["ok"]++
		if r.NeedsAddress {
			counts["needs address"]++
			if len(r.Districts) != 0 {
				t.Fatalf("%s: NeedsAddress with districts %v", zip, r.Districts)
			}
		}
		if r.Split != (len(r.Districts) > 1 || len(r.States) > 1) {
			t.Fatalf("%s: Split=%v with %v in %v", zip, r.Split, r.Districts, r.States)
		}
		if !slices.IsSortedFunc(r.Districts, compareDistricts) || !slices.IsSorted(r.States) {
			t.Fatalf("%s: not sorted: %v %v", zip, r.Districts, r.States)
		}
		// Every seat of the answer is either a member or a vacancy.
		seats := len(r.Districts)
		for _, st := range r.States {
			if hasSenators(st) {
				seats += 2
			}
		}
		if got := len(r.Members) + len(r.Vacancies); got != seats {
			t.Fatalf("%s: %d members + vacancies for %d seats", zip, got, seats)
		}
		for i, m := range r.Members {
			if i < len(r.Districts)-len(r.Vacancies) && m.Chamber != House {
				t.Fatalf("%s: House members must come first: %v", zip, ids(r.Members))
			}
			if !slices.Contains(r.States, m.State) {
				t.Fatalf("%s: member %s from %s, not in %v", zip, m.BioguideID, m.State, r.States)
			}
		}
	}
	t.Logf("%v", counts)
	if counts["ok"] < 33774 {
		t.Errorf("only %d ZIPs answered", counts["ok"])
	}
}

func TestAppointedSenators(t *testing.T) {
	dir := testDir(t)
	for _, tc := range []struct{ id, zip, state string }{
		{"H001104", "43215", "OH"}, // Husted
		{"M001244", "33101", "FL"}, // Moody
	} {
		m, ok := dir.Member(tc.id)
		if !ok {
			t.Fatalf("%s missing", tc.id)
		}
		if m.State != tc.state || m.Chamber != Senate || m.TermEnd != "2026-11-03" || m.TermEndType != "special-election" {
			t.Errorf("%s: %+v", tc.id, m)
		}
		r, err := dir.LookupZIP(tc.zip)
		if err != nil || !slices.Contains(r.Members, m) {
			t.Errorf("LookupZIP(%s) lacks %s: %v", tc.zip, tc.id, err)
		}
	}
}

func TestMembers(t *testing.T) {
	dir := testDir(t)
	ms := dir.Members()
	if len(ms) != 537 {
		t.Fatalf("%d members, want 537", len(ms))
	}
	var sen, house, nonVoting int
	parties := map[string]int{}
	for _, m := range ms {
		parties[m.Party]++
		switch m.Title {
		case "Senator":
			sen++
			if m.District != nil || m.SenateClass == 0 || m.StateRank == "" {
				t.Errorf("senator %s: %+v", m.BioguideID, m)
			}
		case "Representative":
			house++
		case "Delegate", "Resident Commissioner":
			nonVoting++
			if *m.District != 0 || hasSenators(m.State) {
				t.Errorf("%s %s: %+v", m.Title, m.BioguideID, m)
			}
		default:
			t.Errorf("%s: title %q", m.BioguideID, m.Title)
		}
		if m.Name == "" || m.LastName == "" || m.TermStart == "" || m.TermEnd == "" {
			t.Errorf("%s: missing basics: %+v", m.BioguideID, m)
		}
		if m.ContactURL() == "" && m.BioguideID != "G000607" {
			t.Errorf("%s: no contact URL", m.BioguideID)
		}
	}
	if sen != 100 || house != 431 || nonVoting != 6 {
		t.Errorf("senators %d, representatives %d, non-voting %d; want 100, 431, 6", sen, house, nonVoting)
	}
	if parties["Republican"] != 274 || parties["Democrat"] != 260 || parties["Independent"] != 3 {
		t.Errorf("parties %v", parties)
	}
	sorted := slices.Clone(ms)
	sortMembers(sorted)
	if !slices.Equal(ms, sorted) {
		t.Error("Members() not sorted")
	}
	ms[0] = nil // the slice is the caller's
	if dir.Members()[0] == nil {
		t.Error("Members() exposes internal slice")
	}

	// Missing official_full: built from first and last.
	for id, want := range map[string]string{"M001246": "Analilia Mejia", "G000607": "James Gallagher", "P000197": "Nancy Pelosi"} {
		if m, ok := dir.Member(id); !ok || m.Name != want {
			t.Errorf("Member(%s) = %+v, want name %q", id, m, want)
		}
	}
	g, _ := dir.Member("G000607") // sworn in 2026-06-10: no phone or offices yet
	if g.Phone != "" || len(g.Offices) != 0 || *g.District != 1 || g.State != "CA" {
		t.Errorf("Gallagher: %+v", g)
	}
	p, _ := dir.Member("P000197")
	if p.Phone == "" || p.OfficeAddress == "" || len(p.Offices) == 0 || p.Offices[0].City == "" {
		t.Errorf("Pelosi lacks contact data: %+v", p)
	}
	if _, ok := dir.Member("X999999"); ok {
		t.Error("unknown bioguide id found")
	}
	// A suite written as a number in the JSON edition survives as text.
	h, _ := dir.Member("H001104")
	if !slices.ContainsFunc(h.Offices, func(o Office) bool { return o.Suite == "3061" }) {
		t.Errorf("Husted offices: %+v", h.Offices)
	}
}

func TestDistricts(t *testing.T) {
	dir := testDir(t)
	ds := dir.Districts()
	if len(ds) != 441 || !slices.IsSortedFunc(ds, compareDistricts) {
		t.Fatalf("%d districts (want 441), sorted %v", len(ds), slices.IsSortedFunc(ds, compareDistricts))
	}
	perState := map[string]int{}
	for _, d := range ds {
		perState[d.State]++
	}
	if len(perState) != 56 || perState["CA"] != 52 || perState["TX"] != 38 || perState["AK"] != 1 {
		t.Errorf("per state: %v", perState)
	}
	for _, tc := range []struct {
		d           District
		label, code string
	}{
		{District{"CA", 11}, "CA-11", "HCA11"},
		{District{"CA", 1}, "CA-1", "HCA01"},
		{District{"AK", 0}, "AK at-large", "HAK00"},
		{District{"DC", 0}, "DC delegate", "HDC00"},
		{District{"PR", 0}, "PR resident commissioner", "HPR00"},
	} {
		if tc.d.Label() != tc.label || tc.d.Code() != tc.code || tc.d.String() != tc.label {
			t.Errorf("%#v: Label %q Code %q", tc.d, tc.d.Label(), tc.d.Code())
		}
	}
}

func TestForDistrict(t *testing.T) {
	dir := testDir(t)
	zipResult, _ := dir.LookupZIP("94110")
	for _, d := range []District{{"CA", 11}, {"ca", 11}, {" CA ", 11}} {
		r, err := dir.ForDistrict(d)
		if err != nil || r != zipResult {
			t.Errorf("ForDistrict(%#v) = %v, %v; want the 94110 result", d, r, err)
		}
	}
	r, err := dir.ForDistrict(District{"DC", 98})
	if err != nil || !slices.Equal(ids(r.Members), []string{"N000147"}) || len(r.Vacancies) != 0 {
		t.Errorf("ForDistrict(DC-98) = %+v, %v", r, err)
	}
	r, err = dir.ForDistrict(District{"GA", 13})
	if err != nil || !slices.Equal(vacancyLabels(r.Vacancies), []string{"GA-13"}) {
		t.Errorf("ForDistrict(GA-13) = %+v, %v", r, err)
	}
	for _, d := range []District{{"CA", 53}, {"AK", 1}, {"XX", 1}, {"", 0}} {
		if _, err := dir.ForDistrict(d); !errors.Is(err, ErrUnknownDistrict) {
			t.Errorf("ForDistrict(%#v) error = %v, want ErrUnknownDistrict", d, err)
		}
	}
	// Every district answers, with its member or a vacancy.
	for _, d := range dir.Districts() {
		r, err := dir.ForDistrict(d)
		if err != nil || len(r.Districts) != 1 || r.Districts[0] != d || r.Split {
			t.Fatalf("ForDistrict(%v) = %+v, %v", d, r, err)
		}
	}
}

// TestSenateVacancy builds a directory from the real data minus one
// senator: the seat must show as a vacancy, not vanish.
func TestSenateVacancy(t *testing.T) {
	sub, _ := fs.Sub(embedded, "data")
	meta, members, rows, geo, _, err := readData(sub)
	if err != nil {
		t.Fatal(err)
	}
	members = slices.DeleteFunc(members, func(m *Member) bool { return m.BioguideID == "S001150" }) // Schiff
	dir := &Directory{meta: meta}
	if err := dir.build(members, rows, geo); err != nil {
		t.Fatal(err)
	}
	r, err := dir.LookupZIP("94110")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(r.Members), []string{"P000197", "P000145"}) || !slices.Equal(vacancyLabels(r.Vacancies), []string{"CA senate"}) {
		t.Errorf("got members %v vacancies %v", ids(r.Members), vacancyLabels(r.Vacancies))
	}
}

func TestResultJSON(t *testing.T) {
	r, err := testDir(t).LookupZIP("78852")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{
		`"split":false`, `"states":["TX"]`, `"districts":[{"state":"TX","district":23}]`,
		`"vacancies":[{"chamber":"house","state":"TX","district":23}]`, `"needs_address":false`,
		`"bioguide_id":"C001056"`, `"chamber":"senate"`, `"title":"Senator"`, `"senate_class":2`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON lacks %s:\n%s", want, s)
		}
	}
	if strings.Contains(s, "null") {
		t.Errorf("JSON has null:\n%s", s)
	}
	b, _ = json.Marshal(mustMember(t, "N000147"))
	if !strings.Contains(string(b), `"district":0`) || !strings.Contains(string(b), `"office_address":"2136 Rayburn`) {
		t.Errorf("delegate JSON: %s", b)
	}
}

func mustMember(t *testing.T, id string) *Member {
	m, ok := testDir(t).Member(id)
	if !ok {
		t.Fatalf("no member %s", id)
	}
	return m
}

func TestLoad(t *testing.T) {
	emb := testDir(t)
	if emb.AsOf() != committedAsOf || emb.Source() != "embedded" {
		t.Errorf("embedded AsOf %q source %q", emb.AsOf(), emb.Source())
	}
	// No meta.json: the embedded data.
	for _, d := range []string{"", t.TempDir()} {
		dir, err := Load(d)
		if err != nil || dir.Source() != "embedded" {
			t.Errorf("Load(%q) = %v, %v", d, dir, err)
		}
	}
	// A copy of data/ loads from disk; a damaged one is refused.
	tmp := t.TempDir()
	for _, name := range dataFiles {
		b, err := os.ReadFile(filepath.Join("data", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir, err := Load(tmp)
	if err != nil || dir.Source() != tmp || len(dir.Members()) != 537 {
		t.Fatalf("Load(copy) = %v, %v", dir, err)
	}
	if err := os.WriteFile(filepath.Join(tmp, zctaFileName), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(tmp); err == nil || !strings.Contains(err.Error(), zctaFileName) {
		t.Errorf("Load(damaged) error = %v", err)
	}
}

func TestLookupPoint(t *testing.T) {
	dir := testDir(t)
	for _, tc := range []struct {
		name     string
		lat, lon float64
		want     string
	}{
		{"US Capitol", 38.8899, -77.0091, "DC delegate"},
		{"SF Mission", 37.7599, -122.4148, "CA-11"},
		{"Anchorage", 61.2181, -149.9003, "AK at-large"},
		{"Attu, west of 180°", 52.9, 173.1, "AK at-large"},
		{"Honolulu", 21.3069, -157.8583, "HI-1"},
		{"San Juan", 18.4655, -66.1057, "PR resident commissioner"},
		{"Charlotte Amalie", 18.3419, -64.9307, "VI delegate"},
		{"Hagåtña", 13.4757, 144.7489, "GU delegate"},
		{"Pago Pago", -14.2781, -170.7025, "AS delegate"},
		{"Saipan", 15.1850, 145.7467, "MP delegate"},
		{"Cheyenne", 41.1400, -104.8202, "WY at-large"},
		{"Eagle Pass (vacant TX-23)", 28.7091, -100.4995, "TX-23"},
		{"off Ocean Beach, nearest polygon", 37.7600, -122.5300, "CA-11"},
	} {
		r, err := dir.LookupPoint(tc.lat, tc.lon)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got := labels(r.Districts); !slices.Equal(got, []string{tc.want}) {
			t.Errorf("%s: %v, want %s", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct {
		name     string
		lat, lon float64
		want     error
	}{
		{"mid Pacific", 0, -150, ErrOutsideUS},
		{"Atlantic", 35, -40, ErrOutsideUS},
		{"40 km past the Farallones", 37.7, -123.5, ErrOutsideUS},
		{"Toronto", 43.6532, -79.3832, ErrOutsideUS},
		{"Mexico City", 19.4326, -99.1332, ErrOutsideUS},
		{"lat > 90", 91, 0, ErrInvalidPoint},
		{"lat < -90", -90.5, 0, ErrInvalidPoint},
		{"lon > 180", 0, 180.1, ErrInvalidPoint},
		{"NaN", math.NaN(), 0, ErrInvalidPoint},
		{"Inf", 0, math.Inf(1), ErrInvalidPoint},
	} {
		if r, err := dir.LookupPoint(tc.lat, tc.lon); !errors.Is(err, tc.want) || r != nil {
			t.Errorf("%s: %v, %v; want %v", tc.name, r, err, tc.want)
		}
	}
}

func TestHotPathAllocs(t *testing.T) {
	dir := testDir(t)
	for name, f := range map[string]func(){
		"LookupZIP":       func() { dir.LookupZIP("94110") },
		"LookupZIP split": func() { dir.LookupZIP(" 57717-0001 ") },
		"LookupZIP error": func() { dir.LookupZIP("09001") },
		"LookupPoint":     func() { dir.LookupPoint(37.7599, -122.4148) },
		"ForDistrict":     func() { dir.ForDistrict(District{"CA", 11}) },
		"ParseZIP":        func() { ParseZIP("941101234") },
	} {
		if n := testing.AllocsPerRun(200, f); n != 0 {
			t.Errorf("%s: %v allocs/op, want 0", name, n)
		}
	}
}

// TestConcurrentLookups documents that a Directory is safe for concurrent
// use (run it with -race after changing lookup code).
func TestConcurrentLookups(t *testing.T) {
	dir := testDir(t)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 2000 {
				dir.LookupZIP(string(appendZIP(nil, (i*7919+g)%100000)))
				dir.LookupPoint(25+float64(i%25), -120+float64(g*10+i%10))
				dir.ForDistrict(District{"CA", i % 53})
			}
		})
	}
	wg.Wait()
}

// Every member has upstream's gender (congress-legislators' bio.gender),
// which Spanish pages need for "Senadora" and "Senador".
func TestMembersHaveGender(t *testing.T) {
	dir := testDir(t)
	n := map[string]int{}
	for _, m := range dir.Members() {
		n[m.Gender]++
	}
	if n[""] != 0 || n["F"] != 154 || n["M"] != 383 {
		t.Errorf("genders %v, want 154 F, 383 M, none unknown", n)
	}
	for id, want := range map[string]string{"C000127": "F", "P000145": "M"} {
		if m, ok := dir.Member(id); !ok || m.Gender != want {
			t.Errorf("%s: gender %q, want %q", id, m.Gender, want)
		}
	}
}
