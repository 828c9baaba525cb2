// Package deliverytest holds helpers for delivery tests: a local fake of
// SendGrid's v3 Mail Send API with programmable faults, and a signer for
// SendGrid's Event Webhook. They speak SendGrid's wire format, so the real
// adapter (internal/delivery/sendgrid) and the real webhook handler are
// what the tests exercise.
//
// Wire shapes follow SendGrid's documentation (the same pages cited in
// internal/delivery/sendgrid): POST /v3/mail/send with a Bearer API key
// and a JSON body; 202 Accepted with an empty body and an X-Message-Id
// header; 200 OK in sandbox mode; errors as {"errors":[{"message","field",
// "help"}]}; 429 with X-RateLimit-Limit, -Remaining and -Reset (unix
// seconds).
package deliverytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Address is a v3 email object.
type Address struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
}

// Content is one entry of a v3 content array.
type Content struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Personalization is one entry of a v3 personalizations array.
type Personalization struct {
	To         []Address         `json:"to"`
	Cc         []Address         `json:"cc,omitempty"`
	Bcc        []Address         `json:"bcc,omitempty"`
	Subject    string            `json:"subject,omitempty"`
	CustomArgs map[string]string `json:"custom_args,omitempty"`
	// Headers and Substitutions are per recipient: a bulk send's
	// List-Unsubscribe, and the values SendGrid puts in place of each
	// substitution key found in the content and the subject.
	Headers       map[string]string `json:"headers,omitempty"`
	Substitutions map[string]string `json:"substitutions,omitempty"`
}

// Mail is the part of a v3 mail-send body the fake checks and records.
// custom_args values must be strings on SendGrid, and decoding into
// map[string]string enforces that here too.
type Mail struct {
	Personalizations []Personalization `json:"personalizations"`
	From             *Address          `json:"from"`
	ReplyTo          *Address          `json:"reply_to,omitempty"`
	Subject          string            `json:"subject"`
	Content          []Content         `json:"content"`
	TemplateID       string            `json:"template_id,omitempty"`
	Headers          map[string]string `json:"headers,omitempty"`
	Categories       []string          `json:"categories,omitempty"`
	CustomArgs       map[string]string `json:"custom_args,omitempty"`
	MailSettings     *struct {
		SandboxMode *struct {
			Enable bool `json:"enable"`
		} `json:"sandbox_mode,omitempty"`
	} `json:"mail_settings,omitempty"`
}

// LetterID is the letter_id custom arg (0 when absent).
func (m Mail) LetterID() int64 {
	id, _ := strconv.ParseInt(m.CustomArgs["letter_id"], 10, 64)
	return id
}

// MailID is the mail_id custom arg of a supporter email (0 when absent).
func (m Mail) MailID() int64 {
	id, _ := strconv.ParseInt(m.CustomArgs["mail_id"], 10, 64)
	return id
}

// Delivered is one email as a recipient gets it from a request with
// personalizations: the substitutions applied, the headers merged.
type Delivered struct {
	To      string
	Subject string
	Text    string
	Headers map[string]string
}

// Expand is what each recipient of m gets. Substitutions are applied once,
// in a single pass over the text (a value is never substituted again).
func (m Mail) Expand() []Delivered {
	var text string
	for _, c := range m.Content {
		if c.Type == "text/plain" {
			text = c.Value
		}
	}
	out := make([]Delivered, 0, len(m.Personalizations))
	for _, p := range m.Personalizations {
		subject := m.Subject
		if p.Subject != "" {
			subject = p.Subject
		}
		h := map[string]string{}
		for k, v := range m.Headers {
			h[k] = v
		}
		for k, v := range p.Headers {
			h[k] = v
		}
		var pairs []string
		for k, v := range p.Substitutions {
			pairs = append(pairs, k, v)
		}
		r := strings.NewReplacer(pairs...)
		for _, to := range p.To {
			out = append(out, Delivered{To: to.Email, Subject: r.Replace(subject), Text: r.Replace(text), Headers: h})
		}
	}
	return out
}

// Kind is what the fake does with one request.
type Kind int

const (
	// KindAccept answers 202 with an X-Message-Id (200 in sandbox mode).
	KindAccept Kind = iota
	// KindRateLimit answers 429 with the X-RateLimit headers.
	KindRateLimit
	// KindServerError answers a 5xx with an error body.
	KindServerError
	// KindReject answers a 4xx with an error body (a permanent refusal).
	KindReject
	// KindDropAfterAccept reads the whole request, takes the message (it
	// counts as accepted) and closes the connection without answering: the
	// sender cannot know that SendGrid has the message.
	KindDropAfterAccept
	// KindDropBeforeAccept reads the whole request and closes the
	// connection without taking the message.
	KindDropBeforeAccept
)

func (k Kind) String() string {
	return [...]string{"accept", "rate-limit", "server-error", "reject", "drop-after-accept", "drop-before-accept"}[k]
}

// Answer is one programmed answer.
type Answer struct {
	Kind    Kind
	Status  int       // for KindServerError and KindReject
	Reset   time.Time // for KindRateLimit: X-RateLimit-Reset
	Message string    // error message for KindReject
	Field   string    // error field for KindReject
}

// Accept is a 202.
func Accept() Answer { return Answer{Kind: KindAccept} }

// RateLimited is a 429 whose X-RateLimit-Reset is reset.
func RateLimited(reset time.Time) Answer { return Answer{Kind: KindRateLimit, Reset: reset} }

// ServerError is a 5xx (500, 502, 503, ...).
func ServerError(status int) Answer { return Answer{Kind: KindServerError, Status: status} }

// Rejected is a 4xx with SendGrid's error body.
func Rejected(status int, message, field string) Answer {
	return Answer{Kind: KindReject, Status: status, Message: message, Field: field}
}

// DropAfterAccept and DropBeforeAccept close the connection after reading
// the request, with or without taking the message.
func DropAfterAccept() Answer  { return Answer{Kind: KindDropAfterAccept} }
func DropBeforeAccept() Answer { return Answer{Kind: KindDropBeforeAccept} }

// Request is one request the fake received and what it answered.
type Request struct {
	At        time.Time // when the body had been read
	APIKey    string
	Mail      Mail
	LetterID  int64
	MailID    int64 // a supporter email's mail_id custom arg
	Answer    Answer
	MessageID string // set when the message was accepted
}

// Accepted tells whether SendGrid took the message on this request.
func (r Request) Accepted() bool {
	return r.Answer.Kind == KindAccept || r.Answer.Kind == KindDropAfterAccept
}

// SendGrid is a local fake of the v3 Mail Send API. It is safe for
// concurrent use; its zero answer is Accept.
type SendGrid struct {
	// URL is the base URL to give the adapter (http://127.0.0.1:port).
	URL string
	// Delay holds every request this long after reading it (a slow API).
	Delay time.Duration

	srv *httptest.Server

	mu       sync.Mutex
	plans    map[int64][]Answer
	fallback func(Request) Answer
	requests []Request
	received map[int64]int
	accepted map[int64]int
	total    int // accepted messages
	// per recipient address: emails accepted (every personalization's to)
	toCounts   map[string]int
	recipients int
	// dropRequests: requests are recorded without their body (DropRequests).
	dropRequests bool
	seq          int64
	holdFn       func(Request) bool
	holdCh       chan struct{}
	held         int
	heldIDs      []int64
}

// NewSendGrid starts a fake SendGrid on 127.0.0.1, closed when the test
// ends.
func NewSendGrid(t testing.TB) *SendGrid {
	t.Helper()
	f := &SendGrid{plans: map[int64][]Answer{}, received: map[int64]int{}, accepted: map[int64]int{}, toCounts: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	f.URL = f.srv.URL
	t.Cleanup(func() {
		f.Release()
		f.srv.CloseClientConnections()
		f.srv.Close()
	})
	return f
}

// Plan queues answers for a letter's next requests, in order; once they
// are used up the fallback (Accept by default) answers.
func (f *SendGrid) Plan(letterID int64, answers ...Answer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.plans[letterID] = append(f.plans[letterID], answers...)
}

// Fallback sets the answer for requests with no plan (nil: Accept).
func (f *SendGrid) Fallback(fn func(Request) Answer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fallback = fn
}

// Hold makes requests that match wait, after their body was read and
// before they are answered, until Release. Held requests are answered as
// usual when released, even if the client has gone (as SendGrid would:
// a message it has read is sent).
func (f *SendGrid) Hold(match func(Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.holdFn = match
	f.holdCh = make(chan struct{})
	f.held, f.heldIDs = 0, nil
}

// HeldLetters lists the letters of the requests held since the last Hold.
func (f *SendGrid) HeldLetters() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int64(nil), f.heldIDs...)
}

// Held is how many requests are waiting in Hold.
func (f *SendGrid) Held() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.held
}

// Release lets held requests go and stops holding new ones.
func (f *SendGrid) Release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.holdCh != nil {
		close(f.holdCh)
	}
	f.holdFn, f.holdCh = nil, nil
}

// Received is how many requests arrived for a letter.
func (f *SendGrid) Received(letterID int64) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.received[letterID]
}

// Accepted is how many times SendGrid took a letter's message.
func (f *SendGrid) Accepted(letterID int64) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.accepted[letterID]
}

// DropRequests stops keeping each request's body (a benchmark's memory);
// the counts are kept.
func (f *SendGrid) DropRequests() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dropRequests = true
}

// AcceptedRecipients is how many emails were taken in all, counting each
// recipient of each accepted request.
func (f *SendGrid) AcceptedRecipients() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.recipients
}

// AcceptedTo copies how many emails were taken per recipient address.
func (f *SendGrid) AcceptedTo() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.toCounts))
	for k, v := range f.toCounts {
		out[k] = v
	}
	return out
}

// AcceptedTotal is how many messages were taken in all.
func (f *SendGrid) AcceptedTotal() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.total
}

// AcceptedCounts copies the per-letter acceptance counts.
func (f *SendGrid) AcceptedCounts() map[int64]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[int64]int, len(f.accepted))
	for k, v := range f.accepted {
		out[k] = v
	}
	return out
}

// Requests returns the requests for a letter in arrival order (all of
// them for letterID 0).
func (f *SendGrid) Requests(letterID int64) []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Request
	for _, r := range f.requests {
		if letterID == 0 || r.LetterID == letterID {
			out = append(out, r)
		}
	}
	return out
}

// Reset forgets recorded requests (not plans).
func (f *SendGrid) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = nil
	f.received = map[int64]int{}
	f.accepted = map[int64]int{}
	f.total = 0
	f.toCounts = map[string]int{}
	f.recipients = 0
}

// errorBody writes SendGrid's error shape.
func errorBody(w http.ResponseWriter, status int, message, field string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	var fieldJSON any
	if field != "" {
		fieldJSON = field
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{"message": message, "field": fieldJSON, "help": nil}}})
}

// maxMailBody is SendGrid's limit on a whole message (30 MB).
const maxMailBody = 30 << 20

func (f *SendGrid) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v3/mail/send" {
		errorBody(w, http.StatusNotFound, "resource not found", "")
		return
	}
	if r.Method != http.MethodPost {
		errorBody(w, http.StatusMethodNotAllowed, "method not allowed", "")
		return
	}
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(key) == "" {
		errorBody(w, http.StatusUnauthorized, "The provided authorization grant is invalid, expired, or revoked", "")
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		errorBody(w, http.StatusUnsupportedMediaType, "Content-Type should be application/json.", "")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxMailBody+1))
	if err != nil {
		return // the client went away mid-request: nothing was sent
	}
	if len(body) > maxMailBody {
		errorBody(w, http.StatusRequestEntityTooLarge, "Email size exceeds the limit of 30MB", "")
		return
	}
	var m Mail
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&m); err != nil {
		errorBody(w, http.StatusBadRequest, "Bad Request", "")
		return
	}
	if msg, field := validate(m); msg != "" {
		errorBody(w, http.StatusBadRequest, msg, field)
		return
	}
	req := Request{At: time.Now(), APIKey: key, Mail: m, LetterID: m.LetterID(), MailID: m.MailID()}

	f.mu.Lock()
	hold := f.holdCh
	if hold != nil && f.holdFn != nil && f.holdFn(req) {
		f.held++
		f.heldIDs = append(f.heldIDs, req.LetterID)
	} else {
		hold = nil
	}
	f.mu.Unlock()
	if hold != nil {
		<-hold
	}
	if f.Delay > 0 {
		time.Sleep(f.Delay)
	}

	f.mu.Lock()
	var a Answer
	if plan := f.plans[req.LetterID]; req.LetterID != 0 && len(plan) > 0 {
		a, f.plans[req.LetterID] = plan[0], plan[1:]
	} else if f.fallback != nil {
		fb := f.fallback
		f.mu.Unlock()
		a = fb(req)
		f.mu.Lock()
	}
	req.Answer = a
	f.received[req.LetterID]++
	if req.Accepted() {
		f.seq++
		req.MessageID = fmt.Sprintf("fAkE%010dsgMsgId", f.seq)
		f.accepted[req.LetterID]++
		f.total++
		for _, p := range m.Personalizations {
			for _, to := range p.To {
				f.toCounts[strings.ToLower(to.Email)]++
				f.recipients++
			}
		}
	}
	if f.dropRequests {
		req.Mail = Mail{CustomArgs: m.CustomArgs}
	}
	f.requests = append(f.requests, req)
	f.mu.Unlock()

	sandbox := m.MailSettings != nil && m.MailSettings.SandboxMode != nil && m.MailSettings.SandboxMode.Enable
	switch a.Kind {
	case KindAccept:
		if sandbox {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.Header().Set("X-Message-Id", req.MessageID)
		w.WriteHeader(http.StatusAccepted)
	case KindRateLimit:
		w.Header().Set("X-RateLimit-Limit", "600")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(a.Reset.Unix(), 10))
		errorBody(w, http.StatusTooManyRequests, "too many requests", "")
	case KindServerError:
		status := a.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		errorBody(w, status, "internal server error", "")
	case KindReject:
		status := a.Status
		if status == 0 {
			status = http.StatusBadRequest
		}
		errorBody(w, status, a.Message, a.Field)
	case KindDropAfterAccept, KindDropBeforeAccept:
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic("deliverytest: response writer cannot be hijacked")
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			conn.Close()
		}
	}
}

// validate checks what SendGrid checks on every message, answering its
// message and field for the first problem.
func validate(m Mail) (message, field string) {
	if len(m.Personalizations) == 0 {
		return "The personalizations field is required and must have at least one personalization.", "personalizations"
	}
	if n := len(m.Personalizations); n > 1000 {
		return fmt.Sprintf("The personalization block is limited to 1000 personalizations per API request. You have provided %d personalizations. Please consider splitting this into multiple requests and resending your request.", n), "personalizations"
	}
	seen, total := map[string]bool{}, 0
	for i, p := range m.Personalizations {
		for _, a := range append(append(append([]Address{}, p.To...), p.Cc...), p.Bcc...) {
			total++
			if k := strings.ToLower(a.Email); seen[k] {
				return "Each unique email address in the personalizations array should only be included once. You have included [email address] more than once.", fmt.Sprintf("personalizations.%d.to", i)
			} else {
				seen[k] = true
			}
		}
		size := 0
		for k, v := range p.Substitutions {
			size += len(k) + len(v)
		}
		if size > 10000 {
			return "The total collective size of your substitutions may not exceed 10,000 bytes per personalization object.", fmt.Sprintf("personalizations.%d.substitutions", i)
		}
	}
	if total > 1000 {
		return "There is a limit of 1000 total recipients (to + cc + bcc) per request.", "personalizations"
	}
	for i, p := range m.Personalizations {
		if len(p.To) == 0 {
			return "The to array is required for all personalization objects, and must have at least one email object with a valid email address.", fmt.Sprintf("personalizations.%d.to", i)
		}
		for j, a := range append(append(append([]Address{}, p.To...), p.Cc...), p.Bcc...) {
			if !validEmail(a.Email) {
				return "Does not contain a valid address.", fmt.Sprintf("personalizations.%d.to.%d.email", i, j)
			}
		}
	}
	if m.From == nil || !validEmail(m.From.Email) {
		return "The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.", "from.email"
	}
	if m.ReplyTo != nil && !validEmail(m.ReplyTo.Email) {
		return "Does not contain a valid address.", "reply_to.email"
	}
	if m.TemplateID == "" {
		if strings.TrimSpace(m.Subject) == "" {
			missing := true
			for _, p := range m.Personalizations {
				if p.Subject != "" {
					missing = false
				}
			}
			if missing {
				return "The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.", "subject"
			}
		}
		if len(m.Content) == 0 {
			return "Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block.", "content"
		}
		for i, c := range m.Content {
			if c.Type == "" || c.Value == "" {
				return "The content value must be a string at least one character in length.", fmt.Sprintf("content.%d.value", i)
			}
			if i > 0 && c.Type == "text/plain" {
				return "If present, text/plain content must be first, followed by any other content.", "content"
			}
		}
	}
	headers := []string{}
	for k := range m.Headers {
		headers = append(headers, k)
	}
	for _, p := range m.Personalizations {
		for k := range p.Headers {
			headers = append(headers, k)
		}
	}
	for _, k := range headers {
		if strings.EqualFold(k, "x-sg-id") || strings.EqualFold(k, "x-sg-eid") || strings.EqualFold(k, "received") || strings.EqualFold(k, "dkim-signature") ||
			strings.EqualFold(k, "content-type") || strings.EqualFold(k, "content-transfer-encoding") || strings.EqualFold(k, "to") ||
			strings.EqualFold(k, "from") || strings.EqualFold(k, "subject") || strings.EqualFold(k, "reply-to") || strings.EqualFold(k, "cc") || strings.EqualFold(k, "bcc") {
			return "This header is reserved and cannot be set.", "headers"
		}
	}
	return "", ""
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}
