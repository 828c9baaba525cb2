package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/outreach-org/outreach/internal/config"
)

func TestHelpListsEveryVariable(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"help"}, func(string) string { return "" }, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	// Wrapped lines: compare words, not line breaks.
	flat := strings.Join(strings.Fields(out.String()), " ")
	for _, v := range config.Vars {
		if !strings.Contains(flat, v.Name) || !strings.Contains(flat, "default: "+strings.Join(strings.Fields(v.Default), " ")) ||
			!strings.Contains(flat, strings.Join(strings.Fields(v.Help), " ")) {
			t.Errorf("help lacks %s, its help or its default", v.Name)
		}
	}
	// It fits a 100-column terminal.
	for i, l := range strings.Split(out.String(), "\n") {
		if len([]rune(l)) > 100 {
			t.Errorf("help line %d has %d columns: %q", i+1, len([]rune(l)), l)
		}
	}
	for _, c := range []string{"serve", "migrate", "import-congress", "keys", "version", "help"} {
		if !strings.Contains(out.String(), c) {
			t.Errorf("help lacks command %s", c)
		}
	}
}

func TestUnknownCommandAndBadConfig(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"frobnicate"}, func(string) string { return "" }, &out, &errb); code != 2 || !strings.Contains(errb.String(), "unknown command") {
		t.Errorf("unknown command: exit %d %q", code, errb.String())
	}
	errb.Reset()
	env := map[string]string{"OUTREACH_LOG_LEVEL": "chatty"}
	if code := run([]string{"migrate"}, func(k string) string { return env[k] }, &out, &errb); code != 1 || !strings.Contains(errb.String(), "OUTREACH_LOG_LEVEL") {
		t.Errorf("bad config: exit %d %q", code, errb.String())
	}
}

func TestMigrateAndVersion(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"OUTREACH_DATA_DIR": dir, "OUTREACH_LOG_LEVEL": "error"}
	get := func(k string) string { return env[k] }
	var out, errb bytes.Buffer
	if code := run([]string{"migrate"}, get, &out, &errb); code != 0 {
		t.Fatalf("migrate: exit %d %s", code, errb.String())
	}
	out.Reset()
	if code := run([]string{"migrate", "--status"}, get, &out, &errb); code != 0 || !strings.Contains(out.String(), "schema version") {
		t.Fatalf("migrate --status: exit %d %q %s", code, out.String(), errb.String())
	}
	if _, err := filepath.Glob(filepath.Join(dir, "outreach.db")); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run([]string{"version"}, get, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "outreach ") {
		t.Errorf("version: %q", out.String())
	}
}

func TestImportCongress(t *testing.T) {
	shared := filepath.Join("..", "..", "..", "shared", "data")
	leg := filepath.Join(shared, "congress-legislators", "legislators-current.json")
	if !exists(leg) {
		t.Skip("shared data not present")
	}
	out := filepath.Join(t.TempDir(), "data", "congress")
	var stdout, errb bytes.Buffer
	args := []string{"import-congress",
		"--legislators", leg,
		"--offices", filepath.Join(shared, "congress-legislators", "legislators-district-offices.json"),
		"--zips", filepath.Join(shared, "us-zipcodes-congress", "zccd_9222c49.csv"),
		"--boundaries", filepath.Join(shared, "boundaries", "us-congressional-districts-119.topojson"),
		"--as-of", "2026-06-15", "--out", out}
	if code := run(args, func(string) string { return "" }, &stdout, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	// The committee files are found next to the legislators file.
	if !strings.Contains(stdout.String(), "imported 537 members, 441 districts and 230 committees and subcommittees as of 2026-06-15") {
		t.Errorf("output: %q", stdout.String())
	}
	// private like the rest of the data directory
	files, _ := os.ReadDir(out)
	if len(files) < 4 {
		t.Fatalf("imported files: %v", files)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("congress dir: %v %v", fi.Mode(), err)
	}
	for _, f := range files {
		if fi, err := f.Info(); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v %v", f.Name(), fi.Mode(), err)
		}
	}
	errb.Reset()
	bad := append(slices.Clone(args), "--committees", filepath.Join(shared, "congress-legislators", "nope.yaml"))
	if code := run(bad, func(string) string { return "" }, &stdout, &errb); code != 1 || !strings.Contains(errb.String(), "nope.yaml") {
		t.Errorf("missing committees file: exit %d %q", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"import-congress", "--out", out}, func(string) string { return "" }, &stdout, &errb); code != 1 ||
		!strings.Contains(errb.String(), "missing --boundaries, --legislators, --offices, --zips") {
		t.Errorf("missing flags: exit %d %q", code, errb.String())
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func TestUserAddAndTokenCreate(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"OUTREACH_DATA_DIR": dir, "OUTREACH_LOG_LEVEL": "error"}
	get := func(k string) string { return env[k] }
	var out, errb bytes.Buffer
	if code := run([]string{"user", "add", "--email", "Staff@Example.org", "--role", "campaigner"}, get, &out, &errb); code != 0 {
		t.Fatalf("user add: %d %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "created campaigner account") || !strings.Contains(out.String(), "password (shown once): ") {
		t.Errorf("user add output: %q", out.String())
	}
	errb.Reset()
	if code := run([]string{"user", "add", "--email", "staff@example.org", "--role", "admin"}, get, &out, &errb); code != 1 || !strings.Contains(errb.String(), "already exists") {
		t.Errorf("duplicate: %d %q", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"user", "add", "--email", "x@example.org", "--role", "king"}, get, &out, &errb); code != 1 || !strings.Contains(errb.String(), "--role") {
		t.Errorf("bad role: %d %q", code, errb.String())
	}
	// password from stdin
	ctx := context.WithValue(context.Background(), stdinKey{}, strings.NewReader("a long enough password\n"))
	out.Reset()
	if err := cmdUser(ctx, []string{"add", "--email", "p@example.org", "--role", "organizer", "--password-stdin"}, get, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "password") {
		t.Errorf("a password read from stdin must not be printed: %q", out.String())
	}
	ctx = context.WithValue(context.Background(), stdinKey{}, strings.NewReader("short\n"))
	if err := cmdUser(ctx, []string{"add", "--email", "q@example.org", "--role", "organizer", "--password-stdin"}, get, &out, &errb); err == nil || !strings.Contains(err.Error(), "12 characters") {
		t.Errorf("short password: %v", err)
	}
	out.Reset()
	if code := run([]string{"token", "create", "--email", "staff@example.org"}, get, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "otk_") {
		t.Fatalf("token create: %d %q %s", code, out.String(), errb.String())
	}
	errb.Reset()
	if code := run([]string{"token", "create", "--email", "nobody@example.org"}, get, &out, &errb); code != 1 || !strings.Contains(errb.String(), "no account") {
		t.Errorf("token for unknown account: %d %q", code, errb.String())
	}
}

// TestREADMEListsEveryCommand keeps the README's command table in step
// with the commands.
func TestREADMEListsEveryCommand(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range commands() {
		if !strings.Contains(string(b), "`outreach "+c.name) {
			t.Errorf("README.md's command table lacks outreach %s", c.name)
		}
	}
}
