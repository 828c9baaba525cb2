package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/followup"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/tracking"
	"github.com/outreach-org/outreach/internal/web"
)

// spec is the served description, parsed, with helpers to find schemas.
type spec struct {
	doc      map[string]any
	compiler *jsonschema.Compiler
	cache    map[string]*jsonschema.Schema
}

const specURL = "https://outreach.invalid/openapi.json"

// loadSpec parses the description. In the copy the validator sees, every
// object schema that lists its properties refuses others, so an answer
// with a field the description does not name fails the test; the served
// description stays open, so that clients tolerate new fields.
func loadSpec(t *testing.T) *spec {
	t.Helper()
	b, err := web.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi = %v, want 3.1.0", doc["openapi"])
	}
	s := &spec{doc: doc, cache: map[string]*jsonschema.Schema{}}
	return s
}

// strict returns a deep copy of v where object schemas with properties
// and no additionalProperties get additionalProperties: false.
func strict(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x)+1)
		for k, e := range x {
			if k == "example" || k == "examples" {
				out[k] = e
				continue
			}
			out[k] = strict(e)
		}
		if _, ok := x["properties"].(map[string]any); ok {
			if _, has := x["additionalProperties"]; !has {
				out["additionalProperties"] = false
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = strict(e)
		}
		return out
	}
	return v
}

// schemas registers, under components/schemas, every inline schema of a
// response or request body with a name of its own, so that each one can be
// compiled by a plain JSON pointer, then compiles lazily.
func (s *spec) prepare(t *testing.T) {
	t.Helper()
	doc := strict(s.doc).(map[string]any)
	comps := doc["components"].(map[string]any)["schemas"].(map[string]any)
	for _, op := range s.operations() {
		o := dig(doc, "paths", op.path, op.method).(map[string]any)
		if rb, ok := o["requestBody"].(map[string]any); ok {
			for ct, media := range rb["content"].(map[string]any) {
				if m, ok := media.(map[string]any); ok && m["schema"] != nil {
					comps[inlineName(op.id, "request", ct)] = m["schema"]
				}
			}
		}
		for code, r := range o["responses"].(map[string]any) {
			r = s.resolve(doc, r)
			content, _ := r.(map[string]any)["content"].(map[string]any)
			for ct, media := range content {
				if m, ok := media.(map[string]any); ok && m["schema"] != nil {
					comps[inlineName(op.id, code, ct)] = m["schema"]
				}
			}
		}
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	// Round-trip through the validator's own JSON reader (numbers as json.Number).
	b, _ := json.Marshal(doc)
	res, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource(specURL, res); err != nil {
		t.Fatal(err)
	}
	s.compiler = c
}

func inlineName(opID, part, contentType string) string {
	return "_" + opID + "_" + part + "_" + strings.NewReplacer("/", "_", "+", "_").Replace(contentType)
}

func (s *spec) schema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	if sch, ok := s.cache[name]; ok {
		return sch
	}
	sch, err := s.compiler.Compile(specURL + "#/components/schemas/" + name)
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	s.cache[name] = sch
	return sch
}

// validate checks a JSON text against a named schema.
func (s *spec) validate(t *testing.T, name, body string) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(body))
	if err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	return s.schema(t, name).Validate(inst)
}

// resolve follows a $ref to components.
func (s *spec) resolve(doc map[string]any, v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	ref, ok := m["$ref"].(string)
	if !ok {
		return v
	}
	parts := strings.Split(strings.TrimPrefix(ref, "#/"), "/")
	keys := make([]string, len(parts))
	for i, p := range parts {
		keys[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(p)
	}
	return dig(doc, keys...)
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

type operation struct {
	path, method, id string
	permission       any
	op               map[string]any
}

var httpMethods = []string{"get", "put", "post", "delete", "patch", "head", "options"}

func (s *spec) operations() []operation {
	var out []operation
	paths := s.doc["paths"].(map[string]any)
	for p, item := range paths {
		for _, m := range httpMethods {
			o, ok := item.(map[string]any)[m].(map[string]any)
			if !ok {
				continue
			}
			id, _ := o["operationId"].(string)
			perm, has := o["x-permission"]
			if !has {
				perm = nil
			}
			out = append(out, operation{path: p, method: m, id: id, permission: perm, op: o})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path+out[i].method < out[j].path+out[j].method })
	return out
}

var echoParam = regexp.MustCompile(`:([a-z_]+)`)

// specPath is a route of the table as the description names it.
func specPath(route string) string {
	return echoParam.ReplaceAllString(strings.TrimPrefix(route, "/api/v1"), "{$1}")
}

// TestOpenAPIDescribesEveryRoute: every route of /api/v1 in the route
// table is described, with the permission the server enforces, and every
// described operation is a route.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	s := loadSpec(t)
	f := newServer(t, web.Deps{})
	routes := map[string]auth.Permission{}
	for _, rt := range f.server.Routes() {
		if strings.HasPrefix(rt.Path, "/api/v1/") {
			routes[strings.ToLower(rt.Method)+" "+specPath(rt.Path)] = rt.Perm
		}
	}
	if len(routes) < 40 {
		t.Fatalf("only %d API routes in the table", len(routes))
	}
	described := map[string]bool{}
	ids := map[string]bool{}
	for _, op := range s.operations() {
		key := op.method + " " + op.path
		described[key] = true
		if op.id == "" || ids[op.id] {
			t.Errorf("%s: operationId %q missing or not unique", key, op.id)
		}
		ids[op.id] = true
		perm, ok := routes[key]
		if !ok {
			t.Errorf("%s is described in internal/web/openapi.yaml but the server has no such route", key)
			continue
		}
		if op.permission != string(perm) {
			t.Errorf("%s: x-permission %v in openapi.yaml, the server enforces %q", key, op.permission, perm)
		}
		if perm == "" && fmt.Sprint(dig(op.op, "security")) != "[]" {
			t.Errorf("%s is public: say security: [] in openapi.yaml", key)
		}
		if perm != "" && dig(op.op, "responses", "401") == nil {
			t.Errorf("%s needs %s: describe its 401 answer", key, perm)
		}
		ok2xx := false
		for code := range dig(op.op, "responses").(map[string]any) {
			ok2xx = ok2xx || strings.HasPrefix(code, "2")
		}
		if !ok2xx {
			t.Errorf("%s describes no successful answer", key)
		}
		for _, name := range pathParams(op.path) {
			if !hasParam(s, op, name) {
				t.Errorf("%s: path parameter %s is not described", key, name)
			}
		}
	}
	var missing []string
	for key := range routes {
		if !described[key] {
			missing = append(missing, key)
		}
	}
	sort.Strings(missing)
	for _, key := range missing {
		t.Errorf("route %s is not described in internal/web/openapi.yaml", key)
	}
}

func pathParams(p string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`\{([a-z_]+)\}`).FindAllStringSubmatch(p, -1) {
		out = append(out, m[1])
	}
	return out
}

func hasParam(s *spec, op operation, name string) bool {
	var all []any
	if ps, ok := dig(s.doc, "paths", op.path, "parameters").([]any); ok {
		all = append(all, ps...)
	}
	if ps, ok := op.op["parameters"].([]any); ok {
		all = append(all, ps...)
	}
	for _, p := range all {
		p = s.resolve(s.doc, p)
		if dig(p, "name") == name && dig(p, "in") == "path" {
			return true
		}
	}
	return false
}

// TestOpenAPIExamplesValidate: every example of a request or an answer is
// valid against its own schema (with unknown fields refused).
func TestOpenAPIExamplesValidate(t *testing.T) {
	s := loadSpec(t)
	s.prepare(t)
	n := 0
	check := func(where, schemaName string, example any) {
		t.Helper()
		b, _ := json.Marshal(example)
		if err := s.validate(t, schemaName, string(b)); err != nil {
			t.Errorf("%s: the example does not match its schema:\n%v", where, err)
		}
		n++
	}
	for _, op := range s.operations() {
		if rb, ok := op.op["requestBody"].(map[string]any); ok {
			for ct, media := range rb["content"].(map[string]any) {
				if ex, ok := media.(map[string]any)["example"]; ok {
					check(op.id+" request", inlineName(op.id, "request", ct), ex)
				}
			}
		}
		for code, r := range op.op["responses"].(map[string]any) {
			content, _ := dig(s.resolve(s.doc, r), "content").(map[string]any)
			for ct, media := range content {
				if ex, ok := media.(map[string]any)["example"]; ok {
					check(op.id+" "+code, inlineName(op.id, code, ct), ex)
				}
			}
		}
	}
	for name, sch := range s.doc["components"].(map[string]any)["schemas"].(map[string]any) {
		if ex, ok := sch.(map[string]any)["example"]; ok {
			check("schema "+name, name, ex)
		}
	}
	if n < 30 {
		t.Errorf("only %d examples checked", n)
	}
}

// TestOpenAPIEnumsMatchTheCode: the values the description lists are the
// ones the code knows.
func TestOpenAPIEnumsMatchTheCode(t *testing.T) {
	s := loadSpec(t)
	enum := func(name string) []string {
		var out []string
		for _, v := range dig(s.doc, "components", "schemas", name, "enum").([]any) {
			out = append(out, v.(string))
		}
		return out
	}
	var roles, statuses, kinds []string
	for _, r := range auth.Roles {
		roles = append(roles, string(r))
	}
	for _, st := range campaign.Statuses {
		statuses = append(statuses, string(st))
	}
	for _, k := range followup.Kinds {
		kinds = append(kinds, k.Name)
	}
	for _, c := range []struct {
		name string
		code []string
	}{{"Role", roles}, {"CampaignStatus", statuses}, {"LetterStatus", delivery.Statuses}, {"ScheduleKind", kinds}, {"TargetRuleKind", campaign.RuleKinds},
		{"CampaignKind", kindNames()}, {"SignatoryStatus", store.SignatoryStatuses}} {
		got := enum(c.name)
		if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(c.code))) {
			t.Errorf("%s: openapi.yaml lists %v, the code %v", c.name, got, c.code)
		}
	}
	// The dashboard groupings the metrics API takes.
	var groupings, described []string
	for _, g := range tracking.Groupings {
		groupings = append(groupings, g.Name)
	}
	for _, p := range dig(s.doc, "paths", "/metrics/response-rates", "get", "parameters").([]any) {
		if dig(p, "name") == "group_by" {
			for _, v := range dig(p, "schema", "enum").([]any) {
				described = append(described, v.(string))
			}
		}
	}
	if !slices.Equal(slices.Sorted(slices.Values(described)), slices.Sorted(slices.Values(groupings))) {
		t.Errorf("group_by: openapi.yaml lists %v, tracking.Groupings %v", described, groupings)
	}
}

// TestOpenAPIAnswersMatch calls every route of the API on a server with
// real data (apiTour) and checks each answer against the schema the
// description gives for that status, with unknown fields refused: the
// description cannot drift from what the handlers send.
func TestOpenAPIAnswersMatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := loadSpec(t)
		s.prepare(t)
		tour := apiTour(t, st)
		seen := map[string]bool{}
		for _, ex := range tour {
			p := specPath(ex.Route)
			method := strings.ToLower(ex.Method)
			key := method + " " + p
			seen[key] = true
			code := strconv.Itoa(ex.Status)
			r := dig(s.doc, "paths", p, method, "responses", code)
			if r == nil {
				t.Errorf("%s %s answered %d, which openapi.yaml does not describe", ex.Method, ex.URL, ex.Status)
				continue
			}
			content, _ := dig(s.resolve(s.doc, r), "content").(map[string]any)
			if len(content) == 0 {
				if strings.TrimSpace(ex.Body) != "" {
					t.Errorf("%s %s: %d has a body, the description says none", ex.Method, ex.URL, ex.Status)
				}
				continue
			}
			ct, _, _ := mime.ParseMediaType(ex.ContentType)
			if _, ok := content[ct]; !ok {
				t.Errorf("%s %s: %d answered %s, the description says %v", ex.Method, ex.URL, ex.Status, ct, keys(content))
				continue
			}
			if err := s.validate(t, inlineName(dig(s.doc, "paths", p, method, "operationId").(string), code, ct), ex.Body); err != nil {
				t.Errorf("%s %s: the %d answer does not match openapi.yaml:\n%v\nanswer: %.600s", ex.Method, ex.URL, ex.Status, err, ex.Body)
			}
			if ex.Status == http.StatusUnprocessableEntity {
				checkRefusal(t, ex)
			}
		}
		for _, op := range s.operations() {
			if !seen[op.method+" "+op.path] {
				t.Errorf("apiTour does not call %s %s: add it, so that its answers are checked", op.method, op.path)
			}
		}
	})
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func kindNames() []string {
	var out []string
	for _, k := range campaign.Kinds {
		out = append(out, string(k))
	}
	return out
}

// checkRefusal checks that a 422 of the tour names the input it refused,
// in the one shape every resource uses (field_errors), so that an
// integrator can point at it without a parser per resource.
func checkRefusal(t *testing.T, ex exchange) {
	t.Helper()
	if ex.Refused == "" {
		t.Errorf("%s %s: the tour expects 422 through call(); use refused(..., field) so the field it names is checked", ex.Method, ex.URL)
		return
	}
	var body struct {
		FieldErrors []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"field_errors"`
	}
	if err := json.Unmarshal([]byte(ex.Body), &body); err != nil {
		t.Errorf("%s %s: %v", ex.Method, ex.URL, err)
		return
	}
	want := ex.Refused
	if want == "-" {
		want = ""
	}
	var got []string
	for _, fe := range body.FieldErrors {
		if fe.Message == "" {
			t.Errorf("%s %s: field_errors entry for %q has no message", ex.Method, ex.URL, fe.Field)
		}
		if fe.Field == want {
			return
		}
		got = append(got, fe.Field)
	}
	t.Errorf("%s %s: 422 names %q in field_errors, want %q: %s", ex.Method, ex.URL, got, want, ex.Body)
}
