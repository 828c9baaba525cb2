package congress

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/outreach-org/outreach/internal/usstate"
	"gopkg.in/yaml.v3"
)

// ImportOptions names the upstream files for Import. All paths are
// required except AsOf.
type ImportOptions struct {
	// LegislatorsPath is congress-legislators' legislators-current, .json
	// or .yaml (chosen by extension).
	LegislatorsPath string
	// OfficesPath is legislators-district-offices, .json or .yaml.
	OfficesPath string
	// ZIPsPath is the us-zipcodes-congress crosswalk CSV
	// (state_fips,state_abbr,zcta,cd). Use zccd_9222c49.csv: the later
	// zccd.csv drops states from ZCTAs that straddle a state line.
	ZIPsPath string
	// BoundariesPath is the quantized TopoJSON of the 119th districts
	// (properties STATEFP, CD119FP).
	BoundariesPath string
	// CommitteesPath and MembershipPath are congress-legislators'
	// committees-current.yaml and committee-membership-current.yaml, from
	// the same snapshot as LegislatorsPath: every seat must be held by a
	// current member.
	CommitteesPath string
	MembershipPath string
	// AsOf is the snapshot date, YYYY-MM-DD. Empty means the latest start
	// date of any current term. It is recorded, never used to filter: a
	// member whose term end has passed stays until the data says otherwise.
	AsOf string
	// OutDir receives the data files; it is created if needed.
	OutDir string
}

// Import reads the upstream files in their upstream formats, checks them
// against each other and writes the compact data directory that Load
// reads (format in format.go). The output depends only on the input bytes
// and AsOf, so re-running it reproduces the committed files exactly.
// meta.json is written last, so a directory that has it is complete.
func Import(opts ImportOptions) error {
	for _, p := range []struct{ name, v string }{
		{"LegislatorsPath", opts.LegislatorsPath}, {"OfficesPath", opts.OfficesPath},
		{"ZIPsPath", opts.ZIPsPath}, {"BoundariesPath", opts.BoundariesPath}, {"OutDir", opts.OutDir},
		{"CommitteesPath", opts.CommitteesPath}, {"MembershipPath", opts.MembershipPath},
	} {
		if p.v == "" {
			return fmt.Errorf("congress import: %s is required", p.name)
		}
	}
	if opts.AsOf != "" {
		if _, err := time.Parse(time.DateOnly, opts.AsOf); err != nil {
			return fmt.Errorf("congress import: AsOf %q is not a YYYY-MM-DD date", opts.AsOf)
		}
	}

	var meta metaFile
	meta.Format = dataFormat
	read := func(path string, src *metaSource) ([]byte, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("congress import: %w", err)
		}
		*src = metaSource{File: filepath.Base(path), SHA256: sha256Hex(b)}
		return b, nil
	}
	legB, err := read(opts.LegislatorsPath, &meta.Sources.Legislators)
	if err != nil {
		return err
	}
	offB, err := read(opts.OfficesPath, &meta.Sources.Offices)
	if err != nil {
		return err
	}
	zipB, err := read(opts.ZIPsPath, &meta.Sources.ZIPs)
	if err != nil {
		return err
	}
	geoB, err := read(opts.BoundariesPath, &meta.Sources.Boundaries)
	if err != nil {
		return err
	}

	comB, err := read(opts.CommitteesPath, &meta.Sources.Committees)
	if err != nil {
		return err
	}
	memB, err := read(opts.MembershipPath, &meta.Sources.Membership)
	if err != nil {
		return err
	}

	members, latestStart, err := parseLegislators(opts.LegislatorsPath, legB)
	if err != nil {
		return err
	}
	committees, err := parseCommittees(opts.CommitteesPath, comB, opts.MembershipPath, memB, members)
	if err != nil {
		return err
	}
	for _, c := range committees {
		if c.ParentID == "" {
			meta.Counts.Committees++
		} else {
			meta.Counts.Subcommittees++
		}
		meta.Counts.CommitteeSeats += len(c.Seats)
	}
	nOffices, err := attachOffices(opts.OfficesPath, offB, members)
	if err != nil {
		return err
	}
	rows, err := parseCrosswalk(opts.ZIPsPath, zipB)
	if err != nil {
		return err
	}
	tr, dists, congressNo, err := parseTopoJSON(opts.BoundariesPath, geoB)
	if err != nil {
		return err
	}

	// Cross-checks: every seat named by the crosswalk or held by a member
	// must have a boundary, or lookups by ZIP and by point would disagree.
	seats := map[District]bool{}
	for _, d := range dists {
		seats[d.D] = true
	}
	for _, r := range rows {
		if !seats[r.D] {
			return fmt.Errorf("congress import: %s names %s, which has no boundary in %s", opts.ZIPsPath, r.D.Label(), opts.BoundariesPath)
		}
	}
	held := map[District]bool{}
	for _, m := range members {
		switch d, ok := m.Seat(); {
		case !ok:
			meta.Counts.Senators++
			if !hasSenators(m.State) {
				return fmt.Errorf("congress import: senator %s from %s, which has no Senate seats", m.BioguideID, m.State)
			}
		case !seats[d]:
			return fmt.Errorf("congress import: %s holds %s, which has no boundary in %s", m.BioguideID, d.Label(), opts.BoundariesPath)
		default:
			held[d] = true
			if m.Title == "Representative" {
				meta.Counts.Representatives++
			} else {
				meta.Counts.NonVoting++
			}
		}
	}
	meta.Vacancies = []string{}
	for _, d := range dists {
		if !held[d.D] {
			meta.Vacancies = append(meta.Vacancies, d.D.Label())
		}
	}

	meta.Congress = congressNo
	meta.AsOf = opts.AsOf
	if meta.AsOf == "" {
		meta.AsOf = latestStart
	}
	meta.Counts.Members = len(members)
	meta.Counts.DistrictOffices = nOffices
	meta.Counts.ZCTARows = len(rows)
	for i, r := range rows {
		if i == 0 || r.ZCTA != rows[i-1].ZCTA {
			meta.Counts.ZCTAs++
		}
	}
	meta.Counts.Districts = len(dists)
	for _, d := range dists {
		for _, p := range d.Polygons {
			meta.Counts.Rings += len(p)
			for _, r := range p {
				meta.Counts.Points += len(r) / 2
			}
		}
	}

	membersJSON, err := encodeMembers(members)
	if err != nil {
		return fmt.Errorf("congress import: %w", err)
	}
	committeesJSON, err := encodeCommittees(committees)
	if err != nil {
		return fmt.Errorf("congress import: %w", err)
	}
	outputs := []struct {
		name string
		raw  []byte
	}{
		{membersFileName, membersJSON},
		{zctaFileName, encodeZCTA(rows)},
		{districtsFileName, encodeDistricts(tr, dists)},
		{committeesFileName, committeesJSON},
	}
	// Private like the rest of the data directory (0700, files 0600).
	if err := os.MkdirAll(opts.OutDir, 0o700); err != nil {
		return fmt.Errorf("congress import: %w", err)
	}
	// Remove meta.json first: until the new one is written the directory
	// is incomplete, and Load must not pick it up half-updated.
	if err := os.Remove(filepath.Join(opts.OutDir, metaFileName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("congress import: %w", err)
	}
	meta.Files = map[string]string{}
	for _, o := range outputs {
		b := o.raw
		if strings.HasSuffix(o.name, ".gz") {
			if b, err = gzipBytes(o.raw); err != nil {
				return fmt.Errorf("congress import: %s: %w", o.name, err)
			}
		}
		meta.Files[o.name] = sha256Hex(b)
		if err := writeFileAtomic(filepath.Join(opts.OutDir, o.name), b); err != nil {
			return err
		}
	}
	mb, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return fmt.Errorf("congress import: %w", err)
	}
	return writeFileAtomic(filepath.Join(opts.OutDir, metaFileName), append(mb, '\n'))
}

func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	_ = os.Remove(tmp) // a leftover keeps its mode through WriteFile
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("congress import: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("congress import: %w", err)
	}
	return nil
}

// decodeUpstream decodes JSON with encoding/json and YAML with yaml.v3,
// picked by file extension; the struct tags are the same for both.
func decodeUpstream(path string, b []byte, v any) error {
	var err error
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		err = json.Unmarshal(b, v)
	case ".yaml", ".yml":
		err = yaml.Unmarshal(b, v)
	default:
		return fmt.Errorf("congress import: %s: want a .json or .yaml file", path)
	}
	if err != nil {
		return fmt.Errorf("congress import: %s: %w", path, err)
	}
	return nil
}

// text is an upstream string field. The JSON edition sometimes writes a
// number where the YAML has a string (suite 2002 vs "2002"); text takes
// either and keeps the digits as written. YAML scalars already decode into
// string kinds as written.
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*t = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = text(s)
	case len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9'):
		*t = text(b)
	default:
		return fmt.Errorf("want a string, got %s", b)
	}
	return nil
}

// gender keeps upstream's "F" and "M"; anything else is unknown ("").
func gender(g string) string {
	if g == "F" || g == "M" {
		return g
	}
	return ""
}

// s returns the value with surrounding blanks removed.
func (t text) s() string { return strings.TrimSpace(string(t)) }

// Upstream congress-legislators records, only the fields we keep.
type upLegislator struct {
	ID struct {
		Bioguide text `json:"bioguide" yaml:"bioguide"`
	} `json:"id" yaml:"id"`
	Name struct {
		First        text `json:"first" yaml:"first"`
		Middle       text `json:"middle" yaml:"middle"`
		Last         text `json:"last" yaml:"last"`
		Suffix       text `json:"suffix" yaml:"suffix"`
		Nickname     text `json:"nickname" yaml:"nickname"`
		OfficialFull text `json:"official_full" yaml:"official_full"`
	} `json:"name" yaml:"name"`
	Bio struct {
		Gender text `json:"gender" yaml:"gender"`
	} `json:"bio" yaml:"bio"`
	Terms []struct {
		Type        text `json:"type" yaml:"type"`
		Start       text `json:"start" yaml:"start"`
		End         text `json:"end" yaml:"end"`
		EndType     text `json:"end-type" yaml:"end-type"`
		State       text `json:"state" yaml:"state"`
		District    *int `json:"district" yaml:"district"`
		Class       int  `json:"class" yaml:"class"`
		StateRank   text `json:"state_rank" yaml:"state_rank"`
		Party       text `json:"party" yaml:"party"`
		URL         text `json:"url" yaml:"url"`
		Address     text `json:"address" yaml:"address"`
		Office      text `json:"office" yaml:"office"`
		Phone       text `json:"phone" yaml:"phone"`
		ContactForm text `json:"contact_form" yaml:"contact_form"`
	} `json:"terms" yaml:"terms"`
}

type upOffices struct {
	ID struct {
		Bioguide text `json:"bioguide" yaml:"bioguide"`
	} `json:"id" yaml:"id"`
	Offices []struct {
		Address  text `json:"address" yaml:"address"`
		Suite    text `json:"suite" yaml:"suite"`
		Building text `json:"building" yaml:"building"`
		City     text `json:"city" yaml:"city"`
		State    text `json:"state" yaml:"state"`
		ZIP      text `json:"zip" yaml:"zip"`
		Phone    text `json:"phone" yaml:"phone"`
	} `json:"offices" yaml:"offices"`
}

// parseLegislators builds Members from each person's current (last) term.
// It never looks at today's date: the snapshot is the truth.
func parseLegislators(path string, b []byte) ([]*Member, string, error) {
	var ups []upLegislator
	if err := decodeUpstream(path, b, &ups); err != nil {
		return nil, "", err
	}
	bad := func(id, format string, args ...any) error {
		return fmt.Errorf("congress import: %s: %s: %s", path, id, fmt.Sprintf(format, args...))
	}
	var members []*Member
	seen := map[string]bool{}
	seats := map[District]string{}
	senators := map[string]int{}
	latest := ""
	for i, u := range ups {
		id := u.ID.Bioguide.s()
		if id == "" {
			return nil, "", bad("#"+strconv.Itoa(i), "no bioguide id")
		}
		if seen[id] {
			return nil, "", bad(id, "listed twice")
		}
		seen[id] = true
		if len(u.Terms) == 0 {
			return nil, "", bad(id, "no terms")
		}
		t := u.Terms[len(u.Terms)-1]
		if !isStateCode(t.State.s()) {
			return nil, "", bad(id, "bad state %q", t.State.s())
		}
		for _, d := range []string{t.Start.s(), t.End.s()} {
			if _, err := time.Parse(time.DateOnly, d); err != nil {
				return nil, "", bad(id, "bad term date %q", d)
			}
		}
		latest = max(latest, t.Start.s())
		m := &Member{
			BioguideID:    id,
			Name:          u.Name.OfficialFull.s(),
			FirstName:     u.Name.First.s(),
			MiddleName:    u.Name.Middle.s(),
			LastName:      u.Name.Last.s(),
			Suffix:        u.Name.Suffix.s(),
			Nickname:      u.Name.Nickname.s(),
			Gender:        gender(u.Bio.Gender.s()),
			Party:         t.Party.s(),
			State:         t.State.s(),
			Phone:         t.Phone.s(),
			URL:           t.URL.s(),
			ContactForm:   t.ContactForm.s(),
			OfficeAddress: t.Address.s(),
			TermStart:     t.Start.s(),
			TermEnd:       t.End.s(),
			TermEndType:   t.EndType.s(),
		}
		if m.Name == "" { // e.g. Mejia M001246, Gallagher G000607
			m.Name = strings.TrimSpace(m.FirstName + " " + m.LastName)
		}
		if m.OfficeAddress == "" {
			m.OfficeAddress = t.Office.s()
		}
		switch t.Type.s() {
		case "sen":
			m.Chamber, m.Title = Senate, "Senator"
			m.SenateClass, m.StateRank = t.Class, t.StateRank.s()
			if m.SenateClass < 1 || m.SenateClass > 3 {
				return nil, "", bad(id, "senator without a valid class")
			}
			if senators[m.State]++; senators[m.State] > 2 {
				return nil, "", bad(id, "a third senator for %s", m.State)
			}
		case "rep":
			if t.District == nil || *t.District < 0 || *t.District > 99 {
				return nil, "", bad(id, "representative without a valid district")
			}
			n := *t.District
			m.Chamber, m.District = House, &n
			switch {
			case m.State == "PR":
				m.Title = "Resident Commissioner"
			case !hasSenators(m.State):
				m.Title = "Delegate"
			default:
				m.Title = "Representative"
			}
			d := District{m.State, n}
			if other, dup := seats[d]; dup {
				return nil, "", bad(id, "%s is also held by %s", d.Label(), other)
			}
			seats[d] = id
		default:
			return nil, "", bad(id, "unknown term type %q", t.Type.s())
		}
		members = append(members, m)
	}
	if len(members) == 0 {
		return nil, "", fmt.Errorf("congress import: %s: no members", path)
	}
	sortMembers(members)
	return members, latest, nil
}

// attachOffices adds district offices to members, keeping upstream order.
// Offices of people who are not current members are ignored.
func attachOffices(path string, b []byte, members []*Member) (int, error) {
	var ups []upOffices
	if err := decodeUpstream(path, b, &ups); err != nil {
		return 0, err
	}
	byID := map[string]*Member{}
	for _, m := range members {
		byID[m.BioguideID] = m
	}
	n := 0
	for _, u := range ups {
		m := byID[u.ID.Bioguide.s()]
		if m == nil {
			continue
		}
		for _, o := range u.Offices {
			m.Offices = append(m.Offices, Office{
				Address:  o.Address.s(),
				Suite:    o.Suite.s(),
				Building: o.Building.s(),
				City:     o.City.s(),
				State:    o.State.s(),
				ZIP:      o.ZIP.s(),
				Phone:    o.Phone.s(),
			})
			n++
		}
	}
	return n, nil
}

// parseCrosswalk reads the ZCTA→district CSV, checks the state FIPS code
// against the postal code, and returns distinct rows sorted by ZCTA, state
// and district. The upstream file repeats rows (5,879 exact duplicates in
// zccd_9222c49.csv); deduplicating on (state, zcta, cd) keeps ZCTAs that
// straddle a state line in both states.
func parseCrosswalk(path string, b []byte) ([]zctaRow, error) {
	r := csv.NewReader(bytes.NewReader(b))
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("congress import: %s: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	idx := [4]int{}
	for i, name := range []string{"state_fips", "state_abbr", "zcta", "cd"} {
		c, ok := col[name]
		if !ok {
			return nil, fmt.Errorf("congress import: %s: no %q column", path, name)
		}
		idx[i] = c
	}
	set := map[zctaRow]bool{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("congress import: %s: %w", path, err)
		}
		line, _ := r.FieldPos(0)
		fips, st := strings.TrimSpace(rec[idx[0]]), strings.TrimSpace(rec[idx[1]])
		zs, cds := strings.TrimSpace(rec[idx[2]]), strings.TrimSpace(rec[idx[3]])
		if want := stateForFIPS(fips); want == "" || want != st {
			return nil, fmt.Errorf("congress import: %s line %d: state %q does not match FIPS %q", path, line, st, fips)
		}
		if len(zs) != 5 || !allDigits(zs) {
			return nil, fmt.Errorf("congress import: %s line %d: bad zcta %q", path, line, zs)
		}
		cd, err := strconv.Atoi(cds)
		if err != nil || cd < 0 || cd > 99 {
			return nil, fmt.Errorf("congress import: %s line %d: bad cd %q", path, line, cds)
		}
		if cd == 98 { // Census code for a non-voting seat
			cd = 0
		}
		z, _ := ParseZIP(zs)
		set[zctaRow{ZCTA: z, D: District{State: st, Number: cd}}] = true
	}
	rows := make([]zctaRow, 0, len(set))
	for k := range set {
		rows = append(rows, k)
	}
	slices.SortFunc(rows, func(a, b zctaRow) int {
		if a.ZCTA != b.ZCTA {
			return a.ZCTA - b.ZCTA
		}
		return compareDistricts(a.D, b.D)
	})
	if len(rows) == 0 {
		return nil, fmt.Errorf("congress import: %s: no rows", path)
	}
	return rows, nil
}

// topoJSON is the part of a TopoJSON Topology we read.
type topoJSON struct {
	Type      string `json:"type"`
	Transform *struct {
		Scale     [2]float64 `json:"scale"`
		Translate [2]float64 `json:"translate"`
	} `json:"transform"`
	Arcs    [][][2]int64 `json:"arcs"`
	Objects map[string]struct {
		Type       string `json:"type"`
		Geometries []struct {
			Type       string          `json:"type"`
			Arcs       json.RawMessage `json:"arcs"`
			Properties struct {
				STATEFP string `json:"STATEFP"`
				CD119FP string `json:"CD119FP"`
				CDSESSN string `json:"CDSESSN"`
			} `json:"properties"`
		} `json:"geometries"`
	} `json:"objects"`
}

// parseTopoJSON decodes the quantized, delta-encoded TopoJSON into closed
// rings of absolute quantized coordinates per district, sorted by
// district. Arcs shared by two districts are copied into both: that costs
// some size but lets each district be tested on its own.
func parseTopoJSON(path string, b []byte) (geoTransform, []geoDistrict, int, error) {
	fail := func(format string, args ...any) (geoTransform, []geoDistrict, int, error) {
		return geoTransform{}, nil, 0, fmt.Errorf("congress import: %s: %s", path, fmt.Sprintf(format, args...))
	}
	var topo topoJSON
	if err := json.Unmarshal(b, &topo); err != nil {
		return fail("%v", err)
	}
	if topo.Type != "Topology" {
		return fail("not a TopoJSON Topology")
	}
	if topo.Transform == nil {
		return fail("not quantized (no transform); quantized coordinates are needed")
	}
	tr := geoTransform{topo.Transform.Scale[0], topo.Transform.Scale[1], topo.Transform.Translate[0], topo.Transform.Translate[1]}
	if !(tr.ScaleX > 0 && tr.ScaleY > 0) {
		return fail("bad transform scale")
	}
	// Absolute coordinates of every arc (delta decoding).
	arcs := make([][]int32, len(topo.Arcs))
	for i, a := range topo.Arcs {
		pts := make([]int32, 0, 2*len(a))
		var x, y int64
		for _, p := range a {
			x, y = x+p[0], y+p[1]
			if x < math.MinInt32 || x > math.MaxInt32 || y < math.MinInt32 || y > math.MaxInt32 {
				return fail("arc %d leaves int32 range", i)
			}
			pts = append(pts, int32(x), int32(y))
		}
		arcs[i] = pts
	}
	ring := func(refs []int) ([]int32, error) {
		var r []int32
		for _, ref := range refs {
			i, rev := ref, false
			if ref < 0 {
				i, rev = ^ref, true
			}
			if i >= len(arcs) {
				return nil, fmt.Errorf("arc %d out of range", ref)
			}
			a := arcs[i]
			for k := 0; k < len(a); k += 2 {
				p := k
				if rev {
					p = len(a) - 2 - k
				}
				x, y := a[p], a[p+1]
				// Skip the joint shared with the previous arc and any
				// repeated point; neither changes the shape.
				if n := len(r); n >= 2 && r[n-2] == x && r[n-1] == y {
					continue
				}
				r = append(r, x, y)
			}
		}
		if n := len(r); n >= 4 && r[0] == r[n-2] && r[1] == r[n-1] {
			r = r[:n-2] // implicitly closed
		}
		return r, nil
	}

	names := make([]string, 0, len(topo.Objects))
	for k := range topo.Objects {
		names = append(names, k)
	}
	slices.Sort(names)
	byDistrict := map[District]*geoDistrict{}
	congressNo := 0
	for _, name := range names {
		for gi, g := range topo.Objects[name].Geometries {
			p := g.Properties
			st := stateForFIPS(p.STATEFP)
			if st == "" || len(p.CD119FP) != 2 || !allDigits(p.CD119FP) {
				return fail("%s geometry %d: bad STATEFP %q / CD119FP %q", name, gi, p.STATEFP, p.CD119FP)
			}
			num, _ := strconv.Atoi(p.CD119FP)
			if num == 98 { // "00" is at-large, "98" a non-voting seat: both are 0 here
				num = 0
			}
			if p.CDSESSN != "" {
				c, err := strconv.Atoi(p.CDSESSN)
				if err != nil || (congressNo != 0 && c != congressNo) {
					return fail("%s geometry %d: CDSESSN %q differs from others", name, gi, p.CDSESSN)
				}
				congressNo = c
			}
			var polys [][][]int
			switch g.Type {
			case "Polygon":
				var rs [][]int
				if err := json.Unmarshal(g.Arcs, &rs); err != nil {
					return fail("%s geometry %d: %v", name, gi, err)
				}
				polys = [][][]int{rs}
			case "MultiPolygon":
				if err := json.Unmarshal(g.Arcs, &polys); err != nil {
					return fail("%s geometry %d: %v", name, gi, err)
				}
			default:
				return fail("%s geometry %d: type %q, want Polygon or MultiPolygon", name, gi, g.Type)
			}
			d := District{st, num}
			gd := byDistrict[d]
			if gd == nil {
				gd = &geoDistrict{D: d}
				byDistrict[d] = gd
			}
			for _, poly := range polys {
				var rings [][]int32
				for _, refs := range poly {
					r, err := ring(refs)
					if err != nil {
						return fail("%s geometry %d: %v", name, gi, err)
					}
					if len(r) >= 6 { // a ring needs 3 distinct points
						rings = append(rings, r)
					} else if len(rings) == 0 {
						break // degenerate outer ring: drop the polygon
					}
				}
				if len(rings) > 0 {
					gd.Polygons = append(gd.Polygons, rings)
				}
			}
		}
	}
	if len(byDistrict) == 0 {
		return fail("no districts")
	}
	dists := make([]geoDistrict, 0, len(byDistrict))
	for _, gd := range byDistrict {
		if len(gd.Polygons) == 0 {
			return fail("%s has no usable polygon", gd.D.Label())
		}
		dists = append(dists, *gd)
	}
	slices.SortFunc(dists, func(a, b geoDistrict) int { return compareDistricts(a.D, b.D) })
	return tr, dists, congressNo, nil
}

func compareDistricts(a, b District) int {
	if c := strings.Compare(a.State, b.State); c != 0 {
		return c
	}
	return a.Number - b.Number
}

func isStateCode(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// stateForFIPS maps a two-digit state FIPS code to the postal code of a
// place that elects a member of Congress; "" if unknown.
func stateForFIPS(fips string) string {
	if p, ok := usstate.ByFIPS(fips); ok && p.Kind != usstate.Outlying {
		return p.Code
	}
	return ""
}
