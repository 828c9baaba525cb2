package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/outreach-org/outreach/internal/campaign"
)

// Holds: a campaign whose letter prints, outside a {{if stat_available}}
// guard, a statistic the latest release does not publish is held: its
// letters are not delivered (followup's hold check reads HeldReason) and
// staff see why. refreshHolds decides it, in the transaction that
// publishes a release (every campaign) and in the one that saves a
// campaign (that campaign), both under the release lock, so a release and
// a save cannot miss each other.

// refreshHolds re-checks the holds of campaign id (0: every campaign)
// against rel, or against the latest release when rel is nil. It writes
// only what changed, with an audit entry "campaign.hold" or
// "campaign.hold_cleared".
func (s *Store) refreshHolds(tx *gorm.DB, rel *Release, id int64) error {
	if rel == nil {
		var row releaseRow
		err := tx.Order("id DESC").Limit(1).Find(&row).Error
		if err != nil {
			return fmt.Errorf("store: refresh holds %d: %w", id, err)
		}
		if row.ID == 0 {
			return nil // no release: nothing to check against
		}
		r, err := row.release(true)
		if err != nil {
			return err
		}
		rel = &r
	}
	cr := campaign.Release{ID: rel.ID, AsOf: rel.CreatedAt, Synthetic: rel.Synthetic, Figures: rel.Figures}
	q := tx.Table("campaigns").Select("campaigns.*, v.subject, v.body, v.organization_statement").
		Joins("JOIN campaign_versions v ON v.campaign_id = campaigns.id AND v.version = campaigns.current_version")
	if id != 0 {
		q = q.Where("campaigns.id = ?", id)
	}
	var rows []campaignWithLetter
	if err := q.Scan(&rows).Error; err != nil {
		return fmt.Errorf("store: refresh holds %d: %w", id, err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	for _, r := range rows {
		reason := ""
		if cp, verr := campaign.Compile(r.Subject, r.Body, r.OrganizationStatement); verr == nil {
			reason = cp.HoldReason(cr)
		}
		cur := r.Row
		if reason == cur.HeldReason {
			continue
		}
		upd := map[string]any{"held_reason": reason, "held_release_id": nil, "held_at": nil}
		action, detail := "campaign.hold_cleared", "release="+strconv.FormatInt(rel.ID, 10)
		if reason != "" {
			upd["held_release_id"] = rel.ID
			upd["held_at"] = now
			if cur.HeldReason != "" && cur.HeldAt != nil {
				upd["held_at"] = *cur.HeldAt // still held: since the first time
			}
			action = "campaign.hold"
		}
		if err := tx.Model(&campaignRow{}).Where("id = ?", cur.ID).Updates(upd).Error; err != nil {
			return fmt.Errorf("store: refresh holds %d: %w", id, err)
		}
		if err := writeAudit(tx, Audit{Action: action, ObjectType: "campaign", ObjectID: strconv.FormatInt(cur.ID, 10), Detail: detail}); err != nil {
			return err
		}
	}
	return nil
}

// HeldCampaign is a campaign whose letters are held, for the staff home.
type HeldCampaign struct {
	ID     int64
	Title  string
	Reason string
	Since  time.Time
}

// HeldCampaigns lists the campaigns whose letters are held, oldest hold
// first.
func (s *Store) HeldCampaigns(ctx context.Context) ([]HeldCampaign, error) {
	var rows []campaignRow
	if err := s.db.WithContext(ctx).Where("held_reason <> ''").Order("held_at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: held campaigns: %w", err)
	}
	out := make([]HeldCampaign, len(rows))
	for i, r := range rows {
		out[i] = HeldCampaign{ID: r.ID, Title: r.Title, Reason: r.HeldReason}
		if r.HeldAt != nil {
			out[i].Since = r.HeldAt.UTC()
		}
	}
	return out, nil
}

// CampaignHoldState is a campaign's status and the reason its letters
// are held ("" when they are not), for the delivery worker's hold check.
func (s *Store) CampaignHoldState(ctx context.Context, id int64) (status, heldReason string, err error) {
	var rows []campaignRow
	if err := s.db.WithContext(ctx).Select("status, held_reason").Where("id = ?", id).Limit(1).Find(&rows).Error; err != nil {
		return "", "", fmt.Errorf("store: campaign hold state %d: %w", id, err)
	}
	if len(rows) == 0 {
		return "", "", ErrNotFound
	}
	return rows[0].Status, rows[0].HeldReason, nil
}
