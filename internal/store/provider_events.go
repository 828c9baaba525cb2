package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ApplyProviderEvent applies a provider's event once: a repeated event id
// changes nothing (answers false). newStatus may be "" to only record.
func (s *Store) ApplyProviderEvent(ctx context.Context, eventID string, letterID int64, event, newStatus, detail string, at time.Time) (bool, error) {
	applied := false
	err := s.tx(ctx, func(tx *gorm.DB) error {
		id := letterID
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&providerEventRow{EventID: eventID, LetterID: &id, Event: event, ReceivedAt: time.Now().UTC()})
		if res.Error != nil || res.RowsAffected == 0 {
			return wrapf(res.Error, "apply provider event")
		}
		applied = true
		if letterID == 0 {
			return nil
		}
		var l Letter
		if err := tx.Where("id = ?", letterID).Take(&l).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return nil
			}
			return fmt.Errorf("store: apply provider event: %w", err)
		}
		if newStatus != "" && statusRank[newStatus] >= statusRank[l.Status] {
			// sending_since stays: when the accepted attempt began (its
			// timeline line); a status past waiting never reads as sending.
			upd := map[string]any{"status": newStatus, "updated_at": at.UTC()}
			switch newStatus {
			case "sent":
				if l.SentAt == nil {
					upd["sent_at"] = at.UTC()
				}
			case "delivered":
				upd["delivered_at"] = at.UTC()
				if l.SentAt == nil {
					upd["sent_at"] = at.UTC()
				}
			}
			if err := tx.Model(&Letter{}).Where("id = ?", letterID).Updates(upd).Error; err != nil {
				return fmt.Errorf("store: apply provider event: %w", err)
			}
		}
		return wrapf(tx.Create(&LetterEvent{LetterID: letterID, At: at.UTC(), Kind: "event", Channel: l.Channel, Status: newStatus, Detail: event + detail}).Error, "apply provider event")
	})
	return applied, err
}

// NoteProviderID records the provider's id of a letter that has none: a
// letter whose acceptance was lost (a crash, an outage) and that the
// provider's event settled.
func (s *Store) NoteProviderID(ctx context.Context, letterID int64, providerID string) error {
	if providerID == "" {
		return nil
	}
	return wrapf(s.db.WithContext(ctx).Model(&Letter{}).Where("id = ? AND provider_id = ''", letterID).Update("provider_id", providerID).Error, "note provider id")
}

// statusRank orders statuses so that late or repeated events never move a
// letter backwards (a "processed" after "delivered" changes nothing).
var statusRank = map[string]int{"pending": 0, "queued": 1, "sending": 2, "sent": 3, "delivered": 4, "bounced": 5, "dropped": 5, "failed": 5, "outbox": 5}

type providerEventRow struct {
	EventID    string `gorm:"primaryKey"`
	LetterID   *int64
	Event      string
	ReceivedAt time.Time
}

func (providerEventRow) TableName() string { return "provider_events" }

// HasProviderEvent tells whether an event of that kind arrived for a letter
// (the crash-recovery check for SendGrid's "processed").
func (s *Store) HasProviderEvent(ctx context.Context, letterID int64, event string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&providerEventRow{}).Where("letter_id = ? AND event = ?", letterID, event).Count(&n).Error
	return n > 0, wrapf(err, "has provider event")
}
