package web_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"golang.org/x/text/encoding/charmap"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/casestats"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/cwc"
	"github.com/outreach-org/outreach/internal/delivery/deliverytest"
	"github.com/outreach-org/outreach/internal/delivery/outbox"
	"github.com/outreach-org/outreach/internal/delivery/sendgrid"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/web"
)

// reviewedLetter is one letter of the review page: the office it is to,
// its subject, and the text of its <pre> (the whole letter as shown), with
// the parts the page marks: the letter itself, the sender block and the
// organization statement.
type reviewedLetter struct {
	To, Subject, Text, Letter, Sender, Statement string
}

var (
	articleRE = regexp.MustCompile(`(?s)<article class="letter"[^>]*>(.*?)</article>`)
	h3RE      = regexp.MustCompile(`(?s)<h3[^>]*>(.*?)</h3>`)
	subjectRE = regexp.MustCompile(`(?s)<p class="subject">(.*?)</p>`)
	preRE     = regexp.MustCompile(`(?s)<pre class="body[^"]*"[^>]*>(.*?)</pre>`)
	tagRE     = regexp.MustCompile(`<[^>]+>`)
)

func spanText(block, class string) string {
	m := regexp.MustCompile(`(?s)<span class="` + class + `">(.*?)</span>`).FindStringSubmatch(block)
	if m == nil {
		return ""
	}
	return pageText(m[1])
}

func pageText(s string) string { return html.UnescapeString(tagRE.ReplaceAllString(s, "")) }

// reviewLetters reads the letters of a review page.
func reviewLetters(t *testing.T, page string) []reviewedLetter {
	t.Helper()
	var out []reviewedLetter
	for _, a := range articleRE.FindAllStringSubmatch(page, -1) {
		var r reviewedLetter
		if m := h3RE.FindStringSubmatch(a[1]); m != nil {
			r.To = pageText(m[1])
		}
		if m := subjectRE.FindStringSubmatch(a[1]); m != nil {
			_, r.Subject, _ = strings.Cut(pageText(m[1]), ": ")
		}
		if m := preRE.FindStringSubmatch(a[1]); m != nil {
			r.Text = pageText(m[1])
			r.Letter, r.Sender, r.Statement = spanText(m[1], "letter-text"), spanText(m[1], "sender"), spanText(m[1], "statement-text")
			if r.Letter == "" {
				r.Letter = r.Text // a page that does not mark the parts
			}
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		t.Fatalf("no letters on the review page:\n%s", page)
	}
	return out
}

// fakeCWC records every message posted to it and accepts it.
type fakeCWC struct {
	*httptest.Server
	mu   sync.Mutex
	docs [][]byte
}

func newFakeCWC(t *testing.T) *fakeCWC {
	f := &fakeCWC{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/v2/message" || r.URL.Query().Get("apikey") != "house-key" {
			http.Error(w, "unexpected request", http.StatusNotFound)
			return
		}
		f.mu.Lock()
		f.docs = append(f.docs, b)
		f.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(f.Close)
	return f
}

// cwcMessage is the Message element of a CWC document.
type cwcMessage struct {
	Subject               string  `xml:"Message>Subject"`
	OrganizationStatement *string `xml:"Message>OrganizationStatement"`
	ConstituentMessage    *string `xml:"Message>ConstituentMessage"`
}

// anyOffice lets SendGrid deliver to an office with no published address
// (none has one in the directory), to a test address, so that the real
// adapter's request can be compared with the review.
type anyOffice struct{ *sendgrid.Client }

func (a anyOffice) Accepts(context.Context, delivery.Office) bool { return true }

func (a anyOffice) Send(ctx context.Context, m delivery.Message) (delivery.Result, error) {
	m.Office.Email = strings.ToLower(m.Office.Code) + "@mail.senate.example.gov"
	return a.Client.Send(ctx, m)
}

// deliverWith gives letter id one turn of a delivery worker that has only
// sender, at any hour.
func deliverWith(t *testing.T, st *store.Store, a *actionFixture, sender delivery.Sender, id int64) {
	t.Helper()
	set := dispatch.DefaultSettings()
	set.Channels = []delivery.Channel{sender.Channel()}
	set.OfficeDays, set.OfficeOpen, set.OfficeClose, set.TimeZone, set.OfficeHourlyCap = "sun-sat", "00:00", "24:00", "UTC", 0
	info := func(ctx context.Context, id int64) (delivery.Campaign, error) {
		c, err := st.Campaign(ctx, id)
		return delivery.Campaign{ID: c.ID, Slug: c.Slug, Title: c.Title, LOCTopic: c.LOCTopic}, err
	}
	w := dispatch.NewWorker(st, a.keys, []delivery.Sender{sender}, info, set, discard(), nil)
	if err := w.Work(context.Background(), &river.Job[dispatch.DeliverArgs]{Args: dispatch.DeliverArgs{LetterID: id}}); err != nil {
		t.Fatalf("deliver letter %d by %s: %v", id, sender.Channel(), err)
	}
	l, err := st.LetterByID(context.Background(), id)
	if err != nil || l.Channel != string(sender.Channel()) || (l.Status != delivery.StatusSent && l.Status != delivery.StatusDelivered && l.Status != delivery.StatusOutbox) {
		t.Fatalf("letter %d after its turn: %s by %q (%v)", id, l.Status, l.Channel, err)
	}
}

// TestEveryChannelDeliversTheReviewedLetter: a supporter reviews their
// letters, sends and confirms them; then each channel delivers one (CWC
// the House letter, SendGrid and the outbox a senator's each) and staff
// print the House office's packet. What each channel carries is the text
// the review page showed: CWC's ConstituentMessage is the letter (their
// own paragraph inside it) and OrganizationStatement the campaign's
// statement; SendGrid's body, the outbox row and the supporter's copy are
// the page's text exactly (letter, sender block, statement); the packet
// prints the letter and the statement, under the postal sender block.
//
// The letters quote a release made from real (not demonstration) records:
// letters quoting synthetic figures never reach CWC, SendGrid or a packet.
func TestEveryChannelDeliversTheReviewedLetter(t *testing.T) {
	eachCaseStore(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		if _, err := st.CreateCases(ctx, slices.Values(slices.Collect(casestats.Synthetic(3000, 5))), store.ImportOptions{}, store.Audit{}); err != nil {
			t.Fatal(err)
		}
		if rel, err := st.CreateRelease(ctx, store.ReleaseRequest{}, store.Audit{}); err != nil || rel.Synthetic {
			t.Fatalf("release %+v, %v", rel, err)
		}
		const statement = "Families Together documents every separation case. {{stat \"children_separated\"}} children were separated; we ask Congress for oversight."
		a := newActionServer(t, st, "delivered-"+string(st.Dialect()), campaign.Live, func(c *campaign.Campaign) { c.OrganizationStatement = statement })
		form := supporter("94110", "CA")
		note := form.Get("note")

		c := browserClient(t)
		code, page := a.post(t, c, "/c/"+a.camp.Slug, form)
		if code != 200 {
			t.Fatalf("review: %d %s", code, page)
		}
		reviewed := reviewLetters(t, page)
		for _, r := range reviewed {
			if !strings.Contains(r.Letter, note) || !strings.Contains(r.Text, "children were separated; we ask Congress") ||
				!strings.Contains(r.Text, "Statement from Families Together:") || !strings.Contains(r.Text, "ana@example.org") {
				t.Errorf("the review does not show the whole letter (their paragraph, sender, statement): %+v", r)
			}
		}
		if code, body := a.post(t, c, "/c/"+a.camp.Slug+"/send", form); code != 200 {
			t.Fatalf("send: %d %s", code, body)
		}
		if code, body := a.confirm(t, c, a.confirmLink(t)); code != 200 {
			t.Fatalf("confirm: %d %s", code, body)
		}
		a.waitMail(t)

		letters, err := st.Letters(ctx, store.LetterFilter{CampaignID: a.camp.ID, Limit: 10})
		if err != nil || len(letters) != len(reviewed) || len(letters) < 3 {
			t.Fatalf("%d letters for %d reviewed: %v", len(letters), len(reviewed), err)
		}
		review := map[int64]reviewedLetter{}
		var house, senate []int64
		officeOf := map[int64]delivery.Office{}
		for _, l := range letters {
			var sl delivery.Sealed
			if err := a.keys.OpenJSON(l.Sealed, delivery.LetterAAD(l.ID), &sl); err != nil {
				t.Fatal(err)
			}
			officeOf[l.ID] = sl.Office
			for _, r := range reviewed {
				if strings.HasSuffix(r.To, " "+sl.Office.Name) {
					review[l.ID] = r
				}
			}
			if _, ok := review[l.ID]; !ok {
				t.Fatalf("no reviewed letter to %s", sl.Office.Name)
			}
			if strings.HasPrefix(l.OfficeCode, "H") {
				house = append(house, l.ID)
			} else {
				senate = append(senate, l.ID)
			}
		}
		if len(house) != 1 || len(senate) != 2 {
			t.Fatalf("house %v, senate %v", house, senate)
		}

		// Every channel carries the letter with the supporter's own
		// paragraph and the statement, as the review showed them.
		const statementText = "children were separated; we ask Congress for oversight."
		whole := func(t *testing.T, channel, text string) {
			t.Helper()
			if !strings.Contains(text, note) || !strings.Contains(text, statementText) || !strings.Contains(text, "Dear ") {
				t.Errorf("%s does not carry the whole letter (greeting, their paragraph, statement):\n%s", channel, text)
			}
		}

		t.Run("cwc", func(t *testing.T) {
			fc := newFakeCWC(t)
			cwcClient, err := cwc.New(cwc.Config{HouseURL: fc.URL, HouseAPIKey: "house-key", DeliveryAgent: "Families Together", AckEmail: "cwc@families.example.org",
				AgentContact: cwc.Contact{Name: "Dana Whitfield", Email: "dana@families.example.org", Phone: "202-555-0143"}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			deliverWith(t, st, a, cwcClient, house[0])
			if len(fc.docs) != 1 {
				t.Fatalf("CWC received %d messages", len(fc.docs))
			}
			var cm cwcMessage
			if err := xml.Unmarshal(fc.docs[0], &cm); err != nil {
				t.Fatal(err)
			}
			r := review[house[0]]
			if cm.ConstituentMessage == nil || *cm.ConstituentMessage != r.Letter {
				t.Errorf("CWC ConstituentMessage is not the reviewed letter:\n%v\nreviewed:\n%s", deref(cm.ConstituentMessage), r.Letter)
			}
			if cm.OrganizationStatement == nil || *cm.OrganizationStatement != r.Statement || r.Statement == "" {
				t.Errorf("CWC OrganizationStatement is not the reviewed statement:\n%v\nreviewed:\n%s", deref(cm.OrganizationStatement), r.Statement)
			}
			if cm.Subject != r.Subject {
				t.Errorf("CWC subject %q, reviewed %q", cm.Subject, r.Subject)
			}
			whole(t, "CWC", deref(cm.ConstituentMessage)+"\n"+deref(cm.OrganizationStatement))
			if !strings.HasPrefix(deref(cm.ConstituentMessage), "Dear ") {
				t.Errorf("CWC ConstituentMessage is not the letter: %s", deref(cm.ConstituentMessage))
			}
		})

		t.Run("sendgrid", func(t *testing.T) {
			fake := deliverytest.NewSendGrid(t)
			sg, err := sendgrid.New(sendgrid.Config{APIKey: "SG.test-key", BaseURL: fake.URL, FromEmail: "letters@families.example.org", FromName: "Families Together"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			deliverWith(t, st, a, anyOffice{sg}, senate[0])
			reqs := fake.Requests(senate[0])
			if len(reqs) != 1 || len(reqs[0].Mail.Content) != 1 {
				t.Fatalf("SendGrid requests for the letter: %+v", reqs)
			}
			r := review[senate[0]]
			whole(t, "SendGrid", reqs[0].Mail.Content[0].Value)
			if got := reqs[0].Mail.Content[0].Value; got != r.Text {
				t.Errorf("SendGrid body is not the reviewed text:\n%s\nreviewed:\n%s", got, r.Text)
			}
			if reqs[0].Mail.Subject != r.Subject {
				t.Errorf("SendGrid subject %q, reviewed %q", reqs[0].Mail.Subject, r.Subject)
			}
		})

		admin := bearer(t, st, addUser(t, st, "admin-"+string(st.Dialect())+"@families.example.org", auth.Admin))
		t.Run("outbox", func(t *testing.T) {
			deliverWith(t, st, a, outbox.New(st, a.keys), senate[1])
			rows, err := st.Outbox(ctx, "letter", 0, 10)
			if err != nil || len(rows) != 1 {
				t.Fatalf("outbox letters: %d %v", len(rows), err)
			}
			code, body := do(t, http.DefaultClient, http.MethodGet, a.srv.URL+fmt.Sprintf("/api/v1/outbox/%d", rows[0].ID), admin, "", "")
			var answer struct {
				Message struct{ Subject, Text string }
			}
			if err := json.Unmarshal([]byte(body), &answer); code != 200 || err != nil {
				t.Fatalf("outbox row: %d %v %s", code, err, body)
			}
			row := answer.Message
			r := review[senate[1]]
			whole(t, "the outbox row", row.Text)
			if row.Text != r.Text || row.Subject != r.Subject {
				t.Errorf("outbox row is not the reviewed letter:\n%s\n%s\nreviewed:\n%s\n%s", row.Subject, row.Text, r.Subject, r.Text)
			}
		})

		t.Run("supporter copy", func(t *testing.T) {
			copyText := ""
			msgs, err := st.Outbox(ctx, "supporter", 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				so, err := outbox.Open(a.keys, m.ID, m.Sealed)
				if err == nil && so.Email != nil && so.Email.Subject == "Your letters to Congress" {
					copyText = so.Email.Text
				}
			}
			if copyText == "" {
				t.Fatal("no copy email")
			}
			whole(t, "the supporter's copy", copyText)
			for _, r := range reviewed {
				if !strings.Contains(copyText, "Subject: "+r.Subject+"\n\n"+r.Text) {
					t.Errorf("the supporter's copy lacks the letter as reviewed:\n%s\nreviewed:\n%s", copyText, r.Text)
				}
			}
		})

		t.Run("packet", func(t *testing.T) {
			code, pdf := do(t, http.DefaultClient, http.MethodGet, a.srv.URL+fmt.Sprintf("/admin/campaigns/%d/packets/%s.pdf", a.camp.ID, officeOf[house[0]].Code), admin, "", "")
			if code != 200 {
				t.Fatalf("packet: %d", code)
			}
			printed := squash(pdfText(t, []byte(pdf)))
			whole(t, "the packet", printed)
			r := review[house[0]]
			for _, want := range []string{r.Letter, "Statement from Families Together: " + r.Statement, "Ms. Ana García", "3200 24th St", "San Francisco, CA 94110"} {
				if !strings.Contains(printed, squash(want)) {
					t.Errorf("the packet does not print %q:\n%s", want, printed)
				}
			}
			for _, never := range []string{"ana@example.org", "555-0134"} {
				if strings.Contains(printed, never) {
					t.Errorf("the packet prints %q", never)
				}
			}
		})
	})
}

func deref(s *string) string {
	if s == nil {
		return "(missing)"
	}
	return *s
}

// squash collapses runs of white space, as a PDF's line wrapping moves
// line breaks.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

var (
	pdfStreamRE = regexp.MustCompile(`(?s)<<([^<>]*)>>\s*stream\r?\n(.*?)\r?\nendstream`)
	pdfTjRE     = regexp.MustCompile(`\(((?:\\.|[^\\)])*)\)\s*Tj`)
)

// pdfText extracts the text shown by a PDF's page content streams (the
// strings of its Tj operators, one a line), as fpdf writes them:
// FlateDecode streams, core fonts in Windows-1252.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	var out []string
	for _, m := range pdfStreamRE.FindAllSubmatch(pdf, -1) {
		content := m[2]
		if bytes.Contains(m[1], []byte("FlateDecode")) {
			zr, err := zlib.NewReader(bytes.NewReader(content))
			if err != nil {
				continue
			}
			if content, err = io.ReadAll(zr); err != nil {
				continue
			}
		}
		for _, s := range pdfTjRE.FindAllSubmatch(content, -1) {
			raw := unescapePDF(s[1])
			text, err := charmap.Windows1252.NewDecoder().Bytes(raw)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(text))
		}
	}
	return strings.Join(out, "\n")
}

func unescapePDF(b []byte) []byte {
	var out []byte
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 == len(b) {
			out = append(out, b[i])
			continue
		}
		i++
		switch c := b[i]; c {
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		default:
			if c >= '0' && c <= '7' {
				j := i
				for j < len(b) && j < i+3 && b[j] >= '0' && b[j] <= '7' {
					j++
				}
				n, _ := strconv.ParseUint(string(b[i:j]), 8, 8)
				out = append(out, byte(n))
				i = j - 1
			} else {
				out = append(out, c)
			}
		}
	}
	return out
}

// TestConfirmStoresTheLettersAsSent: the letters are sealed with the
// submission as the supporter sent them; following the link a day later
// stores those texts (dated the day they were written and reviewed), not
// a new rendering.
func TestConfirmStoresTheLettersAsSent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		var mu sync.Mutex
		now := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		a := newActionServerDeps(t, st, "as-sent-"+string(st.Dialect()), campaign.Live, func(d *web.Deps) { d.Now = clock },
			func(c *campaign.Campaign) { c.Template = "{{.date}}\n\n" + demoTemplate })
		form := supporter("94110", "CA")
		c := browserClient(t)
		code, page := a.post(t, c, "/c/"+a.camp.Slug, form)
		if code != 200 {
			t.Fatalf("review: %d %s", code, page)
		}
		reviewed := reviewLetters(t, page)
		if !strings.HasPrefix(reviewed[0].Letter, "December 7, 2026\n") {
			t.Fatalf("reviewed letter: %q", reviewed[0].Letter)
		}
		if code, body := a.post(t, c, "/c/"+a.camp.Slug+"/send", form); code != 200 {
			t.Fatalf("send: %d %s", code, body)
		}
		link := a.confirmLink(t)
		mu.Lock()
		now = now.Add(24 * time.Hour)
		mu.Unlock()
		if code, body := a.confirm(t, c, link); code != 200 {
			t.Fatalf("confirm: %d %s", code, body)
		}
		a.waitMail(t) // no job of this test is left to the next one's workers
		letters, err := st.Letters(ctx, store.LetterFilter{CampaignID: a.camp.ID, Limit: 10})
		if err != nil || len(letters) != len(reviewed) {
			t.Fatalf("%d letters for %d reviewed: %v", len(letters), len(reviewed), err)
		}
		for _, l := range letters {
			var sl delivery.Sealed
			if err := a.keys.OpenJSON(l.Sealed, delivery.LetterAAD(l.ID), &sl); err != nil {
				t.Fatal(err)
			}
			got := delivery.Compose(sl.Message(l.ID, l.DeliveryID, delivery.Campaign{}, "", l.CreatedAt), delivery.FullSender).Text()
			found := false
			for _, r := range reviewed {
				found = found || r.Text == got
			}
			if !found {
				t.Errorf("letter to %s is not one the supporter reviewed:\n%s", sl.Office.Name, got)
			}
		}
	})
}

// TestSendOnlyWhatWasReviewed: a supporter who changes their paragraph on
// the review page and sends is shown the letters again with it, and
// nothing is stored; sending those stores exactly them.
func TestSendOnlyWhatWasReviewed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		a := newActionServer(t, st, "reviewed-"+string(st.Dialect()), campaign.Live)
		form := supporter("94110", "CA")
		c := browserClient(t)
		code, page := a.post(t, c, "/c/"+a.camp.Slug, form)
		m := reviewedField.FindStringSubmatch(page)
		if code != 200 || m == nil {
			t.Fatalf("review: %d %s", code, page)
		}
		const edited = "I changed my mind about what to say: please ask for every record."
		form.Set("reviewed", m[1])
		form.Set("note", edited)
		code, page = a.post(t, c, "/c/"+a.camp.Slug+"/send", form)
		if code != 200 || !strings.Contains(page, "Your letters changed since you last saw them") {
			t.Fatalf("send with an edited paragraph: %d %s", code, page)
		}
		var n int
		if err := st.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM submissions WHERE campaign_id = "+strconv.FormatInt(a.camp.ID, 10)).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d submissions stored before the new letters were reviewed (%v)", n, err)
		}
		reviewed := reviewLetters(t, page)
		m2 := reviewedField.FindStringSubmatch(page)
		if m2 == nil || m2[1] == m[1] || !strings.Contains(reviewed[0].Letter, edited) {
			t.Fatalf("the review again does not show the edited letters: %v %+v", m2, reviewed[0])
		}
		form.Set("reviewed", m2[1])
		if code, page := a.post(t, c, "/c/"+a.camp.Slug+"/send", form); code != 200 || !strings.Contains(page, "check your email") && !strings.Contains(page, "Check your email") {
			t.Fatalf("send after the second review: %d %s", code, page)
		}
		if code, body := a.confirm(t, c, a.confirmLink(t)); code != 200 {
			t.Fatalf("confirm: %d %s", code, body)
		}
		a.waitMail(t) // no job of this test is left to the next one's workers
		letters, err := st.Letters(ctx, store.LetterFilter{CampaignID: a.camp.ID, Limit: 10})
		if err != nil || len(letters) != len(reviewed) {
			t.Fatalf("%d letters: %v", len(letters), err)
		}
		for _, l := range letters {
			var sl delivery.Sealed
			if err := a.keys.OpenJSON(l.Sealed, delivery.LetterAAD(l.ID), &sl); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(sl.Body, edited) {
				t.Errorf("letter to %s lacks the reviewed paragraph: %s", sl.Office.Name, sl.Body)
			}
		}
	})
}
