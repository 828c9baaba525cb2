package congress

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "regenerate data/ from ../../../shared/data")

// sharedData is where the upstream files live, relative to this package.
const sharedData = "../../../shared/data"

// committedAsOf is the snapshot date of the upstream files (PROVENANCE.md).
const committedAsOf = "2026-06-15"

// upstreamOptions returns the ImportOptions that generate the committed
// data, or skips the test when the upstream files are absent. Under CI=true
// a missing directory is a failure: CI must check the committed data.
func upstreamOptions(t testing.TB, outDir string) ImportOptions {
	t.Helper()
	if _, err := os.Stat(filepath.Join(sharedData, "PROVENANCE.md")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("upstream data not found at %s (required when CI=true): %v", sharedData, err)
		}
		t.Skipf("upstream data not found at %s; skipping (set it up to check the embedded data)", sharedData)
	}
	return ImportOptions{
		LegislatorsPath: filepath.Join(sharedData, "congress-legislators/legislators-current.json"),
		OfficesPath:     filepath.Join(sharedData, "congress-legislators/legislators-district-offices.json"),
		ZIPsPath:        filepath.Join(sharedData, "us-zipcodes-congress/zccd_9222c49.csv"),
		BoundariesPath:  filepath.Join(sharedData, "boundaries/us-congressional-districts-119.topojson"),
		CommitteesPath:  filepath.Join(sharedData, "congress-legislators/committees-current.yaml"),
		MembershipPath:  filepath.Join(sharedData, "congress-legislators/committee-membership-current.yaml"),
		AsOf:            committedAsOf,
		OutDir:          outDir,
	}
}

var dataFiles = []string{metaFileName, membersFileName, zctaFileName, districtsFileName, committeesFileName}

// TestImportReproducesEmbedded checks that data/ is exactly what Import
// makes from the upstream files. With -update it rewrites data/ instead.
func TestImportReproducesEmbedded(t *testing.T) {
	if *update {
		if err := Import(upstreamOptions(t, "data")); err != nil {
			t.Fatal(err)
		}
		t.Log("regenerated data/")
		return
	}
	out := t.TempDir()
	if err := Import(upstreamOptions(t, out)); err != nil {
		t.Fatal(err)
	}
	for _, name := range dataFiles {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("data", name))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(got, want) {
			continue
		}
		// Tell a data change from a compressor change (a new Go release
		// may gzip differently); either way, regenerate with -update.
		if filepath.Ext(name) == ".gz" {
			g, err1 := gunzipBytes(got, 0)
			w, err2 := gunzipBytes(want, 0)
			if err1 == nil && err2 == nil && bytes.Equal(g, w) {
				t.Errorf("%s: same content but different gzip bytes (compressor changed?); run go test -run TestImportReproducesEmbedded -update", name)
				continue
			}
		}
		t.Errorf("data/%s differs from a fresh import (%d vs %d bytes); run go test -run TestImportReproducesEmbedded -update", name, len(want), len(got))
	}
	if entries, err := os.ReadDir("data"); err == nil && len(entries) != len(dataFiles) {
		t.Errorf("data/ holds %d files, want exactly %v", len(entries), dataFiles)
	}
}

// TestImportYAMLMatchesJSON checks that the YAML and JSON editions of
// congress-legislators give the same members, so either can be imported.
func TestImportYAMLMatchesJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("YAML decoding is slow; skipped in -short mode")
	}
	opts := upstreamOptions(t, t.TempDir())
	opts.LegislatorsPath = filepath.Join(sharedData, "congress-legislators/legislators-current.yaml")
	opts.OfficesPath = filepath.Join(sharedData, "congress-legislators/legislators-district-offices.yaml")
	if err := Import(opts); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(opts.OutDir, membersFileName))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("data", membersFileName))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("members from the YAML files differ from those from the JSON files")
	}
}

// TestImportDefaultAsOf checks that an empty AsOf becomes the latest term
// start in the data, and that Load reads an import directory.
func TestImportDefaultAsOf(t *testing.T) {
	opts := upstreamOptions(t, t.TempDir())
	opts.AsOf = ""
	if err := Import(opts); err != nil {
		t.Fatal(err)
	}
	dir, err := Load(opts.OutDir)
	if err != nil {
		t.Fatal(err)
	}
	if dir.Source() != opts.OutDir {
		t.Errorf("Source() = %q, want %q", dir.Source(), opts.OutDir)
	}
	// Gallagher (CA-1) was sworn in on 2026-06-10, the latest start.
	if got := dir.AsOf(); got != "2026-06-10" {
		t.Errorf("default AsOf = %q, want 2026-06-10", got)
	}
}

func TestImportErrors(t *testing.T) {
	opts := upstreamOptions(t, t.TempDir())
	for name, mutate := range map[string]func(*ImportOptions){
		"bad AsOf":        func(o *ImportOptions) { o.AsOf = "15/06/2026" },
		"missing file":    func(o *ImportOptions) { o.ZIPsPath = filepath.Join(o.OutDir, "nope.csv") },
		"wrong extension": func(o *ImportOptions) { o.LegislatorsPath = o.ZIPsPath },
		"no OutDir":       func(o *ImportOptions) { o.OutDir = "" },
		"CSV as topojson": func(o *ImportOptions) { o.BoundariesPath = o.ZIPsPath },
	} {
		o := opts
		mutate(&o)
		if err := Import(o); err == nil {
			t.Errorf("%s: Import succeeded, want an error", name)
		}
	}
	if _, err := os.Stat(filepath.Join(opts.OutDir, metaFileName)); err == nil {
		t.Error("a failed import left a meta.json behind")
	}
}
