package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"

	"github.com/outreach-org/outreach/internal/casestats"
)

// Case records hold only the 13 allow-listed fields of casestats (plus an
// id and the synthetic flag of demonstration data). The store checks every
// record with casestats before writing it and the database checks the
// values again (migration 00004). Errors never carry a record's values.

// CaseRecord is one stored case.
type CaseRecord struct {
	ID int64
	casestats.Record
	// Synthetic marks generated demonstration data (seed-demo).
	Synthetic bool
}

// ErrInvalidCase is returned for a record that casestats does not accept;
// it names the fields, never their values. Callers validate first (to show
// row, field and reason); this is the store's own guard.
var ErrInvalidCase = errors.New("invalid case record")

type caseRow struct {
	ID                            int64 `gorm:"primaryKey"`
	Quarter                       string
	State                         string
	ChildAgeBracket               string
	FacilityType                  string
	FormPresented                 string
	FormPremarked                 string
	FormEnglishOnly               string
	LanguageBarrier               string
	ToldNoRights                  string
	ThreatenedPermanentSeparation string
	CredibleFear                  string
	AsylumClaim                   string
	Outcome                       string
	Synthetic                     bool
}

func (caseRow) TableName() string { return "case_records" }

func (r caseRow) record() CaseRecord {
	return CaseRecord{ID: r.ID, Synthetic: r.Synthetic, Record: casestats.Record{
		Quarter: r.Quarter, State: r.State, ChildAgeBracket: r.ChildAgeBracket, FacilityType: r.FacilityType,
		FormPresented: r.FormPresented, FormPremarked: r.FormPremarked, FormEnglishOnly: r.FormEnglishOnly,
		LanguageBarrier: r.LanguageBarrier, ToldNoRights: r.ToldNoRights,
		ThreatenedPermanentSeparation: r.ThreatenedPermanentSeparation, CredibleFear: r.CredibleFear,
		AsylumClaim: r.AsylumClaim, Outcome: r.Outcome,
	}}
}

// caseColumns are the record's columns in casestats.Fields order (the
// column names are the field names).
var caseColumns = casestats.Fields

// checkCase validates a record, naming only the fields at fault.
func checkCase(r casestats.Record) error {
	errs := r.Validate()
	if len(errs) == 0 {
		return nil
	}
	fields := make([]string, 0, len(errs))
	for _, e := range errs {
		fields = append(fields, e.Field)
	}
	return fmt.Errorf("%w: %s", ErrInvalidCase, strings.Join(fields, ", "))
}

// inserter writes records in batches inside a transaction: on PostgreSQL
// with COPY, 10,000 rows at a time, on the transaction's own connection; on
// SQLite with a prepared INSERT of 32 rows (the driver binds parameters in
// time quadratic in their number, so larger statements are slower).
type inserter struct {
	ctx       context.Context
	tx        *gorm.DB
	conn      *sql.Conn // PostgreSQL: the transaction's connection, for COPY
	synthetic bool
	batch     int
	buf       []any // rows of len(caseColumns)+1 values, one after the other
	rows      int
	count     int
	full      *sql.Stmt // SQLite: the statement for a full batch, prepared once
}

const caseWidth = 14 // 13 fields and the synthetic flag

func newInserter(tx *gorm.DB, conn *sql.Conn, synthetic bool) *inserter {
	in := &inserter{ctx: tx.Statement.Context, tx: tx, conn: conn, synthetic: synthetic, batch: 32}
	if conn != nil {
		in.batch = 10_000
	}
	in.buf = make([]any, 0, in.batch*caseWidth)
	return in
}

// add queues one record, writing a batch when it is full. It is the
// callback given to casestats.ParseCSV.
func (in *inserter) add(r casestats.Record) error {
	if err := checkCase(r); err != nil {
		return err
	}
	for _, f := range caseColumns {
		in.buf = append(in.buf, r.Get(f))
	}
	in.buf = append(in.buf, in.synthetic)
	in.rows++
	if in.rows == in.batch {
		return in.flush()
	}
	return nil
}

func insertSQL(rows int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", caseWidth), ",") + ")"
	return "INSERT INTO case_records (" + strings.Join(caseColumns, ", ") + ", synthetic) VALUES " +
		strings.TrimSuffix(strings.Repeat(one+",", rows), ",")
}

// flatRows feeds the queued values to COPY without copying them.
type flatRows struct {
	buf []any
	i   int
}

func (f *flatRows) Next() bool             { f.i++; return f.i*caseWidth <= len(f.buf) }
func (f *flatRows) Values() ([]any, error) { return f.buf[(f.i-1)*caseWidth : f.i*caseWidth], nil }
func (f *flatRows) Err() error             { return nil }

var copyColumns = append(append([]string{}, caseColumns...), "synthetic")

// flush writes the queued records.
func (in *inserter) flush() error {
	if in.rows == 0 {
		return nil
	}
	var err error
	switch {
	case in.conn != nil:
		err = in.conn.Raw(func(dc any) error {
			c, ok := dc.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("store: unexpected PostgreSQL driver %T", dc)
			}
			_, err := c.Conn().CopyFrom(in.ctx, pgx.Identifier{"case_records"}, copyColumns, &flatRows{buf: in.buf})
			return err
		})
	case in.rows == in.batch:
		if in.full == nil {
			if in.full, err = in.tx.Statement.ConnPool.PrepareContext(in.ctx, insertSQL(in.batch)); err != nil {
				return fmt.Errorf("prepare case insert: %w", err)
			}
		}
		_, err = in.full.ExecContext(in.ctx, in.buf...)
	default:
		_, err = in.tx.Statement.ConnPool.ExecContext(in.ctx, insertSQL(in.rows), in.buf...)
	}
	if err != nil {
		return fmt.Errorf("insert case records: %w", err)
	}
	in.count += in.rows
	in.rows, in.buf = 0, in.buf[:0]
	return nil
}

// ImportOptions say how imported records are marked.
type ImportOptions struct {
	Synthetic bool // generated demonstration data
	MaxErrors int  // row errors to report before giving up (casestats.DefaultMaxErrors when 0)
}

// ImportResult tells what an import did: either Imported records were
// written, or Errors says why none were.
type ImportResult struct {
	Rows     int // data rows read
	Imported int
	Errors   []casestats.FieldError
}

// errRollback ends a transaction without an error for the caller.
var errRollback = errors.New("rollback")

// ImportCSV streams a CSV file of case records into the database in one
// transaction, in batches: all rows are written, or (when any row is
// refused) none. The row errors name row, field and reason, never the
// value. a is written to the audit log with the number of records.
func (s *Store) ImportCSV(ctx context.Context, r io.Reader, opt ImportOptions, a Audit) (ImportResult, error) {
	var res ImportResult
	err := s.connTx(ctx, func(tx *gorm.DB, conn *sql.Conn) error {
		in := newInserter(tx, conn, opt.Synthetic)
		n, errs, err := casestats.ParseCSV(r, opt.MaxErrors, in.add)
		res.Rows = n
		if err != nil {
			return err
		}
		if len(errs) == 0 && n == 0 {
			errs = []casestats.FieldError{{Reason: "the file has a header but no data rows"}}
		}
		if len(errs) > 0 {
			res.Errors = errs
			return errRollback
		}
		if err := in.flush(); err != nil {
			return err
		}
		res.Imported = in.count
		return writeCaseAudit(tx, a, "case.import", "", in.count)
	})
	if errors.Is(err, errRollback) {
		err = nil
	}
	if err != nil || res.Errors != nil {
		res.Imported = 0
	}
	return res, err
}

// CreateCases writes records (already parsed and validated, as from
// casestats.ParseJSON) in one transaction: all or none.
func (s *Store) CreateCases(ctx context.Context, records iter.Seq[casestats.Record], opt ImportOptions, a Audit) (int, error) {
	n := 0
	err := s.connTx(ctx, func(tx *gorm.DB, conn *sql.Conn) error {
		in := newInserter(tx, conn, opt.Synthetic)
		for r := range records {
			if err := in.add(r); err != nil {
				return err
			}
		}
		if err := in.flush(); err != nil {
			return err
		}
		n = in.count
		if n == 0 {
			return nil
		}
		return writeCaseAudit(tx, a, "case.import", "", n)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// CreateCase writes one record and returns its id.
func (s *Store) CreateCase(ctx context.Context, r casestats.Record, a Audit) (int64, error) {
	if err := checkCase(r); err != nil {
		return 0, err
	}
	row := toRow(r)
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("store: create case: %w", err)
		}
		return writeCaseAudit(tx, a, "case.create", strconv.FormatInt(row.ID, 10), 0)
	})
	return row.ID, err
}

func toRow(r casestats.Record) caseRow {
	return caseRow{Quarter: r.Quarter, State: r.State, ChildAgeBracket: r.ChildAgeBracket, FacilityType: r.FacilityType,
		FormPresented: r.FormPresented, FormPremarked: r.FormPremarked, FormEnglishOnly: r.FormEnglishOnly,
		LanguageBarrier: r.LanguageBarrier, ToldNoRights: r.ToldNoRights,
		ThreatenedPermanentSeparation: r.ThreatenedPermanentSeparation, CredibleFear: r.CredibleFear,
		AsylumClaim: r.AsylumClaim, Outcome: r.Outcome}
}

// writeCaseAudit records a change to case records: the action, the id (or
// the number of records of an import), never a value.
func writeCaseAudit(tx *gorm.DB, a Audit, defAction, id string, count int) error {
	if a.Action == "" {
		a.Action = defAction
	}
	a.ObjectType, a.ObjectID = "case", id
	if count > 0 {
		a.Detail = "records=" + strconv.Itoa(count)
	} else {
		a.Detail = ""
	}
	return writeAudit(tx, a)
}

// CaseByID returns one record.
func (s *Store) CaseByID(ctx context.Context, id int64) (CaseRecord, error) {
	var row caseRow
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return CaseRecord{}, ErrNotFound
	}
	return row.record(), wrapf(err, "case by id %d", id)
}

// UpdateCase corrects a record (its synthetic flag stays as it was).
func (s *Store) UpdateCase(ctx context.Context, id int64, r casestats.Record, a Audit) error {
	if err := checkCase(r); err != nil {
		return err
	}
	vals := map[string]any{}
	for _, f := range caseColumns {
		vals[f] = r.Get(f)
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&caseRow{}).Where("id = ?", id).Updates(vals)
		if res.Error != nil {
			return wrapf(res.Error, "update case %d", id)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return writeCaseAudit(tx, a, "case.update", strconv.FormatInt(id, 10), 0)
	})
}

// DeleteCase removes a record.
func (s *Store) DeleteCase(ctx context.Context, id int64, a Audit) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("id = ?", id).Delete(&caseRow{})
		if res.Error != nil {
			return wrapf(res.Error, "delete case %d", id)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return writeCaseAudit(tx, a, "case.delete", strconv.FormatInt(id, 10), 0)
	})
}

// DeleteSyntheticCases removes all demonstration records (before real
// cases are entered) and returns how many there were. Releases made from
// them stay, marked synthetic.
func (s *Store) DeleteSyntheticCases(ctx context.Context, a Audit) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("synthetic = ?", true).Delete(&caseRow{})
		if res.Error != nil {
			return wrapf(res.Error, "delete synthetic cases")
		}
		n = res.RowsAffected
		if n == 0 {
			return nil
		}
		return writeCaseAudit(tx, a, "case.delete_synthetic", "", int(n))
	})
	return n, err
}

// CaseCounts are the numbers of stored records (for staff pages only:
// exact counts are never published).
type CaseCounts struct {
	Total, Synthetic int64
}

// CountCases counts all records and the synthetic ones.
func (s *Store) CountCases(ctx context.Context) (CaseCounts, error) {
	return countCases(s.db.WithContext(ctx))
}

func countCases(db *gorm.DB) (CaseCounts, error) {
	var c CaseCounts
	if err := db.Model(&caseRow{}).Count(&c.Total).Error; err != nil {
		return c, fmt.Errorf("store: count cases: %w", err)
	}
	if c.Total == 0 {
		return c, nil
	}
	err := db.Model(&caseRow{}).Where("synthetic = ?", true).Count(&c.Synthetic).Error
	return c, wrapf(err, "count cases")
}

// CaseFilter selects a page of records, newest first.
type CaseFilter struct {
	Quarter string // exact value, "" for all
	State   string
	Before  int64 // id cursor: records with smaller ids (0: from the newest)
	Limit   int   // 50 when 0; at most 500
}

// CasePage is one page of records. Next is the cursor of the following
// page (0 when this is the last).
type CasePage struct {
	Cases []CaseRecord
	Total int64 // records matching the filter
	Next  int64
}

// Cases lists records matching f.
func (s *Store) Cases(ctx context.Context, f CaseFilter) (CasePage, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 500)
	q := s.db.WithContext(ctx).Model(&caseRow{})
	if f.Quarter != "" {
		q = q.Where("quarter = ?", f.Quarter)
	}
	if f.State != "" {
		q = q.Where("state = ?", f.State)
	}
	var page CasePage
	if err := q.Session(&gorm.Session{}).Count(&page.Total).Error; err != nil {
		return page, fmt.Errorf("store: cases: %w", err)
	}
	if f.Before > 0 {
		q = q.Where("id < ?", f.Before)
	}
	var rows []caseRow
	if err := q.Order("id DESC").Limit(f.Limit + 1).Find(&rows).Error; err != nil {
		return page, fmt.Errorf("store: cases: %w", err)
	}
	if len(rows) > f.Limit {
		rows = rows[:f.Limit]
		page.Next = rows[len(rows)-1].ID
	}
	page.Cases = make([]CaseRecord, len(rows))
	for i, r := range rows {
		page.Cases[i] = r.record()
	}
	return page, nil
}
