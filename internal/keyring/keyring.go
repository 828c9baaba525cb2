// Package keyring decides which keys open the database's sealed personal
// data, and re-seals that data when the encryption key changes.
//
// Lost keys must never be replaced silently: with new keys, sealed
// submissions, letters and emails no longer open, blind indexes no longer
// match (a suppressed address is emailed again, a supporter who wrote is
// not recognised and the offices get a second set of letters). So the
// database keeps two check values, made when keys are first used: a value
// sealed with the encryption keys and an HMAC under the blind-index key.
// A process whose keys do not reproduce them refuses to start, and new
// keys are generated only for a database that holds no data under keys.
package keyring

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/followup"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/tracking"
)

// Column is a column of sealed values and how its AAD is made from the
// row's key: Rotate re-seals every Column, Open's checks look at them.
// A new table with sealed data is one more entry in Columns.
type Column struct {
	store.SealedColumn
	AAD func(id string) string
}

func intAAD(f func(int64) string) func(string) string {
	return func(id string) string {
		n, _ := strconv.ParseInt(id, 10, 64)
		return f(n)
	}
}

// Columns lists every sealed column. The key check comes last, so that a
// rotation is complete when it is under the new key.
var Columns = []Column{
	{store.SealedColumn{Table: "submissions", ID: "id", Column: "sealed"}, intAAD(action.SubmissionAAD)},
	{store.SealedColumn{Table: "letter_texts", ID: "letter_id", Column: "sealed"}, intAAD(delivery.LetterAAD)},
	{store.SealedColumn{Table: "outbox_messages", ID: "id", Column: "sealed"}, intAAD(delivery.OutboxAAD)},
	{store.SealedColumn{Table: "optins", ID: "email_index", Column: "sealed", TextID: true}, action.OptInAAD},
	{store.SealedColumn{Table: "inbound_replies", ID: "id", Column: "sealed"}, intAAD(tracking.ReplyAAD)},
	{store.SealedColumn{Table: "survey_answers", ID: "id", Column: "sealed"}, intAAD(followup.SurveyAAD)},
	{checkColumn, func(string) string { return checkAAD }},
}

// checkColumn is the sealed key check, an instance setting.
var checkColumn = store.SealedColumn{Table: "app_settings", ID: "key", Column: "value", Where: "key = '" + checkSealedKey + "'", TextID: true}

// indexed are columns of blind indexes that no sealed column accounts for:
// the suppression list outlives erased submissions.
var indexed = []store.SealedColumn{{Table: "email_suppressions", ID: "email_index", Column: "email_index", TextID: true}}

const (
	checkSealedKey = "keys.check.sealed"
	checkIndexKey  = "keys.check.index"
	checkAAD       = "outreach:key-check"
	checkText      = "outreach key check"
)

// Store is what the keyring needs of the database.
type Store interface {
	Setting(ctx context.Context, key string) (string, error)
	SetSetting(ctx context.Context, key, value string) error
	SetSettingsIfAbsent(ctx context.Context, kv map[string]string) (bool, error)
	SealedBatch(ctx context.Context, col store.SealedColumn, skipKey, after string, limit int) ([]store.SealedValue, error)
	ReplaceSealed(ctx context.Context, col store.SealedColumn, changes []store.SealedChange) (int64, error)
	SealedKeyCounts(ctx context.Context, col store.SealedColumn) (map[string]int64, error)
	LatestSealed(ctx context.Context, col store.SealedColumn) (store.SealedValue, bool, error)
	SubmissionByID(ctx context.Context, id int64) (store.Submission, error)
}

// ErrKeys means the configured keys do not fit the database (or there are
// none for a database that needs them): the process must not start.
var ErrKeys = errors.New("the encryption keys do not fit the database")

// Source says where keys come from: OUTREACH_SECRET_KEYS and
// OUTREACH_INDEX_KEY when set, otherwise the file (the data directory's
// keys.json).
type Source struct {
	SecretKeys, IndexKey string
	File                 string
}

const howToFix = "Set OUTREACH_SECRET_KEYS and OUTREACH_INDEX_KEY (or restore keys.json in the data directory) to the keys this database was sealed with; " +
	"new keys would leave supporters' data unreadable and break suppression and repeat protection"

// Open returns the keys to use: the configured ones, once they reproduce
// the database's check values, or, when none are configured (no
// environment variables, no keys.json), new keys written to keys.json,
// but only if the database holds no data under keys.
func Open(ctx context.Context, st Store, src Source, log *slog.Logger) (*seal.Keys, error) {
	if src.SecretKeys != "" || src.IndexKey != "" {
		k, err := seal.Parse(src.SecretKeys, src.IndexKey)
		if err != nil {
			return nil, fmt.Errorf("OUTREACH_SECRET_KEYS / OUTREACH_INDEX_KEY: %w", err)
		}
		return k, Verify(ctx, st, k, "OUTREACH_SECRET_KEYS / OUTREACH_INDEX_KEY")
	}
	k, err := seal.LoadFile(src.File)
	if err == nil {
		return k, Verify(ctx, st, k, src.File)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("encryption keys: %w", err)
	}
	has, err := HasKeyedData(ctx, st)
	if err != nil {
		return nil, err
	}
	if has {
		return nil, fmt.Errorf("%w: the database holds supporters' data sealed with keys, but OUTREACH_SECRET_KEYS is not set and %s does not exist. %s",
			ErrKeys, src.File, howToFix)
	}
	k, created, err := seal.CreateFile(src.File)
	if err != nil {
		return nil, fmt.Errorf("encryption keys: %w", err)
	}
	if !created { // another process made them a moment ago
		return k, Verify(ctx, st, k, src.File)
	}
	// The database has nothing under keys: earlier check values (from keys
	// lost before any supporter acted) give way to the new keys.
	if err := Record(ctx, st, k); err != nil {
		return nil, err
	}
	log.Warn("generated encryption keys for supporters' data: back this file up (without it the data cannot be read), or set OUTREACH_SECRET_KEYS and OUTREACH_INDEX_KEY",
		"file", src.File)
	return k, nil
}

// Record makes k the keys the database's check values stand for,
// replacing earlier ones, without looking at the data. It is for tools
// and tests that have just written the database's sealed data with k (a
// test database shared with data under throwaway keys); serve, worker and
// keys never call it.
func Record(ctx context.Context, st Store, k *seal.Keys) error {
	if err := st.SetSetting(ctx, checkSealedKey, k.Seal([]byte(checkText), checkAAD)); err != nil {
		return err
	}
	return st.SetSetting(ctx, checkIndexKey, k.Index("key-check", checkText))
}

// HasKeyedData reports whether the database holds anything that needs
// the keys: a sealed value (the key check aside) or a blind index.
func HasKeyedData(ctx context.Context, st Store) (bool, error) {
	cols := []store.SealedColumn{}
	for _, c := range Columns {
		if c.SealedColumn != checkColumn {
			cols = append(cols, c.SealedColumn)
		}
	}
	for _, c := range append(cols, indexed...) {
		_, found, err := st.LatestSealed(ctx, c)
		if err != nil || found {
			return found, err
		}
	}
	return false, nil
}

// Verify checks k against the database's check values, making them on
// first use. A database from before check values existed is checked
// against its newest sealed rows first. from names where k came from, for
// the error message.
func Verify(ctx context.Context, st Store, k *seal.Keys, from string) error {
	sealedCheck, err := st.Setting(ctx, checkSealedKey)
	if errors.Is(err, store.ErrNotFound) {
		if err := verifyAgainstData(ctx, st, k, from); err != nil {
			return err
		}
		if _, err := st.SetSettingsIfAbsent(ctx, map[string]string{
			checkSealedKey: k.Seal([]byte(checkText), checkAAD),
			checkIndexKey:  k.Index("key-check", checkText),
		}); err != nil {
			return err
		}
		sealedCheck, err = st.Setting(ctx, checkSealedKey) // ours, or a faster process's
	}
	if err != nil {
		return err
	}
	if pt, err := k.Open(sealedCheck, checkAAD); err != nil || string(pt) != checkText {
		why := "they cannot open it"
		switch id := seal.SealedWith(sealedCheck); {
		case id != "" && !contains(k.IDs(), id):
			why = fmt.Sprintf("it was sealed with key %q, which is not among the configured keys %v", id, k.IDs())
		case id != "":
			why = fmt.Sprintf("the configured key %q is not the key of that name that sealed it", id)
		}
		return fmt.Errorf("%w: the encryption keys from %s do not open the database's key check (%s). %s", ErrKeys, from, why, howToFix)
	}
	indexCheck, err := st.Setting(ctx, checkIndexKey)
	if err != nil {
		return fmt.Errorf("read the blind-index key check: %w", err)
	}
	if k.Index("key-check", checkText) != indexCheck {
		return fmt.Errorf("%w: the blind-index key from %s (OUTREACH_INDEX_KEY) is not the one this database's email indexes were made with. %s",
			ErrKeys, from, howToFix)
	}
	return nil
}

// verifyAgainstData checks keys against the newest sealed value of each
// column, and the index key against the newest submission's email.
func verifyAgainstData(ctx context.Context, st Store, k *seal.Keys, from string) error {
	for _, c := range Columns {
		if c.SealedColumn == checkColumn {
			continue
		}
		v, found, err := st.LatestSealed(ctx, c.SealedColumn)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		if _, err := k.Open(v.Value, c.AAD(v.ID)); err != nil {
			return fmt.Errorf("%w: the encryption keys from %s do not open the newest sealed value of %s (%v). %s", ErrKeys, from, c.Table, err, howToFix)
		}
		if c.Table != "submissions" {
			continue
		}
		id, _ := strconv.ParseInt(v.ID, 10, 64)
		sub, err := st.SubmissionByID(ctx, id)
		if err != nil {
			return err
		}
		var ss action.Sealed
		if err := k.OpenJSON(sub.Sealed, action.SubmissionAAD(sub.ID), &ss); err != nil {
			return err
		}
		if ss.Form.Email != "" && k.Index("email", ss.Form.Email) != sub.EmailIndex {
			return fmt.Errorf("%w: the blind-index key from %s (OUTREACH_INDEX_KEY) is not the one this database's email indexes were made with. %s",
				ErrKeys, from, howToFix)
		}
	}
	return nil
}

func contains(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
