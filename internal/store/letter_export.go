package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/outreach-org/outreach/internal/tracking"
)

// LetterExport is one letter with its status and first reply, for CSV.
type LetterExport struct {
	ID          int64
	CampaignID  int64
	BioguideID  string
	OfficeCode  string
	Chamber     string
	State       string
	Party       string
	Channel     string
	Status      string
	SentAt      *time.Time
	DeliveredAt *time.Time
	Sealed      string // only filled when asked for (personal data export)
	Response    *Response
	Kind        string // first, or second (a follow-up to FollowupOf)
	FollowupOf  *int64
	// Source and UTM* are the link that brought the letter's submission
	// (no personal data; see the attribution package).
	Source, UTMSource, UTMMedium, UTMCampaign string
}

// ExportLetters streams a campaign's letters (all when 0) in id order with
// their earliest reply, or their survey answer when no reply is known.
func (s *Store) ExportLetters(ctx context.Context, campaignID int64, withSealed bool, fn func(LetterExport) error) error {
	db := s.db.WithContext(ctx)
	resp := map[int64]Response{}
	rq := db.Table("responses").Select("id", "letter_id", "source", "kind", "substance", "answer", "note", "occurred_at")
	if campaignID != 0 {
		rq = rq.Where("campaign_id = ?", campaignID)
	}
	rrows, err := rq.Order("occurred_at, id").Rows()
	if err != nil {
		return fmt.Errorf("store: export letters: %w", err)
	}
	for rrows.Next() {
		var r Response
		if err := rrows.Scan(&r.ID, &r.LetterID, &r.Source, &r.Kind, &r.Substance, &r.Answer, &r.Note, &r.OccurredAt); err != nil {
			rrows.Close()
			return fmt.Errorf("store: export letters: %w", err)
		}
		if old, ok := resp[r.LetterID]; !ok || (!tracking.IsReply(old.Substance) && tracking.IsReply(r.Substance)) {
			resp[r.LetterID] = r
		}
	}
	rrows.Close()
	cols := []string{"l.id", "l.campaign_id", "l.bioguide_id", "l.office_code", "l.chamber", "l.state", "l.party", "l.channel", sendingSQL("l"), "l.sent_at",
		"l.delivered_at", "l.kind", "l.followup_of",
		"COALESCE(s.source, '')", "COALESCE(s.utm_source, '')", "COALESCE(s.utm_medium, '')", "COALESCE(s.utm_campaign, '')"}
	if withSealed {
		cols = append(cols, "COALESCE(t.sealed, '')")
	}
	// the submission by primary key: the link that brought the letter
	lq := db.Table("letters l").Joins("LEFT JOIN submissions s ON s.id = l.submission_id").Select(cols)
	if withSealed {
		lq = lq.Joins("LEFT JOIN letter_texts t ON t.letter_id = l.id")
	}
	if campaignID != 0 {
		lq = lq.Where("l.campaign_id = ?", campaignID)
	}
	rows, err := lq.Order("l.id").Rows()
	if err != nil {
		return fmt.Errorf("store: export letters: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			e           LetterExport
			sent, deliv sql.NullTime
			followupOf  sql.NullInt64
		)
		dest := []any{&e.ID, &e.CampaignID, &e.BioguideID, &e.OfficeCode, &e.Chamber, &e.State, &e.Party, &e.Channel, &e.Status, &sent, &deliv,
			&e.Kind, &followupOf, &e.Source, &e.UTMSource, &e.UTMMedium, &e.UTMCampaign}
		if withSealed {
			dest = append(dest, &e.Sealed)
		}
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("store: export letters: %w", err)
		}
		if sent.Valid {
			e.SentAt = &sent.Time
		}
		if deliv.Valid {
			e.DeliveredAt = &deliv.Time
		}
		if followupOf.Valid {
			id := followupOf.Int64
			e.FollowupOf = &id
		}
		if r, ok := resp[e.ID]; ok {
			e.Response = &r
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// --- public opt-in ---------------------------------------------------------
