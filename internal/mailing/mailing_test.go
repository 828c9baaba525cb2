package mailing_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery/deliverytest"
	"github.com/outreach-org/outreach/internal/delivery/sendgrid"
	"github.com/outreach-org/outreach/internal/mailing"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

func newKeys(t testing.TB) (*seal.Keys, string, string) {
	t.Helper()
	raw := func() string {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		return base64.StdEncoding.EncodeToString(b)
	}
	secret, index := "k1:"+raw(), raw()
	k, err := seal.Parse(secret, index)
	if err != nil {
		t.Fatal(err)
	}
	return k, secret, index
}

// addOptIns writes n confirmed opt-ins (as the double opt-in leaves them)
// in one statement per hundred; it returns their addresses.
func addOptIns(t testing.TB, st *store.Store, keys *seal.Keys, prefix, lang string, campaignID int64, n int, confirmed time.Time) []string {
	t.Helper()
	ctx := context.Background()
	var emails []string
	for start := 0; start < n; start += 100 {
		var sb strings.Builder
		sb.WriteString("INSERT INTO optins (email_index, sealed, lang, campaign_id, requested_at, confirmed_at) VALUES ")
		var args []any
		for i := start; i < min(n, start+100); i++ {
			email := fmt.Sprintf("%s%d@example.org", prefix, i)
			emails = append(emails, email)
			idx := keys.Index("email", email)
			sealed, err := keys.SealJSON(map[string]string{"email": email, "first_name": fmt.Sprintf("Ana%d", i)}, action.OptInAAD(idx))
			if err != nil {
				t.Fatal(err)
			}
			if i > start {
				sb.WriteString(",")
			}
			k := len(args)
			fmt.Fprintf(&sb, "($%d,$%d,$%d,$%d,$%d,$%d)", k+1, k+2, k+3, k+4, k+5, k+6)
			var cid any
			if campaignID != 0 {
				cid = campaignID
			}
			args = append(args, idx, sealed, lang, cid, confirmed.UTC(), confirmed.UTC())
		}
		if _, err := st.DB().ExecContext(ctx, sb.String(), args...); err != nil {
			t.Fatal(err)
		}
	}
	return emails
}

func newCampaign(t testing.TB, st *store.Store) campaign.Campaign {
	t.Helper()
	c, err := st.CreateCampaign(context.Background(), campaign.Campaign{Slug: fmt.Sprintf("reunite-%d", time.Now().UnixNano()), Title: "Reunite separated families",
		TitleES: "Reunir a las familias separadas", Targets: campaign.TargetBoth, LOCTopic: "Immigration", Status: campaign.Live, Subject: "Oversight",
		Template: "{{.salutation}}"}, store.Audit{Action: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newSender(t testing.TB, fake *deliverytest.SendGrid) *sendgrid.Client {
	t.Helper()
	c, err := sendgrid.New(sendgrid.Config{APIKey: "SG.test", BaseURL: fake.URL, FromEmail: "act@outreach.example.org", FromName: "Families Together", Connections: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func createMailing(t testing.TB, st *store.Store, d mailing.Draft) store.Mailing {
	t.Helper()
	d.Normalize()
	if _, err := mailing.Validate(d, time.Now()); err != nil {
		t.Fatal(err)
	}
	row, err := d.Row()
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.CreateMailing(context.Background(), row, store.Audit{Action: "mailing.create"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMailingSendsOnceWithPersonalizations sends a mailing to English and
// Spanish supporters through the fake SendGrid: one request per thousand
// recipients of a language, each recipient once, with their merge fields,
// their language's version, a signed one-click unsubscribe link that works
// and the RFC 8058 headers; unsubscribed and suppressed supporters, and
// those of another campaign, get nothing.
func TestMailingSendsOnceWithPersonalizations(t *testing.T) {
	storetest.EachEmpty(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		keys, _, _ := newKeys(t)
		camp, other := newCampaign(t, st), newCampaign(t, st)
		past := time.Now().Add(-time.Hour)
		en := addOptIns(t, st, keys, "en", "en", camp.ID, 1200, past)
		es := addOptIns(t, st, keys, "es", "es", camp.ID, 300, past)
		addOptIns(t, st, keys, "other", "en", other.ID, 50, past)
		// One unsubscribed, one suppressed (bounced): never sent to.
		if err := st.Unsubscribe(ctx, keys.Index("email", en[7]), "unsubscribe"); err != nil {
			t.Fatal(err)
		}
		if err := st.Suppress(ctx, keys.Index("email", es[3]), "bounce"); err != nil {
			t.Fatal(err)
		}
		m := createMailing(t, st, mailing.Draft{Name: "Call week", CampaignID: camp.ID,
			SubjectEN: "{{.first_name}}, one minute for families", BodyEN: "Hi {{.first_name}},\n\n{{if .members}}Write to {{.members}}{{else}}Write to Congress{{end}}: {{.campaign_link}}\n",
			SubjectES: "{{.first_name}}, un minuto por las familias", BodyES: "Hola {{.first_name}}:\n\nEscriba al Congreso: {{.campaign_link}}\n",
			Segment: mailing.Segment{CampaignID: camp.ID}})
		fake := deliverytest.NewSendGrid(t)
		w := &mailing.Worker{Store: st, Sender: newSender(t, fake), Keys: keys, BaseURL: "https://act.example.org", OrgName: "Families Together"}
		if err := w.Run(ctx, m.ID, time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		got, err := st.Mailing(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != store.MailingSent || got.Total != 1498 {
			t.Fatalf("mailing: %s, total %d; want sent, 1498", got.Status, got.Total)
		}
		reqs := fake.Requests(0)
		if len(reqs) != 3 { // English 1,000 + 199, Spanish 299
			t.Errorf("%d requests, want 3", len(reqs))
		}
		to := fake.AcceptedTo()
		for i, e := range append(append([]string{}, en...), es...) {
			want := 1
			if e == en[7] || e == es[3] {
				want = 0
			}
			if to[e] != want {
				t.Fatalf("%s (#%d) got %d emails, want %d", e, i, to[e], want)
			}
		}
		if fake.AcceptedRecipients() != 1498 {
			t.Errorf("%d emails, want 1498", fake.AcceptedRecipients())
		}
		var sawES bool
		for _, r := range reqs {
			for _, d := range r.Mail.Expand() {
				es := strings.HasPrefix(d.To, "es")
				var n int
				fmt.Sscanf(strings.TrimPrefix(strings.TrimPrefix(d.To, "es"), "en"), "%d", &n)
				if es {
					sawES = true
					if d.Subject != fmt.Sprintf("Ana%d, un minuto por las familias", n) || !strings.Contains(d.Text, fmt.Sprintf("Hola Ana%d:", n)) ||
						!strings.Contains(d.Text, "/c/"+camp.Slug+"?lang=es&source=mailing-") || !strings.Contains(d.Text, "Darse de baja: https://act.example.org/u?t=") {
						t.Fatalf("Spanish email to %s:\n%s\n%s", d.To, d.Subject, d.Text)
					}
				} else if d.Subject != fmt.Sprintf("Ana%d, one minute for families", n) || !strings.Contains(d.Text, fmt.Sprintf("Hi Ana%d,\n\nWrite to Congress: https://act.example.org/c/%s?source=mailing-%d\n", n, camp.Slug, m.ID)) {
					t.Fatalf("English email to %s:\n%s\n%s", d.To, d.Subject, d.Text)
				}
				if strings.Contains(d.Text, "{{") {
					t.Fatalf("substitution key left in the email to %s:\n%s", d.To, d.Text)
				}
				lu := d.Headers["List-Unsubscribe"]
				if d.Headers["List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click" || !strings.HasPrefix(lu, "<https://act.example.org/u?t=") {
					t.Fatalf("headers of the email to %s: %v", d.To, d.Headers)
				}
				// The one-click link is the recipient's own, signed.
				u, err := url.Parse(strings.Trim(lu, "<>"))
				if err != nil {
					t.Fatal(err)
				}
				v, err := action.NewSigner(keys.Index).Verify("unsub", u.Query().Get("t"), time.Now())
				if idx, mid := action.ParseUnsubValue(v); err != nil || idx != keys.Index("email", d.To) || mid != m.ID {
					t.Fatalf("unsubscribe token of %s: %v", d.To, err)
				}
			}
		}
		if !sawES {
			t.Error("no Spanish email")
		}
		p, err := st.MailingProgress(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.Sent != 1498 || p.Failed != 0 || p.Unknown != 0 || p.Batches != 3 {
			t.Errorf("progress %+v", p)
		}
		// Running it again sends nothing more.
		if err := w.Run(ctx, m.ID, time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if n := len(fake.Requests(0)); n != 3 {
			t.Errorf("%d requests after a second run, want 3", n)
		}
	})
}

// TestMailingResumes: a batch SendGrid did not take (503) is sent again to
// the same recipients; a batch left "sending" by a process that died is
// marked unknown and never sent again; a supporter who unsubscribes
// mid-send is not sent to.
func TestMailingResumes(t *testing.T) {
	storetest.EachEmpty(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		keys, _, _ := newKeys(t)
		camp := newCampaign(t, st)
		emails := addOptIns(t, st, keys, "s", "en", camp.ID, 50, time.Now().Add(-time.Hour))
		m := createMailing(t, st, mailing.Draft{Name: "Resume", CampaignID: camp.ID, SubjectEN: "Act now", BodyEN: "Hi {{.first_name}}"})
		fake := deliverytest.NewSendGrid(t)
		calls := 0
		fake.Fallback(func(r deliverytest.Request) deliverytest.Answer {
			calls++
			if calls == 2 {
				return deliverytest.ServerError(503)
			}
			return deliverytest.Accept()
		})
		now := time.Now()
		w := &mailing.Worker{Store: st, Sender: newSender(t, fake), Keys: keys, BaseURL: "https://act.example.org", OrgName: "Families Together",
			BatchSize: 10, Now: func() time.Time { return now }}
		// A process that died mid-request left batch 1 "sending".
		m, err := st.StartMailing(ctx, m.ID, now, 50)
		if err != nil {
			t.Fatal(err)
		}
		recips, err := st.MailingRecipients(ctx, mailing.Query(store.SupporterFilter{}, *m.Cutoff), store.StreamAll, "", "", 10)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.ClaimMailingBatch(ctx, store.MailingBatch{MailingID: m.ID, Lang: store.StreamAll, Seq: 1, AfterKey: "", LastKey: recips[9].EmailIndex, Recipients: 10}, now); err != nil {
			t.Fatal(err)
		}
		// While its request may still run, the job waits.
		var snooze interface{ Error() string }
		if err := w.Run(ctx, m.ID, now.Add(time.Minute)); err == nil {
			t.Fatal("ran while a batch was in flight")
		} else {
			snooze = err
		}
		if len(fake.Requests(0)) != 0 {
			t.Fatalf("sent while a batch was in flight (%v)", snooze)
		}
		now = now.Add(mailing.Stale + time.Second)
		// Batch 2 gets a 503: the run waits, then sends it again.
		err = w.Run(ctx, m.ID, now.Add(time.Minute))
		if err == nil {
			t.Fatal("a 503 did not make the job wait")
		}
		// Someone in the failed batch unsubscribes meanwhile.
		var gone string
		for _, d := range fake.Requests(0)[1].Mail.Expand() {
			gone = d.To
		}
		if err := st.Unsubscribe(ctx, keys.Index("email", gone), "unsubscribe"); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Minute)
		if err := w.Run(ctx, m.ID, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		to := fake.AcceptedTo()
		unknown := map[string]bool{}
		for _, r := range recips {
			var o struct{ Email string }
			if err := keys.OpenJSON(r.Sealed, action.OptInAAD(r.EmailIndex), &o); err != nil {
				t.Fatal(err)
			}
			unknown[o.Email] = true
		}
		for _, e := range emails {
			want := 1
			if unknown[e] || e == gone {
				want = 0
			}
			if to[e] != want {
				t.Errorf("%s: %d emails, want %d", e, to[e], want)
			}
		}
		p, err := st.MailingProgress(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := st.Mailing(ctx, m.ID)
		if got.Status != store.MailingSent || p.Sent != 39 || p.Unknown != 10 {
			t.Errorf("mailing %s, progress %+v; want sent, 39 sent, 10 unknown", got.Status, p)
		}
	})
}

func TestTemplateErrorsHaveLineAndColumn(t *testing.T) {
	_, err := mailing.Validate(mailing.Draft{Name: "x", SubjectEN: "Hi {{.frist_name}}", BodyEN: "Hello,\n\n  {{.first_name}} {{range .members}}x{{end}}\n{{if .state}}open",
		SubjectES: "", BodyES: "Hola {{.nombre}}"}, time.Now())
	var ve *campaign.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v", err)
	}
	want := map[string][2]int{"subject_en": {1, 6}, "body_en": {4, 1}, "subject_es": {0, 0}, "body_es": {1, 8}}
	for _, fe := range ve.Errors {
		w, ok := want[fe.Field]
		if !ok {
			t.Errorf("unexpected error %v", fe)
			continue
		}
		if fe.Line != w[0] || fe.Column != w[1] {
			t.Errorf("%s at %d:%d (%s), want %d:%d", fe.Field, fe.Line, fe.Column, fe.Message, w[0], w[1])
		}
		delete(want, fe.Field)
	}
	if len(want) > 0 {
		t.Errorf("no error for %v (got %v)", want, ve.Errors)
	}
	if !strings.Contains(err.Error(), `unknown field ".frist_name"`) {
		t.Errorf("message %q does not name the unknown field", err)
	}
	// A forbidden construct in a body that parses is placed exactly.
	_, err = mailing.Validate(mailing.Draft{Name: "x", SubjectEN: "Hi", BodyEN: "Hello,\n  {{range .members}}x{{end}}"}, time.Now())
	if !errors.As(err, &ve) || len(ve.Errors) != 1 || ve.Errors[0].Line != 2 || ve.Errors[0].Column != 3 {
		t.Errorf("range: %v", err)
	}
}

func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }
