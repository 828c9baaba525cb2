package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/contacts"
	"github.com/outreach-org/outreach/internal/store"
)

// cmdContacts: `outreach contacts import FILE` and `outreach contacts export`.
func cmdContacts(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	usage := errors.New("usage: outreach contacts import FILE (CSV with the header bioguide_id,name,role,email,fax; - for standard input) | outreach contacts export")
	switch {
	case len(args) == 2 && args[0] == "import":
		return contactsImport(ctx, args[1], env, stdout, stderr)
	case len(args) == 1 && args[0] == "export":
		st, err := cliStore(ctx, env, stderr)
		if err != nil {
			return err
		}
		defer st.Close()
		all, err := st.AllOfficeContacts(ctx)
		if err != nil {
			return err
		}
		list := make([]contacts.Contact, len(all))
		for i, c := range all {
			list[i] = c.Contact
		}
		return contacts.WriteCSV(stdout, list)
	}
	return usage
}

// contactsImport reads a CSV file of office contacts, all or nothing: each
// office it names gets the file's contacts (in file order) in place of its
// own; other offices keep theirs. Refused rows are listed by row, field
// and reason.
func contactsImport(ctx context.Context, path string, env func(string) string, stdout, stderr io.Writer) error {
	in, err := openInput(ctx, path)
	if err != nil {
		return err
	}
	defer in.Close()
	cfg, _, err := loadConfig(env)
	if err != nil {
		return err
	}
	dir, err := congress.Load(filepath.Join(cfg.DataDir, "congress"))
	if err != nil {
		return fmt.Errorf("load congress data: %w", err)
	}
	p, err := contacts.ParseCSV(in, func(id string) bool { _, ok := dir.Member(id); return ok })
	if err != nil {
		return fmt.Errorf("nothing was imported: %w", err)
	}
	if len(p.Errors) > 0 {
		for _, e := range p.Errors {
			fmt.Fprintln(stderr, e.Error())
		}
		if len(p.Errors) >= contacts.MaxErrors {
			fmt.Fprintf(stderr, "(stopped after %d problems)\n", len(p.Errors))
		}
		return fmt.Errorf("nothing was imported: %d problem(s) in %d data rows", len(p.Errors), p.Rows)
	}
	st, err := openStore(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.ImportOfficeContacts(ctx, p, store.Audit{Action: "contacts.import.cli"})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %d contacts of %d offices\n", n, len(p.Offices))
	return nil
}
