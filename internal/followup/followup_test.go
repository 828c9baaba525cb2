package followup_test

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/followup"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/supportermail"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// clock is a controllable now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// jobsSpy records the jobs inserted (inside the store's transactions).
type jobsSpy struct {
	mu   sync.Mutex
	args []river.JobArgs
}

func (j *jobsSpy) InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, _ *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	if tx == nil {
		return nil, errors.New("no transaction")
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.args = append(j.args, args)
	return &rivertype.JobInsertResult{}, nil
}

func (j *jobsSpy) take() []river.JobArgs {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := j.args
	j.args = nil
	return out
}

type mailSpy struct {
	mu   sync.Mutex
	sent []delivery.Email
}

func (m *mailSpy) SendEmail(_ context.Context, _ string, e delivery.Email) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, e)
	return nil
}

func mustSpec(t *testing.T, expr, tz string) followup.Spec {
	t.Helper()
	sp, err := followup.ParseSpec(expr, tz)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestScheduleAcrossDaylightSaving(t *testing.T) {
	// 09:00 New York every day: 14:00 UTC before March 8, 2026, 13:00 after.
	sp := mustSpec(t, "0 9 * * *", "America/New_York")
	got := sp.NextRuns(utc("2026-03-06T15:00:00Z"), 3)
	want := []time.Time{utc("2026-03-07T14:00:00Z"), utc("2026-03-08T13:00:00Z"), utc("2026-03-09T13:00:00Z")}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Errorf("spring run %d = %s, want %s", i, got[i], want[i])
		}
	}
	// And back on November 1, 2026.
	got = sp.NextRuns(utc("2026-10-30T15:00:00Z"), 3)
	want = []time.Time{utc("2026-10-31T13:00:00Z"), utc("2026-11-01T14:00:00Z"), utc("2026-11-02T14:00:00Z")}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Errorf("fall run %d = %s, want %s", i, got[i], want[i])
		}
	}
	// 01:30 happens twice on November 1: it runs once that day.
	twice := mustSpec(t, "30 1 * * *", "America/New_York")
	runs := twice.NextRuns(utc("2026-10-31T12:00:00Z"), 3)
	day := map[string]int{}
	for _, r := range runs {
		day[r.In(twice.Zone).Format("2006-01-02")]++
	}
	if day["2026-11-01"] != 1 {
		t.Errorf("01:30 on Nov 1 ran %d times: %v", day["2026-11-01"], runs)
	}
	// 02:30 does not exist on March 8: no run lands twice or goes backwards.
	gap := mustSpec(t, "30 2 * * *", "America/New_York")
	prev := time.Time{}
	for _, r := range gap.NextRuns(utc("2026-03-06T12:00:00Z"), 4) {
		if !r.After(prev) {
			t.Fatalf("runs not increasing: %v", r)
		}
		prev = r
	}
	// Plain words name the zone's abbreviation.
	if d := sp.Describe(utc("2026-03-07T15:00:00Z"), 5); len(d) != 5 || !strings.Contains(d[0], "EDT") || !strings.HasPrefix(d[0], "Sunday, March 8, 2026 at 9:00 AM") {
		t.Errorf("Describe = %q", d)
	}
	if w := mustSpec(t, "@weekly", ""); w.Zone.String() != "America/New_York" {
		t.Errorf("default zone = %s", w.Zone)
	}
}

func TestValidateRefusesBadInput(t *testing.T) {
	now := utc("2026-03-01T00:00:00Z")
	exists := func(id int64) bool { return id == 7 }
	cases := []struct {
		in    followup.Input
		field string
	}{
		{followup.Input{Kind: followup.KindDigest, Cron: "61 * * * *"}, "cron"},
		{followup.Input{Kind: followup.KindDigest, Cron: "every day"}, "cron"},
		{followup.Input{Kind: followup.KindDigest, Cron: ""}, "cron"},
		{followup.Input{Kind: followup.KindDigest, Cron: "0 0 30 2 *"}, "cron"},
		{followup.Input{Kind: followup.KindDigest, Cron: "@weekly", TimeZone: "Mars/Olympus"}, "time_zone"},
		{followup.Input{Kind: "explode", Cron: "@daily"}, "kind"},
		{followup.Input{Kind: followup.KindLaunch, Cron: "@daily"}, "campaign_id"},
		{followup.Input{Kind: followup.KindLaunch, Cron: "@daily", CampaignID: 8}, "campaign_id"},
		{followup.Input{Kind: followup.KindWave, Cron: "@daily", CampaignID: 7, Params: followup.Params{PerOffice: -1}}, "params"},
		{followup.Input{Kind: followup.KindWave, Cron: "@daily", CampaignID: 7, Params: followup.Params{PerOffice: 1_000_000}}, "params"},
		{followup.Input{Kind: followup.KindDigest, Cron: "@daily", Params: followup.Params{To: []string{"nobody"}}}, "params"},
	}
	for _, c := range cases {
		_, err := followup.Validate(c.in, now, exists)
		var fe followup.FieldErrors
		if !errors.As(err, &fe) || fe[c.field] == "" {
			t.Errorf("%+v: err = %v, want an error on %s", c.in, err, c.field)
		}
	}
	v, err := followup.Validate(followup.Input{Kind: followup.KindWave, Cron: "0 10 * * 1-5", CampaignID: 7}, now, exists)
	if err != nil || v.Params != `{"per_office":50}` || !v.NextRunAt.Equal(utc("2026-03-02T15:00:00Z")) {
		t.Errorf("valid wave = %+v, %v", v, err)
	}
	for _, n := range []int{0, -3, 366, 100000} {
		if followup.ValidateDays(n) == nil {
			t.Errorf("days %d accepted", n)
		}
	}
	if _, err := followup.ParseSecond("Again", "Dear office, {{.first_letter_date}} {{.constituent_count}} {{.nonsense}}"); err == nil || !strings.Contains(err.Error(), "nonsense") {
		t.Errorf("unknown field: %v", err)
	}
	if _, body, err := followup.PreviewSecond("Again", "Since {{.first_letter_date}}, {{.constituent_count}} constituents wrote."); err != nil || body != "Since February 10, 2026, 12 constituents wrote." {
		t.Errorf("preview = %q, %v", body, err)
	}
}

// env is a live campaign with one confirmed submission (in Spanish) and
// its letters.
type env struct {
	st   *store.Store
	keys *seal.Keys
	camp campaign.Campaign
	sub  store.Submission
}

var seq atomic.Int64

func newEnv(t *testing.T, st *store.Store, status campaign.Status) *env {
	t.Helper()
	ctx := context.Background()
	slug := "fu-" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36) + "-" + strconv.FormatInt(seq.Add(1), 10)
	c, err := st.CreateCampaign(ctx, campaign.Campaign{
		Slug: slug, Title: "Reunite families", Targets: campaign.TargetBoth, LOCTopic: "Immigration", Status: status,
		SummaryEN: "Ask.", SummaryES: "Pida.", CallToActionEN: "Write.", CallToActionES: "Escriba.",
		Subject: "Oversight", Template: "{{.salutation}},\n\nPlease act.",
	}, store.Audit{Action: "test.campaign"})
	if err != nil {
		t.Fatal(err)
	}
	keys := seal.NewRandom()
	e := &env{st: st, keys: keys, camp: c}
	e.sub = e.submission(t, "ana@example.org")
	return e
}

func (e *env) submission(t *testing.T, email string) store.Submission {
	t.Helper()
	sub, err := e.st.CreateSubmission(context.Background(), store.Submission{CampaignID: e.camp.ID, EmailIndex: e.keys.Index("email", email), Lang: "es"},
		func(id int64) (string, error) {
			return e.keys.SealJSON(struct {
				Form action.Form `json:"form"`
				Lang string      `json:"lang"`
			}{action.Form{FirstName: "Ana", Email: email}, "es"}, "submission:"+strconv.FormatInt(id, 10))
		})
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

var offices = []delivery.Office{
	{BioguideID: "P000197", Name: "Nancy Pelosi", Title: "Representative", Chamber: "house", State: "CA", Code: "HCA11"},
	{BioguideID: "P000145", Name: "Alex Padilla", Title: "Senator", Chamber: "senate", State: "CA", Code: "SCA01"},
}

// confirm confirms the submission and stores one letter per office.
func (e *env) confirm(t *testing.T, sub store.Submission, now time.Time) []int64 {
	t.Helper()
	ids, err := e.st.ConfirmSubmission(context.Background(), sub.ID, now, func(map[string]bool) ([]store.NewLetter, error) {
		var out []store.NewLetter
		for _, o := range offices {
			o := o
			out = append(out, store.NewLetter{CampaignID: e.camp.ID, SubmissionID: sub.ID, BioguideID: o.BioguideID, OfficeCode: o.Code,
				Chamber: o.Chamber, State: o.State, TemplateVer: 1, DeliveryID: delivery.NewDeliveryID(), ReplyToken: delivery.NewReplyToken(),
				Seal: func(id int64) (string, error) {
					return e.keys.SealJSON(delivery.Sealed{Subject: "Oversight", Body: "Please act.", Office: o}, delivery.LetterAAD(id))
				}})
		}
		return out, nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func (e *env) runner(clk *clock, j *jobsSpy, m *mailSpy) *followup.Runner {
	return &followup.Runner{Store: e.st, Jobs: j, Mailer: m, Now: clk.Now, OrgName: "Outreach",
		Links: followup.Links{BaseURL: "https://outreach.test", Keys: e.keys}}
}

// mailRec records the supporter emails a supportermail.Worker sends.
type mailRec struct {
	mu   sync.Mutex
	sent []supportermail.Outgoing
}

func (m *mailRec) SendSupporterEmail(_ context.Context, o supportermail.Outgoing) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, o)
	return "rec", nil
}

func (m *mailRec) take() []supportermail.Email {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []supportermail.Email
	for _, o := range m.sent {
		out = append(out, o.Email)
	}
	m.sent = nil
	return out
}

// mailWorker is the supporter-mail worker as outreach worker builds it,
// with the runner's composers, sending to rec.
func (e *env) mailWorker(r *followup.Runner, clk *clock, rec *mailRec) *supportermail.Worker {
	return &supportermail.Worker{Store: e.st, Mailer: rec, Links: supportermail.Links{BaseURL: r.Links.BaseURL, Keys: e.keys},
		OrgName: "Outreach", Composers: r.Composers(), Now: clk.Now}
}

// sendAll works every supporter-mail job recorded and answers how many
// there were.
func sendAll(t *testing.T, w *supportermail.Worker, jobs []river.JobArgs) int {
	t.Helper()
	n := 0
	for _, a := range jobs {
		if ma, ok := a.(supportermail.Args); ok {
			if err := w.Work(context.Background(), &river.Job[supportermail.Args]{Args: ma}); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	return n
}

func TestSurveyAndSecondLetterFireOnceAtTheRightTime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, campaign.Live)
		clk := &clock{t: utc("2026-03-02T15:00:00Z")}
		ids := e.confirm(t, e.sub, clk.Now())
		for _, id := range ids {
			if err := st.MarkSent(ctx, id, "outbox", "", "test", true, clk.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.SaveFollowupSettings(ctx, store.FollowupSettings{CampaignID: e.camp.ID, SurveyEnabled: true, SurveyDays: 14,
			SecondEnabled: true, SecondDays: 21, SecondApproval: true, SecondSubject: "Following up",
			SecondBody: "On {{.first_letter_date}}, {{.constituent_count}} constituents wrote to you."}, store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
		j, rec := &jobsSpy{}, &mailRec{}
		r := e.runner(clk, j, &mailSpy{})
		w := e.mailWorker(r, clk, rec)

		clk.Add(14*24*time.Hour - time.Minute)
		if _, err := r.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if got := j.take(); len(got) != 0 {
			t.Fatalf("a minute early: %d jobs", len(got))
		}
		clk.Add(time.Minute)
		for i := 0; i < 3; i++ { // ticks repeat: the survey goes once
			if _, err := r.Tick(ctx); err != nil {
				t.Fatal(err)
			}
			clk.Add(time.Minute)
		}
		if n := sendAll(t, w, j.take()); n != 1 {
			t.Fatalf("survey jobs = %d, want 1 for the supporter's %d offices", n, len(ids))
		}
		sent := rec.take()
		if len(sent) != 1 || sent[0].Subject != "¿Le respondieron sus miembros del Congreso?" || !strings.Contains(sent[0].Text, "- Representante Nancy Pelosi: https://outreach.test/c/") ||
			!strings.Contains(sent[0].Text, "- Senador(a) Alex Padilla: https://outreach.test/c/") || sent[0].Headers["List-Unsubscribe-Post"] == "" || sent[0].To != "ana@example.org" {
			t.Fatalf("survey email = %+v", sent)
		}
		// One signed link per office, each naming its letter.
		for i, name := range []string{"Nancy Pelosi", "Alex Padilla"} {
			lid, err := r.Links.VerifySurvey(linkParam(t, lineWith(t, sent[0].Text, name), "/survey?", "t"), clk.Now())
			if err != nil || lid != ids[i] {
				t.Fatalf("%s's survey link -> letter %d, %v; want %d", name, lid, err, ids[i])
			}
		}
		// The supporter answers "no reply yet" for the first letter: asked
		// again once after another 14 days.
		if _, err := st.AddSurveyAnswer(ctx, store.SurveyAnswer{LetterID: ids[0], Answer: "no_reply", AnsweredAt: clk.Now()}); err != nil {
			t.Fatal(err)
		}
		// The second letter office: HCA11 has no reply; SCA01's supporter says
		// they replied.
		if _, err := st.AddSurveyAnswer(ctx, store.SurveyAnswer{LetterID: ids[1], Answer: "replied", AnsweredAt: clk.Now()}); err != nil {
			t.Fatal(err)
		}
		clk.Add(7 * 24 * time.Hour) // day 21: second letter due for HCA11 only, held for approval
		for i := 0; i < 2; i++ {
			if _, err := r.Tick(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if got := j.take(); len(got) != 0 {
			t.Fatalf("held second letter enqueued %d jobs", len(got))
		}
		held, err := st.FollowupSends(ctx, e.camp.ID, "held", 10)
		if err != nil || len(held) != 1 || *held[0].LetterID != ids[0] || held[0].Step != followup.StepSecond {
			t.Fatalf("held = %+v, %v", held, err)
		}
		clk.Add(7 * 24 * time.Hour) // day 28: survey asked again about HCA11, once
		for i := 0; i < 2; i++ {
			if _, err := r.Tick(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if n := sendAll(t, w, j.take()); n != 1 {
			t.Fatalf("survey again = %d", n)
		}
		if again := rec.take(); len(again) != 1 || !strings.Contains(again[0].Text, "Nancy Pelosi") || strings.Contains(again[0].Text, "Padilla") {
			t.Fatalf("survey asked again = %+v, want Pelosi's office only", again)
		}
		clk.Add(30 * 24 * time.Hour)
		if _, err := r.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if got := j.take(); len(got) != 0 {
			t.Fatalf("later ticks enqueued %d", len(got))
		}
		// Approve the office's second letters: the next tick writes the real
		// letter with its delivery job, once.
		if n, err := st.ApproveSecondLetters(ctx, e.camp.ID, "HCA11", clk.Now(), store.Audit{Action: "test"}); err != nil || n != 1 {
			t.Fatal(n, err)
		}
		if _, err := r.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		jobs := j.take()
		if len(jobs) != 1 {
			t.Fatalf("approved second letter jobs = %d", len(jobs))
		}
		da, ok := jobs[0].(dispatch.DeliverArgs)
		if !ok {
			t.Fatalf("job = %T, want a delivery job", jobs[0])
		}
		if _, err := r.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if got := j.take(); len(got) != 0 {
			t.Fatalf("second letter enqueued again: %d", len(got))
		}
		second, err := st.LetterByID(ctx, da.LetterID)
		if err != nil || second.Kind != store.LetterSecond || second.FollowupOf == nil || *second.FollowupOf != ids[0] || second.OfficeCode != "HCA11" {
			t.Fatalf("second letter = %+v, %v", second, err)
		}
		var sealed delivery.Sealed
		if err := e.keys.OpenJSON(second.Sealed, delivery.LetterAAD(second.ID), &sealed); err != nil || !strings.Contains(sealed.Body, "March 2, 2026, 1 constituents") {
			t.Fatalf("second letter = %+v, %v", sealed, err)
		}
		tl, err := st.Timeline(ctx, ids[0])
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, ev := range tl {
			kinds[ev.Kind]++
		}
		if kinds["followup"] < 3 || kinds["survey"] != 1 {
			t.Errorf("timeline kinds = %v", kinds)
		}
	})
}

func TestNoEmailAfterUnsubscribeErasureOrClose(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, campaign.Live)
		clk := &clock{t: time.Now().UTC()}
		unsub := e.submission(t, "unsub@example.org")
		erased := e.submission(t, "erased@example.org")
		later := e.submission(t, "later@example.org")
		var erasedLetters []int64
		for _, s := range []store.Submission{unsub, erased} {
			ids := e.confirm(t, s, clk.Now())
			if s.ID == erased.ID {
				erasedLetters = ids
			}
			for _, id := range ids {
				if err := st.MarkSent(ctx, id, "outbox", "", "test", true, clk.Now()); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := st.SaveFollowupSettings(ctx, store.FollowupSettings{CampaignID: e.camp.ID, SurveyEnabled: true, SurveyDays: 1,
			ReminderEnabled: true, SecondDays: 21}, store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
		if err := st.Unsubscribe(ctx, unsub.EmailIndex, "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.EraseSupporter(ctx, erased.EmailIndex, store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.AddSurveyAnswer(ctx, store.SurveyAnswer{LetterID: erasedLetters[0], Answer: "replied", AnsweredAt: clk.Now()}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("survey answer after erasure: %v", err)
		}
		j, rec := &jobsSpy{}, &mailRec{}
		r := e.runner(clk, j, &mailSpy{})
		w := e.mailWorker(r, clk, rec)
		clk.Add(2 * 24 * time.Hour)
		if _, err := r.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		// Only the two pending submissions (e.sub and later) get a reminder.
		if n := sendAll(t, w, j.take()); n != 2 {
			t.Fatalf("jobs = %d, want 2 reminders", n)
		}
		sent := rec.take()
		if len(sent) != 2 || !strings.Contains(sent[0].Text, "/c/"+e.camp.Slug+"/confirm?") || !strings.Contains(sent[0].Subject, "confirmación") {
			t.Fatalf("reminders = %+v", sent)
		}
		// The re-issued link works for 48 hours.
		tok := linkParam(t, sent[0].Text, "/confirm?", "t")
		sg := action.NewSigner(e.keys.Index)
		if _, err := sg.Verify("confirm", tok, clk.Now().Add(47*time.Hour)); err != nil {
			t.Errorf("reminder link at 47h: %v", err)
		}
		if _, err := sg.Verify("confirm", tok, clk.Now().Add(49*time.Hour)); err == nil {
			t.Error("reminder link valid after 48h")
		}
		// Once per submission: queueing it again does nothing.
		if ok, err := st.QueueSupporterMail(ctx, later.ID, supportermail.KindReminder, "", nil, "", clk.Now(), nil); err != nil || ok {
			t.Fatalf("second reminder queued: %v %v", ok, err)
		}
		// Closed campaign: an email queued before the close is not sent.
		if ok, err := st.QueueSupporterMail(ctx, unsub.ID, supportermail.KindSurveyAgain, "", nil, "", clk.Now(), nil); err != nil || !ok {
			t.Fatal(ok, err)
		}
		if err := st.Unsubscribe(ctx, unsub.EmailIndex, "test"); err != nil {
			t.Fatal(err)
		}
		third := e.submission(t, "third@example.org")
		if ok, err := st.QueueSupporterMail(ctx, third.ID, supportermail.KindReminder, "", nil, "", clk.Now(), nil); err != nil || !ok {
			t.Fatal(ok, err)
		}
		if _, err := st.SetCampaignStatus(ctx, e.camp.ID, "live", "closed", store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
		sendAll(t, w, []river.JobArgs{supportermail.Args{SubmissionID: third.ID, Mail: supportermail.KindReminder},
			supportermail.Args{SubmissionID: unsub.ID, Mail: supportermail.KindSurveyAgain}})
		if sent := rec.take(); len(sent) != 0 {
			t.Errorf("emailed after close or unsubscribe: %+v", sent)
		}
		for _, m := range []struct {
			sub  int64
			kind string
			why  string
		}{{third.ID, supportermail.KindReminder, "closed"}, {unsub.ID, supportermail.KindSurveyAgain, "unsubscribed"}} {
			if row, err := st.SupporterMailOf(ctx, m.sub, m.kind); err != nil || row.Status != store.MailSkipped || !strings.Contains(row.Detail, m.why) {
				t.Errorf("%s email: %+v %v", m.kind, row, err)
			}
		}
	})
}

// lineWith is the line of text that contains s.
func lineWith(t *testing.T, text, s string) string {
	t.Helper()
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	t.Fatalf("no line with %q in %q", s, text)
	return ""
}

// linkParam finds the link containing marker in an email and returns its
// query parameter.
func linkParam(t *testing.T, text, marker, param string) string {
	t.Helper()
	for _, f := range strings.Fields(text) {
		if strings.Contains(f, marker) {
			u, err := url.Parse(f)
			if err != nil {
				t.Fatal(err)
			}
			return u.Query().Get(param)
		}
	}
	t.Fatalf("no link with %q in %q", marker, text)
	return ""
}
