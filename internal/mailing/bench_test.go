package mailing_test

import (
	"context"
	"flag"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/delivery/deliverytest"
	"github.com/outreach-org/outreach/internal/mailing"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

var (
	benchRecipients = flag.Int("mailings-recipients", 20000, "opted-in supporters BenchmarkMailing sends to")
	benchDB         = flag.String("mailings-db", "postgres", "database of BenchmarkMailing: postgres (TEST_DATABASE_URL) or sqlite")
)

// BenchmarkMailing sends one mobilization email to -mailings-recipients
// supporters (a fifth of them Spanish-speaking) from one worker, through
// the real SendGrid adapter to the local fake SendGrid (which decodes and
// checks every request in this same process), and reports messages per
// second from the first batch to the mailing's end.
//
//	go test ./internal/mailing -run '^$' -bench Mailing -benchtime 3x -mailings-recipients 20000
func BenchmarkMailing(b *testing.B) {
	ctx := context.Background()
	var st *store.Store
	if *benchDB == "sqlite" {
		st = storetest.SQLite(b)
	} else {
		st = storetest.Postgres(b)
		if _, err := st.DB().ExecContext(ctx, "DELETE FROM optins"); err != nil {
			b.Fatal(err)
		}
	}
	keys, _, _ := newKeys(b)
	camp := newCampaign(b, st)
	n := *benchRecipients
	past := time.Now().Add(-time.Hour)
	addOptIns(b, st, keys, "en", "en", camp.ID, n-n/5, past)
	addOptIns(b, st, keys, "es", "es", camp.ID, n/5, past)
	fake := deliverytest.NewSendGrid(b)
	fake.DropRequests()
	w := &mailing.Worker{Store: st, Sender: newSender(b, fake), Keys: keys, BaseURL: "https://act.example.org", OrgName: "Families Together"}
	d := mailing.Draft{Name: "Bench", CampaignID: camp.ID,
		SubjectEN: "{{.first_name}}, one minute for separated families",
		BodyEN: "Hi {{.first_name}},\n\nThe oversight hearing is next week. {{if .members}}Ask {{.members}} to attend.{{else}}Ask your members of Congress to attend.{{end}}\n\n" +
			"It takes a minute: {{.campaign_link}}\n\nThank you,\n{{.org_name}}\n",
		SubjectES: "{{.first_name}}, un minuto por las familias separadas",
		BodyES:    "Hola {{.first_name}}:\n\nLa audiencia es la semana próxima. Escriba a sus representantes: {{.campaign_link}}\n\nGracias,\n{{.org_name}}\n",
		Segment:   mailing.Segment{CampaignID: camp.ID}}
	var sent int
	var elapsed time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		m := createMailing(b, st, d)
		before := fake.AcceptedRecipients()
		b.StartTimer()
		start := time.Now()
		for {
			err := w.Run(ctx, m.ID, time.Now().Add(time.Hour))
			if err == nil {
				break
			}
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		sent += fake.AcceptedRecipients() - before
	}
	b.StopTimer()
	if sent != n*b.N {
		b.Fatalf("%d emails accepted, want %d", sent, n*b.N)
	}
	rate := float64(sent) / elapsed.Seconds()
	b.ReportMetric(rate, "msgs/s")
	b.ReportMetric(0, "ns/op")
	b.Logf("%d emails to %d supporters (%s), %d requests: %.0f messages/s first to last", sent, n, *benchDB, len(fake.Requests(0)), rate)
}
