// Package testenv decides what a test does when an outside dependency
// (PostgreSQL, Chromium) is missing: under CI=true it fails, because CI
// must run every test; on a developer's machine it skips with a message
// saying how to run it.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether CI=true is set.
func InCI() bool { return os.Getenv("CI") == "true" }

// Missing fails the test under CI and skips it elsewhere.
func Missing(t testing.TB, what, how string) {
	t.Helper()
	if InCI() {
		t.Fatalf("%s is required under CI=true but is missing: %s", what, how)
	}
	t.Skipf("skipping: %s is missing (%s)", what, how)
}

// PostgresURL returns TEST_DATABASE_URL or handles its absence.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("TEST_DATABASE_URL")
	if u == "" {
		Missing(t, "PostgreSQL", "set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	}
	return u
}

// ChromiumPath finds a headless-capable Chromium or handles its absence.
func ChromiumPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	Missing(t, "Chromium", "install it with apt-get install -y chromium, or set CHROMIUM_PATH")
	return ""
}
