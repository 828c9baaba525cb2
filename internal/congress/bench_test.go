package congress

import (
	"archive/zip"
	"bufio"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// gazetteerPoint is a ZCTA's internal point from the Census Gazetteer.
type gazetteerPoint struct {
	zcta     string
	lat, lon float64
}

// readGazetteer reads the 2022 ZCTA Gazetteer (tab-separated, trailing
// blanks on the last column) from the shared upstream data.
func readGazetteer(t testing.TB) []gazetteerPoint {
	t.Helper()
	upstreamOptions(t, "") // skips, or fails under CI, when absent
	zr, err := zip.OpenReader(filepath.Join(sharedData, "census-zcta-gazetteer/2022_Gaz_zcta_national.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 1 {
		t.Fatalf("gazetteer zip holds %d files", len(zr.File))
	}
	f, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var pts []gazetteerPoint
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != 7 {
			t.Fatalf("gazetteer line %q", sc.Text())
		}
		lat, err1 := strconv.ParseFloat(strings.TrimSpace(fields[5]), 64)
		lon, err2 := strconv.ParseFloat(strings.TrimSpace(fields[6]), 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("gazetteer line %q", sc.Text())
		}
		pts = append(pts, gazetteerPoint{strings.TrimSpace(fields[0]), lat, lon})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return pts
}

// TestGazetteerAgrees is the independent cross-check of PROVENANCE §5:
// every ZCTA's internal point must fall (or be nearest) in one of the
// districts LookupZIP gives for that ZCTA, including the island ZCTAs that
// are mapped by rule.
func TestGazetteerAgrees(t *testing.T) {
	if testing.Short() {
		t.Skip("33,791 point lookups; skipped in -short mode")
	}
	dir := testDir(t)
	pts := readGazetteer(t)
	if len(pts) != 33791 {
		t.Errorf("%d gazetteer ZCTAs, want 33,791", len(pts))
	}
	bad := 0
	for _, p := range pts {
		zr, err := dir.LookupZIP(p.zcta)
		if err != nil || zr.NeedsAddress {
			t.Errorf("ZCTA %s: LookupZIP = %+v, %v", p.zcta, zr, err)
			bad++
			continue
		}
		pr, err := dir.LookupPoint(p.lat, p.lon)
		if err != nil {
			t.Errorf("ZCTA %s point (%v, %v): %v", p.zcta, p.lat, p.lon, err)
			bad++
			continue
		}
		if !slices.Contains(zr.Districts, pr.Districts[0]) {
			t.Errorf("ZCTA %s: point in %v, ZIP gives %v", p.zcta, pr.Districts[0], zr.Districts)
			bad++
		}
		if bad > 20 {
			t.Fatal("too many disagreements")
		}
	}
}

func BenchmarkLookupZIP(b *testing.B) {
	dir := testDir(b)
	zips := []string{"94110", "57717", "12345", "99501", "20001", "43215-1234", "78852", "02861"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := dir.LookupZIP(zips[i%len(zips)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLookupPoint(b *testing.B) {
	dir := testDir(b)
	pts := [][2]float64{
		{37.7599, -122.4148}, // SF
		{61.2181, -149.9003}, // Anchorage (AK: many rings)
		{38.8899, -77.0091},  // DC
		{40.7128, -74.0060},  // NYC
		{29.7604, -95.3698},  // Houston
		{41.8781, -87.6298},  // Chicago
		{44.9778, -93.2650},  // Minneapolis
		{35, -40},            // Atlantic: outside
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		p := pts[i%len(pts)]
		dir.LookupPoint(p[0], p[1])
	}
}

// BenchmarkLookupPointGazetteer spreads lookups over every ZCTA centre,
// a fair sample of where supporters live.
func BenchmarkLookupPointGazetteer(b *testing.B) {
	dir := testDir(b)
	pts := readGazetteer(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		p := pts[(i*7919)%len(pts)]
		dir.LookupPoint(p.lat, p.lon)
	}
}

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadEmbedded(); err != nil {
			b.Fatal(err)
		}
	}
}
