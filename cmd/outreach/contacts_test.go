package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestContactsCommands: import from a file and from standard input, all
// or nothing with row errors, export in the import's format, and the
// directory kept across a refresh of the congressional data.
func TestContactsCommands(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"OUTREACH_DATA_DIR": dir, "OUTREACH_LOG_LEVEL": "error"}
	get := func(k string) string { return env[k] }
	cmd := func(ctx context.Context, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		if ctx == nil {
			return run(args, get, &out, &errb), out.String(), errb.String()
		}
		err := cmdContacts(ctx, args[1:], get, &out, &errb)
		code := 0
		if err != nil {
			code = 1
			errb.WriteString(err.Error())
		}
		return code, out.String(), errb.String()
	}
	file := filepath.Join(dir, "contacts.csv")
	write := func(s string) {
		if err := os.WriteFile(file, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	head := "bioguide_id,name,role,email,fax\n"

	write(head + "P000197,Rosa Díaz,Immigration legislative assistant,rosa.diaz@mail.house.gov,202-555-0143\n" +
		"P000145,Lee Park,,not an address,\n" + "Q999999,Sam,,,\n")
	code, out, errs := cmd(nil, "contacts", "import", file)
	if code != 1 || !strings.Contains(errs, "row 2: email: is not an email address") || !strings.Contains(errs, "row 3: bioguide_id: no sitting member of Congress has Q999999") ||
		!strings.Contains(errs, "nothing was imported: 2 problem(s) in 3 data rows") {
		t.Fatalf("bad file: %d %q %q", code, out, errs)
	}
	if code, out, _ = cmd(nil, "contacts", "export"); code != 0 || out != head {
		t.Fatalf("after a refused import something was written: %q", out)
	}

	write(head + "P000197,Rosa Díaz,Immigration legislative assistant,rosa.diaz@mail.house.gov,(202) 555-0143\n" + "p000145,Lee Park,Legislative director,,\n")
	if code, out, errs = cmd(nil, "contacts", "import", file); code != 0 || !strings.Contains(out, "imported 2 contacts of 2 offices") {
		t.Fatalf("import: %d %q %q", code, out, errs)
	}
	// Standard input replaces the offices it names, and only those.
	stdin := context.WithValue(context.Background(), stdinKey{}, strings.NewReader(head+"P000145,Lee Park,Legislative director,lee_park@padilla.senate.gov,\n"))
	if code, out, errs = cmd(stdin, "contacts", "import", "-"); code != 0 || !strings.Contains(out, "imported 1 contacts of 1 offices") {
		t.Fatalf("stdin import: %d %q %q", code, out, errs)
	}
	want := head + "P000145,Lee Park,Legislative director,lee_park@padilla.senate.gov,\n" +
		"P000197,Rosa Díaz,Immigration legislative assistant,rosa.diaz@mail.house.gov,202-555-0143\n"
	if code, out, _ = cmd(nil, "contacts", "export"); code != 0 || out != want {
		t.Fatalf("export: %q", out)
	}
	if code, _, errs = cmd(nil, "contacts", "import"); code != 1 || !strings.Contains(errs, "usage: outreach contacts import FILE") {
		t.Errorf("no file: %d %q", code, errs)
	}

	// A refresh of the congressional data leaves the directory alone.
	shared := filepath.Join("..", "..", "..", "shared", "data")
	leg := filepath.Join(shared, "congress-legislators", "legislators-current.json")
	if _, err := os.Stat(leg); err != nil {
		t.Log("shared data not present: the refresh is not tried")
		return
	}
	code, out, errs = cmd(nil, "import-congress", "--legislators", leg,
		"--offices", filepath.Join(shared, "congress-legislators", "legislators-district-offices.json"),
		"--zips", filepath.Join(shared, "us-zipcodes-congress", "zccd_9222c49.csv"),
		"--boundaries", filepath.Join(shared, "boundaries", "us-congressional-districts-119.topojson"), "--as-of", "2026-06-15")
	if code != 0 || !strings.Contains(out, filepath.Join(dir, "congress")) {
		t.Fatalf("import-congress: %d %q %q", code, out, errs)
	}
	if code, out, _ = cmd(nil, "contacts", "export"); code != 0 || out != want {
		t.Fatalf("export after the refresh: %q", out)
	}
}
