package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/outreach-org/outreach/internal/casestats"
	"github.com/outreach-org/outreach/internal/config"
	"github.com/outreach-org/outreach/internal/store"
)

// cmdCases: `outreach cases import FILE` and `outreach cases remove-demo`.
func cmdCases(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	usage := errors.New("usage: outreach cases import FILE (or - for standard input) | outreach cases remove-demo")
	if len(args) == 0 {
		return usage
	}
	switch args[0] {
	case "import":
		fs := flag.NewFlagSet("cases import", flag.ContinueOnError)
		fs.SetOutput(stderr)
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return usage
		}
		return casesImport(ctx, fs.Arg(0), env, stdout, stderr)
	case "remove-demo":
		st, err := cliStore(ctx, env, stderr)
		if err != nil {
			return err
		}
		defer st.Close()
		n, err := st.DeleteSyntheticCases(ctx, store.Audit{Action: "case.delete_synthetic.cli"})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "removed %d demonstration case records\n", n)
		return nil
	}
	return usage
}

// casesImport streams a CSV file into the database, all or nothing. Refused
// rows are listed by row, field and reason (never the value).
func casesImport(ctx context.Context, path string, env func(string) string, stdout, stderr io.Writer) error {
	in, err := openInput(ctx, path)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := cliStore(ctx, env, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := st.ImportCSV(ctx, in, store.ImportOptions{}, store.Audit{Action: "case.import.cli"})
	if err != nil {
		return err
	}
	if len(res.Errors) > 0 {
		for _, e := range res.Errors {
			fmt.Fprintln(stderr, e.Error())
		}
		if len(res.Errors) >= casestats.DefaultMaxErrors {
			fmt.Fprintf(stderr, "(stopped after %d problems)\n", len(res.Errors))
		}
		return fmt.Errorf("nothing was imported: %d problem(s) in %d data rows", len(res.Errors), res.Rows)
	}
	fmt.Fprintf(stdout, "imported %s case records\n", casestats.FormatCount(res.Imported))
	return nil
}

// cmdStats: `outreach stats release [--threshold N] [--rounding N] [--min-denominator N]`.
func cmdStats(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "release" {
		return errors.New("usage: outreach stats release [--threshold N] [--rounding N] [--min-denominator N]")
	}
	fs := flag.NewFlagSet("stats release", flag.ContinueOnError)
	fs.SetOutput(stderr)
	threshold := fs.Int("threshold", casestats.DefaultThreshold, "smallest published count (at least 11)")
	rounding := fs.Int("rounding", casestats.DefaultRounding, "round counts to a multiple of this (1: no rounding)")
	minDen := fs.Int("min-denominator", casestats.DefaultMinDenominator, "smallest group for a percentage (at least 30)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	st, err := cliStore(ctx, env, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	rel, err := st.CreateRelease(ctx, store.ReleaseRequest{Params: casestats.Params{Threshold: *threshold, Rounding: *rounding, MinDenominator: *minDen}},
		store.Audit{Action: "stats.release.cli"})
	if err != nil {
		return err
	}
	kind := "real"
	if rel.Synthetic {
		kind = "synthetic demonstration"
	}
	fmt.Fprintf(stdout, "published release #%d as of %s from %s case records (%s data)\n", rel.ID, rel.CreatedAt.Format("2006-01-02 15:04:05 UTC"),
		casestats.FormatCount(int(rel.CaseCount)), kind)
	if len(rel.HeldBack) > 0 {
		labels := make([]string, len(rel.HeldBack))
		for i, k := range rel.HeldBack {
			labels[i] = casestats.KeyLabel(k)
		}
		fmt.Fprintf(stdout, "held back because their change since an earlier release would reveal fewer than %d cases: %s\n",
			rel.Params.Threshold, strings.Join(labels, "; "))
	}
	return nil
}

// cmdSeedDemo: `outreach seed-demo [--records N] [--seed N]`.
func cmdSeedDemo(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("seed-demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	records := fs.Int("records", 4000, "number of synthetic case records")
	seed := fs.Uint64("seed", 2018, "random seed (the same seed gives the same data set)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := cliStore(ctx, env, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := st.SeedDemo(ctx, store.DemoOptions{Records: *records, Seed: *seed}, store.Audit{})
	if err != nil {
		return err
	}
	if !res.Seeded {
		fmt.Fprintln(stdout, "demonstration case records are already loaded: nothing to do")
		return nil
	}
	fmt.Fprintf(stdout, "loaded %s synthetic case records and published release #%d from them\n", casestats.FormatCount(res.Records), res.Release.ID)
	return nil
}

// seedDemoAtStart fills a new install (no case records, no release) with the
// synthetic demonstration data set and its release, so that the first `go
// run ./cmd/outreach` shows figures. OUTREACH_DEMO=false turns it off. A
// failure is logged, never fatal: the site works without figures.
func seedDemoAtStart(ctx context.Context, cfg *config.Config, st *store.Store, log *slog.Logger) {
	if !cfg.Demo {
		return
	}
	need, err := st.DemoNeeded(ctx)
	if err != nil {
		log.Warn("could not check for case records", "err", err)
		return
	}
	if !need {
		return
	}
	res, err := st.SeedDemo(ctx, store.DemoOptions{}, store.Audit{})
	if err != nil {
		log.Warn("could not load the demonstration case records", "err", err)
		return
	}
	if res.Seeded {
		log.Info("synthetic demonstration case records loaded and a release published (OUTREACH_DEMO=false turns this off)",
			"records", res.Records, "release", res.Release.ID)
	}
}

// openInput opens the file a command reads, or standard input for "-".
func openInput(ctx context.Context, path string) (io.ReadCloser, error) {
	if path == "-" {
		return io.NopCloser(stdinOf(ctx)), nil
	}
	return os.Open(path)
}
