package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"time"

	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/supporters"
)

// cmdSupporters: `outreach supporters import [--dry-run] FILE` and
// `outreach supporters export [filters]`. Both are audited.
func cmdSupporters(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	usage := errors.New("usage: outreach supporters import [--dry-run] FILE (CSV with email and consent columns; - for standard input) | " +
		"outreach supporters export [--campaign C] [--state S] [--district CA-12] [--committee SSJU] [--source X] [--lang en|es] [--from DATE] [--to DATE] [--origin action|import] [--status subscribed|unsubscribed|all]")
	if len(args) == 0 {
		return usage
	}
	switch args[0] {
	case "import":
		return supportersImport(ctx, args[1:], env, stdout, stderr)
	case "export":
		return supportersExport(ctx, args[1:], env, stdout, stderr)
	}
	return usage
}

// supportersImport adds the file's consenting rows to the list. As in
// listmonk and Action Network, the rows that can be imported are, and
// every refused row is reported by line and reason; a problem with the
// file itself imports nothing. --dry-run checks without writing.
func supportersImport(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("supporters import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dry := fs.Bool("dry-run", false, "check the file and report, import nothing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: outreach supporters import [--dry-run] FILE")
	}
	in, err := openInput(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	defer in.Close()
	d, err := openSealed(ctx, env, stderr)
	if err != nil {
		return err
	}
	defer d.st.Close()
	st, keys := d.st, d.keys
	p, err := supporters.ParseCSV(in, keys, campaignRef(ctx, st))
	if err != nil {
		return fmt.Errorf("nothing was imported: %w", err)
	}
	if *dry {
		for _, e := range p.Refused {
			fmt.Fprintf(stderr, "line %d: %s: %s\n", e.Line, e.Field, e.Reason)
		}
		fmt.Fprintf(stdout, "dry run: %d of %d rows can be imported (addresses that unsubscribed are only found by the import itself); %d refused\n",
			len(p.Rows), p.DataRows, len(p.Refused))
		return nil
	}
	rep, err := st.ImportSupporters(ctx, p.Rows, time.Now(), store.Audit{Action: "supporters.import.cli"})
	if err != nil {
		return fmt.Errorf("nothing was imported: %w", err)
	}
	refused := append(append([]store.RowError(nil), p.Refused...), rep.Refused...)
	sortRowErrors(refused)
	for _, e := range refused {
		fmt.Fprintf(stderr, "line %d: %s: %s\n", e.Line, e.Field, e.Reason)
	}
	fmt.Fprintf(stdout, "imported %d new supporters, %d who had asked to join; %d already on the list; %d rows refused (of %d)\n",
		rep.Added, rep.Confirmed, rep.Already, len(refused), p.DataRows)
	return nil
}

func sortRowErrors(es []store.RowError) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && es[j].Line < es[j-1].Line; j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

// supportersExport writes the list (with the filters given) as CSV to
// standard output, names and addresses opened; the export is audited.
func supportersExport(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("supporters export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	vals := map[string]*string{}
	for _, p := range supporters.FilterParams {
		vals[p] = fs.String(p, "", "filter: "+p)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return errors.New("usage: outreach supporters export [--campaign C] [--state S] ... (filters only)")
	}
	d, err := openSealed(ctx, env, stderr)
	if err != nil {
		return err
	}
	defer d.st.Close()
	cfg, st, keys := d.cfg, d.st, d.keys
	// The committee filter needs the congressional data; without it, the
	// other filters still work.
	var cong supporters.Congress
	if dir, err := congress.Load(filepath.Join(cfg.DataDir, "congress")); err == nil {
		cong = supporters.DirectoryOf(dir)
	}
	f, err := supporters.ParseFilter(func(k string) string { return *vals[k] }, campaignRef(ctx, st), cong)
	if err != nil {
		return err
	}
	n, err := st.CountSupporters(ctx, f)
	if err != nil {
		return err
	}
	detail := ""
	for _, p := range supporters.FilterParams {
		if *vals[p] != "" {
			detail += " " + p + "=" + *vals[p]
		}
	}
	if err := st.WriteAudit(ctx, store.Audit{Action: "supporters.export.cli", ObjectType: "supporters",
		Detail: fmt.Sprintf("CSV of %d supporters with names and addresses; filters%s", n, detail)}); err != nil {
		return err
	}
	slugs := map[int64]string{}
	w, err := supporters.NewWriter(stdout, keys, func(id int64) string {
		if s, ok := slugs[id]; ok {
			return s
		}
		c, err := st.Campaign(ctx, id)
		if err != nil {
			return strconv.FormatInt(id, 10)
		}
		slugs[id] = c.Slug
		return c.Slug
	})
	if err != nil {
		return err
	}
	err = st.EachSupporterList(ctx, f, 1000, func(b []store.Supporter) error {
		for _, sp := range b {
			if err := w.Write(sp); err != nil {
				return err
			}
		}
		return nil
	})
	rows, ferr := w.Flush()
	if err == nil {
		err = ferr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "exported %d supporters\n", rows)
	return nil
}

// campaignRef finds a campaign by id or slug.
func campaignRef(ctx context.Context, st *store.Store) supporters.Campaigns {
	return func(ref string) (int64, error) {
		if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
			c, err := st.Campaign(ctx, id)
			return c.ID, err
		}
		c, err := st.CampaignBySlug(ctx, ref)
		return c.ID, err
	}
}
