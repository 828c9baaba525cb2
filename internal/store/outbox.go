package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// OutboxMessage is a message kept by the outbox channel.
type OutboxMessage struct {
	ID       int64 `gorm:"primaryKey"`
	LetterID *int64
	Kind     string // letter, supporter, staff
	// EmailIndex is the blind index of an email's recipient (delete-my-data
	// finds a supporter's emails by it); "" for letters, which are found by
	// LetterID; nil for rows not indexed yet (IndexLegacyOutbox).
	EmailIndex *string
	Sealed     string
	CreatedAt  time.Time
}

func (OutboxMessage) TableName() string { return "outbox_messages" }

// PutOutboxLetter stores a letter's message in the outbox once: a second
// call for the same letter (a retry after a crash) returns the first id.
func (s *Store) PutOutboxLetter(ctx context.Context, letterID int64, seal func(id int64) (string, error)) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var existing OutboxMessage
		err := tx.Where("letter_id = ?", letterID).Take(&existing).Error
		if err == nil {
			id = existing.ID
			return nil
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		lid := letterID
		none := ""
		m := OutboxMessage{LetterID: &lid, Kind: "letter", EmailIndex: &none, Sealed: "-", CreatedAt: time.Now().UTC()}
		if err := tx.Create(&m).Error; err != nil {
			return fmt.Errorf("store: put outbox letter: %w", err)
		}
		sealed, err := seal(m.ID)
		if err != nil {
			return err
		}
		id = m.ID
		return wrapf(tx.Model(&OutboxMessage{}).Where("id = ?", m.ID).Update("sealed", sealed).Error, "put outbox letter")
	})
	return id, err
}

// AddOutbox stores a non-letter email (supporter or staff) in the outbox,
// under the blind index of its recipient's address.
func (s *Store) AddOutbox(ctx context.Context, kind, emailIndex string, seal func(id int64) (string, error)) (int64, error) {
	m := OutboxMessage{Kind: kind, EmailIndex: &emailIndex, Sealed: "-", CreatedAt: time.Now().UTC()}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&m).Error; err != nil {
			return fmt.Errorf("store: add outbox: %w", err)
		}
		sealed, err := seal(m.ID)
		if err != nil {
			return err
		}
		return wrapf(tx.Model(&OutboxMessage{}).Where("id = ?", m.ID).Update("sealed", sealed).Error, "add outbox")
	})
	return m.ID, err
}

// ReadOutboxMessage returns one outbox message for a staff member to read
// in clear, and records the read (who, which message; never the content)
// in the audit log in the same transaction: no audit entry, no message.
func (s *Store) ReadOutboxMessage(ctx context.Context, id int64, a Audit) (OutboxMessage, error) {
	var m OutboxMessage
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", id).Take(&m).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return fmt.Errorf("store: read outbox message %d: %w", id, err)
		}
		a.ObjectType, a.ObjectID = "outbox_message", strconv.FormatInt(id, 10)
		return writeAudit(tx, a)
	})
	return m, err
}

// Outbox lists messages newest first.
func (s *Store) Outbox(ctx context.Context, kind string, beforeID int64, limit int) ([]OutboxMessage, error) {
	q := s.db.WithContext(ctx).Order("id DESC")
	if kind != "" {
		q = q.Where("kind = ?", kind)
	}
	if beforeID > 0 {
		q = q.Where("id < ?", beforeID)
	}
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	var out []OutboxMessage
	err := q.Limit(limit).Find(&out).Error
	return out, wrapf(err, "outbox")
}
