package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

func TestAuditLogIsAppendOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if err := s.WriteAudit(ctx, store.Audit{Action: "test.append", ObjectType: "thing", ObjectID: "1"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB().ExecContext(ctx, `UPDATE audit_log SET action = 'rewritten' WHERE action = 'test.append'`); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("UPDATE of the audit log: err = %v", err)
		}
		if _, err := s.DB().ExecContext(ctx, `DELETE FROM audit_log WHERE action = 'test.append'`); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("DELETE from the audit log: err = %v", err)
		}
		entries, err := s.AuditLog(ctx, 0, 10)
		if err != nil || len(entries) == 0 || entries[0].Action != "test.append" || entries[0].At.IsZero() {
			t.Fatalf("entries %+v %v", entries, err)
		}
	})
}

func TestUsersSessionsTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		email := strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")) + "@example.org"
		u, err := s.CreateUser(ctx, auth.User{Email: email, Role: auth.Campaigner, PasswordHash: "x"}, store.Audit{Action: "user.create"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateUser(ctx, auth.User{Email: email, Role: auth.Admin, PasswordHash: "x"}, store.Audit{Action: "user.create"}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate email: %v", err)
		}
		now := time.Now()
		if err := s.CreateSession(ctx, "hash-"+email, u.ID, now, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		sess, su, err := s.SessionUser(ctx, "hash-"+email)
		if err != nil || su.ID != u.ID || sess.ExpiresAt.Before(now) {
			t.Fatalf("session %+v %+v %v", sess, su, err)
		}
		// a role change ends the user's sessions
		u.Role = auth.Organizer
		if err := s.UpdateUser(ctx, u, store.Audit{Action: "user.update"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionUser(ctx, "hash-"+email); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("session survived a role change: %v", err)
		}
		// tokens
		tok, err := s.CreateToken(ctx, u.ID, "t", "otk_abc", "tokhash-"+email, store.Audit{Action: "token.create"})
		if err != nil {
			t.Fatal(err)
		}
		if _, tu, err := s.TokenUser(ctx, "tokhash-"+email); err != nil || tu.ID != u.ID {
			t.Fatalf("token user %v", err)
		}
		other, _ := s.CreateUser(ctx, auth.User{Email: "other-" + email, Role: auth.Organizer, PasswordHash: "x"}, store.Audit{Action: "user.create"})
		if err := s.RevokeToken(ctx, tok.ID, other.ID, store.Audit{Action: "token.revoke"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("revoking someone else's token: %v", err)
		}
		if err := s.RevokeToken(ctx, tok.ID, u.ID, store.Audit{Action: "token.revoke"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.TokenUser(ctx, "tokhash-"+email); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("revoked token still resolves: %v", err)
		}
		// expired-session sweep
		if err := s.CreateSession(ctx, "old-"+email, u.ID, now.Add(-3*time.Hour), now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if n, err := s.DeleteExpiredSessions(ctx, now, now.Add(-2*time.Hour)); err != nil || n < 1 {
			t.Errorf("expired sessions deleted: %d %v", n, err)
		}
	})
}

func TestFirstAdminOnlyOnce(t *testing.T) {
	s := storetest.SQLite(t)
	ctx := context.Background()
	if _, err := s.CreateFirstAdmin(ctx, auth.User{Email: "a@example.org", PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateFirstAdmin(ctx, auth.User{Email: "b@example.org", PasswordHash: "x"}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second first admin: %v", err)
	}
	u, err := s.UserByEmail(ctx, "a@example.org")
	if err != nil || u.Role != auth.Admin {
		t.Fatalf("first admin %+v %v", u, err)
	}
	u.Disabled = true
	if err := s.UpdateUser(ctx, u, store.Audit{Action: "user.update"}); !errors.Is(err, store.ErrLastAdmin) {
		t.Errorf("disabling the last admin: %v", err)
	}
}
