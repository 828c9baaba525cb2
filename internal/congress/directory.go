package congress

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// embedded is the snapshot built by Import from /work/shared/data with
// AsOf 2026-06-15 (see TestImportReproducesEmbedded).
//
//go:embed data/*
var embedded embed.FS

// Directory answers lookups from one immutable snapshot. It is safe for
// concurrent use. Everything it returns is shared: do not modify it.
type Directory struct {
	source     string
	meta       metaFile
	members    []*Member // sorted, see sortMembers
	byID       map[string]*Member
	districts  []District // sorted
	byDistrict map[District]*Result
	// zip maps each five-digit ZIP to its answer: one of the zipXxx codes
	// below, or zipFirstResult+i for results[i]. A dense 100,000-entry
	// array makes LookupZIP one index operation, with no hashing and no
	// allocation.
	zip     []uint16
	results []*Result
	geo     *geoIndex

	committees    []*Committee
	committeeByID map[string]*Committee
	seatsOf       map[string][]MemberSeat // bioguide id → seats
}

// Codes in Directory.zip that are answers without a Result.
const (
	zipUnknown uint16 = iota
	zipMilitary
	zipOutside
	zipFirstResult
)

// Load returns the directory in dir when dir holds a meta.json (an
// operator ran Import into it, e.g. $OUTREACH_DATA_DIR/congress, to
// override the built-in snapshot without rebuilding); otherwise, including
// when dir is "", the embedded snapshot. A dir with a meta.json but broken
// files is an error, not a silent fallback.
func Load(dir string) (*Directory, error) {
	if dir != "" {
		_, err := os.Stat(filepath.Join(dir, metaFileName))
		switch {
		case err == nil:
			return loadFS(os.DirFS(dir), dir)
		case !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("congress: %w", err)
		}
	}
	return LoadEmbedded()
}

// LoadEmbedded returns the snapshot compiled into the binary.
func LoadEmbedded() (*Directory, error) {
	sub, err := fs.Sub(embedded, "data")
	if err != nil {
		return nil, err
	}
	return loadFS(sub, "embedded")
}

func loadFS(fsys fs.FS, source string) (*Directory, error) {
	meta, members, rows, geo, cs, err := readData(fsys)
	if err == nil {
		dir := &Directory{source: source, meta: meta}
		if err = dir.build(members, rows, geo); err == nil {
			if err = dir.buildCommittees(cs); err == nil {
				return dir, nil
			}
		}
	}
	return nil, fmt.Errorf("congress: loading %s data: %w", source, err)
}

// readData reads and checks the files of a data directory.
func readData(fsys fs.FS) (meta metaFile, members []*Member, rows []zctaRow, geo *geoIndex, committees []*Committee, err error) {
	mb, err := fs.ReadFile(fsys, metaFileName)
	if err != nil {
		return
	}
	if err = json.Unmarshal(mb, &meta); err != nil {
		err = fmt.Errorf("%s: %w", metaFileName, err)
		return
	}
	if meta.Format != dataFormat {
		err = fmt.Errorf("%s: format %d, this build reads format %d; re-run the importer", metaFileName, meta.Format, dataFormat)
		return
	}
	// Read each file, check it against the sha256 in meta.json (catches a
	// half-copied override directory), and gunzip it if it is a .gz.
	read := func(name string, sizeHint int) ([]byte, error) {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		if want := meta.Files[name]; want != sha256Hex(raw) {
			return nil, fmt.Errorf("%s: sha256 does not match %s", name, metaFileName)
		}
		if !strings.HasSuffix(name, ".gz") {
			return raw, nil
		}
		b, err := gunzipBytes(raw, sizeHint)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return b, nil
	}
	var b []byte
	if b, err = read(membersFileName, 1<<20); err != nil {
		return
	}
	if members, err = decodeMembers(b); err != nil {
		return
	}
	if b, err = read(zctaFileName, 12*meta.Counts.ZCTARows+16); err != nil {
		return
	}
	if rows, err = decodeZCTA(b); err != nil {
		return
	}
	if b, err = read(committeesFileName, 1<<19); err != nil {
		return
	}
	if committees, err = decodeCommittees(b); err != nil {
		return
	}
	if b, err = read(districtsFileName, 3*meta.Counts.Points+1024); err != nil {
		return
	}
	geo, err = decodeDistricts(b)
	return
}

// sortMembers orders members by state, chamber (house first), district,
// last name, first name and bioguide id, so every listing is stable.
func sortMembers(ms []*Member) {
	slices.SortFunc(ms, func(a, b *Member) int {
		if c := strings.Compare(a.State, b.State); c != 0 {
			return c
		}
		if c := strings.Compare(string(a.Chamber), string(b.Chamber)); c != 0 {
			return c
		}
		ad, bd := -1, -1
		if a.District != nil {
			ad = *a.District
		}
		if b.District != nil {
			bd = *b.District
		}
		if ad != bd {
			return ad - bd
		}
		for _, c := range [...]int{
			strings.Compare(a.LastName, b.LastName),
			strings.Compare(a.FirstName, b.FirstName),
			strings.Compare(a.BioguideID, b.BioguideID),
		} {
			if c != 0 {
				return c
			}
		}
		return 0
	})
}

// build precomputes every possible answer. There are few distinct ones
// (about 1,600 district sets for 33,774 ZCTAs), so each is built once and
// shared, which is what lets lookups return without allocating.
func (dir *Directory) build(members []*Member, rows []zctaRow, geo *geoIndex) error {
	sortMembers(members)
	dir.members = members
	dir.byID = make(map[string]*Member, len(members))
	house := map[District]*Member{}
	senators := map[string][]*Member{}
	for _, m := range members {
		if m.BioguideID == "" || dir.byID[m.BioguideID] != nil {
			return fmt.Errorf("%s: missing or repeated bioguide id %q", membersFileName, m.BioguideID)
		}
		if !isStateCode(m.State) || (m.District != nil && (*m.District < 0 || *m.District > 99)) {
			return fmt.Errorf("%s: %s has a bad state or district", membersFileName, m.BioguideID)
		}
		dir.byID[m.BioguideID] = m
		switch m.Chamber {
		case House:
			d, ok := m.Seat()
			if !ok {
				return fmt.Errorf("%s: House member %s has no district", membersFileName, m.BioguideID)
			}
			house[d] = m
		case Senate:
			senators[m.State] = append(senators[m.State], m)
		default:
			return fmt.Errorf("%s: %s has unknown chamber %q", membersFileName, m.BioguideID, m.Chamber)
		}
	}
	for _, ss := range senators {
		// Senior senator first, as on the Senate's own listings.
		slices.SortStableFunc(ss, func(a, b *Member) int {
			return rankOrder(a.StateRank) - rankOrder(b.StateRank)
		})
	}

	// Every seat: boundaries, crosswalk and sitting members.
	seats := map[District]bool{}
	for _, gd := range geo.dists {
		seats[gd.d] = true
	}
	for _, r := range rows {
		seats[r.D] = true
	}
	for d := range house {
		seats[d] = true
	}
	dir.districts = make([]District, 0, len(seats))
	for d := range seats {
		dir.districts = append(dir.districts, d)
	}
	slices.SortFunc(dir.districts, compareDistricts)
	seatsIn := map[string]int{}
	for _, d := range dir.districts {
		seatsIn[d.State]++
	}

	// One shared empty slice per field, so JSON shows [] rather than null.
	var (
		noStates    = []string{}
		noDistricts = []District{}
		noVacancies = []Vacancy{}
	)
	// newResult builds the answer for sorted districts ds, or, when
	// needsAddress, for the sorted states alone.
	newResult := func(ds []District, states []string, needsAddress bool) *Result {
		if !needsAddress {
			states = nil
			for _, d := range ds {
				if !slices.Contains(states, d.State) {
					states = append(states, d.State)
				}
			}
		}
		r := &Result{
			Split:        len(ds) > 1 || len(states) > 1,
			States:       noStates,
			Districts:    noDistricts,
			Members:      []*Member{},
			Vacancies:    noVacancies,
			NeedsAddress: needsAddress,
		}
		if len(states) > 0 {
			r.States = slices.Clone(states)
		}
		if len(ds) > 0 {
			r.Districts = slices.Clone(ds)
		}
		var vac []Vacancy
		for _, d := range ds {
			if m := house[d]; m != nil {
				r.Members = append(r.Members, m)
			} else {
				n := d.Number
				vac = append(vac, Vacancy{Chamber: House, State: d.State, District: &n})
			}
		}
		for _, st := range r.States {
			if !hasSenators(st) {
				continue
			}
			ss := senators[st]
			r.Members = append(r.Members, ss...)
			for range 2 - min(len(ss), 2) {
				vac = append(vac, Vacancy{Chamber: Senate, State: st})
			}
		}
		r.Members = slices.Clip(r.Members)
		if len(vac) > 0 {
			r.Vacancies = slices.Clip(vac)
		}
		return r
	}
	// Results are deduplicated on a compact key: per district the state
	// and number bytes, or "?" and the states for NeedsAddress answers.
	cache := map[string]uint16{} // key → code in dir.zip
	var key []byte
	intern := func(ds []District, states []string, needsAddress bool) (uint16, error) {
		key = key[:0]
		if needsAddress {
			key = append(key, '?')
			for _, s := range states {
				key = append(key, s...)
			}
		}
		for _, d := range ds {
			key = append(key, d.State[0], d.State[1], byte(d.Number))
		}
		if c, ok := cache[string(key)]; ok { // no allocation on a hit
			return c, nil
		}
		if len(dir.results)+int(zipFirstResult) > math.MaxUint16 {
			return 0, errors.New("too many distinct answers for the ZIP index")
		}
		c := zipFirstResult + uint16(len(dir.results))
		cache[string(key)] = c
		dir.results = append(dir.results, newResult(ds, states, needsAddress))
		return c, nil
	}

	dir.byDistrict = make(map[District]*Result, len(dir.districts))
	for _, d := range dir.districts {
		c, err := intern([]District{d}, nil, false)
		if err != nil {
			return err
		}
		dir.byDistrict[d] = dir.results[c-zipFirstResult]
	}
	for i := range geo.dists {
		geo.dists[i].res = dir.byDistrict[geo.dists[i].d]
	}
	dir.geo = geo

	// 1. ZCTAs from the crosswalk (rows are sorted by ZCTA), noting the
	// states seen under each 3-digit prefix for step 2. A ZCTA that
	// straddles a state line says nothing about which state owns the
	// prefix, so only single-state ZCTAs count there, unless a prefix has
	// none. This leaves only the truly shared prefixes (063 CT/NY, 739
	// OK/TX, 834 ID/WY) with several states.
	dir.zip = make([]uint16, 100000)
	var single, all [1000][]string
	var ds []District
	var states []string
	for i := 0; i < len(rows); {
		z := rows[i].ZCTA
		ds, states = ds[:0], states[:0]
		for ; i < len(rows) && rows[i].ZCTA == z; i++ {
			ds = append(ds, rows[i].D)
			if !slices.Contains(states, rows[i].D.State) {
				states = append(states, rows[i].D.State)
			}
		}
		c, err := intern(ds, nil, false)
		if err != nil {
			return err
		}
		dir.zip[z] = c
		p := z / 100
		for _, s := range states {
			if len(states) == 1 && !slices.Contains(single[p], s) {
				single[p] = append(single[p], s)
			}
			if !slices.Contains(all[p], s) {
				all[p] = append(all[p], s)
			}
		}
	}

	// 2. The answer for a ZIP with no ZCTA, per prefix.
	var byPrefix [1000]uint16
	for p := range byPrefix {
		states := single[p]
		if len(states) == 0 {
			states = all[p]
		}
		switch {
		case militaryPrefix(p):
			byPrefix[p] = zipMilitary
		case len(states) == 0:
			byPrefix[p] = zipUnknown
		case len(states) == 1 && seatsIn[states[0]] == 1:
			// One state with one seat (AK, WY, DC, ...): a PO box still
			// tells the House seat, so no address is needed.
			c, err := intern([]District{{states[0], 0}}, nil, false)
			if err != nil {
				return err
			}
			byPrefix[p] = c
		default:
			slices.Sort(states)
			c, err := intern(nil, states, true)
			if err != nil {
				return err
			}
			byPrefix[p] = c
		}
	}

	// 3. Every ZIP that is not a ZCTA.
	for z := range dir.zip {
		if dir.zip[z] != zipUnknown {
			continue
		}
		if d, ok := islandDistrict(z); ok && seats[d] {
			dir.zip[z] = codeOf(cache, d)
			continue
		}
		if outsideUS(z) {
			dir.zip[z] = zipOutside
			continue
		}
		dir.zip[z] = byPrefix[z/100]
	}
	return nil
}

// codeOf returns the ZIP-index code of a single district's result, which
// build has already interned.
func codeOf(cache map[string]uint16, d District) uint16 {
	return cache[string([]byte{d.State[0], d.State[1], byte(d.Number)})]
}

func rankOrder(rank string) int {
	switch rank {
	case "senior":
		return 0
	case "junior":
		return 1
	}
	return 2
}

// islandDistrict maps the island-area ZIPs that the crosswalk lacks to
// their single delegate district, by USPS range: VI 008xx, GU 96910–96938,
// MP 96950–96959, AS 96799.
func islandDistrict(z int) (District, bool) {
	switch {
	case z >= 800 && z <= 899:
		return District{"VI", 0}, true
	case z >= 96910 && z <= 96938:
		return District{"GU", 0}, true
	case z >= 96950 && z <= 96959:
		return District{"MP", 0}, true
	case z == 96799:
		return District{"AS", 0}, true
	}
	return District{}, false
}

// outsideUS reports the USPS ZIPs of the Freely Associated States (Palau
// 96939–96940, Micronesia 96941–96944, Marshall Islands 96960 and 96970):
// they look like Guam's but have no seat in Congress.
func outsideUS(z int) bool {
	return (z >= 96939 && z <= 96944) || z == 96960 || z == 96970
}

// militaryPrefix reports the APO/FPO/DPO prefixes: 090–098 (AE), 340
// (AA) and 962–966 (AP).
func militaryPrefix(p int) bool {
	return (p >= 90 && p <= 98) || p == 340 || (p >= 962 && p <= 966)
}

// AsOf is the snapshot date of the data, YYYY-MM-DD.
func (dir *Directory) AsOf() string { return dir.meta.AsOf }

// Source says where the data was loaded from: "embedded" or a directory.
func (dir *Directory) Source() string { return dir.source }

// Members returns all members sorted by state, chamber (house first),
// district and name. The slice is a copy; the Members are shared.
func (dir *Directory) Members() []*Member { return slices.Clone(dir.members) }

// Member finds a member by bioguide id (e.g. "P000197").
func (dir *Directory) Member(bioguideID string) (*Member, bool) {
	m, ok := dir.byID[bioguideID]
	return m, ok
}

// Districts returns every House seat (435 districts and the 6 non-voting
// seats), sorted. The slice is a copy.
func (dir *Directory) Districts() []District { return slices.Clone(dir.districts) }

// LookupZIP answers for a ZIP or ZIP+4 typed by a supporter. The Result
// is shared and must not be modified. It does not allocate.
//
// A ZIP that is a Census ZCTA gets its districts (Split when several) and
// the senators of every state it touches. A real ZIP with no ZCTA (PO
// boxes, single-firm ZIPs) gets its state's senators and NeedsAddress,
// unless the state has one seat. Errors: ErrInvalidZIP, ErrMilitaryZIP,
// ErrUnknownZIP (prefix not used by any state or territory), ErrOutsideUS
// (Freely Associated States).
func (dir *Directory) LookupZIP(zip string) (*Result, error) {
	z, err := ParseZIP(zip)
	if err != nil {
		return nil, err
	}
	switch c := dir.zip[z]; c {
	case zipUnknown:
		return nil, ErrUnknownZIP
	case zipMilitary:
		return nil, ErrMilitaryZIP
	case zipOutside:
		return nil, ErrOutsideUS
	default:
		return dir.results[c-zipFirstResult], nil
	}
}

// LookupPoint answers for a coordinate (WGS84 degrees) by point-in-polygon
// against the 119th district boundaries. A point just off the clipped
// shoreline (within 10 km of a district) gets the nearest district. The
// boundaries are 1:500,000, so within tens of metres of a district line
// the answer can be wrong; use a geocoder's district for exact addresses.
// Errors: ErrInvalidPoint, ErrOutsideUS.
func (dir *Directory) LookupPoint(lat, lon float64) (*Result, error) {
	if !(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) { // also rejects NaN
		return nil, ErrInvalidPoint
	}
	i := dir.geo.locate(lat, lon)
	if i < 0 {
		return nil, ErrOutsideUS
	}
	return dir.geo.dists[i].res, nil
}

// ForDistrict answers for a district named by a geocoder or chosen by the
// supporter (after a Split answer). The state is matched case-blind and
// number 98 (the Census code for non-voting seats) means 0. Error:
// ErrUnknownDistrict.
func (dir *Directory) ForDistrict(d District) (*Result, error) {
	d.State = strings.ToUpper(strings.TrimSpace(d.State))
	if d.Number == 98 {
		d.Number = 0
	}
	if r := dir.byDistrict[d]; r != nil {
		return r, nil
	}
	return nil, ErrUnknownDistrict
}
