package dispatch_test

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/deliverytest"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/jobs"
	"github.com/outreach-org/outreach/internal/letter"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// Sizes of the delivery benchmarks: go test -bench Deliver -benchtime 1x
// -letters 20000 -workers 16 ./internal/dispatch/
var (
	benchLetters = flag.Int("letters", 2000, "letters per run of BenchmarkDeliverToFakeSendGrid")
	benchWorkers = flag.Int("workers", 16, "River workers in BenchmarkDeliverToFakeSendGrid")
	benchTop     = flag.Int("statements", 0, "print this many of PostgreSQL's top statements by total time during delivery (pg_stat_statements, when loaded)")
)

// createBatches stores letters and their jobs, 1,000 per transaction.
func createBatches(tb testing.TB, st *store.Store, enq store.Enqueue, letters []store.NewLetter) []int64 {
	tb.Helper()
	var ids []int64
	for i := 0; i < len(letters); i += 1000 {
		got, err := st.CreateLetters(context.Background(), letters[i:min(i+1000, len(letters))], enq)
		if err != nil {
			tb.Fatal(err)
		}
		ids = append(ids, got...)
	}
	return ids
}

// BenchmarkDeliverToFakeSendGrid measures delivery throughput on
// PostgreSQL: -letters letters are stored and enqueued (not timed), then
// River workers (-workers) send them all through the real SendGrid adapter
// to the local fake, with pacing off; the time until every letter is
// "sent" gives letters/s. The target is 100,000 letters at 2,000
// letters/s or better.
func BenchmarkDeliverToFakeSendGrid(b *testing.B) {
	st := storetest.Postgres(b)
	fake := deliverytest.NewSendGrid(b)
	var total int
	var elapsed, cpu, pgCPU time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := newEnv(b, st)
		w := dispatch.NewWorker(st, e.keys, []delivery.Sender{sgClient(b, fake, "SG.bench")}, campInfo(st),
			fastSettings(time.Minute, time.Second), quiet(), nil)
		client := newClient(b, st, w, *benchWorkers, fmt.Sprintf("bench-%d", i))
		createBatches(b, st, dispatch.Enqueuer{Client: client}.EnqueueTx, e.emailLetters(*benchLetters, fmt.Sprintf("B%d-", i)))
		b.StartTimer()

		checkpoint(b, st)
		statementsReset(b, st)
		t0, cpu0, pg0 := time.Now(), processCPU(), storetest.BackendCPU(b, st)
		if err := client.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		for {
			// The fake's count is free; the database's count (a scan of
			// the campaign's letters) only once the fake has them all.
			if fake.AcceptedTotal() < total+*benchLetters {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			c, err := st.LetterCounts(context.Background(), e.camp.ID)
			if err != nil {
				b.Fatal(err)
			}
			if c[delivery.StatusSent] == int64(*benchLetters) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		elapsed += time.Since(t0)
		cpu += processCPU() - cpu0
		pgCPU += storetest.BackendCPU(b, st).Since(pg0)
		total += *benchLetters

		b.StopTimer()
		statementsReport(b, st, *benchLetters)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_ = client.Stop(ctx)
		cancel()
		b.StartTimer()
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "letters/s")
	b.ReportMetric(float64(elapsed.Microseconds())/float64(total), "µs/letter")
	// CPU of this process (workers, River, and the fake SendGrid server in
	// it), not PostgreSQL's.
	b.ReportMetric(float64(cpu.Microseconds())/float64(total), "cpu-µs/letter")
	// CPU of the PostgreSQL backends serving this database (when
	// PostgreSQL runs on this machine; 0 otherwise).
	b.ReportMetric(float64(pgCPU.Microseconds())/float64(total), "pg-cpu-µs/letter")
	if fake.AcceptedTotal() != total {
		b.Errorf("SendGrid accepted %d messages for %d letters", fake.AcceptedTotal(), total)
	}
}

// checkpoint starts a checkpoint, so that every run begins at the same
// point of PostgreSQL's checkpoint cycle: the first change to a page after
// a checkpoint writes the whole page to the WAL, and a checkpoint falling
// within some runs and not others made runs differ by a third.
func checkpoint(tb testing.TB, st *store.Store) {
	if _, err := st.DB().ExecContext(context.Background(), "CHECKPOINT"); err != nil {
		tb.Logf("checkpoint: %v", err) // needs pg_checkpoint or a superuser
	}
}

// statementsReset clears pg_stat_statements for this benchmark's database
// when -statements asks for them and the extension is loaded.
func statementsReset(tb testing.TB, st *store.Store) {
	if *benchTop <= 0 {
		return
	}
	ctx := context.Background()
	if _, err := st.DB().ExecContext(ctx, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"); err != nil {
		tb.Logf("pg_stat_statements: %v", err)
		return
	}
	if _, err := st.DB().ExecContext(ctx, "SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)"); err != nil {
		tb.Logf("pg_stat_statements: %v", err)
	}
}

// statementsReport prints the top statements of this database by total
// execution time since statementsReset, per letter delivered.
func statementsReport(tb testing.TB, st *store.Store, letters int) {
	if *benchTop <= 0 {
		return
	}
	// Statements whose text differs only in the length of a list are
	// one statement here: they are grouped by their first 60 characters.
	rows, err := st.DB().QueryContext(context.Background(), `SELECT SUM(calls), SUM(total_exec_time), SUM(total_plan_time), SUM(rows), SUM(wal_bytes), COUNT(*), s
		FROM (SELECT *, left(regexp_replace(query, '\s+', ' ', 'g'), 60) AS s FROM pg_stat_statements
		      WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())) q
		GROUP BY s ORDER BY SUM(total_exec_time + total_plan_time) DESC LIMIT $1`, *benchTop)
	if err != nil {
		tb.Logf("pg_stat_statements: %v", err)
		return
	}
	defer rows.Close()
	var out strings.Builder
	fmt.Fprintf(&out, "pg_stat_statements during delivery of %d letters (µs per letter):\n%8s %9s %9s %9s %9s  %s\n", letters, "calls", "exec", "plan", "rows", "wal-B", "statement")
	for rows.Next() {
		var calls, n, texts int64
		var exec, plan, wal float64
		var q string
		if err := rows.Scan(&calls, &exec, &plan, &n, &wal, &texts, &q); err != nil {
			tb.Fatal(err)
		}
		fmt.Fprintf(&out, "%8d %8.2f %8.2f %8d %8.0f %6d  %s\n", calls, exec*1000/float64(letters), plan*1000/float64(letters), n, wal/float64(letters), texts, q)
	}
	tb.Log(out.String())
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkFanOut measures how fast letters are rendered, sealed, stored
// and enqueued on PostgreSQL, beside a raw COPY of the same rows into the
// same table: per op, 1,000 letters (two supporters, each writing to 500
// members of Congress; the supporters are stored untimed) rendered from
// the campaign template with action.Render and written with their
// delivery jobs by store.CreateLetters in one transaction; then (timed
// apart) the 1,000 rows just stored, read back untimed and given new ids,
// tokens and supporters, COPY'd into letters on a connection of its own.
// The two run interleaved, so that the other work on a shared machine
// weighs on both alike. The targets: 1,000,000 letters in 20 s
// (50,000 letters/s), and at least 0.65 of the raw COPY's rate.
func BenchmarkFanOut(b *testing.B) {
	st := storetest.Postgres(b)
	ctx := context.Background()
	raw, err := pgx.Connect(ctx, storetest.PostgresURL(b))
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close(ctx)
	dir, err := congress.LoadEmbedded()
	if err != nil {
		b.Fatal(err)
	}
	members := dir.Members()
	if len(members) < 500 {
		b.Fatalf("%d members", len(members))
	}
	members = members[:500]
	cp, verr := campaign.Compile("Oversight of family separations in {{.state}}",
		"{{.salutation}},\n\nAs your constituent in {{.city}}, I ask you to hold an oversight hearing on family separations.\n\n{{.personal_note}}\n\nSincerely,\n{{.first_name}} {{.last_name}}", "")
	if verr != nil {
		b.Fatal(verr)
	}
	inserter, err := jobs.New(st.DB(), true, jobs.Options{Logger: quiet()})
	if err != nil {
		b.Fatal(err)
	}
	enq := dispatch.Enqueuer{Client: inserter}.EnqueueTx
	e := newEnv(b, st)
	stats := letter.StatFunc(campaign.SampleStat)
	form := action.Form{Prefix: "Ms.", FirstName: "Ana", LastName: "García", Email: "ana@example.org", Address1: "3200 24th St",
		City: "San Francisco", State: "CA", ZIP: "94110", Note: "My cousin was separated from her children for eleven months."}
	from := delivery.Constituent{Prefix: form.Prefix, FirstName: form.FirstName, LastName: form.LastName, Address1: form.Address1,
		City: form.City, State: form.State, ZIP: form.ZIP, Email: form.Email}
	now := time.Now()
	supporter := 0
	newSub := func() store.Submission {
		// Each supporter has an email of their own: a first letter from
		// the same email to the same office is a repeat, stored once.
		supporter++
		email := fmt.Sprintf("bench-%d@example.org", supporter)
		sub, err := st.CreateSubmission(ctx, store.Submission{CampaignID: e.camp.ID, EmailIndex: e.keys.Index("email", email), Lang: "en"},
			func(id int64) (string, error) {
				return e.keys.SealJSON(map[string]string{"email": email}, "submission")
			})
		if err != nil {
			b.Fatal(err)
		}
		return sub
	}

	var letters, copied int
	var fanout, copying time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		subs := [2]store.Submission{newSub(), newSub()}
		b.StartTimer()

		t0 := time.Now()
		batch := make([]store.NewLetter, 0, 1000)
		for _, sub := range subs {
			for _, m := range members {
				l, err := action.Render(ctx, cp, m, campaign.Seats{}, form, stats, now, "Families Together")
				if err != nil {
					b.Fatal(err)
				}
				office := delivery.Office{BioguideID: m.BioguideID, Name: m.Name, Title: m.Title, Chamber: string(m.Chamber), State: m.State,
					District: m.District, Code: m.BioguideID}
				l.From, l.Office = from, office
				sealed := l.Message.Sealed()
				batch = append(batch, store.NewLetter{CampaignID: e.camp.ID, SubmissionID: sub.ID, BioguideID: m.BioguideID,
					OfficeCode: office.Code, Chamber: office.Chamber, State: m.State, District: m.District, Party: m.Party, TemplateVer: 1,
					DeliveryID: delivery.NewDeliveryID(), ReplyToken: delivery.NewReplyToken(),
					Seal: func(id int64) (string, error) { return e.keys.SealJSON(sealed, delivery.LetterAAD(id)) }})
			}
		}
		ids, err := st.CreateLetters(ctx, batch, enq)
		if err != nil {
			b.Fatal(err)
		}
		fanout += time.Since(t0)
		if len(ids) != len(batch) {
			b.Fatalf("stored %d of %d letters", len(ids), len(batch))
		}
		letters += len(ids)

		b.StopTimer()
		rows, texts := sameRows(b, raw, ids, [2]store.Submission{newSub(), newSub()})
		t0 = time.Now()
		n, err := raw.CopyFrom(ctx, pgx.Identifier{"letters"}, letterColumns, pgx.CopyFromRows(rows))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := raw.CopyFrom(ctx, pgx.Identifier{"letter_texts"}, []string{"letter_id", "sealed"}, pgx.CopyFromRows(texts)); err != nil {
			b.Fatal(err)
		}
		copying += time.Since(t0)
		copied += int(n)
		b.StartTimer()
	}
	b.ReportMetric(float64(letters)/fanout.Seconds(), "letters/s")
	b.ReportMetric(1_000_000/(float64(letters)/fanout.Seconds()), "s/1M-letters")
	b.ReportMetric(float64(copied)/copying.Seconds(), "raw-copy-rows/s")
	b.ReportMetric((float64(letters)/fanout.Seconds())/(float64(copied)/copying.Seconds()), "ratio")
}

// letterColumns are the columns store.CreateLetters writes into letters;
// it writes letter_texts' two (letter_id, sealed) too.
var letterColumns = []string{"id", "campaign_id", "submission_id", "bioguide_id", "office_code", "chamber", "state", "district", "party",
	"template_version", "stats_release_id", "delivery_id", "reply_token", "status", "created_at", "updated_at", "kind",
	"followup_of", "email_index"}

// sameRows reads back the stored letters ids (two supporters' letters, in
// order) as they were written, with new ids, delivery ids, reply tokens,
// and subs as their supporters, so that they can be stored again: the
// letters' rows, and their texts' rows.
func sameRows(tb testing.TB, c *pgx.Conn, ids []int64, subs [2]store.Submission) (letters, texts [][]any) {
	tb.Helper()
	ctx := context.Background()
	q, err := c.Query(ctx, "SELECT "+strings.Join(letterColumns, ", ")+", t.sealed FROM letters JOIN letter_texts t ON t.letter_id = letters.id "+
		"WHERE id = ANY($1) ORDER BY submission_id, bioguide_id", ids)
	if err != nil {
		tb.Fatal(err)
	}
	var rows [][]any
	for q.Next() {
		v, err := q.Values()
		if err != nil {
			tb.Fatal(err)
		}
		rows = append(rows, v)
	}
	if err := q.Err(); err != nil {
		tb.Fatal(err)
	}
	var next []int64
	if err := c.QueryRow(ctx, "SELECT array_agg(nextval(pg_get_serial_sequence('letters', 'id'))) FROM generate_series(1, $1)", len(rows)).Scan(&next); err != nil {
		tb.Fatal(err)
	}
	first := rows[0][2]
	for i, r := range rows {
		sub := subs[0]
		if r[2] != first {
			sub = subs[1]
		}
		r[0], r[2], r[11], r[12], r[18] = next[i], sub.ID, delivery.NewDeliveryID(), delivery.NewReplyToken(), sub.EmailIndex
		letters = append(letters, r[:len(letterColumns)])
		texts = append(texts, []any{next[i], r[len(letterColumns)]})
	}
	return letters, texts
}
