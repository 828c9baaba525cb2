package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// A database error names the store operation (and its id) that met it;
// the errors the store returns on purpose stay as they are, matchable with
// errors.Is and with their own text.
func TestErrorsNameTheOperation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, err := s.LetterByID(ctx, 987654321)
		if !errors.Is(err, store.ErrNotFound) || err.Error() != store.ErrNotFound.Error() {
			t.Fatalf("a missing letter: %v, want store.ErrNotFound as it is", err)
		}
		if _, err := s.Setting(ctx, "no-such-setting"); err != store.ErrNotFound {
			t.Fatalf("a missing setting: %v", err)
		}
		s.Close()
		_, err = s.LetterByID(ctx, 12)
		if err == nil || !strings.HasPrefix(err.Error(), "store: letter by id 12: ") {
			t.Fatalf("closed database: %v, want it to name the operation", err)
		}
		if _, err := s.Campaigns(ctx); err == nil || !strings.HasPrefix(err.Error(), "store: campaigns: ") {
			t.Fatalf("closed database: %v", err)
		}
	})
}

// A transaction whose commit fails (here: the server ends a session left
// idle in its transaction) says so, wrapping the driver's error; an error
// of the work inside is returned as it is.
func TestCommitErrorIsNamed(t *testing.T) {
	s := storetest.Postgres(t)
	ctx := context.Background()
	err := s.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Exec("SET LOCAL idle_in_transaction_session_timeout = '50ms'").Error; err != nil {
			return err
		}
		time.Sleep(500 * time.Millisecond)
		return nil
	})
	if err == nil || !strings.HasPrefix(err.Error(), "store: begin or commit a transaction: ") {
		t.Errorf("a failed commit: %v", err)
	}
	mine := errors.New("the work failed")
	if err := s.Tx(ctx, func(*gorm.DB) error { return mine }); err != mine {
		t.Errorf("the work's own error: %v", err)
	}
}
