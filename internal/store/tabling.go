package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/outreach-org/outreach/internal/campaign"
)

type tablingRow struct {
	ID         int64 `gorm:"primaryKey"`
	CampaignID int64
	StartsAt   time.Time
	EndsAt     time.Time
	IPLimit    int `gorm:"column:ip_limit"`
	Note       string
	CreatedBy  *int64
	CreatedAt  time.Time
	EndedAt    *time.Time
}

func (tablingRow) TableName() string { return "tabling_events" }

func (r tablingRow) event() campaign.TablingEvent {
	e := campaign.TablingEvent{ID: r.ID, CampaignID: r.CampaignID, StartsAt: r.StartsAt.UTC(), EndsAt: r.EndsAt.UTC(), IPLimit: r.IPLimit,
		Note: r.Note, CreatedAt: r.CreatedAt.UTC()}
	if r.CreatedBy != nil {
		e.CreatedBy = *r.CreatedBy
	}
	if r.EndedAt != nil {
		t := r.EndedAt.UTC()
		e.EndedAt = &t
	}
	return e
}

// CreateTablingEvent stores a validated tabling event for an existing
// campaign, with its audit entry.
func (s *Store) CreateTablingEvent(ctx context.Context, e campaign.TablingEvent, a Audit) (campaign.TablingEvent, error) {
	row := tablingRow{CampaignID: e.CampaignID, StartsAt: e.StartsAt.UTC(), EndsAt: e.EndsAt.UTC(), IPLimit: e.IPLimit, Note: e.Note,
		CreatedAt: time.Now().UTC()}
	if a.ActorID != 0 {
		id := a.ActorID
		row.CreatedBy = &id
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Table("campaigns").Where("id = ?", e.CampaignID).Count(&n).Error; err != nil {
			return fmt.Errorf("store: create tabling event: %w", err)
		}
		if n == 0 {
			return ErrNotFound
		}
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("store: create tabling event: %w", err)
		}
		a.ObjectType, a.ObjectID = "campaign", strconv.FormatInt(e.CampaignID, 10)
		a.Detail = fmt.Sprintf("tabling event %d: %d letters per connection per hour from %s to %s", row.ID, row.IPLimit,
			row.StartsAt.Format(time.RFC3339), row.EndsAt.Format(time.RFC3339))
		return writeAudit(tx, a)
	})
	return row.event(), err
}

// TablingEvents lists a campaign's tabling events, latest start first.
func (s *Store) TablingEvents(ctx context.Context, campaignID int64) ([]campaign.TablingEvent, error) {
	var rows []tablingRow
	if err := s.db.WithContext(ctx).Where("campaign_id = ?", campaignID).Order("starts_at DESC, id DESC").Limit(200).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: tabling events: %w", err)
	}
	out := make([]campaign.TablingEvent, len(rows))
	for i, r := range rows {
		out[i] = r.event()
	}
	return out, nil
}

// EndTablingEvent ends a campaign's tabling event at now (the usual limit
// applies again at once), with its audit entry. An event already over is
// left as it is; one not started yet is cancelled.
func (s *Store) EndTablingEvent(ctx context.Context, campaignID, id int64, now time.Time, a Audit) (campaign.TablingEvent, error) {
	var row tablingRow
	err := s.tx(ctx, func(tx *gorm.DB) error {
		err := tx.Where("id = ? AND campaign_id = ?", id, campaignID).Take(&row).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: end tabling event %d: %w", id, err)
		}
		if row.EndedAt != nil || !now.Before(row.EndsAt) {
			return nil
		}
		t := now.UTC()
		row.EndedAt = &t
		if err := tx.Model(&tablingRow{}).Where("id = ?", id).Update("ended_at", t).Error; err != nil {
			return fmt.Errorf("store: end tabling event %d: %w", id, err)
		}
		a.ObjectType, a.ObjectID = "campaign", strconv.FormatInt(campaignID, 10)
		a.Detail = fmt.Sprintf("tabling event %d ended", id)
		return writeAudit(tx, a)
	})
	return row.event(), err
}

// TablingIPLimit is the per-IP hourly limit a tabling event of the
// campaign sets at now (the highest, if several overlap), and whether one
// is active.
func (s *Store) TablingIPLimit(ctx context.Context, campaignID int64, now time.Time) (int, bool, error) {
	var limit *int
	now = now.UTC()
	err := s.db.WithContext(ctx).Model(&tablingRow{}).
		Where("campaign_id = ? AND starts_at <= ? AND ends_at > ? AND (ended_at IS NULL OR ended_at > ?)", campaignID, now, now, now).
		Select("MAX(ip_limit)").Scan(&limit).Error
	if err != nil || limit == nil {
		return 0, false, err
	}
	return *limit, true, nil
}
