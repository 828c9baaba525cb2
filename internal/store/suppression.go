package store

import (
	"context"
	"time"

	"gorm.io/gorm/clause"
)

type suppressionRow struct {
	EmailIndex string `gorm:"primaryKey"`
	Reason     string
	CreatedAt  time.Time
}

func (suppressionRow) TableName() string { return "email_suppressions" }

// Suppress stops all further email to an address (by blind index).
func (s *Store) Suppress(ctx context.Context, emailIndex, reason string) error {
	return wrapf(s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&suppressionRow{EmailIndex: emailIndex, Reason: reason, CreatedAt: time.Now().UTC()}).Error, "suppress")
}

// IsSuppressed tells whether an address must not be emailed.
func (s *Store) IsSuppressed(ctx context.Context, emailIndex string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&suppressionRow{}).Where("email_index = ?", emailIndex).Count(&n).Error
	return n > 0, wrapf(err, "is suppressed")
}
