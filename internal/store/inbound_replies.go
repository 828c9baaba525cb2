package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/outreach-org/outreach/internal/tracking"
	"gorm.io/gorm"
)

// InboundReply is an email reply to a letter's reply address, waiting for
// staff to classify it. Its text (sender, subject, body: offices quote the
// constituent's name, address and email) is only ever stored sealed, in
// Sealed (tracking.Reply, bound to the row); "" once the supporter's data
// was erased. It is never logged.
type InboundReply struct {
	ID         int64 `gorm:"primaryKey"`
	LetterID   int64
	Sealed     string
	Status     string // pending, classified, discarded
	ResponseID *int64
	ReceivedAt time.Time
	DecidedAt  *time.Time
	DecidedBy  *int64
	// Joined for display: the letter's campaign and office, and its sealed
	// content (its sender, whom the reply may quote).
	CampaignID   int64  `gorm:"-"`
	BioguideID   string `gorm:"-"`
	LetterSealed string `gorm:"-"`
}

func (InboundReply) TableName() string { return "inbound_replies" }

// AddInboundReply queues a reply received by email for its letter. seal
// returns the reply's text sealed to the new row's id; the row and its
// ciphertext are written in one transaction.
func (s *Store) AddInboundReply(ctx context.Context, r InboundReply, seal func(id int64) (string, error)) (int64, error) {
	r.ID = 0
	r.Status = "pending"
	r.Sealed = "-"
	if r.ReceivedAt.IsZero() {
		r.ReceivedAt = time.Now().UTC()
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&r).Error; err != nil {
			return fmt.Errorf("store: add inbound reply: %w", err)
		}
		sealed, err := seal(r.ID)
		if err != nil {
			return err
		}
		return wrapf(tx.Model(&InboundReply{}).Where("id = ?", r.ID).Update("sealed", sealed).Error, "add inbound reply")
	})
	return r.ID, err
}

// InboundReplies lists replies in a status, oldest first.
func (s *Store) InboundReplies(ctx context.Context, status string, limit int) ([]InboundReply, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var out []InboundReply
	if err := s.db.WithContext(ctx).Where("status = ?", status).Order("id").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: inbound replies: %w", err)
	}
	for i := range out {
		var l Letter
		if err := withText(s.db.WithContext(ctx)).Where("id = ?", out[i].LetterID).Take(&l).Error; err == nil {
			out[i].CampaignID, out[i].BioguideID, out[i].LetterSealed = l.CampaignID, l.BioguideID, l.Sealed
		}
	}
	return out, nil
}

// ClassifyInboundReply records a pending reply as a response with the given
// substance, or discards it (substance "discard"). Audited.
func (s *Store) ClassifyInboundReply(ctx context.Context, id int64, substance string, a Audit) error {
	if substance != "discard" && !tracking.IsReply(substance) {
		return refuse("decision", "classify as substantive, acknowledgement, refusal or discard")
	}
	var l Letter
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var r InboundReply
		if err := tx.Where("id = ? AND status = 'pending'", id).Take(&r).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return fmt.Errorf("store: classify inbound reply %d: %w", id, err)
		}
		now := time.Now().UTC()
		upd := map[string]any{"decided_at": now}
		if a.ActorID != 0 {
			upd["decided_by"] = a.ActorID
		}
		if substance == "discard" {
			upd["status"] = "discarded"
		} else {
			if err := tx.Select("id", "campaign_id", "bioguide_id", "office_code").Where("id = ?", r.LetterID).Take(&l).Error; err != nil {
				return fmt.Errorf("store: classify inbound reply %d: %w", id, err)
			}
			row := responseRow{LetterID: l.ID, CampaignID: l.CampaignID, BioguideID: l.BioguideID, Source: SourceEmail, Kind: "email_reply",
				Substance: substance, OccurredAt: r.ReceivedAt, CreatedAt: now}
			if a.ActorID != 0 {
				row.ActorID = &a.ActorID
			}
			if err := tx.Create(&row).Error; err != nil {
				return fmt.Errorf("store: classify inbound reply %d: %w", id, err)
			}
			upd["status"], upd["response_id"] = "classified", row.ID
			// The office replied: no second letter goes to it.
			if err := stopSecondLetters(tx, l.CampaignID, l.BioguideID, "the office replied (email reply)", now); err != nil {
				return err
			}
		}
		if err := tx.Model(&InboundReply{}).Where("id = ?", id).Updates(upd).Error; err != nil {
			return fmt.Errorf("store: classify inbound reply %d: %w", id, err)
		}
		a.ObjectType, a.ObjectID, a.Detail = "inbound_reply", strconv.FormatInt(id, 10), substance
		return writeAudit(tx, a)
	})
	if err != nil || l.ID == 0 {
		return err
	}
	return s.refreshRollups(ctx, l.CampaignID, l.BioguideID, l.OfficeCode, 0, nil)
}

// --- rollups ---------------------------------------------------------------
