package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// What differs between SQLite and PostgreSQL lives here, so the other
// files of the store read the same on both. SQLite has one writer (every
// transaction takes the write lock at BEGIN, _txlock=immediate): the locks
// below are PostgreSQL's way to the same serialisation across replicas.

// Advisory lock keys (PostgreSQL). Single-key locks serialise one kind of
// write; the two-key classes lock one value of a kind (hashtext of the
// value as second key), so they never meet single-key locks such as
// goose's migration lock.
const (
	lockRollups   int64 = 7700417          // refreshes of the response rollups
	lockSchedules int64 = 7700418          // creating the built-in schedules
	lockReleases  int64 = 0x0075_7472_5354 // statistics releases, "utrST"

	lockClassSubmission int32 = 0x6f72 // submissions per email index and per client
	lockClassAttempt    int32 = 0x6c66 // password attempts per throttle key
)

// xactLock takes a transaction-scoped advisory lock on PostgreSQL; on
// SQLite the transaction already holds the only write lock.
func (s *Store) xactLock(tx *gorm.DB, key int64) error {
	if s.dialect != Postgres {
		return nil
	}
	if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", key).Error; err != nil {
		return fmt.Errorf("store: advisory lock %d: %w", key, err)
	}
	return nil
}

// xactLockValue takes the transaction-scoped advisory lock of one value
// in a class (PostgreSQL; nothing on SQLite).
func (s *Store) xactLockValue(tx *gorm.DB, class int32, value string) error {
	if s.dialect != Postgres {
		return nil
	}
	if err := tx.Exec("SELECT pg_advisory_xact_lock(?, hashtext(?))", class, value).Error; err != nil {
		return fmt.Errorf("store: advisory lock %#x: %w", class, err)
	}
	return nil
}

// forUpdate locks the rows q reads until the transaction ends
// (PostgreSQL's SELECT ... FOR UPDATE; SQLite's transactions hold the
// write lock from BEGIN).
func (s *Store) forUpdate(q *gorm.DB) *gorm.DB {
	if s.dialect != Postgres {
		return q
	}
	return q.Clauses(clause.Locking{Strength: "UPDATE"})
}

// analyze refreshes the planner's statistics of tables rewritten in bulk
// (PostgreSQL; SQLite plans without them).
func (s *Store) analyze(tx *gorm.DB, tables string) error {
	if s.dialect != Postgres {
		return nil
	}
	return wrapf(tx.Exec("ANALYZE "+tables).Error, "analyze")
}

// checkpointWAL copies SQLite's write-ahead log back into the database
// file and empties it, so that pages zeroed by secure_delete leave the
// log too (best effort: a busy reader delays it to SQLite's next automatic
// checkpoint). PostgreSQL has nothing to do.
func (s *Store) checkpointWAL(ctx context.Context) {
	if s.dialect != SQLite {
		return
	}
	_ = s.db.WithContext(ctx).Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error
}

// textBefore is the SQL for the part of a text column before its first
// sep (one character).
func (s *Store) textBefore(col, sep string) string {
	if s.dialect == Postgres {
		return "split_part(" + col + ", '" + sep + "', 1)"
	}
	return "substr(" + col + ", 1, instr(" + col + ", '" + sep + "') - 1)"
}

// reserveLetterIDs takes n letter ids. PostgreSQL draws them from the
// sequence in one round trip; SQLite has one writer, and the transaction
// holds the write lock (_txlock=immediate), so the next ids are free.
func reserveLetterIDs(tx *gorm.DB, n int) ([]int64, error) {
	ids := make([]int64, 0, n)
	if tx.Dialector.Name() == "postgres" {
		ids, err := scanIDs(tx.Raw("SELECT nextval(pg_get_serial_sequence('letters', 'id')) FROM generate_series(1, ?)", n))
		if err == nil && len(ids) != n {
			err = fmt.Errorf("store: reserved %d of %d letter ids", len(ids), n)
		}
		return ids, err
	}
	var next int64
	err := tx.Raw("SELECT MAX(n) + 1 FROM (SELECT COALESCE(MAX(id), 0) AS n FROM letters UNION ALL SELECT seq FROM sqlite_sequence WHERE name = 'letters') AS t").
		Scan(&next).Error
	if err != nil {
		return nil, fmt.Errorf("store: reserve letter ids: %w", err)
	}
	for i := range n {
		ids = append(ids, next+int64(i))
	}
	return ids, nil
}

// connTx runs fn in one transaction. On PostgreSQL fn also gets the
// connection the transaction runs on, so that it can COPY into it; on
// SQLite conn is nil.
func (s *Store) connTx(ctx context.Context, fn func(tx *gorm.DB, conn *sql.Conn) error) error {
	if s.dialect != Postgres {
		return s.tx(ctx, func(tx *gorm.DB) error { return fn(tx, nil) })
	}
	return s.db.WithContext(ctx).Connection(func(c *gorm.DB) error {
		conn, ok := c.Statement.ConnPool.(*sql.Conn)
		if !ok {
			return errors.New("store: no dedicated connection for the transaction")
		}
		return namedTx(c.Transaction, func(tx *gorm.DB) error { return fn(tx, conn) })
	})
}

// PostgreSQL array literals, each bound as ONE parameter: GORM would
// expand a slice into "(?, ?, ...)", a statement text of its own for
// every length, parsed and planned anew each time. A statement over
// unnest of arrays has one text whatever the batch size, so PostgreSQL
// (and pgx's statement cache) prepare it once. pgx sends a Go string in
// text format, which CAST(? AS bigint[]) and the like read.

// pgInt8s is the literal of a bigint[].
func pgInt8s(v []int64) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, x := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(x, 10))
	}
	b.WriteByte('}')
	return b.String()
}

// pgInts is the literal of an integer[]; a negative number is NULL.
func pgInts(v []int) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, x := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		if x < 0 {
			b.WriteString("NULL")
		} else {
			b.WriteString(strconv.Itoa(x))
		}
	}
	b.WriteByte('}')
	return b.String()
}

// pgTexts is the literal of a text[]: every element quoted, with
// backslash and double quote escaped.
func pgTexts(v []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, x := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for _, r := range x {
			if r == '"' || r == '\\' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// pgTimes is the literal of a timestamptz[], to the microsecond (what
// pgx would send for a time.Time: truncated, not rounded).
func pgTimes(v []time.Time) string {
	s := make([]string, len(v))
	for i, t := range v {
		s[i] = t.UTC().Truncate(time.Microsecond).Format("2006-01-02 15:04:05.000000Z07:00")
	}
	return pgTexts(s)
}
