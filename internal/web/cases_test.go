package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/casestats"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/web"
)

// casesCSV writes records as a CSV file with a header.
func casesCSV(rs ...casestats.Record) string {
	var b strings.Builder
	b.WriteString(strings.Join(casestats.Fields, ",") + "\n")
	for _, r := range rs {
		vals := make([]string, len(casestats.Fields))
		for i, f := range casestats.Fields {
			vals[i] = r.Get(f)
		}
		b.WriteString(strings.Join(vals, ",") + "\n")
	}
	return b.String()
}

func someCases(n int, seed uint64) []casestats.Record {
	return slices.Collect(casestats.Synthetic(n, seed))
}

// uploadCSV posts a CSV file as the import form does (multipart, with the
// CSRF token of the import page).
func uploadCSV(t *testing.T, c *http.Client, base, csrf, csv string) (int, string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("_csrf", csrf)
	fw, err := w.CreateFormFile("file", "cases.csv")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(fw, csv)
	w.Close()
	req, err := http.NewRequest(http.MethodPost, base+"/admin/cases/import", &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// eachCaseStore runs fn on a fresh SQLite store and on PostgreSQL in a
// schema of its own: case and release tests count all rows, and releases
// cannot be deleted, so they must not share the package database.
func eachCaseStore(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, storetest.SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, casePostgres(t)) })
}

func casePostgres(t *testing.T) *store.Store {
	t.Helper()
	base := storetest.PostgresURL(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "webcases_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA "`+schema+`"`); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = admin.ExecContext(context.Background(), `DROP SCHEMA "`+schema+`" CASCADE`)
		admin.Close()
	})
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	st, err := store.Open(ctx, store.Options{DatabaseURL: u.String()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx, discard()); err != nil {
		t.Fatal(err)
	}
	return st
}

func caseCount(t *testing.T, st *store.Store) int64 {
	t.Helper()
	c, err := st.CountCases(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c.Total
}

func TestCaseImportRoles(t *testing.T) {
	st := storetest.SQLite(t)
	f := staffServer(t, st, web.Deps{})
	c := browserClient(t)
	body := casesCSV(someCases(3, 1)...)
	for _, role := range auth.Roles {
		tok := bearer(t, st, addUser(t, st, string(role)+"@example.org", role))
		code, resp := do(t, c, http.MethodPost, f.srv.URL+"/api/v1/cases", tok, "text/csv", body)
		want := http.StatusForbidden
		if role == auth.Admin || role == auth.CaseEditor {
			want = http.StatusCreated
		}
		if code != want {
			t.Errorf("%s: %d %s, want %d", role, code, resp, want)
		}
	}
	if n := caseCount(t, st); n != 6 {
		t.Errorf("%d records after two allowed imports of 3", n)
	}
	code, resp := do(t, c, http.MethodPost, f.srv.URL+"/api/v1/cases", "", "application/json", `{"quarter": "2018-Q2"}`)
	if code != http.StatusUnauthorized || !strings.HasPrefix(resp, `{"error":`) {
		t.Errorf("anonymous API: %d %s", code, resp)
	}
	// the staff pages, through a session
	for _, role := range []auth.Role{auth.Campaigner, auth.Organizer} {
		cl := browserClient(t)
		signIn(t, cl, f.srv.URL, string(role)+"@example.org")
		for _, p := range []string{"/admin/cases", "/admin/cases/import", "/admin/stats/releases"} {
			if code, _ := do(t, cl, http.MethodGet, f.srv.URL+p, "", "", ""); code != http.StatusForbidden {
				t.Errorf("%s GET %s: %d", role, p, code)
			}
		}
	}
	editor := browserClient(t)
	signIn(t, editor, f.srv.URL, "case_editor@example.org")
	for _, p := range []string{"/admin/cases", "/admin/cases/import", "/admin/cases/new", "/admin/stats/releases"} {
		if code, body := do(t, editor, http.MethodGet, f.srv.URL+p, "", "", ""); code != http.StatusOK {
			t.Errorf("case editor GET %s: %d %s", p, code, body)
		}
	}
}

// TestCSVUploadBadRow: a refused file names row, field and reason, never
// the value, in the page or the logs, and writes nothing.
func TestCSVUploadBadRow(t *testing.T) {
	eachCaseStore(t, func(t *testing.T, st *store.Store) {
		f := staffServer(t, st, web.Deps{})
		email := "editor-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")) + "@example.org"
		addUser(t, st, email, auth.CaseEditor)
		c := browserClient(t)
		signIn(t, c, f.srv.URL, email)
		before := caseCount(t, st)

		rs := someCases(5, 2)
		secrets := []string{"Maria Lopez Hernandez", "A 123 456 789", "03/14/2018"}
		body := casesCSV(rs...)
		lines := strings.Split(body, "\n")
		// row 3: a name in the state column; row 4: an A-number as the
		// outcome; row 5: a date as the quarter
		lines[3] = strings.Replace(lines[3], ","+rs[2].State+",", ","+secrets[0]+",", 1)
		lines[4] = strings.TrimSuffix(lines[4], rs[3].Outcome) + secrets[1]
		lines[5] = secrets[2] + strings.TrimPrefix(lines[5], rs[4].Quarter)
		body = strings.Join(lines, "\n")

		tok := csrfFrom(t, c, f.srv.URL+"/admin/cases/import")
		code, page := uploadCSV(t, c, f.srv.URL, tok, body)
		if code != http.StatusUnprocessableEntity {
			t.Fatalf("bad file: %d", code)
		}
		for _, want := range []string{"Nothing was imported", "<td>3</td><td>state</td>", "<td>4</td><td>outcome</td>", "<td>5</td><td>quarter</td>", "looks like"} {
			if !strings.Contains(page, want) {
				t.Errorf("error page lacks %q", want)
			}
		}
		logs := f.logs.String()
		for _, s := range secrets {
			if strings.Contains(page, s) || strings.Contains(page, strings.ReplaceAll(s, "/", "&#x2F;")) {
				t.Errorf("the page repeats the refused value %q", s)
			}
			if strings.Contains(logs, s) {
				t.Errorf("the logs hold the refused value %q", s)
			}
		}
		if n := caseCount(t, st); n != before {
			t.Errorf("%d records written by a refused file", n-before)
		}

		// the same through the API: 422 with row_errors, no value
		code, resp := do(t, c, http.MethodPost, f.srv.URL+"/api/v1/cases", bearer(t, st, mustUser(t, st, email)), "text/csv", body)
		var ans struct {
			Error     string `json:"error"`
			RowErrors []struct {
				Row           int
				Field, Reason string
			} `json:"row_errors"`
		}
		if err := json.Unmarshal([]byte(resp), &ans); err != nil || code != http.StatusUnprocessableEntity || len(ans.RowErrors) != 3 ||
			ans.RowErrors[0].Row != 3 || ans.RowErrors[0].Field != "state" || ans.Error == "" {
			t.Errorf("API: %d %s", code, resp)
		}
		for _, s := range secrets {
			if strings.Contains(resp, s) || strings.Contains(f.logs.String(), s) {
				t.Errorf("the API answer or the logs hold %q", s)
			}
		}

		// a good file
		code, _ = uploadCSV(t, c, f.srv.URL, tok, casesCSV(rs...))
		if code != http.StatusSeeOther || caseCount(t, st) != before+5 {
			t.Errorf("good file: %d, %d records", code, caseCount(t, st)-before)
		}
	})
}

func mustUser(t *testing.T, st *store.Store, email string) auth.User {
	t.Helper()
	u, err := st.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestUploadTooLarge(t *testing.T) {
	st := storetest.SQLite(t)
	f := staffServer(t, st, web.Deps{UploadLimit: "4K", BodyLimit: "1K"})
	addUser(t, st, "ed@example.org", auth.CaseEditor)
	tok := bearer(t, st, mustUser(t, st, "ed@example.org"))
	c := browserClient(t)
	signIn(t, c, f.srv.URL, "ed@example.org")

	// under the upload limit but over the ordinary body limit: accepted
	small := casesCSV(someCases(20, 3)...)
	if len(small) < 1024 || len(small) > 4000 {
		t.Fatalf("test file of %d bytes", len(small))
	}
	if code, resp := do(t, c, http.MethodPost, f.srv.URL+"/api/v1/cases", tok, "text/csv", small); code != http.StatusCreated {
		t.Fatalf("2 KB file with a 4 KB upload limit: %d %s", code, resp)
	}

	big := casesCSV(someCases(200, 3)...)
	csrf := csrfFrom(t, c, f.srv.URL+"/admin/cases/import")
	code, page := uploadCSV(t, c, f.srv.URL, csrf, big)
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(page, "larger than the upload limit of 4 KB") {
		t.Errorf("big upload page: %d", code)
	}
	code, resp := do(t, c, http.MethodPost, f.srv.URL+"/api/v1/cases", tok, "text/csv", big)
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(resp, `"error":"The file is larger than the upload limit of 4 KB`) {
		t.Errorf("big API body: %d %s", code, resp)
	}
	// no Content-Length: cut off while reading
	bigJSON, _ := json.Marshal(someCases(200, 3))
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/api/v1/cases", io.MultiReader(bytes.NewReader(bigJSON)))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = -1
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "upload limit") {
		t.Errorf("streamed big body: %d %s", r.StatusCode, b)
	}
	// other routes keep the ordinary limit
	code, _ = do(t, c, http.MethodPut, f.srv.URL+"/api/v1/cases/1", tok, "application/json", `{"x":"`+strings.Repeat("y", 2000)+`"}`)
	if code != http.StatusRequestEntityTooLarge {
		t.Errorf("PUT over the body limit: %d", code)
	}
	if n := caseCount(t, st); n != 20 {
		t.Errorf("%d records, want the 20 of the small file", n)
	}
}

func TestCasesJSONAPI(t *testing.T) {
	st := storetest.SQLite(t)
	f := staffServer(t, st, web.Deps{})
	u := addUser(t, st, "ed@example.org", auth.CaseEditor)
	tok := bearer(t, st, u)
	c := browserClient(t)
	api := f.srv.URL + "/api/v1/cases"

	rs := someCases(4, 5)
	one, _ := json.Marshal(rs[0])
	code, resp := do(t, c, http.MethodPost, api, tok, "application/json", string(one))
	var created struct{ Imported, ID int64 }
	if json.Unmarshal([]byte(resp), &created); code != http.StatusCreated || created.Imported != 1 || created.ID == 0 {
		t.Fatalf("one record: %d %s", code, resp)
	}
	arr, _ := json.Marshal(rs[1:])
	if code, resp := do(t, c, http.MethodPost, api, tok, "application/json", string(arr)); code != http.StatusCreated || strings.TrimSpace(resp) != `{"imported":3}` {
		t.Fatalf("array: %d %s", code, resp)
	}
	// an array with an unknown field and an identifying value: nothing written
	bad := `[` + string(one) + `, {"quarter": "2018-Q2", "name": "Rosa Perez Diaz"}]`
	code, resp = do(t, c, http.MethodPost, api, tok, "application/json", bad)
	if code != http.StatusUnprocessableEntity || !strings.Contains(resp, `"row_errors":[{"row":2,`) || strings.Contains(resp, "Rosa") {
		t.Errorf("bad array: %d %s", code, resp)
	}
	if n := caseCount(t, st); n != 4 {
		t.Fatalf("%d records", n)
	}
	// a signed-in browser session may use the API with the X-CSRF-Token header
	sess := browserClient(t)
	signIn(t, sess, f.srv.URL, "ed@example.org")
	csrf := csrfFrom(t, sess, f.srv.URL+"/admin/cases/import")
	for _, h := range []string{"", csrf} {
		req, _ := http.NewRequest(http.MethodPost, api, strings.NewReader(string(one)))
		req.Header.Set("Content-Type", "application/json")
		if h != "" {
			req.Header.Set("X-CSRF-Token", h)
		}
		resp, err := sess.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := map[bool]int{false: http.StatusForbidden, true: http.StatusCreated}[h != ""]; resp.StatusCode != want {
			t.Errorf("session API call (token %v): %d, want %d", h != "", resp.StatusCode, want)
		}
	}
	if n := caseCount(t, st); n != 5 {
		t.Fatalf("%d records", n)
	}
	if code, _ := do(t, c, http.MethodPost, api, tok, "application/xml", "<x/>"); code != http.StatusUnsupportedMediaType {
		t.Errorf("xml: %d", code)
	}

	// list with a filter
	code, resp = do(t, c, http.MethodGet, api+"?state="+rs[0].State+"&limit=2", tok, "", "")
	var list struct {
		Cases []struct {
			ID        int64
			State     string `json:"state"`
			Synthetic bool   `json:"synthetic"`
		}
		Total int64
	}
	if json.Unmarshal([]byte(resp), &list); code != 200 || len(list.Cases) == 0 || len(list.Cases) > 2 || list.Cases[0].State != rs[0].State {
		t.Errorf("list: %d %s", code, resp)
	}
	if code, resp := do(t, c, http.MethodGet, api+"?state=Texas", tok, "", ""); code != 400 || strings.Contains(resp, "Texas") {
		t.Errorf("bad filter: %d %s", code, resp)
	}

	// correct, then delete, with audit entries naming only the id
	id := fmt.Sprint(created.ID)
	fixed := rs[0]
	fixed.Outcome = "reunified"
	fb, _ := json.Marshal(fixed)
	if code, resp := do(t, c, http.MethodPut, api+"/"+id, tok, "application/json", string(fb)); code != 200 || !strings.Contains(resp, `"outcome":"reunified"`) {
		t.Errorf("PUT: %d %s", code, resp)
	}
	if code, resp := do(t, c, http.MethodPut, api+"/"+id, tok, "application/json", strings.Replace(string(fb), `"reunified"`, `"Juan Garcia"`, 1)); code != 422 || strings.Contains(resp, "Juan") {
		t.Errorf("bad PUT: %d %s", code, resp)
	}
	if code, _ := do(t, c, http.MethodDelete, api+"/"+id, tok, "", ""); code != http.StatusNoContent {
		t.Errorf("DELETE: %d", code)
	}
	if code, _ := do(t, c, http.MethodGet, api+"/"+id, tok, "", ""); code != 404 {
		t.Errorf("GET after DELETE: %d", code)
	}
	entries, _ := st.AuditLog(context.Background(), 0, 100)
	seen := map[string]string{}
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "case.") {
			seen[e.Action] = e.ObjectID + "|" + e.Detail
			if e.ActorID != u.ID {
				t.Errorf("%s by %d, want %d", e.Action, e.ActorID, u.ID)
			}
		}
	}
	if seen["case.update"] != id+"|" || seen["case.delete"] != id+"|" || seen["case.import"] != "|records=3" || !strings.HasSuffix(seen["case.create"], "|") {
		t.Errorf("audit = %v", seen)
	}
}

func TestCaseForms(t *testing.T) {
	st := storetest.SQLite(t)
	f := staffServer(t, st, web.Deps{})
	addUser(t, st, "ed@example.org", auth.CaseEditor)
	c := browserClient(t)
	signIn(t, c, f.srv.URL, "ed@example.org")
	tok := csrfFrom(t, c, f.srv.URL+"/admin/cases/new")
	r := someCases(1, 6)[0]
	form := url.Values{"_csrf": {tok}}
	for _, fl := range casestats.Fields {
		form.Set(fl, r.Get(fl))
	}
	form.Set("state", "Sofia Ramirez")
	code, page, _ := postForm(t, c, f.srv.URL+"/admin/cases", form)
	if code != http.StatusUnprocessableEntity || strings.Contains(page, "Sofia") || !strings.Contains(page, `aria-invalid="true"`) {
		t.Errorf("bad form: %d", code)
	}
	form.Set("state", "tx") // normalised
	code, _, loc := postForm(t, c, f.srv.URL+"/admin/cases", form)
	if code != http.StatusSeeOther || loc != "/admin/cases" {
		t.Fatalf("good form: %d %s", code, loc)
	}
	page1, _ := st.Cases(context.Background(), store.CaseFilter{})
	if len(page1.Cases) != 1 || page1.Cases[0].State != "TX" {
		t.Fatalf("stored %+v", page1.Cases)
	}
	id := fmt.Sprint(page1.Cases[0].ID)
	code, body := do(t, c, http.MethodGet, f.srv.URL+"/admin/cases/"+id, "", "", "")
	if code != 200 || !strings.Contains(body, `<option value="TX" selected>`) {
		t.Errorf("edit form: %d", code)
	}
	form.Set("outcome", "released_together")
	if code, _, _ := postForm(t, c, f.srv.URL+"/admin/cases/"+id, form); code != http.StatusSeeOther {
		t.Errorf("update: %d", code)
	}
	if cr, _ := st.CaseByID(context.Background(), page1.Cases[0].ID); cr.Outcome != "released_together" {
		t.Errorf("after update: %+v", cr)
	}
	code, body = do(t, c, http.MethodGet, f.srv.URL+"/admin/cases?state=TX", "", "", "")
	if code != 200 || !strings.Contains(body, "/admin/cases/"+id) {
		t.Errorf("list: %d", code)
	}
	// The first press asks, says what will be lost, and deletes nothing.
	if code, body, _ := postForm(t, c, f.srv.URL+"/admin/cases/"+id+"/delete", url.Values{"_csrf": {tok}}); code != http.StatusOK ||
		!strings.Contains(body, "What will be lost") || !strings.Contains(body, `name="confirm" value="yes"`) || caseCount(t, st) != 1 {
		t.Errorf("unconfirmed delete: %d, %d records left", code, caseCount(t, st))
	}
	if code, _, _ := postForm(t, c, f.srv.URL+"/admin/cases/"+id+"/delete", url.Values{"_csrf": {tok}, "confirm": {"yes"}}); code != http.StatusSeeOther || caseCount(t, st) != 0 {
		t.Errorf("delete: %d", code)
	}
}

type latestJSON struct {
	ReleaseID *int64 `json:"release_id"`
	AsOf      string `json:"as_of"`
	Synthetic *bool  `json:"synthetic"`
	Threshold int    `json:"threshold"`
	Rounding  int    `json:"rounding"`
	Figures   []struct {
		Key, Display string
		Value        *int
	} `json:"figures"`
	Tables []struct {
		Key  string
		Rows []json.RawMessage
	} `json:"tables"`
	Error string `json:"error"`
}

func TestStatsPublic(t *testing.T) {
	eachCaseStore(t, func(t *testing.T, st *store.Store) {
		f := staffServer(t, st, web.Deps{})
		resp, body := f.get(t, "/api/v1/stats/latest")
		if resp.StatusCode != 404 || !strings.Contains(body, `"error":"No statistics release has been published yet."`) {
			t.Fatalf("before any release: %d %s", resp.StatusCode, body)
		}
		resp, body = f.get(t, "/stats")
		if resp.StatusCode != 200 || !strings.Contains(body, "No figures have been published yet.") {
			t.Errorf("page before any release: %d", resp.StatusCode)
		}
		if _, err := st.SeedDemo(context.Background(), store.DemoOptions{}, store.Audit{}); err != nil {
			t.Fatal(err)
		}
		f = staffServer(t, st, web.Deps{}) // a replica that has not cached "none"
		resp, body = f.get(t, "/api/v1/stats/latest")
		var l latestJSON
		if err := json.Unmarshal([]byte(body), &l); err != nil || resp.StatusCode != 200 {
			t.Fatalf("latest: %d %s", resp.StatusCode, body)
		}
		if l.ReleaseID == nil || *l.ReleaseID == 0 || l.Synthetic == nil || !*l.Synthetic || l.Threshold != 11 || l.Rounding != 5 ||
			!regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`).MatchString(l.AsOf) || len(l.Figures) < 20 || len(l.Tables) != 5 {
			t.Errorf("latest shape: %s", body[:min(len(body), 300)])
		}
		if l.Figures[0].Key != "cases" || l.Figures[0].Display != "4,000" {
			t.Errorf("cases = %+v", l.Figures[0])
		}
		_, list := f.get(t, "/api/v1/stats/releases")
		if !strings.Contains(list, `"release_id":`) || !strings.Contains(list, `"params":{"threshold":11,"rounding":5,"min_denominator":30}`) || strings.Contains(list, "count") {
			t.Errorf("releases list: %s", list)
		}
		resp, _ = f.get(t, fmt.Sprintf("/api/v1/stats/releases/%d", *l.ReleaseID))
		if resp.StatusCode != 200 {
			t.Errorf("release by id: %d", resp.StatusCode)
		}

		for lang, want := range map[string][]string{
			"en": {"Synthetic demonstration data", "Documented cases", "4,000", "How these figures protect", "fewer than 11", "Counts from 1 to 10 are never published",
				"or several hidden numbers together", "A percentage is a whole percent worked out from the published (rounded) counts",
				"means at least 30 cases", "Each new release is compared with every earlier one", "also assuming that cases were only added",
				"would be from 1 to 10 cases up or down, is not published. A release that would then show nothing new is not made."},
			"es": {"Datos de demostración sintéticos", "Casos documentados", "Cómo estas cifras protegen", "Las cifras de 1 a 10 nunca se publican", `lang="es"`,
				"o varias cifras ocultas juntas", "Un porcentaje es un porcentaje entero calculado a partir de las cifras publicadas",
				"corresponde a al menos 30 casos", "Cada edición nueva se compara con todas las anteriores", "también suponiendo que solo se añadieron casos",
				"fuera de 1 a 10 casos, hacia arriba o hacia abajo, no se publica"},
		} {
			resp, body := f.get(t, "/stats?lang="+lang)
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %d", lang, resp.StatusCode)
			}
			for _, w := range want {
				if !strings.Contains(body, w) {
					t.Errorf("/stats?lang=%s lacks %q", lang, w)
				}
			}
			// charts: accessible SVG, each also a table; no inline style or script
			if n := strings.Count(body, `role="img"`); n != 5 {
				t.Errorf("%s: %d charts", lang, n)
			}
			if strings.Count(body, "<table") != 5 || !strings.Contains(body, `aria-labelledby="chart-by-state-t chart-by-state-d"`) {
				t.Errorf("%s: charts without tables or labels", lang)
			}
			if strings.Contains(body, "style=") || strings.Contains(body, "<script") {
				t.Errorf("%s: inline style or script", lang)
			}
		}
	})
}

func TestPublishReleaseFlow(t *testing.T) {
	st := storetest.SQLite(t)
	f := staffServer(t, st, web.Deps{})
	addUser(t, st, "ed@example.org", auth.CaseEditor)
	c := browserClient(t)
	signIn(t, c, f.srv.URL, "ed@example.org")
	tok := csrfFrom(t, c, f.srv.URL+"/admin/stats/releases")

	// nothing to publish yet
	code, page, _ := postForm(t, c, f.srv.URL+"/admin/stats/releases", url.Values{"_csrf": {tok}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, "There are no case records") {
		t.Errorf("no records: %d", code)
	}
	if resp, _ := f.get(t, "/api/v1/stats/latest"); resp.StatusCode != 404 {
		t.Fatalf("latest: %d", resp.StatusCode)
	}
	if _, err := st.CreateCases(context.Background(), slices.Values(someCases(500, 8)), store.ImportOptions{}, store.Audit{}); err != nil {
		t.Fatal(err)
	}
	// a threshold below the floor is refused
	code, page, _ = postForm(t, c, f.srv.URL+"/admin/stats/releases", url.Values{"_csrf": {tok}, "threshold": {"5"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, "The threshold must be from 11") {
		t.Errorf("threshold 5: %d", code)
	}
	// preview: what would be published, not published yet
	code, page, _ = postForm(t, c, f.srv.URL+"/admin/stats/releases", url.Values{"_csrf": {tok}, "rounding": {"10"}})
	m := regexp.MustCompile(`name="confirm" value="([0-9a-f]+)"`).FindStringSubmatch(page)
	if code != 200 || m == nil || !strings.Contains(page, "Publish these figures") || !strings.Contains(page, "from 500 case records") || strings.Contains(page, "Synthetic demonstration") {
		t.Fatalf("preview: %d", code)
	}
	if resp, _ := f.get(t, "/api/v1/stats/latest"); resp.StatusCode != 404 {
		t.Errorf("a preview was published")
	}
	// the records change before confirming: shown again, not published
	if _, err := st.CreateCases(context.Background(), slices.Values(someCases(40, 9)), store.ImportOptions{}, store.Audit{}); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"_csrf": {tok}, "rounding": {"10"}, "threshold": {"11"}, "min_denominator": {"30"}, "confirm": {m[1]}}
	code, page, _ = postForm(t, c, f.srv.URL+"/admin/stats/releases", form)
	m2 := regexp.MustCompile(`name="confirm" value="([0-9a-f]+)"`).FindStringSubmatch(page)
	if code != http.StatusConflict || m2 == nil || m2[1] == m[1] || !strings.Contains(page, "changed since your preview") {
		t.Fatalf("changed records: %d", code)
	}
	form.Set("confirm", m2[1])
	code, _, loc := postForm(t, c, f.srv.URL+"/admin/stats/releases", form)
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/stats/releases/") {
		t.Fatalf("publish: %d %s", code, loc)
	}
	// this replica forgot its cached "none" at once
	resp, body := f.get(t, "/api/v1/stats/latest")
	var l latestJSON
	json.Unmarshal([]byte(body), &l)
	if resp.StatusCode != 200 || l.Rounding != 10 || *l.Synthetic || l.Figures[0].Display != "540" {
		t.Errorf("latest after publishing: %d %s", resp.StatusCode, body[:min(len(body), 200)])
	}
	code, page = do(t, c, http.MethodGet, f.srv.URL+loc, "", "", "")
	if code != 200 || !strings.Contains(page, "from 540 case records") {
		t.Errorf("release page: %d", code)
	}
	entries, _ := st.AuditLog(context.Background(), 0, 10)
	if entries[0].Action != "stats.release" || entries[0].ObjectType != "stats_release" {
		t.Errorf("audit: %+v", entries[0])
	}
}

// TestReleaseAgainstEarlier: a release is compared with the earlier ones;
// what it holds back is shown to the case editor before publishing, and a
// refusal gives its reason, on the staff page and in the API.
func TestReleaseAgainstEarlier(t *testing.T) {
	st := storetest.SQLite(t)
	f := staffServer(t, st, web.Deps{})
	ed := addUser(t, st, "ed@example.org", auth.CaseEditor)
	tok := bearer(t, st, ed)
	c := browserClient(t)
	signIn(t, c, f.srv.URL, "ed@example.org")
	csrf := csrfFrom(t, c, f.srv.URL+"/admin/stats/releases")
	ctx := context.Background()
	rs := someCases(3000, 8)
	if _, err := st.CreateCases(ctx, slices.Values(rs), store.ImportOptions{}, store.Audit{}); err != nil {
		t.Fatal(err)
	}
	api := f.srv.URL + "/api/v1/stats/releases"
	code, body := do(t, c, http.MethodPost, api, tok, "text/plain", `{"rounding":1}`)
	if code != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain: %d %s", code, body)
	}
	code, body = do(t, c, http.MethodPost, api, tok, "application/json", `{"rounding":1,"colour":"red"}`)
	if code != http.StatusBadRequest {
		t.Errorf("unknown field: %d %s", code, body)
	}
	code, body = do(t, c, http.MethodPost, api, tok, "application/json", `{"rounding":1}`)
	var first struct {
		ReleaseID int64 `json:"release_id"`
		Params    struct {
			Rounding int `json:"rounding"`
		} `json:"params"`
		HeldBack []struct{ Key, Label string } `json:"held_back"`
	}
	if err := json.Unmarshal([]byte(body), &first); err != nil || code != http.StatusCreated || first.ReleaseID == 0 || first.Params.Rounding != 1 || len(first.HeldBack) != 0 {
		t.Fatalf("publish: %d %s", code, body)
	}
	// 40 more cases, 3 of them in Arizona: unrounded, Arizona would show
	// the 3, so the preview holds it back and says so.
	var more []casestats.Record
	for i := range 40 {
		r := rs[i]
		r.State = "TX"
		if i < 3 {
			r.State = "AZ"
		}
		more = append(more, r)
	}
	if _, err := st.CreateCases(ctx, slices.Values(more), store.ImportOptions{}, store.Audit{}); err != nil {
		t.Fatal(err)
	}
	code, page, _ := postForm(t, c, f.srv.URL+"/admin/stats/releases", url.Values{"_csrf": {csrf}, "rounding": {"1"}})
	if code != 200 || !strings.Contains(page, "Held back because their change since an earlier release would reveal fewer than 11 cases") ||
		!strings.Contains(page, "<li>Cases by state or territory: AZ</li>") {
		t.Fatalf("preview: %d", code)
	}
	code, body = do(t, c, http.MethodPost, api, tok, "application/json", `{"rounding":1}`)
	if code != http.StatusCreated || !strings.Contains(body, `{"key":"by_state.AZ","label":"Cases by state or territory: AZ"}`) {
		t.Fatalf("second release: %d %s", code, body)
	}
	var second struct {
		ReleaseID int64 `json:"release_id"`
	}
	json.Unmarshal([]byte(body), &second)
	// two more cases: the total alone would give them away
	if _, err := st.CreateCases(ctx, slices.Values(someCases(2, 9)), store.ImportOptions{}, store.Audit{}); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("The release is too close to release #%d: the number of documented cases changed by too few; wait for more case records, or publish with a larger rounding.", second.ReleaseID)
	code, body = do(t, c, http.MethodPost, api, tok, "application/json", `{"rounding":1}`)
	var refused struct {
		Error   string `json:"error"`
		Reason  string `json:"reason"`
		Release int64  `json:"too_close_to_release"`
	}
	if err := json.Unmarshal([]byte(body), &refused); err != nil || code != http.StatusUnprocessableEntity || refused.Error != want ||
		refused.Reason != "the number of documented cases changed by too few" || refused.Release != second.ReleaseID {
		t.Fatalf("refusal: %d %s", code, body)
	}
	code, page, _ = postForm(t, c, f.srv.URL+"/admin/stats/releases", url.Values{"_csrf": {csrf}, "rounding": {"1"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, html.EscapeString(want)) {
		t.Fatalf("refusal on the staff page: %d", code)
	}
	// the default rounding publishes it
	if code, body = do(t, c, http.MethodPost, api, tok, "", ""); code != http.StatusCreated {
		t.Fatalf("rounded: %d %s", code, body)
	}
	entries, _ := st.AuditLog(ctx, 0, 1)
	if entries[0].Action != "stats.release.api" {
		t.Errorf("audit: %+v", entries[0])
	}
}

// Removing the demonstration records asks first, says how many go, and
// removes nothing until confirmed.
func TestRemoveDemoAsksFirst(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	if _, err := st.CreateCases(ctx, slices.Values(someCases(30, 9)), store.ImportOptions{Synthetic: true}, store.Audit{Action: "test"}); err != nil {
		t.Fatal(err)
	}
	f := staffServer(t, st, web.Deps{})
	addUser(t, st, "demo-ed@example.org", auth.CaseEditor)
	c := browserClient(t)
	signIn(t, c, f.srv.URL, "demo-ed@example.org")
	tok := csrfFrom(t, c, f.srv.URL+"/admin/cases")
	code, body, _ := postForm(t, c, f.srv.URL+"/admin/cases/remove-demo", url.Values{"_csrf": {tok}})
	if code != http.StatusOK || !strings.Contains(body, "30 generated demonstration records are deleted") || caseCount(t, st) != 30 {
		t.Fatalf("unconfirmed: %d, %d records left", code, caseCount(t, st))
	}
	if code, _, _ := postForm(t, c, f.srv.URL+"/admin/cases/remove-demo", url.Values{"_csrf": {tok}, "confirm": {"yes"}}); code != http.StatusSeeOther || caseCount(t, st) != 0 {
		t.Fatalf("confirmed: %d, %d records left", code, caseCount(t, st))
	}
}
