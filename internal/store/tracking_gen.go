package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
)

// GenOffice is an office the tracking generator writes letters to.
type GenOffice struct {
	BioguideID, OfficeCode, Chamber, State, Party string
}

// TrackingGen describes a synthetic data set for tests and benchmarks of
// the dashboards: Letters letters spread round-robin over Offices and
// Channels, delivered one per minute backwards from Now; every FailEvery-th
// letter failed; every ReplyEvery-th delivered letter answered ReplyDays
// (cycling) days after delivery, substantive when its index is also a
// multiple of SubstantiveEvery. Written by COPY on PostgreSQL (a million
// letters in a minute or two), multi-row INSERTs on SQLite.
type TrackingGen struct {
	CampaignID       int64
	Offices          []GenOffice
	Channels         []string
	Letters          int
	Now              time.Time
	Spread           time.Duration // deliveries spread over this span before Now
	FailEvery        int
	ReplyEvery       int
	SubstantiveEvery int
	ReplyDays        []int
	Batch            int
}

// GenerateTracking writes the data set and answers how many letters and
// responses it wrote. It is for tests and benchmarks, never for real data.
func (s *Store) GenerateTracking(ctx context.Context, g TrackingGen) (letters, responses int, err error) {
	if g.Batch <= 0 {
		g.Batch = 1000
	}
	if len(g.Channels) == 0 {
		g.Channels = []string{"cwc"}
	}
	if g.Spread <= 0 {
		g.Spread = 365 * 24 * time.Hour
	}
	step := g.Spread / time.Duration(max(g.Letters, 1))
	db := s.db.WithContext(ctx)
	prefix := fmt.Sprintf("g%d-%d-", g.CampaignID, time.Now().UnixNano())
	var subID int64
	perSub := len(g.Offices)
	var (
		lbuf []Letter
		idx  []int
		conn *sql.Conn
	)
	if s.dialect == Postgres {
		if conn, err = s.sql.Conn(ctx); err != nil {
			return 0, 0, fmt.Errorf("store: generate tracking: %w", err)
		}
		defer conn.Close()
	}
	flush := func() error {
		if len(lbuf) == 0 {
			return nil
		}
		if err := s.genLetters(ctx, db, conn, lbuf, g.Batch); err != nil {
			return fmt.Errorf("store: generate tracking: %w", err)
		}
		var rbuf []responseRow
		for j, l := range lbuf {
			i := idx[j]
			if l.Status != "delivered" || g.ReplyEvery <= 0 || i%g.ReplyEvery != 0 {
				continue
			}
			d := 0
			if len(g.ReplyDays) > 0 {
				d = g.ReplyDays[(i/g.ReplyEvery)%len(g.ReplyDays)]
			}
			at := l.DeliveredAt.Add(time.Duration(d)*24*time.Hour + time.Hour)
			if at.After(g.Now) {
				continue // not yet: the generator never writes replies from the future
			}
			sub := SubstanceAcknowledgement
			if g.SubstantiveEvery > 0 && i%g.SubstantiveEvery == 0 {
				sub = SubstanceSubstantive
			}
			rbuf = append(rbuf, responseRow{LetterID: l.ID, CampaignID: l.CampaignID, BioguideID: l.BioguideID, Source: SourceStaff,
				Kind: "written_reply", Substance: sub, OccurredAt: at, CreatedAt: g.Now})
		}
		if len(rbuf) > 0 {
			if err := genResponses(ctx, db, conn, rbuf, g.Batch); err != nil {
				return fmt.Errorf("store: generate tracking: %w", err)
			}
			responses += len(rbuf)
		}
		letters += len(lbuf)
		lbuf, idx = lbuf[:0], idx[:0]
		return nil
	}
	for i := 0; i < g.Letters; i++ {
		if i%perSub == 0 {
			sr := submissionRow{CampaignID: g.CampaignID, EmailIndex: fmt.Sprintf("%s%d", prefix, i), Sealed: "-", Lang: "en",
				Status: "confirmed", CreatedAt: g.Now}
			if err := db.Create(&sr).Error; err != nil {
				return letters, responses, fmt.Errorf("store: generate tracking: %w", err)
			}
			subID = sr.ID
		}
		o := g.Offices[i%len(g.Offices)]
		at := g.Now.Add(-time.Duration(i+1) * step).UTC()
		l := Letter{CampaignID: g.CampaignID, SubmissionID: subID, BioguideID: o.BioguideID, OfficeCode: o.OfficeCode, Chamber: o.Chamber,
			State: o.State, Party: o.Party, TemplateVer: 1, Sealed: "-", DeliveryID: fmt.Sprintf("%sd%d", prefix, i),
			ReplyToken: fmt.Sprintf("%sr%d", prefix, i), Channel: g.Channels[i%len(g.Channels)], CreatedAt: at, UpdatedAt: at}
		if g.FailEvery > 0 && i%g.FailEvery == 0 {
			l.Status, l.LastError = "failed", "generated"
		} else {
			l.Status = "delivered"
			t := at
			l.SentAt, l.DeliveredAt = &t, &t
		}
		lbuf, idx = append(lbuf, l), append(idx, i)
		if len(lbuf) >= g.Batch*5 {
			if err := flush(); err != nil {
				return letters, responses, err
			}
		}
	}
	return letters, responses, flush()
}

// genLetters writes generated letters and sets their ids.
func (s *Store) genLetters(ctx context.Context, db *gorm.DB, conn *sql.Conn, ls []Letter, batch int) error {
	if db.Migrator().HasColumn("letters", "sealed") {
		// The schema before migration 00037 (the text in letters), which
		// migration tests generate data at.
		for i := range ls {
			l := &ls[i]
			err := db.Raw(`INSERT INTO letters (campaign_id, submission_id, bioguide_id, office_code, chamber, state, district, party,
  template_version, stats_release_id, sealed, delivery_id, reply_token, status, channel, attempts, provider_id, last_error,
  created_at, updated_at, sending_since, sent_at, delivered_at, kind) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id`,
				l.CampaignID, l.SubmissionID, l.BioguideID, l.OfficeCode, l.Chamber, l.State, l.District, l.Party,
				l.TemplateVer, l.StatsReleaseID, l.Sealed, l.DeliveryID, l.ReplyToken, l.Status, l.Channel, l.Attempts, l.ProviderID, l.LastError,
				l.CreatedAt, l.UpdatedAt, l.SendingSince, l.SentAt, l.DeliveredAt, LetterFirst).Scan(&l.ID).Error
			if err != nil {
				return err
			}
		}
		return nil
	}
	if conn == nil {
		if err := db.CreateInBatches(ls, batch).Error; err != nil {
			return err
		}
		ids := make([]int64, len(ls))
		for i := range ls {
			ids[i] = ls[i].ID
		}
		return insertTexts(db, ids, func(int64) string { return "-" })
	}
	ids, err := reserveLetterIDs(db, len(ls))
	if err != nil {
		return err
	}
	for i := range ls {
		ls[i].ID = ids[i]
	}
	cols := []string{"id", "campaign_id", "submission_id", "bioguide_id", "office_code", "chamber", "state", "district", "party",
		"template_version", "stats_release_id", "delivery_id", "reply_token", "status", "channel", "attempts", "provider_id",
		"last_error", "created_at", "updated_at", "sending_since", "sent_at", "delivered_at", "kind"}
	src := pgx.CopyFromSlice(len(ls), func(i int) ([]any, error) {
		l := &ls[i]
		return []any{l.ID, l.CampaignID, l.SubmissionID, l.BioguideID, l.OfficeCode, l.Chamber, l.State, l.District, l.Party,
			l.TemplateVer, l.StatsReleaseID, l.DeliveryID, l.ReplyToken, l.Status, l.Channel, l.Attempts, l.ProviderID,
			l.LastError, l.CreatedAt, l.UpdatedAt, l.SendingSince, l.SentAt, l.DeliveredAt, LetterFirst}, nil
	})
	return pgxConn(conn, func(c *pgx.Conn) error {
		if _, err := c.CopyFrom(ctx, pgx.Identifier{"letters"}, cols, src); err != nil {
			return err
		}
		_, err := c.CopyFrom(ctx, pgx.Identifier{"letter_texts"}, []string{"letter_id", "sealed"}, pgx.CopyFromSlice(len(ls), func(i int) ([]any, error) {
			return []any{ls[i].ID, ls[i].Sealed}, nil
		}))
		return err
	})
}

// genResponses writes generated responses.
func genResponses(ctx context.Context, db *gorm.DB, conn *sql.Conn, rs []responseRow, batch int) error {
	if conn == nil {
		return db.CreateInBatches(rs, batch).Error
	}
	cols := []string{"letter_id", "campaign_id", "bioguide_id", "source", "kind", "substance", "answer", "note", "batch", "occurred_at",
		"created_at", "actor_id"}
	src := pgx.CopyFromSlice(len(rs), func(i int) ([]any, error) {
		r := &rs[i]
		return []any{r.LetterID, r.CampaignID, r.BioguideID, r.Source, r.Kind, r.Substance, r.Answer, r.Note, r.Batch, r.OccurredAt,
			r.CreatedAt, r.ActorID}, nil
	})
	return pgxConn(conn, func(c *pgx.Conn) error {
		_, err := c.CopyFrom(ctx, pgx.Identifier{"responses"}, cols, src)
		return err
	})
}
