package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Claim asks to move a letter to "sending" on a channel.
type Claim struct {
	ID      int64
	Channel string
	At      time.Time
	// Attempts is the letter's attempt count when the worker read it: the
	// claim fails if another worker claimed the letter since (a letter in
	// a retried batch and in a job of its own). -1 claims whatever it is.
	Attempts int
	// Prev is when an earlier attempt began that ended without an answer
	// (the letter read as "sending": the process sending it stopped), and
	// PrevChannel its channel: the claim writes that attempt's line on the
	// timeline, once, before the new attempt replaces it.
	Prev        *time.Time
	PrevChannel string
}

// ClaimForSending moves a letter to "sending", before the provider is
// called, so a crash leaves evidence: the letter's attempts, channel and
// sending_since, which the timeline shows as the attempt in progress. The
// claim writes no timeline row (a row per letter was a quarter of the
// claim's cost): an attempt's line is written when it ends other than by
// the provider's acceptance (retry, failure, unknown outcome, or a new
// claim after a crash), and an accepted attempt's line is read from its
// acceptance (Timeline). The claim changes no indexed column (the stored
// status stays: a heap-only update on PostgreSQL; see Letter.AfterFind).
// It answers false when the letter is already past sending (done by
// another worker, or finished).
func (s *Store) ClaimForSending(ctx context.Context, id int64, channel string, now time.Time) (bool, error) {
	got, err := s.ClaimManyForSending(ctx, []Claim{{ID: id, Channel: channel, At: now, Attempts: -1}})
	return got[id], err
}

// ClaimManyForSending is ClaimForSending for many letters in one
// transaction (one UPDATE per channel, and the lines of attempts that
// ended without an answer); the map says which letters were claimed.
func (s *Store) ClaimManyForSending(ctx context.Context, claims []Claim) (map[int64]bool, error) {
	if s.dialect == Postgres {
		return s.claimManyPostgres(ctx, claims)
	}
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
			args := append([]any{ch, at, at, ids, []string{"pending", "queued", "sending"}}, seenArgs...)
			got, err := scanIDs(tx.Raw("UPDATE letters SET channel = ?, attempts = attempts + 1, sending_since = ?, updated_at = ? "+
				"WHERE id IN ? AND status IN ? AND attempts = "+seen.String()+" RETURNING id", args...))
			if err != nil {
				return err
			}
			for _, id := range got {
				claimed[id] = true
			}
			logged := map[int64]bool{}
			for _, c := range group {
				if claimed[c.ID] && !logged[c.ID] && c.Prev != nil { // once for a letter asked for twice
					logged[c.ID] = true
					var n int64
					if err := tx.Model(&LetterEvent{}).Where("letter_id = ? AND kind = 'attempt' AND at = ?", c.ID, c.Prev.UTC()).Count(&n).Error; err != nil {
						return wrapf(err, "claim many for sending")
					}
					if n == 0 {
						events = append(events, LetterEvent{LetterID: c.ID, At: c.Prev.UTC(), Kind: "attempt", Channel: c.PrevChannel, Status: "sending"})
					}
				}
			}
		}
		if len(events) == 0 {
			return nil
		}
		return wrapf(tx.Create(&events).Error, "claim many for sending")
	})
	return claimed, err
}

// claimManyPostgres is ClaimManyForSending in one statement whatever the
// batch (one text for the usual round, one more when some attempt ended
// without an answer): the claims as arrays, the UPDATE and the ended
// attempts' lines in one round trip, atomic without a transaction of its
// own.
func (s *Store) claimManyPostgres(ctx context.Context, claims []Claim) (map[int64]bool, error) {
	ids, channels, seen, at := make([]int64, len(claims)), make([]string, len(claims)), make([]int, len(claims)), make([]time.Time, len(claims))
	var prevIDs []int64
	var prevAt []time.Time
	var prevChannels []string
	for i, c := range claims {
		ids[i], channels[i], seen[i], at[i] = c.ID, c.Channel, max(c.Attempts, -1), c.At
		if c.Prev != nil {
			prevIDs, prevAt, prevChannels = append(prevIDs, c.ID), append(prevAt, *c.Prev), append(prevChannels, c.PrevChannel)
		}
	}
	claimArgs := []any{pgInt8s(ids), pgTexts(channels), pgInts(seen), pgTimes(at)}
	q := claimSQL
	if len(prevIDs) > 0 {
		// Attempts that ended without an answer: their lines, written
		// with the claim (usually none, and then a plain UPDATE, which
		// plans and starts faster).
		q = `WITH c AS (` + claimSQL + `),
e AS (INSERT INTO letter_events (letter_id, at, kind, channel, status)
  SELECT DISTINCT p.id, p.at, 'attempt', p.channel, 'sending'
  FROM unnest(CAST(? AS bigint[]), CAST(? AS timestamptz[]), CAST(? AS text[])) AS p(id, at, channel) JOIN c ON c.id = p.id
  WHERE NOT EXISTS (SELECT 1 FROM letter_events x WHERE x.letter_id = p.id AND x.kind = 'attempt' AND x.at = p.at))
SELECT id FROM c`
		claimArgs = append(claimArgs, pgInt8s(prevIDs), pgTimes(prevAt), pgTexts(prevChannels))
	}
	got, err := scanIDs(s.db.WithContext(ctx).Raw(q, claimArgs...))
	if err != nil {
		return nil, fmt.Errorf("store: claim many for sending: %w", err)
	}
	return idSet(got), nil
}

// idSet is ids as a set.
func idSet(ids []int64) map[int64]bool {
	set := make(map[int64]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return set
}

// claimSQL is the claim of claimManyPostgres: the claims as arrays, the
// letters claimed returned.
const claimSQL = `UPDATE letters l SET channel = c.channel, attempts = l.attempts + 1, sending_since = c.at, updated_at = c.at
  FROM unnest(CAST(? AS bigint[]), CAST(? AS text[]), CAST(? AS integer[]), CAST(? AS timestamptz[])) AS c(id, channel, seen, at)
  WHERE l.id = c.id AND l.status IN ('pending', 'queued', 'sending') AND l.attempts = COALESCE(c.seen, l.attempts)
  RETURNING l.id`

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
// answer still goes on its timeline, as a row). The letter keeps
// sending_since, when its accepted attempt began: the timeline's line for
// that attempt. ("sending" is only ever read from a waiting status, so a
// sent letter never reads as sending.) The acceptance's own line stays on
// the letter (sent_status, sent_detail: migration 00038), not in a row,
// and one letter_changes row names the letters accepted, for the
// dashboards' refresh.
func (s *Store) MarkManySent(ctx context.Context, sent []Sent) error {
	if s.dialect == Postgres {
		return s.markManySentPostgres(ctx, sent)
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		var accepted []int64
		for _, x := range sent {
			status, at := sentStatus(x), x.At.UTC()
			upd := map[string]any{"status": status, "channel": x.Channel, "provider_id": x.ProviderID, "sent_at": at, "updated_at": at,
				"last_error": "", "sent_status": status, "sent_detail": x.Detail}
			if status == "delivered" {
				upd["delivered_at"] = at
			}
			res := tx.Model(&Letter{}).Where("id = ? AND status IN ?", x.ID, waitingStatuses).Updates(upd)
			if res.Error != nil {
				return fmt.Errorf("store: mark many sent: %w", res.Error)
			}
			if res.RowsAffected == 1 {
				accepted = append(accepted, x.ID)
				continue
			}
			// A webhook event that arrived before the acceptance was
			// recorded moved the letter on already: keep its status, learn
			// the provider's id; the acceptance's line is a row.
			res = tx.Model(&Letter{}).Where("id = ? AND provider_id = ''", x.ID).Update("provider_id", x.ProviderID)
			if res.Error != nil {
				return fmt.Errorf("store: mark many sent: %w", res.Error)
			}
			var n int64
			if err := tx.Model(&Letter{}).Where("id = ?", x.ID).Count(&n).Error; err != nil {
				return fmt.Errorf("store: mark many sent: %w", err)
			}
			if n == 1 {
				if err := tx.Create(&LetterEvent{LetterID: x.ID, At: at, Kind: "sent", Channel: x.Channel, Status: status, Detail: x.Detail}).Error; err != nil {
					return fmt.Errorf("store: mark many sent: %w", err)
				}
			}
		}
		if len(accepted) == 0 {
			return nil
		}
		return wrapf(tx.Exec("INSERT INTO letter_changes (letter_ids) VALUES (?)", jsonIDs(accepted)).Error, "mark many sent")
	})
}

// waitingStatuses are the stored statuses of a letter not yet sent (a
// claimed letter keeps its own: see Letter).
var waitingStatuses = []string{"pending", "queued", "sending"}

// jsonIDs is ids as a JSON array: letter_changes.letter_ids on SQLite.
func jsonIDs(ids []int64) string {
	b, _ := json.Marshal(ids) // []int64 always encodes
	return string(b)
}

// sentStatus is the status a provider's acceptance gives a letter.
func sentStatus(x Sent) string {
	switch {
	case x.Kept:
		return "outbox"
	case x.Delivered:
		return "delivered"
	}
	return "sent"
}

// markManySentPostgres is MarkManySent in statements of one text whatever
// the batch: one UPDATE with the letter_changes row, and only when a
// webhook moved some letter on first, one more to learn its provider id
// and write its acceptance's line.
func (s *Store) markManySentPostgres(ctx context.Context, sent []Sent) error {
	const accepted = "unnest(CAST(? AS bigint[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS timestamptz[])) AS c(id, status, channel, pid, detail, at)"
	arrays := func(sent []Sent) []any {
		n := len(sent)
		ids, statuses, channels, pids, details, at := make([]int64, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]time.Time, n)
		for i, x := range sent {
			ids[i], statuses[i], channels[i], pids[i], details[i], at[i] = x.ID, sentStatus(x), x.Channel, x.ProviderID, x.Detail, x.At
		}
		return []any{pgInt8s(ids), pgTexts(statuses), pgTexts(channels), pgTexts(pids), pgTexts(details), pgTimes(at)}
	}
	// One statement, atomic without a transaction of its own (a BEGIN and
	// a COMMIT less per flush); the second, rare, is independent of it.
	db := s.db.WithContext(ctx)
	updated, err := scanIDs(db.Raw(`WITH c AS (SELECT * FROM `+accepted+`),
u AS (UPDATE letters l SET status = c.status, channel = c.channel, provider_id = c.pid, sent_at = c.at, updated_at = c.at, last_error = '',
        delivered_at = CASE WHEN c.status = 'delivered' THEN c.at ELSE l.delivered_at END, sent_status = c.status, sent_detail = c.detail
      FROM c WHERE l.id = c.id AND l.status IN ('pending', 'queued', 'sending') RETURNING l.id),
x AS (INSERT INTO letter_changes (letter_ids) SELECT array_agg(id) FROM u HAVING COUNT(*) > 0)
SELECT id FROM u`, arrays(sent)...))
	if err != nil {
		return fmt.Errorf("store: mark many sent: %w", err)
	}
	if len(updated) == len(sent) {
		return nil
	}
	// A webhook event that arrived before the acceptance was recorded
	// moved the letter on already: keep its status, learn the provider's
	// id; the acceptance's line is a row.
	slices.Sort(updated)
	var rest []Sent
	for _, x := range sent {
		if _, ok := slices.BinarySearch(updated, x.ID); !ok {
			rest = append(rest, x)
		}
	}
	return wrapf(db.Exec(`WITH c AS (SELECT * FROM `+accepted+`),
p AS (UPDATE letters l SET provider_id = c.pid FROM c WHERE l.id = c.id AND l.provider_id = '' RETURNING l.id)
INSERT INTO letter_events (letter_id, at, kind, channel, status, detail)
SELECT c.id, c.at, 'sent', c.channel, c.status, c.detail FROM c JOIN letters l ON l.id = c.id`, arrays(rest)...).Error, "mark many sent")
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
		if err := endAttempt(tx, id); err != nil {
			return err
		}
		if err := tx.Model(&Letter{}).Where("id = ? AND status IN ? AND sending_since IS NOT NULL", id, []string{"pending", "queued", "sending"}).Updates(map[string]any{
			"status": "queued", "last_error": detail, "updated_at": now.UTC(), "sending_since": nil}).Error; err != nil {
			return fmt.Errorf("store: mark retry %d: %w", id, err)
		}
		return wrapf(tx.Create(&LetterEvent{LetterID: id, At: now.UTC(), Kind: "retry", Channel: channel, Status: "queued", Detail: detail}).Error, "mark retry %d", id)
	})
}

// MarkFailed gives up on a letter; staff can requeue it.
func (s *Store) MarkFailed(ctx context.Context, id int64, channel, detail string, now time.Time) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := endAttempt(tx, id); err != nil {
			return err
		}
		if err := tx.Model(&Letter{}).Where("id = ? AND status IN ?", id, []string{"pending", "queued", "sending"}).Updates(map[string]any{
			"status": "failed", "last_error": detail, "updated_at": now.UTC(), "sending_since": nil}).Error; err != nil {
			return fmt.Errorf("store: mark failed %d: %w", id, err)
		}
		return wrapf(tx.Create(&LetterEvent{LetterID: id, At: now.UTC(), Kind: "failed", Channel: channel, Status: "failed", Detail: detail}).Error, "mark failed %d", id)
	})
}

// endAttempt writes the line of the attempt in progress on letter id (its
// claim wrote none), once, before the attempt ends other than by the
// provider's acceptance.
func endAttempt(tx *gorm.DB, id int64) error {
	return wrapf(tx.Exec(`INSERT INTO letter_events (letter_id, at, kind, channel, status)
SELECT l.id, l.sending_since, 'attempt', l.channel, 'sending' FROM letters l
WHERE l.id = ? AND l.sending_since IS NOT NULL AND l.status IN ('pending', 'queued')
AND NOT EXISTS (SELECT 1 FROM letter_events x WHERE x.letter_id = l.id AND x.kind = 'attempt' AND x.at = l.sending_since)`, id).Error, "end attempt %d", id)
}

// MarkUnknown records that an attempt ended without knowing whether the
// provider took the letter; it stays "sending" until that is settled.
func (s *Store) MarkUnknown(ctx context.Context, id int64, channel, detail string, at time.Time) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := endAttempt(tx, id); err != nil {
			return err
		}
		return wrapf(tx.Create(&LetterEvent{LetterID: id, At: at.UTC(), Kind: "unknown", Channel: channel, Detail: detail}).Error, "mark unknown %d", id)
	})
}

// NoteEvent adds a line to a letter's timeline without changing it.
func (s *Store) NoteEvent(ctx context.Context, letterID int64, kind, channel, detail string, at time.Time) error {
	return wrapf(s.db.WithContext(ctx).Create(&LetterEvent{LetterID: letterID, At: at.UTC(), Kind: kind, Channel: channel, Detail: detail}).Error, "note event")
}

// MarkHeld records that a letter waits for its office's pacing window.
func (s *Store) MarkHeld(ctx context.Context, id int64, detail string, now time.Time) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&Letter{}).Where("id = ? AND status = ? AND sending_since IS NULL", id, "pending").Updates(map[string]any{"status": "queued", "updated_at": now.UTC()})
		if res.Error != nil || res.RowsAffected == 0 {
			return wrapf(res.Error, "mark held %d", id)
		}
		return wrapf(tx.Create(&LetterEvent{LetterID: id, At: now.UTC(), Kind: "held", Status: "queued", Detail: detail}).Error, "mark held %d", id)
	})
}
