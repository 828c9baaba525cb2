package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/outreach-org/outreach/internal/keyring"
	"github.com/outreach-org/outreach/internal/seal"
)

const keysUsage = "usage: outreach keys check | keys generate [--id ID] | keys rotate [--batch N]"

// cmdKeys manages the encryption keys: check that the configured keys fit
// the database, print a new key to add to OUTREACH_SECRET_KEYS, and
// re-seal every sealed value under the current (first) key.
func cmdKeys(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(keysUsage)
	}
	switch args[0] {
	case "generate":
		fs := flag.NewFlagSet("keys generate", flag.ContinueOnError)
		fs.SetOutput(stderr)
		id := fs.String("id", "k"+time.Now().UTC().Format("20060102"), "the new key's id (letters, digits, - or _)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		line := *id + ":" + seal.NewKey()
		if _, err := seal.Parse(line, seal.NewKey()); err != nil {
			return fmt.Errorf("--id: %w", err)
		}
		fmt.Fprintln(stdout, line)
		fmt.Fprintln(stderr, "Put it first in OUTREACH_SECRET_KEYS (or in keys.json's \"keys\"), keeping the old keys after it: "+
			"NEW,OLD. Restart every serve and worker process with that list, then run outreach keys rotate. Back the new key up.")
		return nil
	case "check", "rotate":
	default:
		return errors.New(keysUsage)
	}
	fs := flag.NewFlagSet("keys "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	batch := fs.Int("batch", 500, "values re-sealed per transaction (rotate)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *batch <= 0 {
		return errors.New("--batch must be a positive number")
	}
	d, err := openSealed(ctx, env, stderr)
	if err != nil {
		return err
	}
	defer d.st.Close()
	st, keys := d.st, d.keys
	if args[0] == "check" {
		fmt.Fprintf(stdout, "the keys fit the database: current key %q (configured: %s)\n", keys.KeyID(), strings.Join(keys.IDs(), ", "))
		return nil
	}
	rep, err := keyring.Rotate(ctx, st, keys, keyring.RotateOptions{Batch: *batch, Progress: stdout})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return errors.New("interrupted: what was re-sealed is kept; run outreach keys rotate again to finish")
		}
		return err
	}
	if len(rep.Remaining) > 0 {
		return fmt.Errorf("%d values are not under key %q yet (see above)", sum(rep.Remaining), keys.KeyID())
	}
	return nil
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}
