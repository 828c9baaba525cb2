// Command outreach runs the advocacy platform: one binary with subcommands.
//
// Start-up order is explicit and visible here: config → validate → logger →
// data → database → migrations → serve. No package keeps global state.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/config"
	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/geocode"
	"github.com/outreach-org/outreach/internal/mailing"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/supporters"
	"github.com/outreach-org/outreach/internal/web"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

type command struct {
	name, help string
	fn         func(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error
}

// commands maps each subcommand to its function and one line of help.
func commands() []command {
	return []command{
		{"serve", "run the web server (the default)", cmdServe},
		{"migrate", "apply database migrations and exit", cmdMigrate},
		{"import-congress", "regenerate member and district data from upstream files", cmdImportCongress},
		{"worker", "run delivery and email workers without the web server", cmdWorker},
		{"user", "manage staff accounts: user add --email E --role R [--name N]", cmdUser},
		{"token", "API tokens: token create --email E [--name N]", cmdToken},
		{"cases", "case records: cases import FILE (CSV, all or nothing) | cases remove-demo", cmdCases},
		{"contacts", "office contacts directory: contacts import FILE (CSV bioguide_id,name,role,email,fax; - for standard input; all or nothing) | contacts export", cmdContacts},
		{"supporters", "the supporter list: supporters import [--dry-run] FILE (CSV with email and consent columns; refused rows reported by line) | supporters export [--campaign C] [--state S] [--district CA-12] [--source X] [--lang L] [--from D] [--to D] [--status S] (CSV to standard output; audited)", cmdSupporters},
		{"stats", "statistics releases: stats release [--threshold N] [--rounding N] [--min-denominator N]", cmdStats},
		{"keys", "encryption keys: keys check | keys generate [--id ID] | keys rotate [--batch N] (re-seal everything under the first key)", cmdKeys},
		{"seed-demo", "load synthetic demonstration case records and publish a release from them (once)", cmdSeedDemo},
		{"healthcheck", "exit 0 if the local server answers /healthz (for container health checks)", cmdHealthcheck},
		{"version", "print the version", cmdVersion},
		{"help", "list commands and environment variables", cmdHelp},
	}
}

func run(args []string, env func(string) string, stdout, stderr io.Writer) int {
	name := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if name == "-h" || name == "--help" {
		name = "help"
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	for _, c := range commands() {
		if c.name == name {
			if err := c.fn(ctx, args, env, stdout, stderr); err != nil {
				if errors.Is(err, flag.ErrHelp) {
					return 0
				}
				fmt.Fprintf(stderr, "outreach %s: %v\n", name, err)
				return 1
			}
			return 0
		}
	}
	fmt.Fprintf(stderr, "outreach: unknown command %q\n\n", name)
	_ = cmdHelp(ctx, nil, env, stderr, stderr)
	return 2
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openStore connects and migrates; every command that touches the database
// goes through here so none runs on an unmigrated or too-new schema.
func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (*store.Store, error) {
	s, err := store.Open(ctx, store.Options{DatabaseURL: cfg.DatabaseURL, SQLitePath: cfg.SQLitePath()})
	if err != nil {
		return nil, err
	}
	st, err := s.Migrate(ctx, log)
	if err != nil {
		s.Close()
		return nil, err
	}
	log.Info("database ready", "dialect", s.Dialect(), "schema_version", st.Current)
	return s, nil
}

func cmdServe(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	start := time.Now()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, reg, err := loadConfig(env)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)

	dir, err := congress.Load(filepath.Join(cfg.DataDir, "congress"))
	if err != nil {
		return fmt.Errorf("load congress data: %w", err)
	}
	log.Info("congress data loaded", "as_of", dir.AsOf(), "members", len(dir.Members()))

	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	keys, err := loadKeys(ctx, cfg, st, log)
	if err != nil {
		return err
	}
	seedDemoAtStart(ctx, cfg, st, log)
	if cfg.Demo {
		if err := seedDemoCampaign(ctx, st, log); err != nil {
			log.Warn("could not create the demonstration campaign", "err", err)
		}
	}
	if err := sealAtStart(ctx, st, keys, log); err != nil {
		return err
	}
	if err := seedSchedules(ctx, cfg, st, log); err != nil {
		return err
	}
	q, err := newQueue(cfg, st, keys, log, cfg.RunWorkers)
	if err != nil {
		return err
	}
	if q.signOn != nil {
		q.signOn.Congress = dir
	}
	if q.runner != nil {
		q.runner.Member = dir.Member
		q.mailer.Member = dir.Member
		q.mailer.Place = mailing.PlaceOf(dir)
		q.mailer.Congress = supporters.DirectoryOf(dir)
	}

	events, err := eventVerifier(cfg)
	if err != nil {
		return err
	}

	var gc web.Geocoder
	if cfg.Geocoder == "census" {
		gc = geocode.New(geocode.Config{BaseURL: cfg.GeocoderURL, Timeout: cfg.GeocoderTimeout}, nil)
		log.Info("street-address lookup on", "geocoder", "census")
	}
	m := newMetrics(cfg, st, log)
	q.setMetrics(m)
	srv, err := web.New(web.Deps{
		Log: log, Store: st, Congress: dir, Geocoder: gc, Metrics: m,
		BodyLimit: cfg.BodyLimit, DataDir: cfg.DataDir, TrustedProxies: cfg.TrustedProxies, Version: version,
		SecureCookies: cfg.Secure(), SessionIdle: cfg.SessionIdle, SessionMax: cfg.SessionMax, Hasher: auth.NewHasher(cfg.PasswordChecks, 0),
		Keys: keys, Enqueue: q.enqueue(), Jobs: q.client, Events: events,
		BaseURL: cfg.BaseURL.String(), OrgName: cfg.OrgName, UploadLimit: cfg.UploadLimit, LookupLimit: cfg.LookupLimit,
		InboundSecret: cfg.InboundSecret, Channels: reg.Channels(), Senders: q.senders, DeliveryDefaults: q.defaults,
	})
	if err != nil {
		return err
	}
	code, err := srv.EnsureSetupCode(ctx)
	if err != nil {
		return err
	}
	if code != "" {
		// Shown once so the operator of a fresh install can create the first
		// admin at /admin/setup; a new code is made at each start until then.
		log.Warn("no staff account yet: open "+cfg.BaseURL.String()+"/admin/setup and enter this setup code", "setup_code", code)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on OUTREACH_ADDR %s: %w", cfg.Addr, err)
	}
	if err := serveMetrics(ctx, cfg, m, log); err != nil {
		return err
	}
	if err := q.start(ctx); err != nil {
		return err
	}
	defer q.stop(log)
	wstart := time.Now()
	if pages, err := srv.Warm(ctx); err != nil {
		log.Warn("warming the caches failed: the first requests will be slower", "err", err)
	} else {
		log.Info("caches warm", "pages", pages, "took", time.Since(wstart).Round(time.Millisecond))
	}
	log.Info("outreach ready", "addr", ln.Addr().String(), "url", cfg.BaseURL.String(), "version", version,
		"startup", time.Since(start).Round(time.Millisecond))
	return srv.Serve(ctx, ln, cfg.ShutdownTimeout)
}

func cmdMigrate(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	statusOnly := fs.Bool("status", false, "print the schema version and exit without migrating")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, _, err := loadConfig(env)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	if *statusOnly {
		s, err := store.Open(ctx, store.Options{DatabaseURL: cfg.DatabaseURL, SQLitePath: cfg.SQLitePath()})
		if err != nil {
			return err
		}
		defer s.Close()
		st, err := s.Status(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "schema version %d (this binary knows up to %d)\n", st.Current, st.Latest)
		return nil
	}
	s, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	return s.Close()
}

func cmdImportCongress(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import-congress", flag.ContinueOnError)
	fs.SetOutput(stderr)
	leg := fs.String("legislators", "", "legislators-current.yaml or .json from unitedstates/congress-legislators (required)")
	off := fs.String("offices", "", "legislators-district-offices.yaml or .json (required)")
	zips := fs.String("zips", "", "ZCTA-to-district CSV (state_fips,state_abbr,zcta,cd) from us-zipcodes-congress (required)")
	bounds := fs.String("boundaries", "", "district boundaries TopoJSON, quantized (required: points are placed in districts offline)")
	comm := fs.String("committees", "", "committees-current.yaml (default: the file of that name next to --legislators)")
	membership := fs.String("committee-membership", "", "committee-membership-current.yaml (default: the file of that name next to --legislators)")
	asOf := fs.String("as-of", "", "date of the snapshot, YYYY-MM-DD (default: latest term start in the data)")
	out := fs.String("out", "", "output directory (default: $OUTREACH_DATA_DIR/congress, which serve loads instead of the built-in data)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: outreach import-congress --legislators FILE --offices FILE --zips FILE --boundaries FILE [--committees FILE --committee-membership FILE] [--as-of DATE] [--out DIR]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	var missing []string
	for name, v := range map[string]string{"--legislators": *leg, "--offices": *off, "--zips": *zips, "--boundaries": *bounds} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		fs.Usage()
		sort.Strings(missing)
		return fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	// Committees come from the same upstream snapshot as the members, so
	// by default they are read from beside the legislators file.
	if *comm == "" {
		*comm = filepath.Join(filepath.Dir(*leg), "committees-current.yaml")
	}
	if *membership == "" {
		*membership = filepath.Join(filepath.Dir(*leg), "committee-membership-current.yaml")
	}
	dest := *out
	if dest == "" {
		cfg, _, err := loadConfig(env)
		if err != nil {
			return err
		}
		dest = filepath.Join(cfg.DataDir, "congress")
	}
	if err := congress.Import(congress.ImportOptions{
		LegislatorsPath: *leg, OfficesPath: *off, ZIPsPath: *zips, BoundariesPath: *bounds, AsOf: *asOf, OutDir: dest,
		CommitteesPath: *comm, MembershipPath: *membership,
	}); err != nil {
		return err
	}
	dir, err := congress.Load(dest)
	if err != nil {
		return fmt.Errorf("the imported data does not load: %w", err)
	}
	fmt.Fprintf(stdout, "imported %d members, %d districts and %d committees and subcommittees as of %s into %s\n",
		len(dir.Members()), len(dir.Districts()), len(dir.Committees()), dir.AsOf(), dest)
	return nil
}

func cmdHealthcheck(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := loadConfig(env)
	if err != nil {
		return err
	}
	_, port, _ := net.SplitHostPort(cfg.Addr)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+port+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("server not answering: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/healthz answered %s", resp.Status)
	}
	return nil
}

func cmdVersion(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	v := version
	if info, ok := debug.ReadBuildInfo(); ok && v == "dev" {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += "+" + s.Value[:12]
			}
		}
	}
	fmt.Fprintln(stdout, "outreach", v)
	return nil
}

// helpWidth is the widest line outreach help prints: a terminal or a
// README code block.
const helpWidth = 100

// wrap breaks s into lines of at most width characters at spaces (a word
// longer than width gets a line of its own).
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		switch {
		case line == "":
			line = w
		case len(line)+1+len(w) <= width:
			line += " " + w
		default:
			lines = append(lines, line)
			line = w
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// helpTable prints names in a column and their descriptions wrapped
// beside them, within helpWidth.
func helpTable(w io.Writer, rows [][2]string) {
	col := 0
	for _, r := range rows {
		col = max(col, len(r[0]))
	}
	pad := strings.Repeat(" ", 2+col+2)
	for _, r := range rows {
		for i, l := range wrap(r[1], helpWidth-len(pad)) {
			if i == 0 {
				fmt.Fprintf(w, "  %-*s  %s\n", col, r[0], l)
			} else {
				fmt.Fprintf(w, "%s%s\n", pad, l)
			}
		}
	}
}

func cmdHelp(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fmt.Fprintln(stdout, "outreach: congressional advocacy campaigns")
	fmt.Fprintln(stdout, "\nUsage: outreach [command] [flags]\n\nCommands:")
	var rows [][2]string
	for _, c := range commands() {
		rows = append(rows, [2]string{c.name, c.help})
	}
	helpTable(stdout, rows)
	fmt.Fprintln(stdout, "\nEnvironment variables (secrets marked * may instead be read from the file named by NAME_FILE):")
	for _, v := range config.Vars {
		name := v.Name
		if v.Secret {
			name += " *"
		}
		fmt.Fprintf(stdout, "\n  %s\n", name)
		for _, l := range append(wrap(v.Help, helpWidth-6), wrap("default: "+v.Default, helpWidth-6)...) {
			fmt.Fprintf(stdout, "      %s\n", l)
		}
	}
	reg, err := channelRegistry()
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "\nDelivery channels (names for OUTREACH_DELIVERY_CHANNELS):")
	rows = rows[:0]
	for _, c := range reg.Infos() {
		rows = append(rows, [2]string{string(c.Name), c.Summary})
	}
	helpTable(stdout, rows)
	return nil
}
