package store

import (
	"context"
	"database/sql"
	"fmt"

	"gorm.io/gorm"
)

// Rows written in clear by versions before personal data was sealed at
// rest (migration 00013): SQL cannot encrypt, so outreach serve and
// outreach worker seal them at start, through these functions, before
// they serve or work anything. Each row is sealed and its plaintext
// emptied in one conditional UPDATE, so the step is idempotent, safe to
// run from several replicas at once, and resumes where a crash left it.

// legacyBatch is how many rows one transaction seals.
const legacyBatch = 200

// SealLegacyReplies seals the inbound replies still held in clear
// (from_addr, subject, body) with seal, which gets the row id and the
// text; it returns how many rows it sealed.
func (s *Store) SealLegacyReplies(ctx context.Context, seal func(id int64, from, subject, body string) (string, error)) (int, error) {
	return s.sealLegacy(ctx,
		`SELECT id, from_addr, subject, body FROM inbound_replies
		 WHERE sealed = '' AND (from_addr <> '' OR subject <> '' OR body <> '') AND id > ? ORDER BY id LIMIT ?`, 3,
		`UPDATE inbound_replies SET sealed = ?, from_addr = '', subject = '', body = '' WHERE id = ? AND sealed = ''`,
		func(id int64, f []string) (string, error) { return seal(id, f[0], f[1], f[2]) })
}

// SealLegacySurveyText seals the survey answers' text still held in clear
// (note, reply_text); it returns how many rows it sealed.
func (s *Store) SealLegacySurveyText(ctx context.Context, seal func(id int64, note, replyText string) (string, error)) (int, error) {
	return s.sealLegacy(ctx,
		`SELECT id, note, reply_text FROM survey_answers
		 WHERE sealed = '' AND (note <> '' OR reply_text <> '') AND id > ? ORDER BY id LIMIT ?`, 2,
		`UPDATE survey_answers SET sealed = ?, note = '', reply_text = '' WHERE id = ? AND sealed = ''`,
		func(id int64, f []string) (string, error) { return seal(id, f[0], f[1]) })
}

func (s *Store) sealLegacy(ctx context.Context, selectQ string, nFields int, updateQ string, seal func(id int64, f []string) (string, error)) (int, error) {
	done := 0
	var after int64
	for {
		type row struct {
			id     int64
			fields []string
		}
		var batch []row
		rows, err := s.db.WithContext(ctx).Raw(selectQ, after, legacyBatch).Rows()
		if err != nil {
			return done, fmt.Errorf("store: seal legacy: %w", err)
		}
		for rows.Next() {
			r := row{fields: make([]string, nFields)}
			dest := []any{&r.id}
			for i := range r.fields {
				dest = append(dest, &r.fields[i])
			}
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return done, fmt.Errorf("store: seal legacy: %w", err)
			}
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return done, fmt.Errorf("store: seal legacy: %w", err)
		}
		if len(batch) == 0 {
			return done, nil
		}
		sealed := make([]string, len(batch))
		for i, r := range batch {
			if sealed[i], err = seal(r.id, r.fields); err != nil {
				return done, err
			}
		}
		err = s.tx(ctx, func(tx *gorm.DB) error {
			for i, r := range batch {
				res := tx.Exec(updateQ, sealed[i], r.id)
				if res.Error != nil {
					return wrapf(res.Error, "seal legacy")
				}
				done += int(res.RowsAffected)
			}
			return nil
		})
		if err != nil {
			return done, err
		}
		after = batch[len(batch)-1].id
	}
}

// IndexLegacyOutbox gives the outbox rows written before outbox rows
// named their recipient (email_index NULL) the blind index of it: letters
// get "" (delete-my-data finds them by letter), emails what index returns
// for the row's sealed content. A row index cannot open (its key is not
// configured) stays NULL and is counted in skipped.
func (s *Store) IndexLegacyOutbox(ctx context.Context, index func(id int64, sealed string) (string, error)) (indexed, skipped int, err error) {
	var after int64
	for {
		type row struct {
			id       int64
			letterID sql.NullInt64
			sealed   string
		}
		var batch []row
		rows, err := s.db.WithContext(ctx).Raw(`SELECT id, letter_id, sealed FROM outbox_messages WHERE email_index IS NULL AND id > ? ORDER BY id LIMIT ?`, after, legacyBatch).Rows()
		if err != nil {
			return indexed, skipped, fmt.Errorf("store: index legacy outbox: %w", err)
		}
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.letterID, &r.sealed); err != nil {
				rows.Close()
				return indexed, skipped, fmt.Errorf("store: index legacy outbox: %w", err)
			}
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return indexed, skipped, fmt.Errorf("store: index legacy outbox: %w", err)
		}
		if len(batch) == 0 {
			return indexed, skipped, nil
		}
		err = s.tx(ctx, func(tx *gorm.DB) error {
			for _, r := range batch {
				idx := ""
				if !r.letterID.Valid {
					var err error
					if idx, err = index(r.id, r.sealed); err != nil {
						skipped++
						continue
					}
				}
				res := tx.Exec(`UPDATE outbox_messages SET email_index = ? WHERE id = ? AND email_index IS NULL`, idx, r.id)
				if res.Error != nil {
					return wrapf(res.Error, "index legacy outbox")
				}
				indexed += int(res.RowsAffected)
			}
			return nil
		})
		if err != nil {
			return indexed, skipped, err
		}
		after = batch[len(batch)-1].id
	}
}
