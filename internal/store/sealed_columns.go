package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SealedColumn names a column that holds sealed values ("keyid.base64",
// or "" once erased) and its table's key. Where, when set, is a fixed SQL
// condition that picks the rows that are sealed (never user input).
// TextID says the key is text (optins.email_index) rather than a number.
type SealedColumn struct {
	Table, ID, Column, Where string
	TextID                   bool
}

// SealedValue is one sealed value and its row's key.
type SealedValue struct {
	ID    string
	Value string
}

// SealedChange replaces Old by New in row ID, only if the row still holds
// Old (a row changed meanwhile, erased say, keeps its new value).
type SealedChange struct {
	ID       string
	Old, New string
}

var sqlName = regexp.MustCompile(`^[a-z_]+$`)

func (c SealedColumn) check() error {
	for _, n := range []string{c.Table, c.ID, c.Column} {
		if !sqlName.MatchString(n) {
			return fmt.Errorf("store: %q is not a table or column name", n)
		}
	}
	return nil
}

// id converts a row key for comparisons with the ID column.
func (c SealedColumn) id(s string) (any, error) {
	if c.TextID {
		return s, nil
	}
	if s == "" {
		return int64(0), nil
	}
	return strconv.ParseInt(s, 10, 64)
}

func (c SealedColumn) base(tx *gorm.DB) *gorm.DB {
	q := tx.Table(c.Table).Where(c.Column + " <> ''")
	if c.Where != "" {
		q = q.Where(c.Where)
	}
	return q
}

// SealedBatch returns up to limit sealed values of col not sealed with key
// skipKey, in key order, after the row key after ("" or "0": from the
// start).
func (s *Store) SealedBatch(ctx context.Context, col SealedColumn, skipKey, after string, limit int) ([]SealedValue, error) {
	if err := col.check(); err != nil {
		return nil, err
	}
	q := col.base(s.db.WithContext(ctx))
	if skipKey != "" {
		prefix := skipKey + "."
		q = q.Where("substr("+col.Column+", 1, ?) <> ?", len(prefix), prefix)
	}
	if after != "" {
		a, err := col.id(after)
		if err != nil {
			return nil, err
		}
		q = q.Where(col.ID+" > ?", a)
	}
	rows, err := q.Select(col.ID, col.Column).Order(col.ID).Limit(limit).Rows()
	if err != nil {
		return nil, fmt.Errorf("store: sealed batch: %w", err)
	}
	defer rows.Close()
	var out []SealedValue
	for rows.Next() {
		var v SealedValue
		if col.TextID {
			err = rows.Scan(&v.ID, &v.Value)
		} else {
			var id int64
			err = rows.Scan(&id, &v.Value)
			v.ID = strconv.FormatInt(id, 10)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// ReplaceSealed applies changes in one transaction and returns how many
// rows changed.
func (s *Store) ReplaceSealed(ctx context.Context, col SealedColumn, changes []SealedChange) (int64, error) {
	if err := col.check(); err != nil {
		return 0, err
	}
	var n int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		n = 0
		for _, c := range changes {
			id, err := col.id(c.ID)
			if err != nil {
				return err
			}
			res := tx.Table(col.Table).Where(col.ID+" = ? AND "+col.Column+" = ?", id, c.Old).Update(col.Column, c.New)
			if res.Error != nil {
				return wrapf(res.Error, "replace sealed")
			}
			n += res.RowsAffected
		}
		return nil
	})
	return n, err
}

// SealedKeyCounts counts col's sealed values per key id.
func (s *Store) SealedKeyCounts(ctx context.Context, col SealedColumn) (map[string]int64, error) {
	if err := col.check(); err != nil {
		return nil, err
	}
	keyExpr := s.textBefore(col.Column, ".")
	rows, err := col.base(s.db.WithContext(ctx)).Select(keyExpr + " AS k, COUNT(*) AS n").Group("k").Rows()
	if err != nil {
		return nil, fmt.Errorf("store: sealed key counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return nil, fmt.Errorf("store: sealed key counts: %w", err)
		}
		out[k] += n
	}
	return out, rows.Err()
}

// LatestSealed is col's sealed value with the highest row key (found false
// when the column holds none).
func (s *Store) LatestSealed(ctx context.Context, col SealedColumn) (SealedValue, bool, error) {
	if err := col.check(); err != nil {
		return SealedValue{}, false, err
	}
	rows, err := col.base(s.db.WithContext(ctx)).Select(col.ID, col.Column).Order(col.ID + " DESC").Limit(1).Rows()
	if err != nil {
		return SealedValue{}, false, fmt.Errorf("store: latest sealed: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return SealedValue{}, false, rows.Err()
	}
	var v SealedValue
	if col.TextID {
		err = rows.Scan(&v.ID, &v.Value)
	} else {
		var id int64
		err = rows.Scan(&id, &v.Value)
		v.ID = strconv.FormatInt(id, 10)
	}
	return v, err == nil, err
}

// SetSettingsIfAbsent writes instance settings that do not exist yet, in
// one transaction, and reports whether it wrote them all (false: another
// process wrote one first; nothing of this call is kept).
func (s *Store) SetSettingsIfAbsent(ctx context.Context, kv map[string]string) (bool, error) {
	errRace := errors.New("setting exists")
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := time.Now().UTC()
		for k, v := range kv {
			res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&appSetting{Key: k, Value: v, UpdatedAt: now})
			if res.Error != nil {
				return wrapf(res.Error, "set settings if absent")
			}
			if res.RowsAffected == 0 {
				return errRace
			}
		}
		return nil
	})
	if errors.Is(err, errRace) {
		return false, nil
	}
	return err == nil, err
}
