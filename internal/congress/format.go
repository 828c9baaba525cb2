package congress

// This file holds the compact on-disk form written by Import and read by
// Load. A data directory holds five files:
//
//	meta.json        as_of date, source names and sha256s, output sha256s, counts.
//	                 Written last: its presence marks a complete directory.
//	members.json.gz  gzip of a JSON array of Member (the exported json tags),
//	                 sorted by state, chamber, district, last and first name.
//	zcta_cd.csv.gz   gzip of "zcta,state,cd" lines (header first), one per
//	                 distinct (zcta, state, district), sorted. cd 0 = at-large
//	                 or non-voting seat.
//	districts.bin    the boundary polygons, format below. Not gzipped: its
//	                 varint deltas are nearly incompressible (gzip -9 saves
//	                 12%, 1.49 → 1.32 MB) while inflating them was most of
//	                 Load's time.
//
//	committees.json.gz  gzip of {"committees": [Committee, ...]} (the exported
//	                 json tags), committees in upstream order, each followed
//	                 by its subcommittees; seats majority first, by rank.
//
// Every gzip stream has an empty header (no name, ModTime 0) and level 9,
// so that the same inputs give the same bytes.
//
// districts.bin, all integers little-endian:
//
//	magic      8 bytes  "OUTRCD1\n"
//	transform  4 × float64: scale_x, scale_y, translate_x, translate_y;
//	           lon = translate_x + x*scale_x, lat = translate_y + y*scale_y
//	           (the TopoJSON quantization, kept so coordinates stay exact
//	           int32s)
//	uvarint    number of districts
//	uvarint    total number of rings   (lets the reader size its slices)
//	uvarint    total number of points
//	then for each district, sorted by state then number:
//	  2 bytes  state postal code, ASCII
//	  uvarint  district number (0 = at-large or non-voting seat)
//	  uvarint  number of polygons
//	  for each polygon:
//	    uvarint  number of rings (the first is the outer ring, then holes)
//	    for each ring:
//	      uvarint  number of points n (>= 3; the ring is implicitly closed,
//	               its first point is not repeated at the end)
//	      n × (varint dx, varint dy): zigzag varints (encoding/binary
//	               AppendVarint); the first point is relative to (0,0), each
//	               other point to the previous point of the same ring.
//
// Lookups use even-odd crossing over all rings of a district, so outer
// rings and holes need no orientation.

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// Names of the files in a data directory.
const (
	metaFileName       = "meta.json"
	membersFileName    = "members.json.gz"
	zctaFileName       = "zcta_cd.csv.gz"
	districtsFileName  = "districts.bin"
	committeesFileName = "committees.json.gz"

	// dataFormat is bumped when any file layout changes, so that Load
	// refuses a directory written by an incompatible importer.
	dataFormat = 3

	districtsMagic = "OUTRCD1\n"
	zctaHeader     = "zcta,state,cd"
)

// metaFile is the content of meta.json.
type metaFile struct {
	Format    int               `json:"format"`
	Congress  int               `json:"congress"`
	AsOf      string            `json:"as_of"`
	Sources   metaSources       `json:"sources"`
	Files     map[string]string `json:"files"` // output file name → sha256 (hex)
	Counts    metaCounts        `json:"counts"`
	Vacancies []string          `json:"vacancies"` // House seats with no member, e.g. "CA-14"
}

type metaSources struct {
	Legislators metaSource `json:"legislators"`
	Offices     metaSource `json:"offices"`
	ZIPs        metaSource `json:"zips"`
	Boundaries  metaSource `json:"boundaries"`
	Committees  metaSource `json:"committees"`
	Membership  metaSource `json:"committee_membership"`
}

type metaSource struct {
	File   string `json:"file"` // base name only, so output does not depend on where inputs live
	SHA256 string `json:"sha256"`
}

type metaCounts struct {
	Members         int `json:"members"`
	Senators        int `json:"senators"`
	Representatives int `json:"representatives"`
	NonVoting       int `json:"non_voting"` // delegates and the resident commissioner
	DistrictOffices int `json:"district_offices"`
	ZCTARows        int `json:"zcta_rows"`
	ZCTAs           int `json:"zctas"`
	Districts       int `json:"districts"`
	Rings           int `json:"rings"`
	Points          int `json:"points"`
	Committees      int `json:"committees"`
	Subcommittees   int `json:"subcommittees"`
	CommitteeSeats  int `json:"committee_seats"`
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// gzipBytes compresses deterministically: level 9, empty header.
func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func gunzipBytes(b []byte, sizeHint int) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	out := bytes.NewBuffer(make([]byte, 0, sizeHint))
	if _, err := io.Copy(out, r); err != nil {
		return nil, err
	}
	if err := r.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// zctaRow is one line of zcta_cd.csv: ZCTA zcta lies (partly) in district
// d.
type zctaRow struct {
	ZCTA int
	D    District
}

func encodeZCTA(rows []zctaRow) []byte {
	b := make([]byte, 0, len(rows)*12+16)
	b = append(b, zctaHeader...)
	b = append(b, '\n')
	for _, r := range rows {
		b = appendZIP(b, r.ZCTA)
		b = append(b, ',')
		b = append(b, r.D.State...)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(r.D.Number), 10)
		b = append(b, '\n')
	}
	return b
}

func appendZIP(b []byte, z int) []byte {
	return append(b, byte('0'+z/10000), byte('0'+z/1000%10), byte('0'+z/100%10), byte('0'+z/10%10), byte('0'+z%10))
}

// decodeZCTA parses zcta_cd.csv. It is a tiny fixed format, so a hand
// parser keeps Load fast: no allocation per row.
func decodeZCTA(b []byte) ([]zctaRow, error) {
	line, rest, _ := bytes.Cut(b, []byte{'\n'})
	if string(line) != zctaHeader {
		return nil, fmt.Errorf("%s: bad header %q", zctaFileName, line)
	}
	rows := make([]zctaRow, 0, bytes.Count(rest, []byte{'\n'}))
	states := map[string]string{} // interns state codes
	for n := 2; len(rest) > 0; n++ {
		line, rest, _ = bytes.Cut(rest, []byte{'\n'})
		// "zzzzz,SS,d" or "zzzzz,SS,dd"
		if len(line) < 10 || len(line) > 11 || line[5] != ',' || line[8] != ',' {
			return nil, fmt.Errorf("%s line %d: malformed %q", zctaFileName, n, line)
		}
		z, ok := atoi(line[:5])
		num, ok2 := atoi(line[9:])
		if !ok || !ok2 || !isStateCode(string(line[6:8])) {
			return nil, fmt.Errorf("%s line %d: malformed %q", zctaFileName, n, line)
		}
		s, ok := states[string(line[6:8])]
		if !ok {
			s = string(line[6:8])
			states[s] = s
		}
		rows = append(rows, zctaRow{ZCTA: z, D: District{State: s, Number: num}})
	}
	return rows, nil
}

// atoi parses a short run of ASCII digits.
func atoi(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(b) > 0
}

func encodeMembers(ms []*Member) ([]byte, error) { return encodeJSONLines("[\n", "]\n", ms) }

// encodeJSONLines writes xs as a JSON list, one element a line, between
// prefix and suffix: diffs of the data files then show which members or
// committees changed.
func encodeJSONLines[T any](prefix, suffix string, xs []T) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(prefix)
	for i, x := range xs {
		b, err := json.Marshal(x)
		if err != nil {
			return nil, err
		}
		buf.Write(b)
		if i < len(xs)-1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
	}
	buf.WriteString(suffix)
	return buf.Bytes(), nil
}

func decodeMembers(b []byte) ([]*Member, error) {
	var ms []*Member
	if err := json.Unmarshal(b, &ms); err != nil {
		return nil, fmt.Errorf("%s: %w", membersFileName, err)
	}
	return ms, nil
}

// geoDistrict is one district's boundary as read from or written to
// districts.bin: polygons of rings of points (x, y interleaved).
type geoDistrict struct {
	D        District
	Polygons [][][]int32
}

type geoTransform struct {
	ScaleX, ScaleY, TranslateX, TranslateY float64
}

func encodeDistricts(tr geoTransform, ds []geoDistrict) []byte {
	nr, np := 0, 0
	for _, d := range ds {
		for _, p := range d.Polygons {
			nr += len(p)
			for _, r := range p {
				np += len(r) / 2
			}
		}
	}
	b := make([]byte, 0, 64+np*4)
	b = append(b, districtsMagic...)
	for _, f := range [...]float64{tr.ScaleX, tr.ScaleY, tr.TranslateX, tr.TranslateY} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
	}
	b = binary.AppendUvarint(b, uint64(len(ds)))
	b = binary.AppendUvarint(b, uint64(nr))
	b = binary.AppendUvarint(b, uint64(np))
	for _, d := range ds {
		b = append(b, d.D.State[0], d.D.State[1])
		b = binary.AppendUvarint(b, uint64(d.D.Number))
		b = binary.AppendUvarint(b, uint64(len(d.Polygons)))
		for _, p := range d.Polygons {
			b = binary.AppendUvarint(b, uint64(len(p)))
			for _, r := range p {
				b = binary.AppendUvarint(b, uint64(len(r)/2))
				var px, py int32
				for i := 0; i < len(r); i += 2 {
					b = binary.AppendVarint(b, int64(r[i])-int64(px))
					b = binary.AppendVarint(b, int64(r[i+1])-int64(py))
					px, py = r[i], r[i+1]
				}
			}
		}
	}
	return b
}

// byteReader decodes varints from districts.bin, remembering the first
// error so the decoding loop stays readable.
type byteReader struct {
	b   []byte
	err error
}

func (r *byteReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *byteReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// fastVarint decodes a zigzag varint of at most two bytes inline, which
// covers almost all coordinate deltas, and falls back to varint.
func (r *byteReader) fastVarint() (int64, bool) {
	b := r.b
	if len(b) >= 2 {
		if b[0] < 0x80 {
			r.b = b[1:]
			u := uint64(b[0])
			return int64(u>>1) ^ -int64(u&1), true
		}
		if b[1] < 0x80 {
			r.b = b[2:]
			u := uint64(b[0]&0x7f) | uint64(b[1])<<7
			return int64(u>>1) ^ -int64(u&1), true
		}
	}
	v := r.varint()
	return v, r.err == nil
}

func (r *byteReader) bytes(n int) []byte {
	if len(r.b) < n {
		r.fail()
		return make([]byte, n)
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *byteReader) fail() {
	if r.err == nil {
		r.err = errors.New(districtsFileName + ": truncated or corrupt")
	}
	r.b = nil
}

// decodeDistricts reads districts.bin straight into the flat arrays used
// for lookups (one slab of points, one slice of rings), rather than into
// geoDistrict, to keep Load fast and its memory small.
func decodeDistricts(b []byte) (*geoIndex, error) {
	r := &byteReader{b: b}
	if string(r.bytes(len(districtsMagic))) != districtsMagic {
		return nil, errors.New(districtsFileName + ": not a districts file (bad magic)")
	}
	var f [4]float64
	for i := range f {
		f[i] = math.Float64frombits(binary.LittleEndian.Uint64(r.bytes(8)))
	}
	g := &geoIndex{tr: geoTransform{f[0], f[1], f[2], f[3]}}
	nd, nr, np := r.uvarint(), r.uvarint(), r.uvarint()
	if r.err != nil || nd > 1<<12 || nr > 1<<20 || np > 1<<26 {
		return nil, errors.New(districtsFileName + ": bad header")
	}
	g.dists = make([]geoDist, 0, nd)
	g.rings = make([]geoRing, 0, nr)
	g.pts = make([]int32, 0, 2*np)
	for range nd {
		st := string(r.bytes(2))
		num := r.uvarint()
		if !isStateCode(st) || num > 99 {
			return nil, errors.New(districtsFileName + ": bad district")
		}
		gd := geoDist{d: District{State: st, Number: int(num)}, rlo: int32(len(g.rings))}
		npoly := r.uvarint()
		for range npoly {
			nring := r.uvarint()
			for range nring {
				n := r.uvarint()
				if r.err != nil || n < 3 || uint64(len(g.pts))/2+n > np {
					return nil, errors.New(districtsFileName + ": bad ring")
				}
				ring := geoRing{lo: int32(len(g.pts) / 2), bbox: emptyBox()}
				var x, y int64
				for range n {
					dx, ok1 := r.fastVarint()
					dy, ok2 := r.fastVarint()
					x, y = x+dx, y+dy
					if !ok1 || !ok2 || x < math.MinInt32 || x > math.MaxInt32 || y < math.MinInt32 || y > math.MaxInt32 {
						return nil, errors.New(districtsFileName + ": bad point")
					}
					g.pts = append(g.pts, int32(x), int32(y))
					ring.bbox.add(int32(x), int32(y))
				}
				ring.hi = int32(len(g.pts) / 2)
				g.rings = append(g.rings, ring)
			}
		}
		if r.err != nil {
			return nil, r.err
		}
		gd.rhi = int32(len(g.rings))
		gd.bbox = emptyBox()
		for _, ring := range g.rings[gd.rlo:gd.rhi] {
			gd.bbox.union(ring.bbox)
		}
		g.dists = append(g.dists, gd)
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 || len(g.rings) != int(nr) || len(g.pts) != int(2*np) {
		return nil, errors.New(districtsFileName + ": counts do not match header")
	}
	return g, nil
}
