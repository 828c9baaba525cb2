package sendgrid

import (
	"bytes"
	"errors"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// inboundPost builds a post as Inbound Parse sends it.
func inboundPost(t *testing.T, fields map[string]string, attachment []byte) *http.Request {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if attachment != nil {
		fw, err := w.CreateFormFile("attachment1", "scan.pdf")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(attachment)
	}
	w.Close()
	r := httptest.NewRequest(http.MethodPost, "/webhooks/sendgrid/inbound", &b)
	r.Header.Set("Content-Type", w.FormDataContentType())
	return r
}

func TestParseInbound(t *testing.T) {
	r := inboundPost(t, map[string]string{
		"to": "Office <staff@house.gov>", "cc": "reply+abcdefgh@in.example.org", "from": "Rep. Office <rep@house.gov>",
		"subject": "Re: your letter", "text": "Thank you", "html": "<p>Thank you</p>", "spam_score": "0.1",
		"envelope": `{"to":["reply+MFRGGZDFMZTWQ2LK@in.example.org"],"from":"rep@house.gov"}`,
	}, bytes.Repeat([]byte("x"), 4096))
	m, err := ParseInbound(r)
	if err != nil {
		t.Fatal(err)
	}
	if m.From != "Rep. Office <rep@house.gov>" || m.Subject != "Re: your letter" || m.Text != "Thank you" || m.HTML != "<p>Thank you</p>" {
		t.Errorf("fields %+v", m)
	}
	if got := m.ReplyToken(); got != "mfrggzdfmztwq2lk" {
		t.Errorf("token %q: the envelope's recipient comes first, lower-cased", got)
	}
	m.EnvelopeTo = nil
	if got := m.ReplyToken(); got != "abcdefgh" {
		t.Errorf("token from cc = %q", got)
	}
	if (InboundMail{To: "someone@example.org", CC: "reply+short@x"}).ReplyToken() != "" {
		t.Error("no reply address: no token")
	}
}

func TestParseInboundRefusals(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("to=x"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, err := ParseInbound(r); !errors.Is(err, ErrNotMultipart) {
		t.Errorf("form post: %v", err)
	}
	big := inboundPost(t, map[string]string{"text": strings.Repeat("y", 2<<20)}, nil)
	rec := httptest.NewRecorder()
	big.Body = http.MaxBytesReader(rec, big.Body, 1<<20)
	var mbe *http.MaxBytesError
	if _, err := ParseInbound(big); !errors.As(err, &mbe) {
		t.Errorf("over the body limit: %v", err)
	}
	cut := inboundPost(t, map[string]string{"text": strings.Repeat("z", maxInboundField+10)}, nil)
	m, err := ParseInbound(cut)
	if err != nil || len(m.Text) != maxInboundField {
		t.Errorf("a field over 1 MB is cut to 1 MB: %d, %v", len(m.Text), err)
	}
	bad := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("--b\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nunterminated"))
	bad.Header.Set("Content-Type", "multipart/form-data; boundary=b")
	if _, err := ParseInbound(bad); err == nil || errors.Is(err, ErrNotMultipart) {
		t.Errorf("malformed body: %v", err)
	}
}
