package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/outreach-org/outreach/internal/tracking"
)

// Response substances and sources.
const (
	SubstanceSubstantive     = "substantive"
	SubstanceAcknowledgement = "acknowledgement"
	SubstanceRefusal         = "refusal"
	SubstanceNone            = "none" // a survey answer that reports no reply

	SourceSurvey = "survey"
	SourceStaff  = "staff"
	SourceEmail  = "email"
)

// Survey answers a supporter may give about one letter.
var SurveyAnswers = map[string]string{
	"replied_substantive":  SubstanceSubstantive,
	"acknowledgement_only": SubstanceAcknowledgement,
	"no_reply_yet":         SubstanceNone,
	"not_sure":             SubstanceNone,
	// the follow-up survey's own words for the same answers
	"replied":      SubstanceSubstantive,
	"acknowledged": SubstanceAcknowledgement,
	"no_reply":     SubstanceNone,
}

// ResponseKinds are what staff may log.
var ResponseKinds = []string{"meeting", "call", "written_reply", "public_statement"}

// ErrInvalidResponse is returned for a response the rules refuse.
var ErrInvalidResponse = errors.New("invalid response")

// MaxResponseNote and MaxReplyText bound stored free text.
const (
	MaxResponseNote = 1000
	MaxReplyText    = 20000
)

const rollupsRefreshedKey = "tracking.rollups_refreshed_at"

// allCell is the channel and month of an office's coarse rollup rows.
const allCell = "*"

type responseRow struct {
	ID         int64 `gorm:"primaryKey"`
	LetterID   int64
	CampaignID int64
	BioguideID string
	Source     string
	Kind       string
	Substance  string
	Answer     string
	Note       string
	Batch      string
	OccurredAt time.Time
	CreatedAt  time.Time
	ActorID    *int64
}

func (responseRow) TableName() string { return "responses" }

// isReply tells substances that count as the office having replied.
func isReply(substance string) bool {
	return substance == SubstanceSubstantive || substance == SubstanceAcknowledgement || substance == SubstanceRefusal
}

// RecordSurveyAnswer stores a supporter's answer about whether the office
// replied to their letter (one answer per letter: a later one replaces the
// earlier) and refreshes that office's rollups.
func (s *Store) RecordSurveyAnswer(ctx context.Context, letterID int64, answer, note string) error {
	substance, ok := SurveyAnswers[answer]
	if !ok {
		return fmt.Errorf("%w: unknown survey answer", ErrInvalidResponse)
	}
	note = truncateRunes(strings.TrimSpace(note), MaxResponseNote)
	var l Letter
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Select("id", "campaign_id", "bioguide_id", "office_code").Where("id = ?", letterID).Take(&l).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return err
		}
		if err := tx.Where("letter_id = ? AND source = ?", letterID, SourceSurvey).Delete(&responseRow{}).Error; err != nil {
			return err
		}
		now := time.Now().UTC()
		return tx.Create(&responseRow{LetterID: l.ID, CampaignID: l.CampaignID, BioguideID: l.BioguideID, Source: SourceSurvey,
			Kind: "survey", Substance: substance, Answer: answer, Note: note, OccurredAt: now, CreatedAt: now}).Error
	})
	if err != nil {
		return err
	}
	return s.refreshRollups(ctx, l.CampaignID, l.BioguideID, l.OfficeCode)
}

// ResponseLog is a response staff record: to one letter, or (AllOpen) to
// every open letter of the office in the campaign: delivered or sent, with
// no reply recorded yet.
type ResponseLog struct {
	LetterID   int64
	CampaignID int64
	BioguideID string
	AllOpen    bool
	Kind       string
	Substance  string
	Note       string
	OccurredAt time.Time
}

// Validate checks a staff log. The note is plain text: anything that looks
// like markup is refused, not stored.
func (r *ResponseLog) Validate() error {
	r.Note = strings.TrimSpace(r.Note)
	switch {
	case !contains(ResponseKinds, r.Kind):
		return fmt.Errorf("%w: kind must be one of %s", ErrInvalidResponse, strings.Join(ResponseKinds, ", "))
	case !isReply(r.Substance):
		return fmt.Errorf("%w: substance must be substantive, acknowledgement or refusal", ErrInvalidResponse)
	case len([]rune(r.Note)) > MaxResponseNote:
		return fmt.Errorf("%w: the note is longer than %d characters", ErrInvalidResponse, MaxResponseNote)
	case strings.ContainsAny(r.Note, "<>"):
		return fmt.Errorf("%w: the note must be plain text (no < or >)", ErrInvalidResponse)
	case r.OccurredAt.IsZero():
		return fmt.Errorf("%w: the date is required", ErrInvalidResponse)
	case r.OccurredAt.After(time.Now().Add(24 * time.Hour)):
		return fmt.Errorf("%w: the date is in the future", ErrInvalidResponse)
	case !r.AllOpen && r.LetterID <= 0:
		return fmt.Errorf("%w: name a letter, or apply to all open letters of an office", ErrInvalidResponse)
	case r.AllOpen && (r.CampaignID <= 0 || r.BioguideID == ""):
		return fmt.Errorf("%w: an office-level response needs a campaign and an office", ErrInvalidResponse)
	}
	return nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// LogResponse records a staff-logged response and answers how many letters
// it applies to. It is audited and refreshes the office's rollups.
func (s *Store) LogResponse(ctx context.Context, r ResponseLog, a Audit) (int, error) {
	if err := r.Validate(); err != nil {
		return 0, err
	}
	var (
		n              int
		campaignID     int64
		bioguide       string
		office         string
		occurred       = r.OccurredAt.UTC()
		now            = time.Now().UTC()
		actor          *int64
		batch          = ""
		targetLetterID = r.LetterID
	)
	if a.ActorID != 0 {
		id := a.ActorID
		actor = &id
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var letters []Letter
		q := tx.Select("id", "campaign_id", "bioguide_id", "office_code")
		if r.AllOpen {
			q = q.Where("campaign_id = ? AND bioguide_id = ? AND status IN ('sent','delivered')", r.CampaignID, r.BioguideID).
				Where("NOT EXISTS (SELECT 1 FROM responses r WHERE r.letter_id = letters.id AND r.substance IN ('substantive','acknowledgement','refusal'))")
			batch = "office:" + strconv.FormatInt(now.UnixNano(), 36)
		} else {
			q = q.Where("id = ?", targetLetterID)
		}
		if err := q.Order("id").Find(&letters).Error; err != nil {
			return err
		}
		if len(letters) == 0 {
			if r.AllOpen {
				return fmt.Errorf("%w: this office has no open letters in the campaign", ErrInvalidResponse)
			}
			return ErrNotFound
		}
		rows := make([]responseRow, 0, len(letters))
		for _, l := range letters {
			rows = append(rows, responseRow{LetterID: l.ID, CampaignID: l.CampaignID, BioguideID: l.BioguideID, Source: SourceStaff,
				Kind: r.Kind, Substance: r.Substance, Note: r.Note, Batch: batch, OccurredAt: occurred, CreatedAt: now, ActorID: actor})
		}
		if err := tx.CreateInBatches(rows, 500).Error; err != nil {
			return err
		}
		n, campaignID, bioguide, office = len(rows), letters[0].CampaignID, letters[0].BioguideID, letters[0].OfficeCode
		a.ObjectType, a.ObjectID = "response", strconv.FormatInt(rows[0].ID, 10)
		a.Detail = fmt.Sprintf("%s %s, %d letter(s) of %s in campaign %d", r.Kind, r.Substance, n, bioguide, campaignID)
		return writeAudit(tx, a)
	})
	if err != nil {
		return 0, err
	}
	return n, s.refreshRollups(ctx, campaignID, bioguide, office)
}

// Response is one recorded response, for the letter export and pages.
type Response struct {
	ID         int64
	LetterID   int64
	Source     string
	Kind       string
	Substance  string
	Answer     string
	Note       string
	OccurredAt time.Time
}

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
			return err
		}
		sealed, err := seal(r.ID)
		if err != nil {
			return err
		}
		return tx.Model(&InboundReply{}).Where("id = ?", r.ID).Update("sealed", sealed).Error
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
		return nil, err
	}
	for i := range out {
		var l Letter
		if err := s.db.WithContext(ctx).Select("campaign_id", "bioguide_id", "sealed").Where("id = ?", out[i].LetterID).Take(&l).Error; err == nil {
			out[i].CampaignID, out[i].BioguideID, out[i].LetterSealed = l.CampaignID, l.BioguideID, l.Sealed
		}
	}
	return out, nil
}

// ClassifyInboundReply records a pending reply as a response with the given
// substance, or discards it (substance "discard"). Audited.
func (s *Store) ClassifyInboundReply(ctx context.Context, id int64, substance string, a Audit) error {
	if substance != "discard" && !isReply(substance) {
		return fmt.Errorf("%w: classify as substantive, acknowledgement, refusal or discard", ErrInvalidResponse)
	}
	var l Letter
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var r InboundReply
		if err := tx.Where("id = ? AND status = 'pending'", id).Take(&r).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return err
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
				return err
			}
			row := responseRow{LetterID: l.ID, CampaignID: l.CampaignID, BioguideID: l.BioguideID, Source: SourceEmail, Kind: "email_reply",
				Substance: substance, OccurredAt: r.ReceivedAt, CreatedAt: now}
			if a.ActorID != 0 {
				row.ActorID = &a.ActorID
			}
			if err := tx.Create(&row).Error; err != nil {
				return err
			}
			upd["status"], upd["response_id"] = "classified", row.ID
		}
		if err := tx.Model(&InboundReply{}).Where("id = ?", id).Updates(upd).Error; err != nil {
			return err
		}
		a.ObjectType, a.ObjectID, a.Detail = "inbound_reply", strconv.FormatInt(id, 10), substance
		return writeAudit(tx, a)
	})
	if err != nil || l.ID == 0 {
		return err
	}
	return s.refreshRollups(ctx, l.CampaignID, l.BioguideID, l.OfficeCode)
}

// --- rollups ---------------------------------------------------------------

type rollupRow struct {
	CampaignID  int64
	BioguideID  string
	OfficeCode  string
	Chamber     string
	State       string
	Party       string
	Channel     string
	Month       string
	Letters     int64
	Delivered   int64
	Failed      int64
	Replied     int64
	Substantive int64
	RefreshedAt time.Time
}

func (rollupRow) TableName() string { return "response_rollups" }

type rollupTimeRow struct {
	CampaignID int64
	BioguideID string
	Chamber    string
	State      string
	Party      string
	Channel    string
	Month      string
	Days       int
	Events     int64
	Censored   int64
}

func (rollupTimeRow) TableName() string { return "response_rollup_times" }

type firstReply struct {
	at          time.Time
	substantive bool
}

// RefreshRollups recomputes every rollup from the letters and responses.
// Dashboards read only the rollups; call this on a schedule (letters change
// status as they are delivered, and waiting letters age). Response writes
// refresh their own office at once.
func (s *Store) RefreshRollups(ctx context.Context) error {
	return s.refreshRollups(ctx, 0, "", "")
}

// RollupsRefreshedAt is when the rollups were last fully refreshed (zero
// when never).
func (s *Store) RollupsRefreshedAt(ctx context.Context) (time.Time, error) {
	v, err := s.Setting(ctx, rollupsRefreshedKey)
	if errors.Is(err, ErrNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	t, _ := time.Parse(time.RFC3339, v)
	return t, nil
}

// refreshRollups recomputes the rollups of one office in one campaign, or
// all of them (campaignID 0). It reads and writes in one transaction under
// a lock, so concurrent refreshes never interleave.
func (s *Store) refreshRollups(ctx context.Context, campaignID int64, bioguide, officeCode string) error {
	now := time.Now().UTC()
	return s.tx(ctx, func(tx *gorm.DB) error {
		if s.dialect == Postgres {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(7700417)").Error; err != nil {
				return err
			}
		}
		where, args := "1=1", []any{}
		lwhere, largs := where, args
		if campaignID != 0 {
			where, args = "campaign_id = ? AND bioguide_id = ?", []any{campaignID, bioguide}
			// letters_office (office_code, sent_at) finds the office's letters
			// without reading the whole campaign
			lwhere, largs = "office_code = ? AND campaign_id = ? AND bioguide_id = ?", []any{officeCode, campaignID, bioguide}
		}
		// Reply rates are over first letters: a reply to a second letter
		// (the follow-up to an office that stayed silent) counts for the
		// first letter it follows, timed from the first delivery.
		var seconds []struct{ ID, FollowupOf int64 }
		if err := tx.Table("letters").Select("id", "followup_of").Where(lwhere, largs...).
			Where("followup_of IS NOT NULL").Scan(&seconds).Error; err != nil {
			return err
		}
		firstOf := make(map[int64]int64, len(seconds))
		for _, sl := range seconds {
			firstOf[sl.ID] = sl.FollowupOf
		}
		replies := map[int64]firstReply{}
		rrows, err := tx.Table("responses").Select("letter_id", "substance", "occurred_at").
			Where(where, args...).Where("substance IN ('substantive','acknowledgement','refusal')").Rows()
		if err != nil {
			return err
		}
		for rrows.Next() {
			var (
				id  int64
				sub string
				at  time.Time
			)
			if err := rrows.Scan(&id, &sub, &at); err != nil {
				rrows.Close()
				return err
			}
			if f, ok := firstOf[id]; ok {
				id = f
			}
			fr, ok := replies[id]
			if !ok || at.Before(fr.at) {
				fr.at = at
			}
			fr.substantive = fr.substantive || sub == SubstanceSubstantive
			replies[id] = fr
		}
		rrows.Close()
		if err := rrows.Err(); err != nil {
			return err
		}

		type key struct {
			campaign         int64
			bioguide, ch, mo string
		}
		cells := map[key]*rollupRow{}
		type tkey struct {
			key
			days int
		}
		times := map[tkey]*rollupTimeRow{}
		lrows, err := tx.Table("letters").Select("id", "campaign_id", "bioguide_id", "office_code", "chamber", "state", "party", "channel",
			"status", "created_at", "sent_at", "delivered_at").Where(lwhere, largs...).Where("kind = ?", LetterFirst).Rows()
		if err != nil {
			return err
		}
		defer lrows.Close()
		for lrows.Next() {
			var (
				l               Letter
				sent, delivered sql.NullTime
			)
			if err := lrows.Scan(&l.ID, &l.CampaignID, &l.BioguideID, &l.OfficeCode, &l.Chamber, &l.State, &l.Party, &l.Channel,
				&l.Status, &l.CreatedAt, &sent, &delivered); err != nil {
				return err
			}
			fr, replied := replies[l.ID]
			isDelivered := l.Status == "sent" || l.Status == "delivered" || replied
			isFailed := !isDelivered && (l.Status == "failed" || l.Status == "bounced")
			base := l.CreatedAt
			switch {
			case delivered.Valid:
				base = delivered.Time
			case sent.Valid:
				base = sent.Time
			}
			var days int
			if isDelivered {
				if replied {
					days = daysBetween(base, fr.at)
				} else {
					days = daysBetween(base, now)
				}
				days = BucketDays(days)
			}
			// Each letter counts in its fine cell (channel, month of
			// delivery) and in its office's coarse cell (channel and month
			// "*"), which answers queries without a period or a channel
			// or month grouping from far fewer rows.
			for _, k := range [2]key{{l.CampaignID, l.BioguideID, l.Channel, base.UTC().Format("2006-01")}, {l.CampaignID, l.BioguideID, allCell, allCell}} {
				c, ok := cells[k]
				if !ok {
					c = &rollupRow{CampaignID: l.CampaignID, BioguideID: l.BioguideID, OfficeCode: l.OfficeCode, Chamber: l.Chamber,
						State: l.State, Party: l.Party, Channel: k.ch, Month: k.mo, RefreshedAt: now}
					cells[k] = c
				}
				c.Letters++
				if isFailed {
					c.Failed++
				}
				if !isDelivered {
					continue
				}
				c.Delivered++
				if replied {
					c.Replied++
					if fr.substantive {
						c.Substantive++
					}
				}
				tk := tkey{k, days}
				t, ok := times[tk]
				if !ok {
					t = &rollupTimeRow{CampaignID: l.CampaignID, BioguideID: l.BioguideID, Chamber: l.Chamber, State: l.State, Party: l.Party,
						Channel: k.ch, Month: k.mo, Days: days}
					times[tk] = t
				}
				if replied {
					t.Events++
				} else {
					t.Censored++
				}
			}
		}
		if err := lrows.Err(); err != nil {
			return err
		}
		lrows.Close()
		if err := tx.Where(where, args...).Delete(&rollupRow{}).Error; err != nil {
			return err
		}
		if err := tx.Where(where, args...).Delete(&rollupTimeRow{}).Error; err != nil {
			return err
		}
		cr := make([]rollupRow, 0, len(cells))
		for _, c := range cells {
			cr = append(cr, *c)
		}
		tr := make([]rollupTimeRow, 0, len(times))
		for _, t := range times {
			tr = append(tr, *t)
		}
		if len(cr) > 0 {
			if err := tx.CreateInBatches(cr, 1000).Error; err != nil {
				return err
			}
		}
		if len(tr) > 0 {
			if err := tx.CreateInBatches(tr, 1000).Error; err != nil {
				return err
			}
		}
		if campaignID == 0 && s.dialect == Postgres {
			if err := tx.Exec("ANALYZE response_rollups, response_rollup_times").Error; err != nil {
				return err
			}
		}
		if campaignID == 0 {
			return tx.Save(&appSetting{Key: rollupsRefreshedKey, Value: now.Format(time.RFC3339), UpdatedAt: now}).Error
		}
		return nil
	})
}

// BucketDays keeps the rollups of time to reply small: days are exact up
// to 30, then rounded down to the week (31, 38, ...) up to 182, then to
// 30-day steps. Medians and percentiles are exact within a month and lower
// bounds of their week or month beyond.
func BucketDays(d int) int {
	switch {
	case d <= 30:
		return d
	case d < 182:
		return 31 + (d-31)/7*7
	}
	return 182 + (d-182)/30*30
}

// daysBetween is whole days from a to b, never negative.
func daysBetween(a, b time.Time) int {
	d := b.Sub(a)
	if d < 0 {
		return 0
	}
	return int(d / (24 * time.Hour))
}

// MetricsQuery selects and groups rollups.
type MetricsQuery struct {
	GroupBy    string // office, state, party, chamber, campaign, channel, month, or "" for one total
	CampaignID int64
	Chamber    string
	Party      string
	State      string
	FromMonth  string // YYYY-MM, inclusive
	ToMonth    string
}

// GroupColumns maps group_by values to rollup columns.
var GroupColumns = map[string]string{"office": "bioguide_id", "state": "state", "party": "party", "chamber": "chamber",
	"campaign": "campaign_id", "channel": "channel", "month": "month", "": "''"}

// MetricGroup is the sums of one group, with the observations its
// time-to-reply estimate rests on.
type MetricGroup struct {
	Key         string
	Chamber     string // set when grouped by office
	Party       string
	State       string
	Letters     int64
	Delivered   int64
	Failed      int64
	Replied     int64
	Substantive int64
	Times       []tracking.Obs
}

// ResponseMetrics reads the rollups (never the letters) grouped by q.GroupBy.
func (s *Store) ResponseMetrics(ctx context.Context, q MetricsQuery) ([]MetricGroup, error) {
	col, ok := GroupColumns[q.GroupBy]
	if !ok {
		return nil, fmt.Errorf("%w: unknown group_by", ErrInvalidResponse)
	}
	if col == "campaign_id" {
		col = "CAST(campaign_id AS TEXT)"
	}
	var (
		conds []string
		args  []any
	)
	add := func(cond string, v any) { conds, args = append(conds, cond), append(args, v) }
	if q.CampaignID != 0 {
		add("campaign_id = ?", q.CampaignID)
	}
	if q.Chamber != "" {
		add("chamber = ?", q.Chamber)
	}
	if q.Party != "" {
		add("party = ?", q.Party)
	}
	if q.State != "" {
		add("state = ?", q.State)
	}
	if q.FromMonth != "" {
		add("month >= ?", q.FromMonth)
	}
	if q.ToMonth != "" {
		add("month <= ?", q.ToMonth)
	}
	if q.FromMonth == "" && q.ToMonth == "" && q.GroupBy != "month" && q.GroupBy != "channel" {
		conds = append(conds, "month = '"+allCell+"'")
	} else {
		conds = append(conds, "month <> '"+allCell+"'")
	}
	where := strings.Join(conds, " AND ")
	db := s.db.WithContext(ctx)
	group, tgroup := " GROUP BY "+col+" ORDER BY 1", " GROUP BY "+col+", days"
	if q.GroupBy == "" {
		group, tgroup = "", " GROUP BY days"
	}
	attrs := "'', '', ''"
	if q.GroupBy == "office" {
		attrs = "MAX(chamber), MAX(party), MAX(state)"
	}
	rows, err := db.Raw("SELECT "+col+" AS k, "+attrs+", COALESCE(SUM(letters),0), COALESCE(SUM(delivered),0), COALESCE(SUM(failed),0), COALESCE(SUM(replied),0), COALESCE(SUM(substantive),0) FROM response_rollups WHERE "+
		where+group, args...).Rows()
	if err != nil {
		return nil, err
	}
	byKey := map[string]*MetricGroup{}
	var out []*MetricGroup
	for rows.Next() {
		g := &MetricGroup{}
		if err := rows.Scan(&g.Key, &g.Chamber, &g.Party, &g.State, &g.Letters, &g.Delivered, &g.Failed, &g.Replied, &g.Substantive); err != nil {
			rows.Close()
			return nil, err
		}
		byKey[g.Key] = g
		out = append(out, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// One row per group with its days as "days:events:censored,..." so
	// that thousands of (group, day) rows are not scanned one by one.
	agg := "group_concat(o, ',')"
	if s.dialect == Postgres {
		agg = "string_agg(o, ',')"
	}
	inner := "SELECT " + col + " AS k, CAST(days AS TEXT) || ':' || CAST(SUM(events) AS TEXT) || ':' || CAST(SUM(censored) AS TEXT) AS o" +
		" FROM response_rollup_times WHERE " + where + tgroup
	if q.GroupBy == "office" {
		// (office, days) groups are as many as the rows: adding them up
		// first only costs time; the same day may come twice in a list
		// (several channels or months), which the estimator adds up.
		inner = "SELECT bioguide_id AS k, CAST(days AS TEXT) || ':' || CAST(events AS TEXT) || ':' || CAST(censored AS TEXT) AS o" +
			" FROM response_rollup_times WHERE " + where
	}
	trows, err := db.Raw("SELECT k, "+agg+" FROM ("+inner+") t GROUP BY k", args...).Rows()
	if err != nil {
		return nil, err
	}
	defer trows.Close()
	for trows.Next() {
		var k, list string
		if err := trows.Scan(&k, &list); err != nil {
			return nil, err
		}
		g := byKey[k]
		if g == nil {
			continue
		}
		for _, item := range strings.Split(list, ",") {
			d, rest, _ := strings.Cut(item, ":")
			e, c, _ := strings.Cut(rest, ":")
			var o tracking.Obs
			var err1, err2, err3 error
			o.Days, err1 = strconv.Atoi(d)
			o.Events, err2 = strconv.Atoi(e)
			o.Censored, err3 = strconv.Atoi(c)
			if err := errors.Join(err1, err2, err3); err != nil {
				return nil, fmt.Errorf("rollup times %q: %w", item, err)
			}
			g.Times = append(g.Times, o)
		}
	}
	if err := trows.Err(); err != nil {
		return nil, err
	}
	res := make([]MetricGroup, len(out))
	for i, g := range out {
		res[i] = *g
	}
	return res, nil
}

// MergeGroups adds up groups (offices, say) under the key each is given:
// the rollups of an office carry its chamber, party and state, so those
// groupings need no further query.
func MergeGroups(gs []MetricGroup, key func(MetricGroup) string) []MetricGroup {
	idx := map[string]int{}
	var out []MetricGroup
	for _, g := range gs {
		k := key(g)
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, MetricGroup{Key: k})
		}
		m := &out[i]
		m.Letters += g.Letters
		m.Delivered += g.Delivered
		m.Failed += g.Failed
		m.Replied += g.Replied
		m.Substantive += g.Substantive
		m.Times = append(m.Times, g.Times...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// --- export ----------------------------------------------------------------

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
		return err
	}
	for rrows.Next() {
		var r Response
		if err := rrows.Scan(&r.ID, &r.LetterID, &r.Source, &r.Kind, &r.Substance, &r.Answer, &r.Note, &r.OccurredAt); err != nil {
			rrows.Close()
			return err
		}
		if old, ok := resp[r.LetterID]; !ok || (!isReply(old.Substance) && isReply(r.Substance)) {
			resp[r.LetterID] = r
		}
	}
	rrows.Close()
	cols := []string{"id", "campaign_id", "bioguide_id", "office_code", "chamber", "state", "party", "channel", "status", "sent_at", "delivered_at",
		"kind", "followup_of"}
	if withSealed {
		cols = append(cols, "sealed")
	}
	lq := db.Table("letters").Select(cols)
	if campaignID != 0 {
		lq = lq.Where("campaign_id = ?", campaignID)
	}
	rows, err := lq.Order("id").Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			e           LetterExport
			sent, deliv sql.NullTime
			followupOf  sql.NullInt64
		)
		dest := []any{&e.ID, &e.CampaignID, &e.BioguideID, &e.OfficeCode, &e.Chamber, &e.State, &e.Party, &e.Channel, &e.Status, &sent, &deliv,
			&e.Kind, &followupOf}
		if withSealed {
			dest = append(dest, &e.Sealed)
		}
		if err := rows.Scan(dest...); err != nil {
			return err
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
	return r.PublicResponsiveness, err
}

// PublicCampaigns lists the ids of campaigns that opted in.
func (s *Store) PublicCampaigns(ctx context.Context) (map[int64]bool, error) {
	var rows []campaignTrackingRow
	if err := s.db.WithContext(ctx).Where("public_responsiveness = ?", true).Find(&rows).Error; err != nil {
		return nil, err
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
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		if err := tx.Save(&campaignTrackingRow{CampaignID: campaignID, PublicResponsiveness: on, UpdatedAt: time.Now().UTC()}).Error; err != nil {
			return err
		}
		a.ObjectType, a.ObjectID, a.Detail = "campaign", strconv.FormatInt(campaignID, 10), fmt.Sprintf("public responsiveness %v", on)
		return writeAudit(tx, a)
	})
}

func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
