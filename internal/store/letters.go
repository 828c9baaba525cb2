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
	"sync/atomic"
	"time"

	"gorm.io/gorm"
)

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
	// Sealed is the letter's text and constituent, kept apart in
	// letter_texts (migration 00037): only the loads that join it
	// (withText) fill it, and no write of a Letter touches it.
	Sealed       string `gorm:"->;column:sealed"`
	DeliveryID   string
	ReplyToken   string
	Status       string
	Channel      string
	Attempts     int
	ProviderID   string
	LastError    string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	SendingSince *time.Time
	SentAt       *time.Time
	DeliveredAt  *time.Time
	Kind         string `gorm:"default:first"`
	FollowupOf   *int64
	// SentStatus and SentDetail are the provider's acceptance of the
	// letter's latest send, its timeline's "sent" line (migration 00038):
	// what it made the letter (sent, delivered, outbox) and the provider's
	// answer; SentStatus is "" when the letter holds none (never accepted,
	// requeued, or accepted before 00038, when the line was a row).
	SentStatus string
	SentDetail string
	// QuotesSynthetic: the letter quotes a synthetic (demonstration)
	// statistics release. Set by LettersByIDs and LettersToSend only; never written.
	QuotesSynthetic bool `gorm:"->;column:quotes_synthetic"`
}

func (Letter) TableName() string { return "letters" }

// withText is a query of letters with their sealed text (Letter.Sealed),
// from letter_texts by primary key. Conditions on the letters' own
// columns need no prefix: letter_texts has only letter_id and sealed.
func withText(q *gorm.DB) *gorm.DB {
	return q.Table("letters").Select("letters.*, COALESCE(letter_texts.sealed, '') AS sealed").
		Joins("LEFT JOIN letter_texts ON letter_texts.letter_id = letters.id")
}

// A letter being sent is stored as it was before its claim ("pending" or
// "queued") with sending_since set: the claim then changes no indexed
// column (no index holds status: migration 00036), so
// PostgreSQL writes it as a heap-only update, without touching the
// letters' indexes; the fill factor of migration 00031 leaves room on
// each page for it. Every reader sees "sending": Letter loads through
// AfterFind, SQL through sendingSQL and foldSending.

// AfterFind gives a claimed letter its status, "sending".
func (l *Letter) AfterFind(*gorm.DB) error {
	l.Status = letterStatus(l.Status, l.SendingSince)
	return nil
}

// letterStatus is a letter's status from its stored status and
// sending_since.
func letterStatus(stored string, sendingSince *time.Time) string {
	if sendingSince != nil && (stored == "pending" || stored == "queued") {
		return "sending"
	}
	return stored
}

// sendingSQL is the SQL of a letter's status (alias: the letters table's
// name or alias in the query).
func sendingSQL(alias string) string {
	return "CASE WHEN " + alias + ".sending_since IS NOT NULL AND " + alias + ".status IN ('pending', 'queued') THEN 'sending' ELSE " + alias + ".status END"
}

// whereStatus filters q (letters under alias) to letters in status.
func whereStatus(q *gorm.DB, alias, status string) *gorm.DB {
	switch status {
	case "sending":
		return q.Where(alias + ".status IN ('pending', 'queued', 'sending') AND " + alias + ".sending_since IS NOT NULL")
	case "pending", "queued":
		return q.Where(alias+".status = ? AND "+alias+".sending_since IS NULL", status)
	case "failed", "bounced", "dropped":
		// problem (generated from status) is what letters_problems holds
		return q.Where(alias+".problem AND "+alias+".status = ?", status)
	}
	return q.Where(alias+".status = ?", status)
}

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

// CreateLetters stores letters and enqueues their delivery in one
// transaction: either all of them exist with their jobs, or none does. A
// letter that would repeat one already stored is skipped (returned ids
// cover only new letters): the same submission, office and kind, or a
// first letter from the same email to the same office on the campaign.
func (s *Store) CreateLetters(ctx context.Context, letters []NewLetter, enqueue Enqueue) ([]int64, error) {
	var ids []int64
	err := s.connTx(ctx, func(tx *gorm.DB, conn *sql.Conn) error {
		var err error
		ids, _, err = createLettersTx(ctx, tx, conn, letters, enqueue)
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
// With conn (PostgreSQL, the transaction's connection) a large batch goes
// in by COPY (see copyLetters).
func createLettersTx(ctx context.Context, tx *gorm.DB, conn *sql.Conn, letters []NewLetter, enqueue Enqueue) ([]int64, []bool, error) {
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
	// Sealing (most of the CPU of storing a letter) runs on every core,
	// in the order the rows are written, while COPY streams them.
	seals := startSealing(ls, ids, order)
	now := time.Now().UTC()
	var created []int64
	copied := false
	if conn != nil && len(order) >= copyLettersFrom {
		if created, copied, err = copyLetters(ctx, tx, conn, ls, ids, seals, order, now); err != nil {
			_, _ = seals.all()
			return nil, nil, err
		}
	}
	if !copied {
		sealed, err := seals.all()
		if err != nil {
			return nil, nil, err
		}
		pos := make(map[int64]int, len(ids))
		for i, id := range ids {
			pos[id] = i
		}
		for i := 0; i < len(order); i += letterInsertBatch {
			batch := order[i:min(i+letterInsertBatch, len(order))]
			got, err := insertLetters(tx, ls, ids, batch, now)
			if err != nil {
				return nil, nil, err
			}
			if err := insertTexts(tx, got, func(id int64) string { return sealed[pos[id]] }); err != nil {
				return nil, nil, err
			}
			created = append(created, got...)
		}
	}
	slices.Sort(created)
	written := make([]bool, len(ls))
	for i, id := range ids {
		_, written[i] = slices.BinarySearch(created, id)
	}
	if len(created) == 0 {
		return nil, written, nil
	}
	// No "created" line is stored: the timeline reads it from the letter
	// (Timeline), and the dashboards find new letters by id
	// (RefreshChangedRollups). It was a quarter of fan-out's database work.
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
		return nil, fmt.Errorf("store: with email indexes: %w", err)
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

// letterInsertBatch rows per INSERT: 19 parameters each stays far below
// both databases' limits on parameters per statement.
const letterInsertBatch = 500

// sealing encrypts letters, bound to their ids, on every core, a chunk
// of rows at a time in the order they are written, so that a consumer
// (COPY) can take each row as soon as its chunk is sealed.
type sealing struct {
	out  []string // by letter index
	errs []error  // by chunk
	done []chan struct{}
	wg   sync.WaitGroup
}

const sealChunk = 32

func startSealing(letters []NewLetter, ids []int64, rows []int) *sealing {
	chunks := (len(rows) + sealChunk - 1) / sealChunk
	p := &sealing{out: make([]string, len(letters)), errs: make([]error, chunks), done: make([]chan struct{}, chunks)}
	for c := range p.done {
		p.done[c] = make(chan struct{})
	}
	var next atomic.Int64
	for range min(runtime.GOMAXPROCS(0), chunks) {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks {
					return
				}
				for _, i := range rows[c*sealChunk : min((c+1)*sealChunk, len(rows))] {
					s, err := letters[i].Seal(ids[i])
					if err != nil {
						p.errs[c] = err
						break
					}
					p.out[i] = s
				}
				close(p.done[c])
			}
		}()
	}
	return p
}

// row waits for the k-th row's chunk and returns its ciphertext.
func (p *sealing) row(k, i int) (string, error) {
	c := k / sealChunk
	<-p.done[c]
	return p.out[i], p.errs[c]
}

// all waits for every letter and returns the ciphertexts by letter index.
func (p *sealing) all() ([]string, error) {
	p.wg.Wait()
	return p.out, errors.Join(p.errs...)
}

// insertLetters writes the letters at positions rows (with their ids at
// the same positions) in one statement and returns the ids actually
// written (their texts are the caller's: insertTexts): a letter that would repeat one already stored
// (the same submission, office and kind; a first letter of the same email
// to the same office on the campaign; a second second letter) is skipped.
func insertLetters(tx *gorm.DB, letters []NewLetter, ids []int64, rows []int, now time.Time) ([]int64, error) {
	var b strings.Builder
	b.WriteString("INSERT INTO letters (id, campaign_id, submission_id, bioguide_id, office_code, chamber, state, district, party, " +
		"template_version, stats_release_id, delivery_id, reply_token, status, created_at, updated_at, kind, followup_of, email_index) VALUES ")
	args := make([]any, 0, len(rows)*19)
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
		b.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
		args = append(args, ids[i], nl.CampaignID, nl.SubmissionID, nl.BioguideID, nl.OfficeCode, nl.Chamber, nl.State, nl.District,
			nl.Party, nl.TemplateVer, nl.StatsReleaseID, nl.DeliveryID, nl.ReplyToken, "pending", now, now, kind, nl.FollowupOf, emailIdx)
	}
	b.WriteString(" ON CONFLICT DO NOTHING RETURNING id")
	return scanIDs(tx.Raw(b.String(), args...))
}

// insertTexts writes the sealed texts of the letters ids (letter_texts:
// migration 00037), letterInsertBatch to a statement.
func insertTexts(tx *gorm.DB, ids []int64, sealed func(id int64) string) error {
	for i := 0; i < len(ids); i += letterInsertBatch {
		batch := ids[i:min(i+letterInsertBatch, len(ids))]
		var b strings.Builder
		b.WriteString("INSERT INTO letter_texts (letter_id, sealed) VALUES ")
		args := make([]any, 0, 2*len(batch))
		for k, id := range batch {
			if k > 0 {
				b.WriteByte(',')
			}
			b.WriteString("(?,?)")
			args = append(args, id, sealed(id))
		}
		if err := tx.Exec(b.String(), args...).Error; err != nil {
			return fmt.Errorf("store: letter texts: %w", err)
		}
	}
	return nil
}

// scanIDs reads a one-column result of ids. It uses Rows, not Scan: GORM's
// Scan formats the statement with every parameter for its logger even when
// nothing is logged, which cost a quarter of a large insert's CPU.
func scanIDs(q *gorm.DB) ([]int64, error) {
	rows, err := q.Rows()
	if err != nil {
		return nil, fmt.Errorf("store: scan ids: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: scan ids: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// LetterByID loads one letter.
func (s *Store) LetterByID(ctx context.Context, id int64) (Letter, error) {
	var l Letter
	err := withText(s.db.WithContext(ctx)).Where("id = ?", id).Take(&l).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Letter{}, ErrNotFound
	}
	return l, wrapf(err, "letter by id %d", id)
}

// LetterByReplyToken finds the letter a reply was addressed to.
func (s *Store) LetterByReplyToken(ctx context.Context, token string) (Letter, error) {
	var l Letter
	err := withText(s.db.WithContext(ctx)).Where("reply_token = ?", token).Take(&l).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Letter{}, ErrNotFound
	}
	return l, wrapf(err, "letter by reply token")
}

// LettersByIDs loads letters by id, whole; ids that do not exist are
// absent from the map.
func (s *Store) LettersByIDs(ctx context.Context, ids []int64) (map[int64]Letter, error) {
	return s.lettersByIDs(ctx, withText(s.db.WithContext(ctx)), ids)
}

// sendColumns are the columns of a letter that its delivery reads
// (dispatch.Worker): its state, what the message is made of, and what
// pacing and holds look at.
const sendColumns = "letters.id, letters.campaign_id, letters.office_code, letters.status, letters.channel, letters.attempts, " +
	"letters.provider_id, letters.sending_since, letters.stats_release_id, letters.delivery_id, letters.reply_token, letters.created_at, " +
	"COALESCE(letter_texts.sealed, '') AS sealed"

// LettersToSend loads, for delivery workers, the letters of many jobs at
// once with the columns their delivery reads (sendColumns); the other
// fields are zero. Reading all 29 columns of a letter instead of those 13
// cost PostgreSQL 6-7 µs per letter instead of 5-5.5 (a warm load, on a
// 2-core box).
func (s *Store) LettersToSend(ctx context.Context, ids []int64) (map[int64]Letter, error) {
	return s.lettersByIDs(ctx, withText(s.db.WithContext(ctx)).Select(sendColumns), ids)
}

func (s *Store) lettersByIDs(ctx context.Context, q *gorm.DB, ids []int64) (map[int64]Letter, error) {
	var ls []Letter
	if s.dialect == Postgres {
		q = q.Where("letters.id = ANY(CAST(? AS bigint[]))", pgInt8s(ids)) // one statement text for any number of ids
	} else {
		q = q.Where("letters.id IN ?", ids)
	}
	err := q.Find(&ls).Error
	if err != nil {
		return nil, fmt.Errorf("store: letters by ids: %w", err)
	}
	out := make(map[int64]Letter, len(ls))
	for _, l := range ls {
		if l.StatsReleaseID != nil {
			if l.QuotesSynthetic, err = s.releaseSynthetic(ctx, *l.StatsReleaseID); err != nil {
				return nil, err
			}
		}
		out[l.ID] = l
	}
	return out, nil
}

// releaseSynthetic says whether a statistics release was computed from the
// synthetic demonstration records. Releases never change (the database
// refuses it), so each process reads a release's flag once: joining the
// releases to every load of letters to send was a twentieth of a
// delivered letter's PostgreSQL CPU.
func (s *Store) releaseSynthetic(ctx context.Context, id int64) (bool, error) {
	if v, ok := s.synthetic.Load(id); ok {
		return v.(bool), nil
	}
	var flags []bool
	if err := s.db.WithContext(ctx).Table("stats_releases").Where("id = ?", id).Pluck("synthetic", &flags).Error; err != nil {
		return false, wrapf(err, "release %d synthetic", id)
	}
	if len(flags) == 0 {
		return false, nil // no such release (not kept: it may yet be written)
	}
	s.synthetic.Store(id, flags[0])
	return flags[0], nil
}

// Requeue puts failed (or bounced, dropped) letters back to pending and
// enqueues them again, in one transaction. It returns the ids requeued.
func (s *Store) Requeue(ctx context.Context, ids []int64, enqueue Enqueue, a Audit) ([]int64, error) {
	var done []int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := time.Now().UTC()
		problems := []string{"failed", "bounced", "dropped"}
		for _, id := range ids {
			// The send that ended here, its attempt and its acceptance
			// (kept on the letter: migration 00038), becomes rows of the
			// timeline: the next send takes their place on the letter.
			if err := tx.Exec(`INSERT INTO letter_events (letter_id, at, kind, channel, status)
SELECT id, sending_since, 'attempt', channel, 'sending' FROM letters l
WHERE id = ? AND status IN ? AND sent_status <> '' AND sent_at IS NOT NULL AND sending_since IS NOT NULL
AND NOT EXISTS (SELECT 1 FROM letter_events x WHERE x.letter_id = l.id AND x.kind = 'attempt' AND x.at = l.sending_since)`,
				id, problems).Error; err != nil {
				return wrapf(err, "requeue")
			}
			if err := tx.Exec(`INSERT INTO letter_events (letter_id, at, kind, channel, status, detail)
SELECT id, sent_at, 'sent', channel, sent_status, sent_detail FROM letters WHERE id = ? AND status IN ? AND sent_status <> '' AND sent_at IS NOT NULL`,
				id, problems).Error; err != nil {
				return wrapf(err, "requeue")
			}
			res := tx.Model(&Letter{}).Where("id = ? AND status IN ?", id, problems).
				Updates(map[string]any{"status": "pending", "last_error": "", "updated_at": now, "sending_since": nil, "sent_status": "", "sent_detail": ""})
			if res.Error != nil {
				return wrapf(res.Error, "requeue")
			}
			if res.RowsAffected == 0 {
				continue
			}
			if err := tx.Create(&LetterEvent{LetterID: id, At: now, Kind: "requeue", Status: "pending"}).Error; err != nil {
				return fmt.Errorf("store: requeue: %w", err)
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

// acceptancesInPlace moves each "sent" line of a timeline (in the order
// its rows were written) back before the lines that followed the
// acceptance but were written before its line was: the provider's events
// (stamped with the provider's clock, and possibly recorded before the
// acceptance itself), and anything later than it, such as the office's
// reply. The latest acceptance's line is read from the letter and comes
// last; a requeue writes the attempt and the acceptance it ends as rows,
// after the events of that send, and the attempt moves with its
// acceptance. A line never moves past another attempt, an earlier
// acceptance, a requeue or the letter's creation.
func acceptancesInPlace(ev []LetterEvent) {
	for i := range ev {
		if ev[i].Kind != "sent" {
			continue
		}
		first := i // the block that moves: the acceptance, and its attempt just before it
		if i > 0 && ev[i-1].Kind == "attempt" && !ev[i-1].At.After(ev[i].At) {
			first = i - 1
		}
		for first > 0 {
			p := ev[first-1]
			if p.Kind == "attempt" || p.Kind == "sent" || p.Kind == "requeue" || p.Kind == "created" ||
				(p.Kind != "event" && !p.At.After(ev[i].At)) {
				break
			}
			// p goes after the block
			copy(ev[first-1:i], ev[first:i+1])
			ev[i] = p
			first--
			i--
		}
	}
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
	q := withText(s.db.WithContext(ctx)).Order("id DESC")
	if f.CampaignID != 0 {
		q = q.Where("campaign_id = ?", f.CampaignID)
	}
	if f.Status != "" {
		q = whereStatus(q, "letters", f.Status)
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
	return out, wrapf(err, "letters")
}

// FailedLetterCount counts the failed letters, through letters_problems:
// the staff home's figure, which the counts by status (read from every
// row) would make a scan of the whole table.
func (s *Store) FailedLetterCount(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Table("letters").Where("problem AND status = ?", "failed").Count(&n).Error
	return n, wrapf(err, "failed letter count")
}

// LetterCounts counts letters per status (for a campaign, or all). It reads
// each letter's row (no index holds status: migration 00036), so it costs
// a scan of the campaign's letters (BenchmarkLetterCountsAndPacing).
func (s *Store) LetterCounts(ctx context.Context, campaignID int64) (map[string]int64, error) {
	type row struct {
		Status string
		N      int64
	}
	// One pass over the campaign's rows (no index holds status, so that an
	// acceptance is heap-only), a letter being sent counted as "sending"
	// (Letter.AfterFind). Two passes, by stored status and then the ones
	// being sent, took 1.1-1.4 s at 1,000,000 letters; one takes 0.64-0.68
	// s (BenchmarkLetterCountsAndPacing, 2 interleaved pairs).
	q := s.db.WithContext(ctx).Table("letters")
	if campaignID != 0 {
		q = q.Where("campaign_id = ?", campaignID)
	}
	var rows []row
	if err := q.Select(sendingSQL("letters") + " AS status, COUNT(*) AS n").Group(sendingSQL("letters")).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: letter counts: %w", err)
	}
	out := map[string]int64{}
	for _, r := range rows {
		out[r.Status] += r.N
	}
	return out, nil
}

// Timeline returns a letter's events in order, with the lines the store
// reads from the letter rather than writing a row for each letter:
//   - "created", the letter's creation (fan-out writes no row for it);
//   - the "attempt" of each attempt the provider accepted: its claim wrote
//     no row (ClaimForSending), so its line goes just before its "sent",
//     at the time the attempt began (sending_since, which the acceptance
//     keeps) for the latest, at the acceptance's own time for earlier ones;
//   - the attempt in progress, for a letter being sent.
//
// Letters written before these lines were read kept rows for them, and
// those rows are shown instead.
func (s *Store) Timeline(ctx context.Context, letterID int64) ([]LetterEvent, error) {
	var ev []LetterEvent
	if err := s.db.WithContext(ctx).Where("letter_id = ?", letterID).Order("id").Find(&ev).Error; err != nil {
		return nil, wrapf(err, "timeline")
	}
	var ls []Letter
	if err := s.db.WithContext(ctx).Select("id", "created_at", "status", "channel", "sending_since", "sent_at", "sent_status", "sent_detail").
		Where("id = ?", letterID).Limit(1).Find(&ls).Error; err != nil {
		return nil, wrapf(err, "timeline")
	}
	if len(ls) == 0 {
		return ev, nil
	}
	l := ls[0] // its Status went through AfterFind: "sending" while claimed
	if l.SentStatus != "" && l.SentAt != nil {
		// The latest acceptance, kept on the letter (MarkManySent).
		ev = append(ev, LetterEvent{LetterID: letterID, At: l.SentAt.UTC(), Kind: "sent", Channel: l.Channel, Status: l.SentStatus, Detail: l.SentDetail})
	}
	acceptancesInPlace(ev)
	attemptAt := func(at time.Time) bool {
		return slices.ContainsFunc(ev, func(e LetterEvent) bool { return e.Kind == "attempt" && e.At.Equal(at) })
	}
	lastSent := -1
	for i, e := range ev {
		if e.Kind == "sent" {
			lastSent = i
		}
	}
	out := make([]LetterEvent, 0, len(ev)+3)
	if !slices.ContainsFunc(ev, func(e LetterEvent) bool { return e.Kind == "created" }) {
		out = append(out, LetterEvent{LetterID: letterID, At: l.CreatedAt.UTC(), Kind: "created", Status: "pending"})
	}
	open := false // an attempt row since the last answer
	for i, e := range ev {
		if e.Kind == "sent" {
			var at *time.Time
			switch {
			case i == lastSent && l.SendingSince != nil && !l.SendingSince.After(e.At):
				if !attemptAt(*l.SendingSince) {
					at = l.SendingSince
				}
			case !open:
				at = &e.At
			}
			if at != nil {
				out = append(out, LetterEvent{LetterID: letterID, At: at.UTC(), Kind: "attempt", Channel: e.Channel, Status: "sending"})
			}
		}
		switch e.Kind {
		case "attempt":
			open = true
		case "sent", "retry", "failed", "unknown":
			open = false
		}
		out = append(out, e)
	}
	if l.Status == "sending" && l.SendingSince != nil && !attemptAt(*l.SendingSince) {
		out = append(out, LetterEvent{LetterID: letterID, At: l.SendingSince.UTC(), Kind: "attempt", Channel: l.Channel, Status: "sending"})
	}
	return out, nil
}
