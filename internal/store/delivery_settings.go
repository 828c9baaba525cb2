package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// DeliverySettings are a campaign's channel order and pacing.
type DeliverySettings struct {
	CampaignID      int64
	Channels        []string
	OfficeDays      string // e.g. "mon-fri"
	OfficeOpen      string // "09:00"
	OfficeClose     string // "17:00"
	TimeZone        string // IANA name
	OfficeHourlyCap int
}

type deliveryRow struct {
	CampaignID      int64 `gorm:"primaryKey"`
	Channels        string
	OfficeDays      string
	OfficeOpen      string
	OfficeClose     string
	TimeZone        string
	OfficeHourlyCap int
	UpdatedAt       time.Time
}

func (deliveryRow) TableName() string { return "campaign_delivery" }

// DeliverySettingsFor returns a campaign's settings, or ErrNotFound when
// it uses the defaults.
func (s *Store) DeliverySettingsFor(ctx context.Context, campaignID int64) (DeliverySettings, error) {
	var r deliveryRow
	err := s.db.WithContext(ctx).Where("campaign_id = ?", campaignID).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return DeliverySettings{}, ErrNotFound
	}
	if err != nil {
		return DeliverySettings{}, fmt.Errorf("store: delivery settings for: %w", err)
	}
	return DeliverySettings{CampaignID: r.CampaignID, Channels: strings.Split(r.Channels, ","), OfficeDays: r.OfficeDays,
		OfficeOpen: r.OfficeOpen, OfficeClose: r.OfficeClose, TimeZone: r.TimeZone, OfficeHourlyCap: r.OfficeHourlyCap}, nil
}

// SaveDeliverySettings writes a campaign's settings.
func (s *Store) SaveDeliverySettings(ctx context.Context, d DeliverySettings, a Audit) error {
	return s.tx(ctx, func(tx *gorm.DB) error { return saveDelivery(tx, d, a) })
}

// saveDelivery writes d with an audit entry "campaign.delivery" naming
// the settings, unless they are the ones stored already.
func saveDelivery(tx *gorm.DB, d DeliverySettings, a Audit) error {
	r := deliveryRow{CampaignID: d.CampaignID, Channels: strings.Join(d.Channels, ","), OfficeDays: d.OfficeDays,
		OfficeOpen: d.OfficeOpen, OfficeClose: d.OfficeClose, TimeZone: d.TimeZone, OfficeHourlyCap: d.OfficeHourlyCap, UpdatedAt: time.Now().UTC()}
	var cur deliveryRow
	if err := tx.Where("campaign_id = ?", d.CampaignID).Take(&cur).Error; err == nil {
		cur.UpdatedAt = r.UpdatedAt
		if cur == r {
			return nil
		}
	} else if !errors.Is(err, gorm.ErrRecordNotFound) {
		return err
	}
	if err := tx.Save(&r).Error; err != nil {
		return fmt.Errorf("store: save delivery: %w", err)
	}
	a.Action = "campaign.delivery"
	a.ObjectType, a.ObjectID = "campaign", strconv.FormatInt(d.CampaignID, 10)
	a.Detail = fmt.Sprintf("channels=%s hours=%s %s-%s %s cap=%d", r.Channels, r.OfficeDays, r.OfficeOpen, r.OfficeClose, r.TimeZone, r.OfficeHourlyCap)
	return writeAudit(tx, a)
}
