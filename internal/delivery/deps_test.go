package delivery_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/outreach-org/outreach"

// forbidden are the dependencies a channel adapter or the supporter form
// must never compile against: the database, GORM and the job queue.
// Only internal/dispatch (the worker) brings them to delivery.
var forbidden = []string{module + "/internal/store", "gorm.io/", "github.com/riverqueue/river"}

// TestDependencyRules keeps the delivery port a leaf: internal/delivery
// imports no other package of outreach; it, its adapters, the constituent
// rules and the supporter form (internal/action) depend, even indirectly,
// on no store, GORM or River. It asks `go list` for the real import graph.
func TestDependencyRules(t *testing.T) {
	deps := goListDeps(t, module+"/internal/delivery/...", module+"/internal/constituent", module+"/internal/action")
	for _, pkg := range []string{module + "/internal/delivery", module + "/internal/delivery/cwc", module + "/internal/delivery/sendgrid",
		module + "/internal/delivery/outbox", module + "/internal/delivery/packet", module + "/internal/constituent", module + "/internal/action"} {
		if _, ok := deps[pkg]; !ok {
			t.Errorf("go list did not report %s", pkg)
		}
	}
	for pkg, ds := range deps {
		var bad, internal []string
		for _, d := range ds {
			for _, f := range forbidden {
				if d == f || strings.HasPrefix(d, strings.TrimSuffix(f, "/")+"/") {
					bad = append(bad, d)
				}
			}
			if strings.HasPrefix(d, module+"/") {
				internal = append(internal, d)
			}
		}
		if len(bad) > 0 {
			t.Errorf("%s depends on %d forbidden packages: %s", pkg, len(bad), strings.Join(bad[:min(len(bad), 5)], ", "))
		}
		if pkg == module+"/internal/delivery" && len(internal) > 0 {
			t.Errorf("internal/delivery must be a leaf, but depends on %s", strings.Join(internal, ", "))
		}
	}
	// The rule is not vacuous: the worker does depend on the store.
	if w := goListDeps(t, module+"/internal/dispatch")[module+"/internal/dispatch"]; !slices.Contains(w, module+"/internal/store") {
		t.Errorf("internal/dispatch no longer depends on the store? deps: %v", w)
	}
}

// goListDeps maps each package matching patterns to its transitive
// dependencies (not counting tests).
func goListDeps(t *testing.T, patterns ...string) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`}, patterns...)...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	deps := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 {
			deps[f[0]] = f[1:]
		}
	}
	return deps
}
