package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// On PostgreSQL the claim before a send is a heap-only (HOT) update: it
// changes no indexed column of letters (the stored status stays, the
// letter reads as "sending"), and migration 00031's fill factor leaves
// room for the new row version on its page, even when a claim takes all
// the letters of a page at once. An index or a claim that broke that
// would make every claim rewrite all of the letters' indexes again.
func TestClaimIsHeapOnly(t *testing.T) {
	s := storetest.Postgres(t)
	ctx := context.Background()
	campID, subID := letterFixture(t, s)
	ids, err := s.CreateLetters(ctx, newLetters(campID, subID, 0, 60, func(int64) (string, error) { return strings.Repeat("s", 1300), nil }), nil)
	if err != nil {
		t.Fatal(err)
	}
	hot := func() (upd, hot int64) {
		// Backends report their counts at most once a second.
		if err := s.DB().QueryRowContext(ctx, "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'letters'").Scan(&upd, &hot); err != nil {
			t.Fatal(err)
		}
		return upd, hot
	}
	upd0, hot0 := hot()
	claims := make([]store.Claim, len(ids))
	for i, id := range ids {
		claims[i] = store.Claim{ID: id, Channel: "sendgrid", At: time.Now(), Attempts: 0}
	}
	got, err := s.ClaimManyForSending(ctx, claims)
	if err != nil || len(got) != len(ids) {
		t.Fatalf("claimed %d of %d: %v", len(got), len(ids), err)
	}
	var upd, hotUpd int64
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if upd, hotUpd = hot(); upd-upd0 >= int64(len(ids)) {
			break
		}
	}
	if upd-upd0 < int64(len(ids)) {
		t.Fatalf("the claims' updates were not counted: %d", upd-upd0)
	}
	if hotUpd-hot0 < int64(len(ids)) {
		t.Errorf("%d updates, %d of them heap-only; want the %d claims heap-only", upd-upd0, hotUpd-hot0, len(ids))
	}
	byID, _ := s.LettersByIDs(ctx, ids)
	if l := byID[ids[0]]; l.Status != "sending" || l.SendingSince == nil {
		t.Errorf("claimed letter: %+v", l)
	}
}
