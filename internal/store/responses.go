package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/outreach-org/outreach/internal/tracking"
	"gorm.io/gorm"
)

// Response substances (the rules are in package tracking) and sources.
const (
	SubstanceSubstantive     = tracking.SubstanceSubstantive
	SubstanceAcknowledgement = tracking.SubstanceAcknowledgement
	SubstanceRefusal         = tracking.SubstanceRefusal
	SubstanceNone            = tracking.SubstanceNone // a survey answer that reports no reply

	SourceSurvey = "survey"
	SourceStaff  = "staff"
	SourceEmail  = "email"
)

// SurveyAnswers a supporter may give about one letter, and the substance
// each reports.
var SurveyAnswers = tracking.SurveyAnswers

// ResponseKinds are what staff may log.
var ResponseKinds = []string{"meeting", "call", "written_reply", "public_statement"}

// ErrInvalidResponse is returned for a response the rules refuse.
var ErrInvalidResponse = errors.New("invalid response")

// ResponseError is a refusal that names the input it is about (a JSON
// field of the API: kind, substance, note, date, letter_id, ...), so that
// forms and the API can point at it. It is an ErrInvalidResponse.
type ResponseError struct {
	Field  string
	Reason string
}

func (e *ResponseError) Error() string { return ErrInvalidResponse.Error() + ": " + e.Reason }

func (e *ResponseError) Unwrap() error { return ErrInvalidResponse }

// refuse is a ResponseError about field.
func refuse(field, format string, args ...any) error {
	return &ResponseError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// MaxResponseNote and MaxReplyText bound stored free text.
const (
	MaxResponseNote = 1000
	MaxReplyText    = 20000
)

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

// RecordSurveyAnswer stores a supporter's answer about whether the office
// replied to their letter (one answer per letter: a later one replaces the
// earlier) and refreshes that office's rollups.
func (s *Store) RecordSurveyAnswer(ctx context.Context, letterID int64, answer, note string) error {
	substance, ok := SurveyAnswers[answer]
	if !ok {
		return refuse("answer", "unknown survey answer")
	}
	note = truncateRunes(strings.TrimSpace(note), MaxResponseNote)
	var l Letter
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Select("id", "campaign_id", "bioguide_id", "office_code").Where("id = ?", letterID).Take(&l).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return fmt.Errorf("store: record survey answer: %w", err)
		}
		if err := tx.Where("letter_id = ? AND source = ?", letterID, SourceSurvey).Delete(&responseRow{}).Error; err != nil {
			return fmt.Errorf("store: record survey answer: %w", err)
		}
		now := time.Now().UTC()
		if err := tx.Create(&responseRow{LetterID: l.ID, CampaignID: l.CampaignID, BioguideID: l.BioguideID, Source: SourceSurvey,
			Kind: "survey", Substance: substance, Answer: answer, Note: note, OccurredAt: now, CreatedAt: now}).Error; err != nil {
			return fmt.Errorf("store: record survey answer: %w", err)
		}
		if !tracking.IsReply(substance) {
			return nil
		}
		return officeReply(tx, l.ID, "the office replied (survey answer)", now)
	})
	if err != nil {
		return err
	}
	return s.refreshRollups(ctx, l.CampaignID, l.BioguideID, l.OfficeCode, 0, nil)
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
		return refuse("kind", "kind must be one of %s", strings.Join(ResponseKinds, ", "))
	case !tracking.IsReply(r.Substance):
		return refuse("substance", "substance must be substantive, acknowledgement or refusal")
	case len([]rune(r.Note)) > MaxResponseNote:
		return refuse("note", "the note is longer than %d characters", MaxResponseNote)
	case strings.ContainsAny(r.Note, "<>"):
		return refuse("note", "the note must be plain text (no < or >)")
	case r.OccurredAt.IsZero():
		return refuse("date", "the date is required")
	case r.OccurredAt.After(time.Now().Add(24 * time.Hour)):
		return refuse("date", "the date is in the future")
	case !r.AllOpen && r.LetterID <= 0:
		return refuse("letter_id", "name a letter, or apply to all open letters of an office")
	case r.AllOpen && (r.CampaignID <= 0 || r.BioguideID == ""):
		return refuse("bioguide_id", "an office-level response needs a campaign and an office")
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
			return fmt.Errorf("store: log response: %w", err)
		}
		if len(letters) == 0 {
			if r.AllOpen {
				return refuse("bioguide_id", "this office has no open letters in the campaign")
			}
			return ErrNotFound
		}
		rows := make([]responseRow, 0, len(letters))
		for _, l := range letters {
			rows = append(rows, responseRow{LetterID: l.ID, CampaignID: l.CampaignID, BioguideID: l.BioguideID, Source: SourceStaff,
				Kind: r.Kind, Substance: r.Substance, Note: r.Note, Batch: batch, OccurredAt: occurred, CreatedAt: now, ActorID: actor})
		}
		if err := tx.CreateInBatches(rows, 500).Error; err != nil {
			return fmt.Errorf("store: log response: %w", err)
		}
		n, campaignID, bioguide, office = len(rows), letters[0].CampaignID, letters[0].BioguideID, letters[0].OfficeCode
		// The office replied: no second letter goes to it.
		if err := stopSecondLetters(tx, campaignID, bioguide, "the office replied (logged by staff)", now); err != nil {
			return err
		}
		a.ObjectType, a.ObjectID = "response", strconv.FormatInt(rows[0].ID, 10)
		a.Detail = fmt.Sprintf("%s %s, %d letter(s) of %s in campaign %d", r.Kind, r.Substance, n, bioguide, campaignID)
		return writeAudit(tx, a)
	})
	if err != nil {
		return 0, err
	}
	return n, s.refreshRollups(ctx, campaignID, bioguide, office, 0, nil)
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
