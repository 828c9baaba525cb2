package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/outreach-org/outreach/internal/config"
	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/outbox"
	"github.com/outreach-org/outreach/internal/delivery/sendgrid"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/followup"
	"github.com/outreach-org/outreach/internal/i18n"
	"github.com/outreach-org/outreach/internal/jobs"
	"github.com/outreach-org/outreach/internal/keyring"
	"github.com/outreach-org/outreach/internal/mailing"
	"github.com/outreach-org/outreach/internal/metrics"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/signon"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/supportermail"
	"github.com/outreach-org/outreach/internal/supporters"
	"github.com/outreach-org/outreach/internal/web"
)

// loadKeys returns the encryption keys (OUTREACH_SECRET_KEYS and
// OUTREACH_INDEX_KEY, or the data dir's keys.json, made on a first run)
// once they fit the database (see package keyring): every command that
// opens sealed data calls it right after opening the database.
func loadKeys(ctx context.Context, cfg *config.Config, st *store.Store, log *slog.Logger) (*seal.Keys, error) {
	return keyring.Open(ctx, st, keyring.Source{SecretKeys: cfg.SecretKeys, IndexKey: cfg.IndexKey, File: keysFile(cfg)}, log)
}

func keysFile(cfg *config.Config) string { return filepath.Join(cfg.DataDir, "keys.json") }

// sealedData is what a command that reads supporters' sealed data opens,
// in main's order: configuration, logger, database (migrated), keys.
type sealedData struct {
	cfg  *config.Config
	log  *slog.Logger
	st   *store.Store
	keys *seal.Keys
}

// openSealed opens it; the caller closes st.
func openSealed(ctx context.Context, env func(string) string, stderr io.Writer) (sealedData, error) {
	cfg, _, err := loadConfig(env)
	if err != nil {
		return sealedData{}, err
	}
	log := newLogger(cfg, stderr)
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return sealedData{}, err
	}
	keys, err := loadKeys(ctx, cfg, st, log)
	if err != nil {
		st.Close()
		return sealedData{}, err
	}
	return sealedData{cfg: cfg, log: log, st: st, keys: keys}, nil
}

// queue is the River client and, when this process works jobs, the
// delivery worker.
type queue struct {
	client *jobs.Client
	worker *dispatch.Worker
	runner *followup.Runner
	// senders are the configured channels and defaults the delivery
	// settings of campaigns without their own (the coverage view).
	senders  []delivery.Sender
	defaults dispatch.Settings
	signOn   *signon.Deliverer // delivers scheduled sign-on letters; nil without workers
	// mailer sends mobilization emails (nil when this process works no jobs).
	mailer *mailing.Worker
}

// newQueue builds the River client; with work=true it also registers the
// delivery worker, the supporter-mail worker and their queues.
func newQueue(cfg *config.Config, st *store.Store, keys *seal.Keys, log *slog.Logger, work bool) (*queue, error) {
	senders, err := buildSenders(cfg, st, keys)
	if err != nil {
		return nil, err
	}
	defaults := dispatch.DefaultSettings()
	defaults.Channels = channelOrder(cfg, senders)
	defaults.NoProviderEvents = cfg.SendGridPublicKey == ""
	campInfo := func(ctx context.Context, id int64) (delivery.Campaign, error) {
		c, err := st.Campaign(ctx, id)
		return delivery.Campaign{ID: c.ID, Slug: c.Slug, Title: c.Title, LOCTopic: c.LOCTopic, Demo: c.Demo, Organizational: c.Organizational()}, err
	}
	// Rescue after 5 minutes: longer than any delivery job may run
	// (dispatch.BatchTimeout), so a running job is never worked twice.
	opts := jobs.Options{Logger: log.With("component", "jobs"), RescueStuckJobsAfter: 5 * time.Minute}
	q := &queue{senders: senders, defaults: defaults}
	if work {
		q.worker = dispatch.NewWorker(st, keys, senders, campInfo, defaults, log.With("component", "delivery"), nil)
		workers := river.NewWorkers()
		dispatch.Register(workers, q.worker)
		// Schedules and follow-ups: one tick a minute on the leader claims
		// due schedules from the database (internal/followup).
		staffMail, supporterMail, err := mailers(cfg, st, keys)
		if err != nil {
			return nil, err
		}
		runner := &followup.Runner{Store: st, Mailer: staffMail, Links: followup.Links{BaseURL: cfg.BaseURL.String(), Keys: keys},
			Log: log.With("component", "followup"), OrgName: cfg.OrgName, SessionIdle: cfg.SessionIdle}
		for _, s := range senders {
			if r, ok := s.(followup.Refresher); ok && cfg.CWCSenateURL != "" {
				runner.CWC = r
			}
		}
		q.runner = runner
		q.worker.SetHold(runner.Hold)
		river.AddWorker(workers, &followup.TickWorker{R: runner})
		river.AddWorker(workers, &followup.RunWorker{R: runner})
		river.AddWorker(workers, &followup.EmailWorker{R: runner})
		// Every email to a supporter: the confirmation link, the copy of
		// the letters, the opt-in request, and the follow-ups' survey and
		// reminder, each sent once by its own job (supportermail).
		links := supportermail.Links{BaseURL: cfg.BaseURL.String(), Keys: keys}
		composers := runner.Composers()
		composers[store.MailSignOnConfirm] = signon.Composer(st, links)
		river.AddWorker(workers, &supportermail.Worker{Store: st, Mailer: supporterMail, Links: links,
			OrgName: cfg.OrgName, Composers: composers, Events: cfg.SendGridAPIKey != "" && cfg.SendGridPublicKey != "",
			Log: log.With("component", "supportermail")})
		// Jobs an earlier version left in the queue.
		river.AddWorker(workers, &supportermail.LegacyWorker{Store: st})
		// Sign-on letters scheduled for delivery go out from a tick of
		// their own; their letters' jobs are enqueued with the letters.
		// The congressional data is set by the caller (q.signOn.Congress).
		q.signOn = &signon.Deliverer{Store: st, Keys: keys, OrgName: cfg.OrgName, StatsURL: strings.TrimRight(cfg.BaseURL.String(), "/") + "/stats",
			Overseen: func(id string) bool { _, ok := i18n.English.Oversees(id); return ok },
			Enqueue:  func(ctx context.Context, tx *sql.Tx, ids []int64) error { return q.enqueue()(ctx, tx, ids) }}
		river.AddWorker(workers, &signon.TickWorker{Due: st, Log: log.With("component", "signon"), D: q.signOn})
		// Mobilization emails: one job per mailing, a thousand supporters
		// per SendGrid request (internal/mailing).
		bulk, err := mailingSender(cfg, st, keys)
		if err != nil {
			return nil, err
		}
		q.mailer = &mailing.Worker{Store: st, Sender: bulk, Keys: keys, BaseURL: cfg.BaseURL.String(), OrgName: cfg.OrgName,
			Rate: cfg.MailingRate, Log: log.With("component", "mailing")}
		river.AddWorker(workers, q.mailer)
		opts.PeriodicJobs = append(opts.PeriodicJobs, followup.TickJob(followup.TickEvery), signon.TickJob(followup.TickEvery))
		opts.Workers = workers
		opts.Queues = map[string]river.QueueConfig{dispatch.Queue: {MaxWorkers: cfg.DeliveryWorkers}, supportermail.Queue: {MaxWorkers: 4}, mailing.Queue: {MaxWorkers: 1}, river.QueueDefault: {MaxWorkers: 2}}
		opts.FetchPollInterval = 250 * time.Millisecond
	}
	c, err := jobs.New(st.DB(), st.Dialect() == store.Postgres, opts)
	if err != nil {
		return nil, err
	}
	q.client = c
	if q.runner != nil {
		q.runner.Jobs = c
	}
	log.Info("delivery", "channels", defaults.Channels, "workers", work)
	return q, nil
}

// setMetrics makes the worker count channels' answers and the queue's
// jobs be timed (m nil: nothing).
func (q *queue) setMetrics(m *metrics.Metrics) {
	if m == nil || q.worker == nil {
		return
	}
	q.worker.SetMetrics(m)
	watchJobs(q.client, m)
}

func (q *queue) enqueue() store.Enqueue { return dispatch.Enqueuer{Client: q.client}.EnqueueTx }

func (q *queue) start(ctx context.Context) error {
	if q.worker == nil {
		return nil
	}
	// Not tied to the signal context: stop ends it, letting jobs finish.
	return q.client.Start(context.WithoutCancel(ctx))
}

// stop lets running jobs finish for a while, then cancels them; a job
// cut short is retried (and SendGrid's grace window prevents duplicates).
func (q *queue) stop(log *slog.Logger) {
	if q.worker == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := q.client.Stop(ctx); err != nil {
		log.Warn("job queue did not stop cleanly", "err", err)
		_ = q.client.StopAndCancel(context.Background())
	}
}

// cmdWorker runs delivery and email workers without the web server, so web and
// workers can scale apart.
func cmdWorker(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	d, err := openSealed(ctx, env, stderr)
	if err != nil {
		return err
	}
	defer d.st.Close()
	cfg, log, st, keys := d.cfg, d.log, d.st, d.keys
	if err := sealAtStart(ctx, st, keys, log); err != nil {
		return err
	}
	if err := seedSchedules(ctx, cfg, st, log); err != nil {
		return err
	}
	q, err := newQueue(cfg, st, keys, log, true)
	if err != nil {
		return err
	}
	if dir, err := congress.Load(filepath.Join(cfg.DataDir, "congress")); err == nil {
		q.runner.Member = dir.Member // second letters' salutations
		q.signOn.Congress = dir
		q.mailer.Member = dir.Member                    // mailings' {{.members}}
		q.mailer.Place = mailing.PlaceOf(dir)           // ... of supporters who wrote no letter
		q.mailer.Congress = supporters.DirectoryOf(dir) // segments by committee
	} else {
		log.Warn("congress data not loaded: second letters greet members by the last word of their name", "err", err)
	}
	m := newMetrics(cfg, st, log)
	q.setMetrics(m)
	if err := serveMetrics(ctx, cfg, m, log); err != nil {
		return err
	}
	if err := q.start(ctx); err != nil {
		return err
	}
	log.Info("worker running", "pid", os.Getpid())
	<-ctx.Done()
	q.stop(log)
	return nil
}

// seedSchedules turns OUTREACH_STATS_RELEASE_CRON into a statistics
// release schedule in the database, once (see followup.SeedStatsRelease).
func seedSchedules(ctx context.Context, cfg *config.Config, st *store.Store, log *slog.Logger) error {
	created, err := followup.SeedStatsRelease(ctx, st, cfg.StatsReleaseCron, time.Now())
	if err != nil {
		return fmt.Errorf("OUTREACH_STATS_RELEASE_CRON: %w", err)
	}
	if created {
		log.Info("statistics release schedule created from OUTREACH_STATS_RELEASE_CRON; change it at /admin/schedule", "cron", cfg.StatsReleaseCron)
	} else if cfg.StatsReleaseCron != "" {
		log.Info("a statistics release schedule exists: OUTREACH_STATS_RELEASE_CRON is not applied again (edit it at /admin/schedule)")
	}
	return nil
}

// outboxMailer keeps staff emails in the outbox (the default).
type outboxMailer struct{ ob *outbox.Sender }

func (m outboxMailer) SendEmail(ctx context.Context, kind string, e delivery.Email) error {
	_, err := m.ob.SendEmail(ctx, kind, e)
	return err
}

// mailers pick the channel for staff emails (the digest) and for
// supporters' emails: SendGrid when configured, the outbox otherwise.
func mailers(cfg *config.Config, st *store.Store, keys *seal.Keys) (followup.Mailer, supportermail.Mailer, error) {
	if cfg.SendGridAPIKey == "" {
		return outboxMailer{outbox.New(st, keys)}, supportermail.OutboxMailer{Store: st, Keys: keys}, nil
	}
	// Supporter and staff emails: the mail queue runs 4 workers (see run).
	sg, err := sendgrid.New(sendgrid.Config{APIKey: cfg.SendGridAPIKey, BaseURL: cfg.SendGridURL, FromEmail: cfg.MailFrom, FromName: cfg.OrgName, Connections: 4}, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("SendGrid: %w", err)
	}
	return sendgridMailer{sg}, supportermail.SendGridMailer{Client: sg}, nil
}

// mailingSender is where mobilization emails go: SendGrid when
// configured (its own client, as the mailing queue has one worker), the
// outbox otherwise.
func mailingSender(cfg *config.Config, st *store.Store, keys *seal.Keys) (mailing.Sender, error) {
	if cfg.SendGridAPIKey == "" {
		return mailing.OutboxSender{Outbox: outbox.New(st, keys)}, nil
	}
	sg, err := sendgrid.New(sendgrid.Config{APIKey: cfg.SendGridAPIKey, BaseURL: cfg.SendGridURL, FromEmail: cfg.MailFrom, FromName: cfg.OrgName, Connections: 2,
		Timeout: 30 * time.Second}, nil)
	if err != nil {
		return nil, fmt.Errorf("SendGrid: %w", err)
	}
	return sg, nil
}

type sendgridMailer struct{ c *sendgrid.Client }

func (m sendgridMailer) SendEmail(ctx context.Context, kind string, e delivery.Email) error {
	_, err := m.c.SendEmail(ctx, sendgrid.Email{To: e.To, Subject: e.Subject, Text: e.Text, Headers: e.Headers, Categories: []string{kind}})
	return err
}

// eventVerifier is the SendGrid webhook verifier, when a key is set.
func eventVerifier(cfg *config.Config) (web.EventVerifier, error) {
	if cfg.SendGridPublicKey == "" {
		return nil, nil
	}
	v, err := sendgrid.NewVerifier(cfg.SendGridPublicKey, 5*time.Minute)
	if err != nil {
		return nil, fmt.Errorf("SENDGRID_WEBHOOK_PUBLIC_KEY: %w", err)
	}
	return v, nil
}
