package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
)

// copyLettersFrom is the smallest batch stored by COPY: below it the
// savepoint's round trips cost more than the INSERT's parameters.
const copyLettersFrom = 64

// letterCopyColumns are the columns a new letter is written with.
var letterCopyColumns = []string{"id", "campaign_id", "submission_id", "bioguide_id", "office_code", "chamber", "state", "district", "party",
	"template_version", "stats_release_id", "delivery_id", "reply_token", "status", "created_at", "updated_at", "kind",
	"followup_of", "email_index"}

// copyLetters writes the letters at positions rows by COPY (PostgreSQL's
// bulk load, no parameters to build or parse), which is most of what made
// fan-out slower than the database. COPY has no ON CONFLICT: it runs
// under a savepoint, and when any letter repeats one already stored (a
// unique index refuses it, after waiting for a concurrent writer to
// commit) the savepoint is rolled back and copied is false, so that the
// caller writes the batch by INSERT ... ON CONFLICT DO NOTHING, which
// skips exactly the repeats. Nothing is written twice either way. The
// letters' sealed texts follow by a second COPY into letter_texts, each
// row as soon as its chunk is sealed: the letters' own COPY no longer
// waits for the encryption.
func copyLetters(ctx context.Context, tx *gorm.DB, conn *sql.Conn, letters []NewLetter, ids []int64, seals *sealing, rows []int, now time.Time) (created []int64, copied bool, err error) {
	if err := tx.Exec("SAVEPOINT letters_copy").Error; err != nil {
		return nil, false, wrapf(err, "copy letters")
	}
	src := &letterRows{letters: letters, ids: ids, rows: rows, now: now, k: -1}
	err = pgxConn(conn, func(c *pgx.Conn) error {
		_, err := c.CopyFrom(ctx, pgx.Identifier{"letters"}, letterCopyColumns, src)
		return err
	})
	if isUnique(err) {
		if err := tx.Exec("ROLLBACK TO SAVEPOINT letters_copy").Error; err != nil {
			return nil, false, wrapf(err, "copy letters")
		}
		return nil, false, nil
	}
	if err != nil {
		return nil, false, wrapf(err, "copy letters")
	}
	if err := tx.Exec("RELEASE SAVEPOINT letters_copy").Error; err != nil {
		return nil, false, wrapf(err, "copy letters")
	}
	texts := &textRows{ids: ids, seals: seals, rows: rows, k: -1}
	err = pgxConn(conn, func(c *pgx.Conn) error {
		_, err := c.CopyFrom(ctx, pgx.Identifier{"letter_texts"}, []string{"letter_id", "sealed"}, texts)
		return err
	})
	if err != nil {
		return nil, false, wrapf(err, "copy letter texts")
	}
	created = make([]int64, len(rows))
	for k, i := range rows {
		created[k] = ids[i]
	}
	return created, true, nil
}

// letterRows feeds COPY one letter at a time.
type letterRows struct {
	letters []NewLetter
	ids     []int64
	rows    []int
	now     time.Time
	k       int
	vals    [19]any
}

func (r *letterRows) Next() bool { r.k++; return r.k < len(r.rows) }
func (r *letterRows) Err() error { return nil }

func (r *letterRows) Values() ([]any, error) {
	i := r.rows[r.k]
	nl := &r.letters[i]
	kind := nl.Kind
	if kind == "" {
		kind = LetterFirst
	}
	var emailIdx *string
	if nl.EmailIndex != "" {
		emailIdx = &nl.EmailIndex
	}
	r.vals = [19]any{r.ids[i], nl.CampaignID, nl.SubmissionID, nl.BioguideID, nl.OfficeCode, nl.Chamber, nl.State, nl.District,
		nl.Party, nl.TemplateVer, nl.StatsReleaseID, nl.DeliveryID, nl.ReplyToken, "pending", r.now, r.now, kind,
		nl.FollowupOf, emailIdx}
	return r.vals[:], nil
}

// textRows feeds COPY the letters' sealed texts, in the letters' order,
// each as soon as its chunk is sealed.
type textRows struct {
	ids   []int64
	seals *sealing
	rows  []int
	k     int
	vals  [2]any
}

func (r *textRows) Next() bool { r.k++; return r.k < len(r.rows) }
func (r *textRows) Err() error { return nil }

func (r *textRows) Values() ([]any, error) {
	i := r.rows[r.k]
	sealed, err := r.seals.row(r.k, i)
	if err != nil {
		return nil, err
	}
	r.vals = [2]any{r.ids[i], sealed}
	return r.vals[:], nil
}

// pgxConn runs fn with the pgx connection under conn (PostgreSQL), whose
// open transaction fn's statements join.
func pgxConn(conn *sql.Conn, fn func(c *pgx.Conn) error) error {
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: unexpected PostgreSQL driver %T", dc)
		}
		return fn(c.Conn())
	})
}
