package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/outreach-org/outreach/internal/casestats"
	"github.com/outreach-org/outreach/internal/config"
)

func writeCasesCSV(t *testing.T, dir, name string, n int, edit func(lines []string)) string {
	t.Helper()
	lines := []string{strings.Join(casestats.Fields, ",")}
	for r := range casestats.Synthetic(n, 11) {
		vals := make([]string, len(casestats.Fields))
		for i, f := range casestats.Fields {
			vals[i] = r.Get(f)
		}
		lines = append(lines, strings.Join(vals, ","))
	}
	if edit != nil {
		edit(lines)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCasesAndStatsCommands(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"OUTREACH_DATA_DIR": dir, "OUTREACH_LOG_LEVEL": "error"}
	get := func(k string) string { return env[k] }
	cmd := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(args, get, &out, &errb)
		return code, out.String(), errb.String()
	}

	code, out, errs := cmd("seed-demo")
	if code != 0 || !strings.Contains(out, "loaded 4,000 synthetic case records and published release #1") {
		t.Fatalf("seed-demo: %d %q %s", code, out, errs)
	}
	if code, out, _ = cmd("seed-demo"); code != 0 || !strings.Contains(out, "already loaded") {
		t.Errorf("second seed-demo: %d %q", code, out)
	}

	// a refused file: row, field and reason, never the value; nothing written
	bad := writeCasesCSV(t, dir, "bad.csv", 30, func(lines []string) {
		f := strings.Split(lines[2], ",")
		f[1] = "Guadalupe Torres"
		lines[2] = strings.Join(f, ",")
	})
	code, out, errs = cmd("cases", "import", bad)
	if code != 1 || !strings.Contains(errs, "row 2: state: looks like a name") || strings.Contains(errs+out, "Guadalupe") || !strings.Contains(errs, "nothing was imported") {
		t.Errorf("bad import: %d %q %q", code, out, errs)
	}
	good := writeCasesCSV(t, dir, "good.csv", 30, nil)
	if code, out, errs = cmd("cases", "import", good); code != 0 || !strings.Contains(out, "imported 30 case records") {
		t.Fatalf("import: %d %q %s", code, out, errs)
	}
	// real and demonstration records are never published together
	if code, _, errs = cmd("stats", "release"); code != 1 || !strings.Contains(errs, "mix synthetic demonstration records with real ones") {
		t.Errorf("mixed release: %d %s", code, errs)
	}
	if code, out, _ = cmd("cases", "remove-demo"); code != 0 || !strings.Contains(out, "removed 4000 demonstration case records") {
		t.Errorf("remove-demo: %d %q", code, out)
	}
	if code, _, errs = cmd("stats", "release", "--threshold", "5"); code != 1 || !strings.Contains(errs, "threshold must be between 11") {
		t.Errorf("threshold 5: %d %s", code, errs)
	}
	if code, out, errs = cmd("stats", "release", "--rounding", "10"); code != 0 || !strings.Contains(out, "published release #2") || !strings.Contains(out, "from 30 case records (real data)") {
		t.Errorf("release: %d %q %s", code, out, errs)
	}
	// unrounded releases are compared with the earlier ones: two more
	// records would show in the total, so the release is refused, with
	// the reason and the release it is too close to
	if code, out, errs = cmd("stats", "release", "--rounding", "1"); code != 0 || !strings.Contains(out, "published release #3") {
		t.Fatalf("unrounded release: %d %q %s", code, out, errs)
	}
	two := writeCasesCSV(t, dir, "two.csv", 2, nil)
	if code, out, errs = cmd("cases", "import", two); code != 0 {
		t.Fatalf("import: %d %q %s", code, out, errs)
	}
	code, out, errs = cmd("stats", "release", "--rounding", "1")
	if code != 1 || !strings.Contains(errs, "outreach stats: casestats: the release is too close to release #3: the number of documented cases changed by too few; wait for more case records, or publish with a larger rounding") {
		t.Errorf("too close: %d %q %q", code, out, errs)
	}
	if code, _, _ = cmd("cases"); code != 1 {
		t.Errorf("cases without a subcommand: %d", code)
	}
}

// TestServeSeedsDemoOnce: serve's start-up fills an empty database once,
// and not when OUTREACH_DEMO=false.
func TestServeSeedsDemoOnce(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, demo := range []string{"false", ""} {
		dir := t.TempDir()
		cfg, err := config.Load(func(k string) string {
			return map[string]string{"OUTREACH_DATA_DIR": dir, "OUTREACH_DEMO": demo}[k]
		})
		if err != nil {
			t.Fatal(err)
		}
		st, err := openStore(ctx, cfg, log)
		if err != nil {
			t.Fatal(err)
		}
		seedDemoAtStart(ctx, cfg, st, log)
		seedDemoAtStart(ctx, cfg, st, log)
		c, _ := st.CountCases(ctx)
		rels, _ := st.Releases(ctx, 0)
		want := int64(4000)
		if demo == "false" {
			want = 0
		}
		if c.Total != want || c.Synthetic != want || int64(len(rels))*4000 != want {
			t.Errorf("OUTREACH_DEMO=%q: %d records, %d releases", demo, c.Total, len(rels))
		}
		if want > 0 {
			if _, err := st.LatestRelease(ctx); err != nil {
				t.Error(err)
			}
		}
		st.Close()
	}
}
