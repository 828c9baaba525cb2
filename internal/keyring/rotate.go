package keyring

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
)

// RotateOptions tune Rotate.
type RotateOptions struct {
	// Batch is how many values are re-sealed per transaction (500 when 0).
	Batch int
	// Progress receives one line per batch and a summary.
	Progress io.Writer
}

// RotateReport is what a rotation did and what is left.
type RotateReport struct {
	Resealed int64
	// Unopenable lists values no configured key opens ("letters 42"):
	// they stay as they are, and their key cannot be retired.
	Unopenable []string
	// Remaining counts sealed values per key id other than the current
	// one after the rotation (non-zero: written by a process still on an
	// old key, or unopenable).
	Remaining map[string]int64
}

// Rotate re-seals every sealed value (every Column) that is not under the
// current key, with the current key, in batches committed one by one. It
// is resumable: values already under the current key are skipped, so a
// run stopped at any point (cancelled, killed, a lost connection) is
// finished by running it again. Each value is replaced only if it did not
// change meanwhile. After a complete run, with every process writing with
// the same key list, the old keys may be removed.
func Rotate(ctx context.Context, st Store, k *seal.Keys, opts RotateOptions) (RotateReport, error) {
	rep := RotateReport{Remaining: map[string]int64{}}
	if opts.Batch <= 0 {
		opts.Batch = 500
	}
	out := opts.Progress
	if out == nil {
		out = io.Discard
	}
	if err := Verify(ctx, st, k, "the configured keys"); err != nil {
		return rep, err
	}
	cur := k.KeyID()
	fmt.Fprintf(out, "re-sealing every sealed value under key %q (configured keys: %s)\n", cur, strings.Join(k.IDs(), ", "))
	for _, c := range Columns {
		counts, err := st.SealedKeyCounts(ctx, c.SealedColumn)
		if err != nil {
			return rep, err
		}
		var todo int64
		for id, n := range counts {
			if id != cur {
				todo += n
			}
		}
		name := c.Table + "." + c.Column
		if todo == 0 {
			fmt.Fprintf(out, "%s: nothing to do\n", name)
			continue
		}
		var done int64
		after := ""
		for {
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			vals, err := st.SealedBatch(ctx, c.SealedColumn, cur, after, opts.Batch)
			if err != nil {
				return rep, err
			}
			if len(vals) == 0 {
				break
			}
			changes := make([]store.SealedChange, 0, len(vals))
			for _, v := range vals {
				nv, err := k.Reseal(v.Value, c.AAD(v.ID))
				if err != nil {
					rep.Unopenable = append(rep.Unopenable, c.Table+" "+v.ID)
					continue
				}
				changes = append(changes, store.SealedChange{ID: v.ID, Old: v.Value, New: nv})
			}
			n, err := st.ReplaceSealed(ctx, c.SealedColumn, changes)
			if err != nil {
				return rep, err
			}
			done += n
			rep.Resealed += n
			after = vals[len(vals)-1].ID
			fmt.Fprintf(out, "%s: %d of %d re-sealed\n", name, done, todo)
		}
	}
	for _, c := range Columns {
		counts, err := st.SealedKeyCounts(ctx, c.SealedColumn)
		if err != nil {
			return rep, err
		}
		for id, n := range counts {
			if id != cur {
				rep.Remaining[id] += n
			}
		}
	}
	if len(rep.Unopenable) > 0 {
		fmt.Fprintf(out, "%d values open with none of the configured keys and were left as they are: %s\n",
			len(rep.Unopenable), strings.Join(rep.Unopenable, ", "))
	}
	old := slices.DeleteFunc(k.IDs(), func(id string) bool { return id == cur })
	switch {
	case len(rep.Remaining) > 0:
		for _, id := range slices.Sorted(maps.Keys(rep.Remaining)) {
			fmt.Fprintf(out, "still under key %q: %d values (a process still sealing with an old key list, or values above); run again once every process uses the new list\n",
				id, rep.Remaining[id])
		}
	case len(old) > 0:
		fmt.Fprintf(out, "done: every sealed value is under key %q; %s may now be removed from OUTREACH_SECRET_KEYS (or keys.json) once every process runs with %q first\n",
			cur, strings.Join(old, ", "), cur)
	default:
		fmt.Fprintf(out, "done: every sealed value is under key %q\n", cur)
	}
	return rep, nil
}
