package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Submission is one supporter's action on a campaign. Personal data is in
// Sealed (opened by the seal package); EmailIndex finds repeats.
type Submission struct {
	ID          int64
	CampaignID  int64
	EmailIndex  string
	Sealed      string
	Lang        string
	IPHash      string
	Status      string // pending, confirmed, erased
	CreatedAt   time.Time
	ConfirmedAt *time.Time
}

type submissionRow struct {
	ID          int64 `gorm:"primaryKey"`
	CampaignID  int64
	EmailIndex  string
	Sealed      string
	Lang        string
	IPHash      string
	Status      string
	CreatedAt   time.Time
	ConfirmedAt *time.Time
	ErasedAt    *time.Time
}

func (submissionRow) TableName() string { return "submissions" }

func (r submissionRow) submission() Submission {
	return Submission{ID: r.ID, CampaignID: r.CampaignID, EmailIndex: r.EmailIndex, Sealed: r.Sealed, Lang: r.Lang, IPHash: r.IPHash,
		Status: r.Status, CreatedAt: r.CreatedAt, ConfirmedAt: r.ConfirmedAt}
}

// NewLetter is a rendered letter to store. Sealed holds the text and the
// constituent (personal data); the rest is what delivery and metrics need.
type NewLetter struct {
	CampaignID     int64
	SubmissionID   int64
	BioguideID     string
	OfficeCode     string
	Chamber        string
	State          string
	District       *int
	Party          string
	TemplateVer    int `gorm:"column:template_version"`
	StatsReleaseID *int64
	// Seal is called with the new row's id so the ciphertext can be bound
	// to it.
	Seal       func(id int64) (string, error)
	DeliveryID string
	ReplyToken string
	// Kind is LetterFirst (the default) or LetterSecond; FollowupOf is the
	// first letter a second letter follows.
	Kind       string
	FollowupOf *int64
	// EmailIndex is the blind index of the supporter's email; empty: the
	// submission's (looked up when the letter is stored).
	EmailIndex string
}

// Letter kinds: a supporter's own letter, and the second letter sent on
// their behalf to an office that did not reply.
const (
	LetterFirst  = "first"
	LetterSecond = "second"
)

// Letter is a stored letter.
type Letter struct {
	ID             int64
	CampaignID     int64
	SubmissionID   int64
	BioguideID     string
	OfficeCode     string
	Chamber        string
	State          string
	District       *int
	Party          string
	TemplateVer    int `gorm:"column:template_version"`
	StatsReleaseID *int64
	Sealed         string
	DeliveryID     string
	ReplyToken     string
	Status         string
	Channel        string
	Attempts       int
	ProviderID     string
	LastError      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	SendingSince   *time.Time
	SentAt         *time.Time
	DeliveredAt    *time.Time
	Kind           string `gorm:"default:first"`
	FollowupOf     *int64
	// QuotesSynthetic: the letter quotes a synthetic (demonstration)
	// statistics release. Read by LettersByIDs only (a join); never written.
	QuotesSynthetic bool `gorm:"->;column:quotes_synthetic"`
}

func (Letter) TableName() string { return "letters" }

// LetterEvent is one line of a letter's timeline.
type LetterEvent struct {
	ID       int64 `gorm:"primaryKey"`
	LetterID int64
	At       time.Time
	Kind     string // created, attempt, sent, retry, failed, event, requeue, held
	Channel  string
	Status   string
	Detail   string
}

func (LetterEvent) TableName() string { return "letter_events" }

// Enqueue is called inside the transaction that stores letters, with the
// transaction's *sql.Tx, so letters and their jobs commit together.
type Enqueue func(ctx context.Context, tx *sql.Tx, letterIDs []int64) error

// sqlTx digs the *sql.Tx out of a GORM transaction (for River's InsertTx).
func sqlTx(tx *gorm.DB) (*sql.Tx, error) {
	t, ok := tx.Statement.ConnPool.(*sql.Tx)
	if !ok {
		return nil, errors.New("store: not inside a transaction")
	}
	return t, nil
}

// SubmissionLimit caps the submissions whose Column ("email_index" or
// "ip_hash") equals Value created since Since at Max.
type SubmissionLimit struct {
	Column, Value string
	Max           int64
	Since         time.Time
}

// LimitError is a submission refused because a limit was reached.
type LimitError struct{ Column string }

func (e *LimitError) Error() string { return "store: too many submissions by " + e.Column }

// CreateSubmission stores a pending submission (created now, unless
// sub.CreatedAt is set); seal receives its id. Each limit is counted and the submission written in one transaction that
// no other submission with the same limited value can interleave with (on
// PostgreSQL a transaction advisory lock per value, taken in one order;
// SQLite has one writer), so n parallel requests against a limit of m
// store at most m. A reached limit answers a *LimitError.
func (s *Store) CreateSubmission(ctx context.Context, sub Submission, seal func(id int64) (string, error), limits ...SubmissionLimit) (Submission, error) {
	return s.CreateSubmissionMail(ctx, sub, seal, nil, limits...)
}

// CreateSubmissionMail is CreateSubmission that, when confirm is set, also
// queues the submission's confirmation email with the job that sends it,
// in the same transaction: the email exists if and only if the submission
// does.
func (s *Store) CreateSubmissionMail(ctx context.Context, sub Submission, seal func(id int64) (string, error), confirm MailEnqueue, limits ...SubmissionLimit) (Submission, error) {
	for _, l := range limits {
		if l.Column != "ip_hash" && l.Column != "email_index" {
			return Submission{}, errors.New("store: unknown rate-limit column")
		}
	}
	limits = slices.Clone(limits)
	slices.SortFunc(limits, func(a, b SubmissionLimit) int {
		return strings.Compare(a.Column+":"+a.Value, b.Column+":"+b.Value)
	})
	created := sub.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	row := submissionRow{CampaignID: sub.CampaignID, EmailIndex: sub.EmailIndex, Sealed: "-", Lang: sub.Lang, IPHash: sub.IPHash,
		Status: "pending", CreatedAt: created.UTC()}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		for _, l := range limits {
			if s.dialect == Postgres {
				if err := tx.Exec("SELECT pg_advisory_xact_lock(?, hashtext(?))", submissionLockClass, l.Column+":"+l.Value).Error; err != nil {
					return err
				}
			}
			var n int64
			if err := tx.Model(&submissionRow{}).Where(l.Column+" = ? AND created_at >= ?", l.Value, l.Since.UTC()).Count(&n).Error; err != nil {
				return err
			}
			if n >= l.Max {
				return &LimitError{Column: l.Column}
			}
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		sealed, err := seal(row.ID)
		if err != nil {
			return err
		}
		row.Sealed = sealed
		if err := tx.Model(&submissionRow{}).Where("id = ?", row.ID).Update("sealed", sealed).Error; err != nil {
			return err
		}
		if confirm == nil {
			return nil
		}
		_, err = queueMailTx(ctx, tx, row.ID, []string{MailConfirm}, row.Lang, row.CreatedAt, confirm)
		return err
	})
	return row.submission(), err
}

// submissionLockClass is the first key of the advisory locks that
// serialize submissions per email and per client (the two-key form, so
// they never meet single-key locks such as the migration lock).
const submissionLockClass = 0x6f72

// SubmissionByID loads a submission.
func (s *Store) SubmissionByID(ctx context.Context, id int64) (Submission, error) {
	var r submissionRow
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Submission{}, ErrNotFound
	}
	return r.submission(), err
}

// CreateLetters stores letters and enqueues their delivery in one
// transaction: either all of them exist with their jobs, or none does. A
// letter that would repeat one already stored is skipped (returned ids
// cover only new letters): the same submission, office and kind, or a
// first letter from the same email to the same office on the campaign.
func (s *Store) CreateLetters(ctx context.Context, letters []NewLetter, enqueue Enqueue) ([]int64, error) {
	var ids []int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var err error
		ids, _, err = createLettersTx(ctx, tx, letters, enqueue)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// createLettersTx stores letters and enqueues the new ones. It returns the
// ids written and, for each of letters (in the caller's order), whether
// it was written: the database skips a repeat (ON CONFLICT DO NOTHING on
// the unique indexes), so two transactions writing the same supporter's
// letter to the same office at once store it once, whichever commits
// first, and the other learns which of its letters were not written.
func createLettersTx(ctx context.Context, tx *gorm.DB, letters []NewLetter, enqueue Enqueue) ([]int64, []bool, error) {
	if len(letters) == 0 {
		return nil, nil, nil
	}
	ls, err := withEmailIndexes(tx, letters)
	if err != nil {
		return nil, nil, err
	}
	// Ids are taken up front, in the caller's order, so that each
	// ciphertext can be bound to its row and every letter written by one
	// INSERT (no INSERT then UPDATE).
	ids, err := reserveLetterIDs(tx, len(ls))
	if err != nil {
		return nil, nil, err
	}
	sealed, err := sealAll(ls, ids)
	if err != nil {
		return nil, nil, err
	}
	// Rows go in in one order (campaign, email, office) so that two
	// transactions inserting overlapping letters wait for each other
	// instead of deadlocking.
	order := make([]int, len(ls))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		x, y := ls[a], ls[b]
		if c := cmpInt(x.CampaignID, y.CampaignID); c != 0 {
			return c
		}
		if c := strings.Compare(x.EmailIndex, y.EmailIndex); c != 0 {
			return c
		}
		return strings.Compare(x.BioguideID, y.BioguideID)
	})
	now := time.Now().UTC()
	var created []int64
	for i := 0; i < len(order); i += letterInsertBatch {
		batch := order[i:min(i+letterInsertBatch, len(order))]
		got, err := insertLetters(tx, ls, ids, sealed, batch, now)
		if err != nil {
			return nil, nil, err
		}
		created = append(created, got...)
	}
	slices.Sort(created)
	written := make([]bool, len(ls))
	for i, id := range ids {
		_, written[i] = slices.BinarySearch(created, id)
	}
	if len(created) == 0 {
		return nil, written, nil
	}
	events := make([]LetterEvent, len(created))
	for i, id := range created {
		events[i] = LetterEvent{LetterID: id, At: now, Kind: "created", Status: "pending"}
	}
	if err := tx.CreateInBatches(events, 1000).Error; err != nil {
		return nil, nil, err
	}
	if enqueue == nil {
		return created, written, nil
	}
	stx, err := sqlTx(tx)
	if err != nil {
		return nil, nil, err
	}
	return created, written, enqueue(ctx, stx, created)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// withEmailIndexes returns a copy of letters in which every letter has
// its supporter's email index: the caller's, or its submission's (none
// for an erased submission: its letters are no repeat of anything).
func withEmailIndexes(tx *gorm.DB, letters []NewLetter) ([]NewLetter, error) {
	ls := slices.Clone(letters)
	var missing []int64
	for _, l := range ls {
		if l.EmailIndex == "" && !slices.Contains(missing, l.SubmissionID) {
			missing = append(missing, l.SubmissionID)
		}
	}
	if len(missing) == 0 {
		return ls, nil
	}
	var rows []submissionRow
	if err := tx.Select("id", "email_index").Where("id IN ? AND status <> 'erased'", missing).Find(&rows).Error; err != nil {
		return nil, err
	}
	idx := make(map[int64]string, len(rows))
	for _, r := range rows {
		idx[r.ID] = r.EmailIndex
	}
	for i := range ls {
		if ls[i].EmailIndex == "" {
			ls[i].EmailIndex = idx[ls[i].SubmissionID]
		}
	}
	return ls, nil
}

// letterInsertBatch rows per INSERT: 20 parameters each stays far below
// both databases' limits on parameters per statement.
const letterInsertBatch = 500

// reserveLetterIDs takes n letter ids. PostgreSQL draws them from the
// sequence in one round trip; SQLite has one writer, and the transaction
// holds the write lock (_txlock=immediate), so the next ids are free.
func reserveLetterIDs(tx *gorm.DB, n int) ([]int64, error) {
	ids := make([]int64, 0, n)
	if tx.Dialector.Name() == "postgres" {
		ids, err := scanIDs(tx.Raw("SELECT nextval(pg_get_serial_sequence('letters', 'id')) FROM generate_series(1, ?)", n))
		if err == nil && len(ids) != n {
			err = fmt.Errorf("store: reserved %d of %d letter ids", len(ids), n)
		}
		return ids, err
	}
	var next int64
	err := tx.Raw("SELECT MAX(n) + 1 FROM (SELECT COALESCE(MAX(id), 0) AS n FROM letters UNION ALL SELECT seq FROM sqlite_sequence WHERE name = 'letters') AS t").
		Scan(&next).Error
	if err != nil {
		return nil, err
	}
	for i := range n {
		ids = append(ids, next+int64(i))
	}
	return ids, nil
}

// sealAll encrypts the letters, bound to their ids. Sealing is most of the
// CPU of storing a letter, so large batches use every core.
func sealAll(letters []NewLetter, ids []int64) ([]string, error) {
	out := make([]string, len(letters))
	workers := min(runtime.GOMAXPROCS(0), len(letters)/64+1)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(letters); i += workers {
				s, err := letters[i].Seal(ids[i])
				if err != nil {
					errs[w] = err
					return
				}
				out[i] = s
			}
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// insertLetters writes the letters at positions rows (with their ids and
// ciphertexts at the same positions) in one statement and returns
// the ids actually written: a letter that would repeat one already stored
// (the same submission, office and kind; a first letter of the same email
// to the same office on the campaign; a second second letter) is skipped.
func insertLetters(tx *gorm.DB, letters []NewLetter, ids []int64, sealed []string, rows []int, now time.Time) ([]int64, error) {
	var b strings.Builder
	b.WriteString("INSERT INTO letters (id, campaign_id, submission_id, bioguide_id, office_code, chamber, state, district, party, " +
		"template_version, stats_release_id, sealed, delivery_id, reply_token, status, created_at, updated_at, kind, followup_of, email_index) VALUES ")
	args := make([]any, 0, len(rows)*20)
	for k, i := range rows {
		nl := letters[i]
		if k > 0 {
			b.WriteByte(',')
		}
		kind := nl.Kind
		if kind == "" {
			kind = LetterFirst
		}
		var emailIdx *string
		if nl.EmailIndex != "" {
			emailIdx = &nl.EmailIndex
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
		args = append(args, ids[i], nl.CampaignID, nl.SubmissionID, nl.BioguideID, nl.OfficeCode, nl.Chamber, nl.State, nl.District,
			nl.Party, nl.TemplateVer, nl.StatsReleaseID, sealed[i], nl.DeliveryID, nl.ReplyToken, "pending", now, now, kind, nl.FollowupOf, emailIdx)
	}
	b.WriteString(" ON CONFLICT DO NOTHING RETURNING id")
	return scanIDs(tx.Raw(b.String(), args...))
}

// scanIDs reads a one-column result of ids. It uses Rows, not Scan: GORM's
// Scan formats the statement with every parameter for its logger even when
// nothing is logged, which cost a quarter of a large insert's CPU.
func scanIDs(q *gorm.DB) ([]int64, error) {
	rows, err := q.Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// LetterByID loads one letter.
func (s *Store) LetterByID(ctx context.Context, id int64) (Letter, error) {
	var l Letter
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&l).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Letter{}, ErrNotFound
	}
	return l, err
}

// LetterByReplyToken finds the letter a reply was addressed to.
func (s *Store) LetterByReplyToken(ctx context.Context, token string) (Letter, error) {
	var l Letter
	err := s.db.WithContext(ctx).Where("reply_token = ?", token).Take(&l).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Letter{}, ErrNotFound
	}
	return l, err
}

// LettersByIDs loads letters by id; ids that do not exist are absent from
// the map. Delivery workers load the letters of many jobs at once.
func (s *Store) LettersByIDs(ctx context.Context, ids []int64) (map[int64]Letter, error) {
	var ls []Letter
	err := s.db.WithContext(ctx).Table("letters").
		Select("letters.*, COALESCE(r.synthetic, ?) AS quotes_synthetic", false).
		Joins("LEFT JOIN stats_releases r ON r.id = letters.stats_release_id").
		Where("letters.id IN ?", ids).Find(&ls).Error
	if err != nil {
		return nil, err
	}
	out := make(map[int64]Letter, len(ls))
	for _, l := range ls {
		out[l.ID] = l
	}
	return out, nil
}

// Claim asks to move a letter to "sending" on a channel.
type Claim struct {
	ID      int64
	Channel string
	At      time.Time
	// Attempts is the letter's attempt count when the worker read it: the
	// claim fails if another worker claimed the letter since (a letter in
	// a retried batch and in a job of its own). -1 claims whatever it is.
	Attempts int
}

// ClaimForSending moves a letter to "sending" with an attempt on its
// timeline, before the provider is called, so a crash leaves evidence.
// It answers false when the letter is already past sending (done by
// another worker, or finished).
func (s *Store) ClaimForSending(ctx context.Context, id int64, channel string, now time.Time) (bool, error) {
	got, err := s.ClaimManyForSending(ctx, []Claim{{ID: id, Channel: channel, At: now, Attempts: -1}})
	return got[id], err
}

// ClaimManyForSending is ClaimForSending for many letters in one
// transaction (one UPDATE per channel and one INSERT of the attempts); the
// map says which letters were claimed.
func (s *Store) ClaimManyForSending(ctx context.Context, claims []Claim) (map[int64]bool, error) {
	claimed := map[int64]bool{}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		clear(claimed)
		var events []LetterEvent
		for ch, group := range groupBy(claims, func(c Claim) string { return c.Channel }) {
			ids, at := make([]int64, len(group)), time.Time{}
			var seen strings.Builder
			var seenArgs []any
			seen.WriteString("CASE id")
			for i, c := range group {
				ids[i] = c.ID
				at = latest(at, c.At)
				if c.Attempts < 0 {
					seen.WriteString(" WHEN ? THEN attempts")
					seenArgs = append(seenArgs, c.ID)
				} else {
					seen.WriteString(" WHEN ? THEN CAST(? AS INTEGER)")
					seenArgs = append(seenArgs, c.ID, c.Attempts)
				}
			}
			seen.WriteString(" END")
			args := append([]any{"sending", ch, at, at, ids, []string{"pending", "queued", "sending"}}, seenArgs...)
			got, err := scanIDs(tx.Raw("UPDATE letters SET status = ?, channel = ?, attempts = attempts + 1, sending_since = ?, updated_at = ? "+
				"WHERE id IN ? AND status IN ? AND attempts = "+seen.String()+" RETURNING id", args...))
			if err != nil {
				return err
			}
			for _, id := range got {
				claimed[id] = true
			}
			for _, c := range group {
				if claimed[c.ID] {
					events = append(events, LetterEvent{LetterID: c.ID, At: c.At.UTC(), Kind: "attempt", Channel: ch, Status: "sending"})
				}
			}
		}
		if len(events) == 0 {
			return nil
		}
		return tx.Create(&events).Error
	})
	return claimed, err
}

// Sent is a provider's acceptance of one letter.
type Sent struct {
	ID         int64
	Channel    string
	ProviderID string
	Detail     string
	Delivered  bool // the provider reported delivery with its acceptance
	Kept       bool // kept in the outbox: status "outbox", it reached no office
	At         time.Time
}

// MarkSent records the provider's acceptance (delivered for channels that
// deliver on acceptance, like the outbox).
func (s *Store) MarkSent(ctx context.Context, id int64, channel, providerID, detail string, delivered bool, now time.Time) error {
	return s.MarkManySent(ctx, []Sent{{ID: id, Channel: channel, ProviderID: providerID, Detail: detail, Delivered: delivered, At: now}})
}

// MarkManySent is MarkSent for many letters in one transaction. A letter
// that a webhook already moved further is left as it is (the attempt's
// answer still goes on its timeline).
func (s *Store) MarkManySent(ctx context.Context, sent []Sent) error {
	type key struct {
		channel         string
		delivered, kept bool
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		events := make([]LetterEvent, 0, len(sent))
		for k, group := range groupBy(sent, func(x Sent) key { return key{x.Channel, x.Delivered && !x.Kept, x.Kept} }) {
			status := "sent"
			switch {
			case k.kept:
				status = "outbox"
			case k.delivered:
				status = "delivered"
			}
			var at time.Time
			ids := make([]int64, len(group))
			var pid strings.Builder
			args := []any{status, k.channel}
			pid.WriteString("CASE id")
			for i, x := range group {
				ids[i] = x.ID
				at = latest(at, x.At)
				pid.WriteString(" WHEN ? THEN ?")
				args = append(args, x.ID, x.ProviderID)
				events = append(events, LetterEvent{LetterID: x.ID, At: x.At.UTC(), Kind: "sent", Channel: k.channel, Status: status, Detail: x.Detail})
			}
			pid.WriteString(" END")
			set := "status = ?, channel = ?, provider_id = " + pid.String() + ", sent_at = ?, updated_at = ?, last_error = '', sending_since = NULL"
			args = append(args, at, at)
			if k.delivered {
				set += ", delivered_at = ?"
				args = append(args, at)
			}
			pidArgs := slices.Clone(args[2 : 2+2*len(group)])
			args = append(args, ids, []string{"pending", "queued", "sending"})
			if err := tx.Exec("UPDATE letters SET "+set+" WHERE id IN ? AND status IN ?", args...).Error; err != nil {
				return err
			}
			// A webhook event that arrived before the acceptance was recorded
			// moved the letter on already: keep its status, learn the
			// provider's id.
			pidArgs = append(pidArgs, ids, []string{"pending", "queued", "sending"})
			if err := tx.Exec("UPDATE letters SET provider_id = "+pid.String()+" WHERE id IN ? AND status NOT IN ? AND provider_id = ''", pidArgs...).Error; err != nil {
				return err
			}
		}
		if len(events) == 0 {
			return nil
		}
		return tx.Create(&events).Error
	})
}

// groupBy splits items by a key, keeping their order within each group.
func groupBy[T any, K comparable](items []T, key func(T) K) map[K][]T {
	out := map[K][]T{}
	for _, it := range items {
		k := key(it)
		out[k] = append(out[k], it)
	}
	return out
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b.UTC()
	}
	return a.UTC()
}

// MarkRetry records a failed attempt that will be retried.
func (s *Store) MarkRetry(ctx context.Context, id int64, channel, detail string, now time.Time) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&Letter{}).Where("id = ? AND status = ?", id, "sending").Updates(map[string]any{
			"status": "queued", "last_error": detail, "updated_at": now.UTC(), "sending_since": nil}).Error; err != nil {
			return err
		}
		return tx.Create(&LetterEvent{LetterID: id, At: now.UTC(), Kind: "retry", Channel: channel, Status: "queued", Detail: detail}).Error
	})
}

// MarkFailed gives up on a letter; staff can requeue it.
func (s *Store) MarkFailed(ctx context.Context, id int64, channel, detail string, now time.Time) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&Letter{}).Where("id = ? AND status IN ?", id, []string{"pending", "queued", "sending"}).Updates(map[string]any{
			"status": "failed", "last_error": detail, "updated_at": now.UTC(), "sending_since": nil}).Error; err != nil {
			return err
		}
		return tx.Create(&LetterEvent{LetterID: id, At: now.UTC(), Kind: "failed", Channel: channel, Status: "failed", Detail: detail}).Error
	})
}

// NoteEvent adds a line to a letter's timeline without changing it.
func (s *Store) NoteEvent(ctx context.Context, letterID int64, kind, channel, detail string, at time.Time) error {
	return s.db.WithContext(ctx).Create(&LetterEvent{LetterID: letterID, At: at.UTC(), Kind: kind, Channel: channel, Detail: detail}).Error
}

// MarkHeld records that a letter waits for its office's pacing window.
func (s *Store) MarkHeld(ctx context.Context, id int64, detail string, now time.Time) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&Letter{}).Where("id = ? AND status = ?", id, "pending").Updates(map[string]any{"status": "queued", "updated_at": now.UTC()})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		return tx.Create(&LetterEvent{LetterID: id, At: now.UTC(), Kind: "held", Status: "queued", Detail: detail}).Error
	})
}

// Requeue puts failed (or bounced, dropped) letters back to pending and
// enqueues them again, in one transaction. It returns the ids requeued.
func (s *Store) Requeue(ctx context.Context, ids []int64, enqueue Enqueue, a Audit) ([]int64, error) {
	var done []int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := time.Now().UTC()
		for _, id := range ids {
			res := tx.Model(&Letter{}).Where("id = ? AND status IN ?", id, []string{"failed", "bounced", "dropped"}).
				Updates(map[string]any{"status": "pending", "last_error": "", "updated_at": now})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				continue
			}
			if err := tx.Create(&LetterEvent{LetterID: id, At: now, Kind: "requeue", Status: "pending"}).Error; err != nil {
				return err
			}
			done = append(done, id)
		}
		if len(done) == 0 {
			return nil
		}
		a.ObjectType, a.ObjectID = "letters", joinIDs(done)
		if err := writeAudit(tx, a); err != nil {
			return err
		}
		stx, err := sqlTx(tx)
		if err != nil {
			return err
		}
		return enqueue(ctx, stx, done)
	})
	return done, err
}

func joinIDs(ids []int64) string {
	parts := make([]string, 0, len(ids))
	for i, id := range ids {
		if i == 20 {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, strconv.FormatInt(id, 10))
	}
	return strings.Join(parts, ",")
}

// LetterFilter selects letters for the deliveries view.
type LetterFilter struct {
	CampaignID int64
	Status     string
	OfficeCode string
	Channel    string
	BeforeID   int64
	Limit      int
}

// Letters lists letters newest first (no personal data is decrypted here).
func (s *Store) Letters(ctx context.Context, f LetterFilter) ([]Letter, error) {
	q := s.db.WithContext(ctx).Order("id DESC")
	if f.CampaignID != 0 {
		q = q.Where("campaign_id = ?", f.CampaignID)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.OfficeCode != "" {
		q = q.Where("office_code = ?", f.OfficeCode)
	}
	if f.Channel != "" {
		q = q.Where("channel = ?", f.Channel)
	}
	if f.BeforeID != 0 {
		q = q.Where("id < ?", f.BeforeID)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	var out []Letter
	err := q.Limit(f.Limit).Find(&out).Error
	return out, err
}

// LetterCounts counts letters per status (for a campaign, or all).
func (s *Store) LetterCounts(ctx context.Context, campaignID int64) (map[string]int64, error) {
	type row struct {
		Status string
		N      int64
	}
	var rows []row
	q := s.db.WithContext(ctx).Model(&Letter{}).Select("status, COUNT(*) AS n").Group("status")
	if campaignID != 0 {
		q = q.Where("campaign_id = ?", campaignID)
	}
	if err := q.Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// Timeline returns a letter's events in order.
func (s *Store) Timeline(ctx context.Context, letterID int64) ([]LetterEvent, error) {
	var ev []LetterEvent
	err := s.db.WithContext(ctx).Where("letter_id = ?", letterID).Order("id").Find(&ev).Error
	return ev, err
}

// OfficeSentSince counts letters handed to an office since t, for the
// per-office hourly cap.
func (s *Store) OfficeSentSince(ctx context.Context, officeCode string, since time.Time) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Letter{}).Where("office_code = ? AND sent_at >= ?", officeCode, since.UTC()).Count(&n).Error
	return n, err
}

// OutboxMessage is a message kept by the outbox channel.
type OutboxMessage struct {
	ID       int64 `gorm:"primaryKey"`
	LetterID *int64
	Kind     string // letter, supporter, staff
	// EmailIndex is the blind index of an email's recipient (delete-my-data
	// finds a supporter's emails by it); "" for letters, which are found by
	// LetterID; nil for rows not indexed yet (IndexLegacyOutbox).
	EmailIndex *string
	Sealed     string
	CreatedAt  time.Time
}

func (OutboxMessage) TableName() string { return "outbox_messages" }

// PutOutboxLetter stores a letter's message in the outbox once: a second
// call for the same letter (a retry after a crash) returns the first id.
func (s *Store) PutOutboxLetter(ctx context.Context, letterID int64, seal func(id int64) (string, error)) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var existing OutboxMessage
		err := tx.Where("letter_id = ?", letterID).Take(&existing).Error
		if err == nil {
			id = existing.ID
			return nil
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		lid := letterID
		none := ""
		m := OutboxMessage{LetterID: &lid, Kind: "letter", EmailIndex: &none, Sealed: "-", CreatedAt: time.Now().UTC()}
		if err := tx.Create(&m).Error; err != nil {
			return err
		}
		sealed, err := seal(m.ID)
		if err != nil {
			return err
		}
		id = m.ID
		return tx.Model(&OutboxMessage{}).Where("id = ?", m.ID).Update("sealed", sealed).Error
	})
	return id, err
}

// AddOutbox stores a non-letter email (supporter or staff) in the outbox,
// under the blind index of its recipient's address.
func (s *Store) AddOutbox(ctx context.Context, kind, emailIndex string, seal func(id int64) (string, error)) (int64, error) {
	m := OutboxMessage{Kind: kind, EmailIndex: &emailIndex, Sealed: "-", CreatedAt: time.Now().UTC()}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&m).Error; err != nil {
			return err
		}
		sealed, err := seal(m.ID)
		if err != nil {
			return err
		}
		return tx.Model(&OutboxMessage{}).Where("id = ?", m.ID).Update("sealed", sealed).Error
	})
	return m.ID, err
}

// ReadOutboxMessage returns one outbox message for a staff member to read
// in clear, and records the read (who, which message; never the content)
// in the audit log in the same transaction: no audit entry, no message.
func (s *Store) ReadOutboxMessage(ctx context.Context, id int64, a Audit) (OutboxMessage, error) {
	var m OutboxMessage
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", id).Take(&m).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return err
		}
		a.ObjectType, a.ObjectID = "outbox_message", strconv.FormatInt(id, 10)
		return writeAudit(tx, a)
	})
	return m, err
}

// Outbox lists messages newest first.
func (s *Store) Outbox(ctx context.Context, kind string, beforeID int64, limit int) ([]OutboxMessage, error) {
	q := s.db.WithContext(ctx).Order("id DESC")
	if kind != "" {
		q = q.Where("kind = ?", kind)
	}
	if beforeID > 0 {
		q = q.Where("id < ?", beforeID)
	}
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	var out []OutboxMessage
	err := q.Limit(limit).Find(&out).Error
	return out, err
}

// ApplyProviderEvent applies a provider's event once: a repeated event id
// changes nothing (answers false). newStatus may be "" to only record.
func (s *Store) ApplyProviderEvent(ctx context.Context, eventID string, letterID int64, event, newStatus, detail string, at time.Time) (bool, error) {
	applied := false
	err := s.tx(ctx, func(tx *gorm.DB) error {
		id := letterID
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&providerEventRow{EventID: eventID, LetterID: &id, Event: event, ReceivedAt: time.Now().UTC()})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		applied = true
		if letterID == 0 {
			return nil
		}
		var l Letter
		if err := tx.Where("id = ?", letterID).Take(&l).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return nil
			}
			return err
		}
		if newStatus != "" && statusRank[newStatus] >= statusRank[l.Status] {
			upd := map[string]any{"status": newStatus, "updated_at": at.UTC(), "sending_since": nil}
			switch newStatus {
			case "sent":
				if l.SentAt == nil {
					upd["sent_at"] = at.UTC()
				}
			case "delivered":
				upd["delivered_at"] = at.UTC()
				if l.SentAt == nil {
					upd["sent_at"] = at.UTC()
				}
			}
			if err := tx.Model(&Letter{}).Where("id = ?", letterID).Updates(upd).Error; err != nil {
				return err
			}
		}
		return tx.Create(&LetterEvent{LetterID: letterID, At: at.UTC(), Kind: "event", Channel: l.Channel, Status: newStatus, Detail: event + detail}).Error
	})
	return applied, err
}

// NoteProviderID records the provider's id of a letter that has none: a
// letter whose acceptance was lost (a crash, an outage) and that the
// provider's event settled.
func (s *Store) NoteProviderID(ctx context.Context, letterID int64, providerID string) error {
	if providerID == "" {
		return nil
	}
	return s.db.WithContext(ctx).Model(&Letter{}).Where("id = ? AND provider_id = ''", letterID).Update("provider_id", providerID).Error
}

// statusRank orders statuses so that late or repeated events never move a
// letter backwards (a "processed" after "delivered" changes nothing).
var statusRank = map[string]int{"pending": 0, "queued": 1, "sending": 2, "sent": 3, "delivered": 4, "bounced": 5, "dropped": 5, "failed": 5, "outbox": 5}

type providerEventRow struct {
	EventID    string `gorm:"primaryKey"`
	LetterID   *int64
	Event      string
	ReceivedAt time.Time
}

func (providerEventRow) TableName() string { return "provider_events" }

// HasProviderEvent tells whether an event of that kind arrived for a letter
// (the crash-recovery check for SendGrid's "processed").
func (s *Store) HasProviderEvent(ctx context.Context, letterID int64, event string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&providerEventRow{}).Where("letter_id = ? AND event = ?", letterID, event).Count(&n).Error
	return n > 0, err
}

type suppressionRow struct {
	EmailIndex string `gorm:"primaryKey"`
	Reason     string
	CreatedAt  time.Time
}

func (suppressionRow) TableName() string { return "email_suppressions" }

// Suppress stops all further email to an address (by blind index).
func (s *Store) Suppress(ctx context.Context, emailIndex, reason string) error {
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&suppressionRow{EmailIndex: emailIndex, Reason: reason, CreatedAt: time.Now().UTC()}).Error
}

// IsSuppressed tells whether an address must not be emailed.
func (s *Store) IsSuppressed(ctx context.Context, emailIndex string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&suppressionRow{}).Where("email_index = ?", emailIndex).Count(&n).Error
	return n > 0, err
}

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
		return DeliverySettings{}, err
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
		return err
	}
	a.Action = "campaign.delivery"
	a.ObjectType, a.ObjectID = "campaign", strconv.FormatInt(d.CampaignID, 10)
	a.Detail = fmt.Sprintf("channels=%s hours=%s %s-%s %s cap=%d", r.Channels, r.OfficeDays, r.OfficeOpen, r.OfficeClose, r.TimeZone, r.OfficeHourlyCap)
	return writeAudit(tx, a)
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
		Where("campaign_id = ? AND sealed <> '' AND status <> ?", campaignID, "failed").Where(packetable).
		Group("office_code, bioguide_id").Order("office_code").Scan(&out).Error
	return out, err
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
	err := s.db.WithContext(ctx).Where("campaign_id = ? AND office_code = ? AND sealed <> '' AND status <> ?", campaignID, officeCode, "failed").
		Where(packetable).Order("id").Limit(limit).Find(&out).Error
	return out, err
}
