package dispatch_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// A batch job's letters are one JSON string in its arguments, not an
// array: River's GIN index on river_job.args has one entry per array
// element, written again at every change of the job's state (a fifth of
// PostgreSQL's CPU per delivered letter with 100 per batch). The jobs
// still name their letters (JobLetters), and a job enqueued before, with
// an array, still reads.
func TestBatchJobArgsAreOneString(t *testing.T) {
	st := storetest.Postgres(t)
	e := newEnv(t, st)
	w := dispatch.NewWorker(st, e.keys, nil, campInfo(st), fastSettings(time.Minute, time.Second), quiet(), nil)
	client := newClient(t, st, w, 1, "batchargs")
	ids := createBatches(t, st, dispatch.Enqueuer{Client: client}.EnqueueTx, e.emailLetters(150, "BA-"))
	rows, err := st.DB().QueryContext(context.Background(),
		"SELECT jsonb_typeof(args->'letter_ids'), args::text FROM river_job WHERE kind = $1 ORDER BY id", dispatch.DeliverBatchArgs{}.Kind())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []int64
	jobs := 0
	for rows.Next() {
		var typ, args string
		if err := rows.Scan(&typ, &args); err != nil {
			t.Fatal(err)
		}
		jobs++
		if typ != "string" {
			t.Errorf("a batch job's letter_ids is a JSON %s: %s", typ, args)
		}
		got = append(got, dispatch.JobLetters(dispatch.DeliverBatchArgs{}.Kind(), []byte(args))...)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if jobs != 2 || !slices.Equal(got, ids) {
		t.Errorf("%d batch jobs name letters %v, want 2 naming %v", jobs, got, ids)
	}
	if old := dispatch.JobLetters(dispatch.DeliverBatchArgs{}.Kind(), []byte(`{"letter_ids":[7,8,9]}`)); !slices.Equal(old, []int64{7, 8, 9}) {
		t.Errorf("a job enqueued with an array names %v", old)
	}
	var a dispatch.DeliverBatchArgs
	if err := json.Unmarshal([]byte(`{"letter_ids":"1,x"}`), &a); err == nil {
		t.Errorf("letter_ids \"1,x\" read as %v", a.LetterIDs)
	}
}
