package store

import (
	"context"
	"fmt"
	"time"
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
// multiple of SubstantiveEvery. Written with multi-row INSERTs.
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
	)
	flush := func() error {
		if len(lbuf) == 0 {
			return nil
		}
		if err := db.CreateInBatches(lbuf, g.Batch).Error; err != nil {
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
			if err := db.CreateInBatches(rbuf, g.Batch).Error; err != nil {
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
