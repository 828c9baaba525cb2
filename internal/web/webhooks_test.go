package web_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/deliverytest"
	"github.com/outreach-org/outreach/internal/delivery/sendgrid"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/web"
)

// whLetters stores a live campaign, a submission and n letters, as the
// action page does, and returns their ids.
func whLetters(t *testing.T, st *store.Store, keys *seal.Keys, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	c, err := st.CreateCampaign(ctx, campaign.Campaign{
		Slug: fmt.Sprintf("webhook-%d", time.Now().UnixNano()), Title: "Reunite families", Targets: campaign.TargetBoth, LOCTopic: "Immigration",
		Status: campaign.Live, Subject: "Oversight of family separations", Template: "{{.salutation}},\n\nPlease hold an oversight hearing.\n\n{{.first_name}} {{.last_name}}",
	}, store.Audit{Action: "test.campaign"})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := st.CreateSubmission(ctx, store.Submission{CampaignID: c.ID, EmailIndex: keys.Index("email", "ana@example.org"), Lang: "en"},
		func(id int64) (string, error) {
			return keys.SealJSON(map[string]string{"email": "ana@example.org"}, "submission")
		})
	if err != nil {
		t.Fatal(err)
	}
	var letters []store.NewLetter
	for i := range n {
		o := delivery.Office{BioguideID: fmt.Sprintf("W%06d", i), Name: "Nancy Pelosi", Title: "Representative", Chamber: "house", State: "CA",
			Code: "HCA11", Email: "ca11@mail.house.example.gov"}
		letters = append(letters, store.NewLetter{CampaignID: c.ID, SubmissionID: sub.ID, BioguideID: o.BioguideID, OfficeCode: o.Code,
			Chamber: o.Chamber, State: o.State, TemplateVer: 1, DeliveryID: delivery.NewDeliveryID(), ReplyToken: delivery.NewReplyToken(),
			Seal: func(id int64) (string, error) {
				return keys.SealJSON(delivery.Sealed{Subject: "Oversight", Body: "Dear Representative Pelosi,\n\nPlease act.", Office: o}, delivery.LetterAAD(id))
			}})
	}
	ids, err := st.CreateLetters(ctx, letters, nil)
	if err != nil || len(ids) != n {
		t.Fatalf("letters %v %v", ids, err)
	}
	return ids
}

// whSent moves a letter through the worker's own store steps: claimed,
// then accepted by SendGrid with a message id.
func whSent(t *testing.T, st *store.Store, id int64, msgID string) {
	t.Helper()
	ctx := context.Background()
	if ok, err := st.ClaimForSending(ctx, id, "sendgrid", time.Now()); err != nil || !ok {
		t.Fatalf("claim %d: %v %v", id, ok, err)
	}
	if msgID != "" {
		if err := st.MarkSent(ctx, id, "sendgrid", msgID, "sendgrid accepted (202)", false, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
}

// whPost posts a body to the event webhook with the given headers.
func whPost(t *testing.T, f *staffFixture, body io.Reader, size int64, sig, ts string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.srv.URL+"/webhooks/sendgrid/events", body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = size // -1: chunked, no length announced
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "SendGrid Event API")
	if sig != "" {
		req.Header.Set(sendgrid.SignatureHeader, sig)
	}
	if ts != "" {
		req.Header.Set(sendgrid.TimestampHeader, ts)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// whSigned signs and posts events as SendGrid does, at time ts.
func whSigned(t *testing.T, f *staffFixture, s *deliverytest.EventSigner, ts time.Time, events ...deliverytest.Event) (int, string) {
	t.Helper()
	body := deliverytest.Body(t, events...)
	sig, tsh := s.Sign(t, body, ts)
	return whPost(t, f, bytes.NewReader(body), int64(len(body)), sig, tsh)
}

// whState is what a webhook may change about a letter.
func whState(t *testing.T, st *store.Store, id int64) string {
	t.Helper()
	l, err := st.LetterByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := st.Timeline(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s updated=%s delivered=%v events=%d", l.Status, l.UpdatedAt.UTC().Format(time.RFC3339Nano), l.DeliveredAt, len(ev))
}

func whApplied(t *testing.T, body string) int {
	t.Helper()
	var a struct {
		Applied string `json:"applied"`
	}
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatalf("answer %q: %v", body, err)
	}
	n, _ := strconv.Atoi(a.Applied)
	return n
}

func whSuppressed(t *testing.T, st *store.Store, keys *seal.Keys, addr string) bool {
	t.Helper()
	ok, err := st.IsSuppressed(context.Background(), keys.Index("email", addr))
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestSendGridEventWebhook drives the signed Event Webhook end to end
// through the web server, on real letters in both databases.
func TestSendGridEventWebhook(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		signer := deliverytest.NewEventSigner(t)
		verifier, err := sendgrid.NewVerifier(signer.PublicKey(t), 5*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		keys := seal.NewRandom()
		f := staffServer(t, st, web.Deps{Keys: keys, Events: verifier})
		ids := whLetters(t, st, keys, 4)
		inFlight, sent, bounced, spare := ids[0], ids[1], ids[2], ids[3]
		whSent(t, st, inFlight, "")           // "sending": SendGrid's answer was lost
		whSent(t, st, sent, "fAkEsent0001")   // accepted
		whSent(t, st, bounced, "fAkEbnc0002") // accepted, will bounce
		now := time.Now()
		ev := func(id int64, event, eventID string) deliverytest.Event {
			return deliverytest.Event{Email: "ca11@mail.house.example.gov", Timestamp: now.Unix(), Event: event, EventID: eventID,
				MessageID: "fAkE" + strconv.FormatInt(id, 10) + ".filterdrecv-canary-1-1", Category: []string{"campaign-x", "letter"},
				LetterID: strconv.FormatInt(id, 10)}
		}

		// processed settles the letter whose answer was lost; delivered
		// moves an accepted one on.
		processed, delivered := ev(inFlight, "processed", "evt-processed-1"), ev(sent, "delivered", "evt-delivered-1")
		delivered.Response = "250 OK"
		code, body := whSigned(t, f, signer, now, processed, delivered)
		if code != http.StatusOK || whApplied(t, body) != 2 {
			t.Fatalf("events: %d %s", code, body)
		}
		// It keeps when its attempt began (the timeline's attempt line).
		if l, _ := st.LetterByID(ctx, inFlight); l.Status != delivery.StatusSent || l.SendingSince == nil || l.SentAt == nil ||
			l.ProviderID != "fAkE"+strconv.FormatInt(inFlight, 10) {
			t.Errorf("after processed (status sent, the message id from sg_message_id): %+v", l)
		}
		l, _ := st.LetterByID(ctx, sent)
		if l.Status != delivery.StatusDelivered || l.DeliveredAt == nil || l.ProviderID != "fAkEsent0001" {
			t.Errorf("after delivered: %+v", l)
		}
		if tl, _ := st.Timeline(ctx, sent); tl[len(tl)-1].Kind != "event" || tl[len(tl)-1].Detail != "delivered" || tl[len(tl)-1].Status != delivery.StatusDelivered {
			t.Errorf("timeline after delivered: %+v", tl[len(tl)-1])
		}
		if ok, _ := st.HasProviderEvent(ctx, inFlight, "processed"); !ok {
			t.Error("processed event not recorded for the worker's grace check")
		}

		// The same events again (SendGrid retries): nothing changes.
		sentBefore, inFlightBefore := whState(t, st, sent), whState(t, st, inFlight)
		code, body = whSigned(t, f, signer, now.Add(time.Second), processed, delivered)
		if code != http.StatusOK || whApplied(t, body) != 0 {
			t.Errorf("duplicate events: %d %s", code, body)
		}
		if s, i := whState(t, st, sent), whState(t, st, inFlight); s != sentBefore || i != inFlightBefore {
			t.Errorf("duplicate events changed letters:\n%s\n%s\n%s\n%s", sentBefore, s, inFlightBefore, i)
		}
		// A late "processed" (new id) never moves a delivered letter back.
		code, body = whSigned(t, f, signer, now, ev(sent, "processed", "evt-processed-late"))
		if code != http.StatusOK || whApplied(t, body) != 1 {
			t.Errorf("late processed: %d %s", code, body)
		}
		if l, _ := st.LetterByID(ctx, sent); l.Status != delivery.StatusDelivered {
			t.Errorf("late processed moved the letter to %s", l.Status)
		}

		// Refused without changing anything: a signature by another key, a
		// body changed after signing, no signature, a stale or a future
		// timestamp. Each carries a bounce that would change the letter.
		bounce := ev(bounced, "bounce", "evt-bounce-1")
		bounce.Type, bounce.Reason, bounce.Status = "bounce", "550 5.1.1 The email account that you tried to reach does not exist.", "5.1.1"
		bounceBody := deliverytest.Body(t, bounce)
		unchanged := whState(t, st, bounced)
		forger := deliverytest.NewEventSigner(t)
		fsig, fts := forger.Sign(t, bounceBody, now)
		okSig, okTS := signer.Sign(t, bounceBody, now)
		staleSig, staleTS := signer.Sign(t, bounceBody, now.Add(-10*time.Minute))
		futureSig, futureTS := signer.Sign(t, bounceBody, now.Add(10*time.Minute))
		tampered := bytes.Replace(bounceBody, []byte(`"bounce"`), []byte(`"delivered"`), 1)
		for name, c := range map[string]struct {
			body    []byte
			sig, ts string
		}{
			"forged signature": {bounceBody, fsig, fts},
			"tampered body":    {tampered, okSig, okTS},
			"no signature":     {bounceBody, "", okTS},
			"no timestamp":     {bounceBody, okSig, ""},
			"garbage":          {bounceBody, "bm90IGEgc2lnbmF0dXJl", okTS},
			"stale timestamp":  {bounceBody, staleSig, staleTS},
			"future timestamp": {bounceBody, futureSig, futureTS},
			"timestamp moved":  {bounceBody, okSig, strconv.FormatInt(now.Unix()+1, 10)},
		} {
			if code, body := whPost(t, f, bytes.NewReader(c.body), int64(len(c.body)), c.sig, c.ts); code != http.StatusForbidden {
				t.Errorf("%s: %d %s", name, code, body)
			}
		}
		if got := whState(t, st, bounced); got != unchanged {
			t.Errorf("refused posts changed the letter:\n%s\n%s", unchanged, got)
		}
		if whSuppressed(t, st, keys, "ca11@mail.house.example.gov") {
			t.Error("a refused bounce suppressed the address")
		}
		if strings.Contains(f.logs.String(), "ca11@mail") {
			t.Error("the webhook logged an address")
		}

		// Signed but not SendGrid's shape: 400, nothing changes.
		for _, bad := range []string{`{"event":"delivered"}`, `[{"event":"delivered"}] trailing`, `[{"sg_event_id":"x"}]`, `not json`} {
			sig, ts := signer.Sign(t, []byte(bad), now)
			if code, body := whPost(t, f, strings.NewReader(bad), int64(len(bad)), sig, ts); code != http.StatusBadRequest {
				t.Errorf("malformed %q: %d %s", bad, code, body)
			}
		}

		// The genuine bounce: bounced, and the address is suppressed.
		if code, body := whPost(t, f, bytes.NewReader(bounceBody), int64(len(bounceBody)), okSig, okTS); code != http.StatusOK || whApplied(t, body) != 1 {
			t.Fatalf("bounce: %d %s", code, body)
		}
		if l, _ := st.LetterByID(ctx, bounced); l.Status != delivery.StatusBounced {
			t.Errorf("after bounce: %s", l.Status)
		}
		if !whSuppressed(t, st, keys, "ca11@mail.house.example.gov") {
			t.Error("bounced address not suppressed")
		}

		// Unsubscribes and spam reports from supporters' email: the
		// address (however it is written) is suppressed at once.
		unsub := deliverytest.Event{Email: " Ana@Example.org", Timestamp: now.Unix(), Event: "unsubscribe", EventID: "evt-unsub-1", Category: []string{"supporter"}}
		spam := deliverytest.Event{Email: "bo@example.org", Timestamp: now.Unix(), Event: "spamreport", EventID: "evt-spam-1"}
		group := deliverytest.Event{Email: "cy@example.org", Timestamp: now.Unix(), Event: "group_unsubscribe", EventID: "evt-group-1", ASMGroupID: 42}
		open := deliverytest.Event{Email: "di@example.org", Timestamp: now.Unix(), Event: "open", EventID: "evt-open-1", MachineOpen: true}
		noID := deliverytest.Event{Email: "ed@example.org", Timestamp: now.Unix(), Event: "unsubscribe"}
		code, body = whSigned(t, f, signer, now, unsub, spam, group, open, noID)
		if code != http.StatusOK || whApplied(t, body) != 4 {
			t.Errorf("unsubscribes: %d %s", code, body)
		}
		for addr, want := range map[string]bool{"ana@example.org": true, "bo@example.org": true, "cy@example.org": true, "di@example.org": false, "ed@example.org": false} {
			if got := whSuppressed(t, st, keys, addr); got != want {
				t.Errorf("%s suppressed = %v, want %v", addr, got, want)
			}
		}

		// Too large: 413, whether announced or streamed, before any parsing.
		big := make([]byte, 3<<20)
		copy(big, `[{"event":"bounce","sg_event_id":"evt-big","letter_id":"`+strconv.FormatInt(spare, 10)+`","email":"x@example.org","filler":"`)
		for i := 200; i < len(big)-3; i++ {
			big[i] = 'a'
		}
		copy(big[len(big)-3:], `"}]`)
		sig, ts := signer.Sign(t, big, now)
		spareBefore := whState(t, st, spare)
		if code, body := whPost(t, f, bytes.NewReader(big), int64(len(big)), sig, ts); code != http.StatusRequestEntityTooLarge {
			t.Errorf("oversize body: %d %.200s", code, body)
		}
		// Streamed (no Content-Length): the body limit reads it up to the
		// limit before the handler runs, and answers 413 too.
		if code, body := whPost(t, f, io.MultiReader(bytes.NewReader(big)), -1, sig, ts); code != http.StatusRequestEntityTooLarge {
			t.Errorf("oversize streamed body: %d %.200s", code, body)
		}
		if got := whState(t, st, spare); got != spareBefore || whSuppressed(t, st, keys, "x@example.org") {
			t.Errorf("an oversize post changed something: %s", got)
		}
	})
}

// TestSendGridEventWebhookOff: without a verification key the webhook
// refuses everything.
func TestSendGridEventWebhookOff(t *testing.T) {
	f := staffServer(t, storetest.SQLite(t), web.Deps{Keys: seal.NewRandom()})
	signer := deliverytest.NewEventSigner(t)
	code, body := whSigned(t, f, signer, time.Now(), deliverytest.Event{Email: "a@example.org", Timestamp: time.Now().Unix(), Event: "unsubscribe", EventID: "e1"})
	if code != http.StatusNotFound {
		t.Errorf("webhook without a key: %d %s", code, body)
	}
}

// A supporter email whose send ended without SendGrid's answer (it stays
// "sending") is settled by any event SendGrid reports for it (mail_id):
// it is sent, and its job does not send it again.
func TestSendGridEventSettlesSupporterEmail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		signer := deliverytest.NewEventSigner(t)
		verifier, err := sendgrid.NewVerifier(signer.PublicKey(t), 5*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		keys := seal.NewRandom()
		f := staffServer(t, st, web.Deps{Keys: keys, Events: verifier})
		c, err := st.CreateCampaign(ctx, campaign.Campaign{Slug: fmt.Sprintf("settle-%d", time.Now().UnixNano()), Title: "T", Targets: campaign.TargetBoth,
			LOCTopic: "Immigration", Status: campaign.Live, Subject: "S", Template: "{{.salutation}}"}, store.Audit{Action: "test"})
		if err != nil {
			t.Fatal(err)
		}
		sub, err := st.CreateSubmissionMail(ctx, store.Submission{CampaignID: c.ID, EmailIndex: keys.Index("email", "ana@example.org"), Lang: "en"},
			func(int64) (string, error) { return "x", nil }, func(context.Context, *sql.Tx, []store.SupporterMail) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		m, err := st.SupporterMailOf(ctx, sub.ID, store.MailConfirm)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := st.ClaimSupporterMail(ctx, m.ID, 0, time.Now()); err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		ev := deliverytest.Event{Email: "ana@example.org", Timestamp: time.Now().Unix(), Event: "processed", EventID: "evt-mail-1",
			MessageID: "fAkEmail0001.filterdrecv-1", Category: []string{"supporter", "confirm"}, MailID: strconv.FormatInt(m.ID, 10)}
		if code, body := whSigned(t, f, signer, time.Now(), ev); code != 200 {
			t.Fatalf("webhook: %d %s", code, body)
		}
		got, err := st.SupporterMailOf(ctx, sub.ID, store.MailConfirm)
		if err != nil || got.Status != store.MailSent || got.ProviderID != "fAkEmail0001" || got.SentAt == nil {
			t.Fatalf("after SendGrid's processed event: %+v %v", got, err)
		}
		// a later event (delivered) changes nothing more
		ev.Event, ev.EventID = "delivered", "evt-mail-2"
		if code, _ := whSigned(t, f, signer, time.Now(), ev); code != 200 {
			t.Fatal(code)
		}
		if again, _ := st.SupporterMailOf(ctx, sub.ID, store.MailConfirm); again.Status != store.MailSent || again.Attempts != 1 {
			t.Errorf("after a later event: %+v", again)
		}
	})
}
