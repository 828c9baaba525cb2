package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
)

type campaignTrackingRow struct {
	CampaignID           int64 `gorm:"primaryKey"`
	PublicResponsiveness bool
	UpdatedAt            time.Time
}

func (campaignTrackingRow) TableName() string { return "campaign_tracking" }

// PublicResponsiveness tells whether a campaign publishes its offices'
// responsiveness.
func (s *Store) PublicResponsiveness(ctx context.Context, campaignID int64) (bool, error) {
	var r campaignTrackingRow
	err := s.db.WithContext(ctx).Where("campaign_id = ?", campaignID).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return false, nil
	}
	return r.PublicResponsiveness, wrapf(err, "public responsiveness")
}

// PublicCampaigns lists the ids of campaigns that opted in.
func (s *Store) PublicCampaigns(ctx context.Context) (map[int64]bool, error) {
	var rows []campaignTrackingRow
	if err := s.db.WithContext(ctx).Where("public_responsiveness = ?", true).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: public campaigns: %w", err)
	}
	out := map[int64]bool{}
	for _, r := range rows {
		out[r.CampaignID] = true
	}
	return out, nil
}

// SetPublicResponsiveness turns a campaign's public page on or off. Audited.
func (s *Store) SetPublicResponsiveness(ctx context.Context, campaignID int64, on bool, a Audit) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Table("campaigns").Where("id = ?", campaignID).Count(&n).Error; err != nil {
			return fmt.Errorf("store: set public responsiveness: %w", err)
		}
		if n == 0 {
			return ErrNotFound
		}
		if err := tx.Save(&campaignTrackingRow{CampaignID: campaignID, PublicResponsiveness: on, UpdatedAt: time.Now().UTC()}).Error; err != nil {
			return fmt.Errorf("store: set public responsiveness: %w", err)
		}
		a.ObjectType, a.ObjectID, a.Detail = "campaign", strconv.FormatInt(campaignID, 10), fmt.Sprintf("public responsiveness %v", on)
		return writeAudit(tx, a)
	})
}
