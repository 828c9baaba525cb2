package store

import (
	"context"
	"time"
)

// OfficeSentSince counts letters handed to an office since t, for the
// per-office hourly cap.
func (s *Store) OfficeSentSince(ctx context.Context, officeCode string, since time.Time) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Letter{}).Where("office_code = ? AND sent_at >= ?", officeCode, since.UTC()).Count(&n).Error
	return n, wrapf(err, "office sent since")
}

// OfficeCount is how many letters of a campaign an office has.
type OfficeCount struct {
	OfficeCode string
	BioguideID string
	N          int64
}

// OfficeCounts lists a campaign's offices with their letter counts
// (letters whose content still exists), for printed packets.
func (s *Store) OfficeCounts(ctx context.Context, campaignID int64) ([]OfficeCount, error) {
	var out []OfficeCount
	err := s.db.WithContext(ctx).Model(&Letter{}).Select("office_code, bioguide_id, COUNT(*) AS n").
		Joins("JOIN letter_texts ON letter_texts.letter_id = letters.id").
		Where("campaign_id = ? AND letter_texts.sealed <> '' AND status <> ?", campaignID, "failed").Where(packetable).
		Group("office_code, bioguide_id").Order("office_code").Scan(&out).Error
	return out, wrapf(err, "office counts")
}

// packetable leaves out of printed packets the letters that must never
// reach an office: those quoting a synthetic (demonstration) statistics
// release and those of the demonstration campaign.
const packetable = "NOT EXISTS (SELECT 1 FROM stats_releases r WHERE r.id = letters.stats_release_id AND r.synthetic) " +
	"AND NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.id = letters.campaign_id AND c.demo)"

// OfficeLetters returns a campaign's letters to one office, oldest first,
// at most limit, without those quoting synthetic figures or of the
// demonstration campaign (packetable).
func (s *Store) OfficeLetters(ctx context.Context, campaignID int64, officeCode string, limit int) ([]Letter, error) {
	var out []Letter
	err := withText(s.db.WithContext(ctx)).Where("campaign_id = ? AND office_code = ? AND letter_texts.sealed <> '' AND status <> ?", campaignID, officeCode, "failed").
		Where(packetable).Order("id").Limit(limit).Find(&out).Error
	return out, wrapf(err, "office letters")
}
