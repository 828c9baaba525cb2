package store

import (
	"context"
	"fmt"
	"time"
)

// LetterCountsSince counts letters created at or after since, by status;
// campaignID 0 counts every campaign. The staff home's "letters today".
func (s *Store) LetterCountsSince(ctx context.Context, campaignID int64, since time.Time) (map[string]int64, error) {
	type row struct {
		Status string
		N      int64
	}
	var rows []row
	q := s.db.WithContext(ctx).Table("letters").Select(sendingSQL("letters")+" AS status, COUNT(*) AS n").Where("created_at >= ?", since.UTC()).Group(sendingSQL("letters"))
	if campaignID != 0 {
		q = q.Where("campaign_id = ?", campaignID)
	}
	if err := q.Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: letter counts since: %w", err)
	}
	out := map[string]int64{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// CountInboundReplies counts replies in a status (pending: waiting for
// someone to classify them), without opening any.
func (s *Store) CountInboundReplies(ctx context.Context, status string) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&InboundReply{}).Where("status = ?", status).Count(&n).Error
	return n, wrapf(err, "count inbound replies")
}
