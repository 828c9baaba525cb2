package dispatch

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
)

// DeliverBatchArgs delivers many letters in one job. A large fan-out (a
// wave, second letters, thousands of confirmations) makes one job per
// BatchSize letters instead of one each: the queue's own cost per job
// (fetch, lock, completion) was as much as the rest of a letter's
// delivery. A letter that cannot go at once (office hours, a retry, a
// paused campaign) gets a job of its own for when to look again, so a
// batch never waits for its slowest letter.
type DeliverBatchArgs struct {
	LetterIDs LetterIDs `json:"letter_ids"`
}

// LetterIDs is a batch job's letters, stored as one JSON string ("12,13,
// 14"), not an array. River indexes every job's arguments (a GIN index on
// river_job.args), one entry per array element: a batch of 100 ids was
// 100 entries, written again at each change of the job's state, and
// PostgreSQL's cleanup of that index's pending list was a fifth of its CPU
// per delivered letter. As a string it is one entry. Jobs enqueued before
// this, with an array, still read.
type LetterIDs []int64

// MarshalJSON writes the ids as one string of decimal ids, comma-separated.
func (ids LetterIDs) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+8*len(ids))
	b = append(b, '"')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return append(b, '"'), nil
}

// UnmarshalJSON reads the string form, or the array of jobs enqueued
// before it.
func (ids *LetterIDs) UnmarshalJSON(b []byte) error {
	var list []int64
	if len(b) > 0 && b[0] == '[' {
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		*ids = list
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	for _, f := range strings.Split(s, ",") {
		if f == "" {
			continue
		}
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return fmt.Errorf("letter ids: %w", err)
		}
		list = append(list, id)
	}
	*ids = list
	return nil
}

// Kind names the job for River.
func (DeliverBatchArgs) Kind() string { return "deliver_letters" }

// InsertOpts puts batches on the delivery queue.
func (DeliverBatchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: MaxAttempts}
}

const (
	// BatchSize is the most letters in one batch job.
	BatchSize = 100
	// batchFrom is the smallest set of letters enqueued as batches;
	// fewer (a supporter's three letters, a requeue) get a job each.
	batchFrom = 20
	// batchConcurrency is how many letters of one batch are in flight.
	batchConcurrency = 16
)

// InFlight is how many letters a process with this many delivery workers
// may be sending at once: what provider clients size their connection
// pools to.
func InFlight(workers int) int { return workers * batchConcurrency }

// BatchWorker works DeliverBatchArgs with the letter Worker's rules.
type BatchWorker struct {
	river.WorkerDefaults[DeliverBatchArgs]
	W *Worker
}

// BatchTimeout bounds one batch job. It must stay below River's
// RescueStuckJobsAfter (5 minutes in cmd/outreach), or a slow batch could
// be rescued and worked twice at once. A batch cut short is retried:
// letters sent are skipped, and one whose send was cut waits out the
// SendGrid grace window.
const BatchTimeout = 4 * time.Minute

// Timeout leaves room for slow providers: letters go batchConcurrency at
// a time.
func (b *BatchWorker) Timeout(*river.Job[DeliverBatchArgs]) time.Duration { return BatchTimeout }

// Work gives every letter of the batch its turn, then schedules a job of
// its own for each letter that has to wait or be retried. If that insert
// fails the batch is retried: letters already sent are skipped, and the
// jobs are unique per letter, so nothing is sent or scheduled twice.
func (b *BatchWorker) Work(ctx context.Context, job *river.Job[DeliverBatchArgs]) error {
	ids := job.Args.LetterIDs
	outs := make([]outcome, len(ids))
	sem := make(chan struct{}, batchConcurrency)
	var wg sync.WaitGroup
	for i, id := range ids {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			outs[i] = b.W.deliver(ctx, id, job.Attempt, MaxAttempts)
		}()
	}
	wg.Wait()
	var later []river.InsertManyParams
	now := b.W.now()
	for i, o := range outs {
		if o.cancel || (o.err == nil && o.wait == 0) {
			continue
		}
		wait := o.wait
		if wait == 0 {
			wait = BackoffFrom(b.W.defaults.BackoffBase, job.Attempt)
		}
		later = append(later, river.InsertManyParams{Args: DeliverArgs{LetterID: ids[i]}, InsertOpts: &river.InsertOpts{ScheduledAt: now.Add(wait)}})
	}
	if len(later) == 0 {
		return nil
	}
	client, err := river.ClientFromContextSafely[*sql.Tx](ctx)
	if err != nil {
		return err
	}
	_, err = client.InsertMany(ctx, later)
	return err
}

// Register adds the delivery workers (one letter, and batches) to River.
func Register(workers *river.Workers, w *Worker) {
	river.AddWorker(workers, w)
	river.AddWorker(workers, &BatchWorker{W: w})
}

// JobLetters lists the letters a delivery job works, from its kind and
// encoded arguments (nil for other jobs): staff pages and tests use it
// to find the job that will send a letter.
func JobLetters(kind string, encodedArgs []byte) []int64 {
	switch kind {
	case DeliverArgs{}.Kind():
		var a DeliverArgs
		if json.Unmarshal(encodedArgs, &a) == nil {
			return []int64{a.LetterID}
		}
	case DeliverBatchArgs{}.Kind():
		var a DeliverBatchArgs
		if json.Unmarshal(encodedArgs, &a) == nil {
			return a.LetterIDs
		}
	}
	return nil
}
