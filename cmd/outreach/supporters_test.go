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

	"github.com/outreach-org/outreach/internal/config"
)

// TestSupportersCommands: an import refuses rows without consent (by
// line) and imports the rest, never resubscribes an address that
// unsubscribed, and the export writes the list (opened) and is audited.
func TestSupportersCommands(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"OUTREACH_DATA_DIR": dir, "OUTREACH_LOG_LEVEL": "error", "OUTREACH_DEMO": "false"}
	get := func(k string) string { return env[k] }
	cmd := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		return run(args, get, &out, &errb), out.String(), errb.String()
	}
	file := filepath.Join(dir, "list.csv")
	write := func(s string) {
		if err := os.WriteFile(file, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("email,consent,first_name,state,district,source\n" +
		"ana@example.org,yes,Ana,CA,12,tabling\n" +
		"ben@example.org,,Ben,TX,,tabling\n" +
		"cy@example.org,yes,Cy,NY,10,tabling\n")
	code, out, errs := cmd("supporters", "import", "--dry-run", file)
	if code != 0 || !strings.Contains(out, "dry run: 2 of 3 rows can be imported") || !strings.Contains(errs, "line 3: consent: no explicit consent") {
		t.Fatalf("dry run: %d %q %q", code, out, errs)
	}
	if code, out, _ = cmd("supporters", "export"); code != 0 || strings.Count(out, "\n") != 1 {
		t.Fatalf("a dry run wrote something: %q", out)
	}
	code, out, errs = cmd("supporters", "import", file)
	if code != 0 || !strings.Contains(out, "imported 2 new supporters") || !strings.Contains(out, "1 rows refused (of 3)") ||
		!strings.Contains(errs, "line 3: consent:") || strings.Contains(errs, "ben@") {
		t.Fatalf("import: %d %q %q", code, out, errs)
	}
	code, out, errs = cmd("supporters", "export", "--state", "CA")
	if code != 0 || !strings.HasPrefix(out, "email,first_name,") || !strings.Contains(out, "ana@example.org,Ana,,en,CA,12,tabling,,import,") ||
		strings.Contains(out, "cy@") || strings.Contains(out, "ben@") {
		t.Fatalf("export: %d %q %q", code, out, errs)
	}

	// Ana unsubscribes (the link in any email); a later import of her
	// address is refused, and she stays off the list.
	cfg, err := config.Load(get)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := loadKeys(ctx, cfg, st, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Unsubscribe(ctx, keys.Index("email", "ana@example.org"), "unsubscribe"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	write("email,consent\nANA@example.org,yes\n")
	code, out, errs = cmd("supporters", "import", file)
	if code != 0 || !strings.Contains(out, "imported 0 new supporters") || !strings.Contains(errs, "line 2: email: unsubscribed: an import cannot subscribe them again") {
		t.Fatalf("re-import: %d %q %q", code, out, errs)
	}
	if code, out, _ = cmd("supporters", "export"); code != 0 || strings.Contains(out, "ana@") || !strings.Contains(out, "cy@example.org") {
		t.Fatalf("export after unsubscribe: %q", out)
	}
	if code, out, _ = cmd("supporters", "export", "--status", "unsubscribed"); code != 0 || !strings.Contains(out, "ana@example.org") {
		t.Fatalf("export of those who left: %q", out)
	}
	// file-level problems and bad filters import and export nothing
	write("email\nx@example.org\n")
	if code, _, errs = cmd("supporters", "import", file); code != 1 || !strings.Contains(errs, "nothing was imported: no consent column") {
		t.Errorf("no consent column: %d %q", code, errs)
	}
	if code, _, errs = cmd("supporters", "export", "--district", "California"); code != 1 || !strings.Contains(errs, "district:") {
		t.Errorf("bad filter: %d %q", code, errs)
	}

	st, err = openStore(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	entries, err := st.AuditLog(ctx, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, e := range entries {
		n[e.Action]++
		if strings.Contains(e.Detail, "@") {
			t.Errorf("audit detail has an address: %q", e.Detail)
		}
	}
	if n["supporters.import.cli"] != 2 || n["supporters.export.cli"] != 4 {
		t.Errorf("audit: %v", n)
	}
}
