package cwc

import (
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/delivery"
)

const (
	testHouseKey  = "house-key-5b1f0c7e"
	testSenateKey = "senate-key-9d2a4e61"
)

// testConfig is a complete delivery-agent identity; URLs are filled in by
// the tests that talk to a server.
func testConfig() Config {
	return Config{
		DeliveryAgent: "Families Together Coalition",
		AckEmail:      "cwc-ack@familiestogether.example.org",
		AgentContact: Contact{
			Name:  "Dana Whitfield",
			Email: "dana.whitfield@familiestogether.example.org",
			Phone: "(202) 555-0143",
		},
		Organization: "Families Together Coalition",
		OrganizationContact: Contact{
			Name:  "Jordan Alvarez",
			Email: "jordan.alvarez@familiestogether.example.org",
			Phone: "202.555.0178",
		},
		OrganizationAbout: "A coalition of faith, legal-aid & community groups working to reunite families separated at the border.",
	}
}

// testMessage is a realistic letter from a California constituent.
func testMessage(officeCode string) delivery.Message {
	office := delivery.Office{BioguideID: "P000197", Name: "Nancy Pelosi", Title: "Representative", Chamber: "house", State: "CA", Code: officeCode}
	if strings.HasPrefix(officeCode, "S") {
		office = delivery.Office{BioguideID: "P000145", Name: "Alex Padilla", Title: "Senator", Chamber: "senate", State: "CA", Code: officeCode}
	}
	return delivery.Message{
		LetterID:   4182,
		DeliveryID: "7f3c9a1e5b2d4c8f9a0e1b2c3d4e5f60",
		Campaign: delivery.Campaign{
			ID: 12, Slug: "reunite-families-2025", Title: "Reunite separated families",
			LOCTopic: "Immigration",
		},
		Office: office,
		From: delivery.Constituent{
			Prefix:     "Ms.",
			FirstName:  "María",
			MiddleName: "Luisa",
			LastName:   "Hernández-O'Brien",
			Address1:   "2450 Mission St",
			Address2:   "Apt 4B",
			City:       "San Francisco",
			State:      "CA",
			ZIP:        "94110-1321",
			Phone:      "+1 (415) 555-0142",
			Email:      "maria.hernandez@example.net",
		},
		Subject: "Reunite families separated at the border",
		OrganizationStatement: "We urge you to support legislation that reunites every family separated at the border & guarantees children <5 years old are never held apart from their parents.\n\n" +
			"Families Together Coalition represents 40 community organizations.",
		Body: "My neighbor's son was held for 74 days before she could speak to him.\r\n" +
			"I am asking you, as your constituent, to make sure this never happens again.\r\n\r\n" +
			"Thank you for reading.",
		CreatedAt: time.Date(2025, 3, 14, 16, 5, 0, 0, time.UTC),
	}
}

// testDate is the DeliveryDate the golden files are written with.
var testDate = time.Date(2025, 3, 14, 17, 30, 0, 0, time.UTC)

// fault is what the fake CWC does with the next POST.
type fault struct {
	status     int    // answer with this status (400, 429, 503, 302, ...)
	body       string // answer body
	retryAfter string // Retry-After header
	slow       bool   // answer only after the client gave up
	hangup     bool   // read the request, then close the connection
}

// received is a message the fake accepted, parsed back from the wire.
type received struct {
	path        string
	deliveryID  string
	office      string
	version     string
	contentType string
}

// fakeCWC is an httptest server speaking the CWC wire format: House
// POST /v2/message, Senate POST /api/messages/ and /api/testing-messages/
// and GET /api/active_offices/, keys in ?apikey=, XML bodies checked.
type fakeCWC struct {
	t   *testing.T
	srv *httptest.Server

	mu          sync.Mutex
	faults      []fault
	posts       int
	accepted    []received
	seen        map[string]bool // DeliveryIds the Senate side already has
	officesBody string
	officesCode int
	officeGets  int
}

func newFakeCWC(t *testing.T) *fakeCWC {
	t.Helper()
	f := &fakeCWC{t: t, seen: map[string]bool{}, officesCode: http.StatusOK, officesBody: activeOfficesJSON}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// realistic active_offices answer (shape per climatechangemakers/parse-congress-info).
const activeOfficesJSON = `[
  {"name": "Alex Padilla [bioguide_id: P000145]", "office_code": "SCA03", "state": "CA"},
  {"name": "Amy Klobuchar [bioguide_id: K000367]", "office_code": "SMN01", "state": "MN"},
  {"name": "Angus S. King, Jr. [bioguide_id: K000383]", "office_code": "SME01", "state": "ME"}
]`

func (f *fakeCWC) push(fs ...fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, fs...)
}

func (f *fakeCWC) counts() (posts, accepted, officeGets int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.posts, len(f.accepted), f.officeGets
}

func (f *fakeCWC) config() Config {
	cfg := testConfig()
	cfg.HouseURL, cfg.HouseAPIKey = f.srv.URL, testHouseKey
	cfg.SenateURL, cfg.SenateAPIKey = f.srv.URL, testSenateKey
	return cfg
}

func (f *fakeCWC) serve(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Query().Get("apikey")
	switch {
	case r.URL.Path == "/api/active_offices/" && r.Method == http.MethodGet:
		if key != testSenateKey {
			http.Error(w, "bad key", http.StatusUnauthorized)
			return
		}
		f.mu.Lock()
		f.officeGets++
		code, body := f.officesCode, f.officesBody
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		io.WriteString(w, body)
	case r.URL.Path == "/v2/message", r.URL.Path == "/api/messages/", r.URL.Path == "/api/testing-messages/":
		f.message(w, r, key)
	default:
		http.NotFound(w, r)
	}
}

// cwcDoc is the part of a CWC document the fake checks.
type cwcDoc struct {
	XMLName    xml.Name `xml:"CWC"`
	Version    string   `xml:"CWCVersion"`
	DeliveryID string   `xml:"Delivery>DeliveryId"`
	Office     string   `xml:"Recipient>MemberOffice"`
}

func (f *fakeCWC) message(w http.ResponseWriter, r *http.Request, key string) {
	house := r.URL.Path == "/v2/message"
	if r.Method != http.MethodPost {
		http.Error(w, "method", http.StatusMethodNotAllowed)
		return
	}
	if (house && key != testHouseKey) || (!house && key != testSenateKey) {
		writeErrors(w, http.StatusUnauthorized, "Invalid API key")
		return
	}
	ct := r.Header.Get("Content-Type")
	if mt, _, _ := mime.ParseMediaType(ct); mt != "application/xml" {
		http.Error(w, "Content-Type must be application/xml", http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	f.mu.Lock()
	f.posts++
	var next fault
	if len(f.faults) > 0 {
		next, f.faults = f.faults[0], f.faults[1:]
	}
	f.mu.Unlock()

	var doc cwcDoc
	if err := xml.Unmarshal(body, &doc); err != nil {
		writeErrors(w, http.StatusBadRequest, "XML is not well formed")
		return
	}
	if doc.Version != "2.0" {
		writeErrors(w, http.StatusBadRequest, "CWCVersion must be 2.0")
		return
	}
	if want := map[bool]string{true: "H", false: "S"}[house]; !strings.HasPrefix(doc.Office, want) {
		writeErrors(w, http.StatusBadRequest, "MemberOffice is not an office of this chamber")
		return
	}

	switch {
	case next.hangup:
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	case next.slow:
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		return
	case next.status != 0:
		if next.retryAfter != "" {
			w.Header().Set("Retry-After", next.retryAfter)
		}
		if strings.HasPrefix(next.body, "<") {
			w.Header().Set("Content-Type", "application/xml")
		}
		if next.status >= 300 && next.status < 400 {
			w.Header().Set("Location", "https://elsewhere.example/")
		}
		w.WriteHeader(next.status)
		io.WriteString(w, next.body)
		return
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	if !house && f.seen[doc.DeliveryID] {
		writeErrors(w, http.StatusConflict, "Duplicate DeliveryId")
		return
	}
	f.seen[doc.DeliveryID] = true
	f.accepted = append(f.accepted, received{path: r.URL.Path, deliveryID: doc.DeliveryID, office: doc.Office, version: doc.Version, contentType: ct})
	if house {
		w.WriteHeader(http.StatusOK)
	} else {
		w.WriteHeader(http.StatusCreated)
	}
}

func writeErrors(w http.ResponseWriter, status int, msgs ...string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	io.WriteString(w, "<Errors>")
	for _, m := range msgs {
		io.WriteString(w, "<Error>")
		xml.EscapeText(w, []byte(m))
		io.WriteString(w, "</Error>")
	}
	io.WriteString(w, "</Errors>")
}

// newTestClient is a Client against f with a short timeout.
func newTestClient(t *testing.T, f *fakeCWC, edit func(*Config)) *Client {
	t.Helper()
	cfg := f.config()
	cfg.Timeout = 2 * time.Second
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(cfg, f.srv.Client())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

type deliveryMessage = delivery.Message

func fmtV(v any) string      { return fmt.Sprintf("%v %+v", v, v) }
func fmtSharpV(v any) string { return fmt.Sprintf("%#v", v) }
