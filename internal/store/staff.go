package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/outreach-org/outreach/internal/auth"
)

// ErrConflict is returned when a unique value (an email, a slug) is taken.
var ErrConflict = errors.New("already exists")

// Audit describes a staff action for the append-only audit log. It is
// written in the same transaction as the change it records.
type Audit struct {
	ActorID    int64 // 0 for the system or the command line
	Action     string
	ObjectType string
	ObjectID   string
	Detail     string // never personal data
}

// AuditEntry is one row of the audit log.
type AuditEntry struct {
	ID         int64
	At         time.Time
	ActorID    int64
	ActorEmail string // joined from users for display to admins
	Action     string
	ObjectType string
	ObjectID   string
	Detail     string
}

type userRow struct {
	ID           int64 `gorm:"primaryKey"`
	Email        string
	Name         string
	Role         string
	PasswordHash string
	Disabled     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
	LastLoginAt  *time.Time
}

func (userRow) TableName() string { return "users" }

func (r userRow) user() auth.User {
	return auth.User{ID: r.ID, Email: r.Email, Name: r.Name, Role: auth.Role(r.Role), PasswordHash: r.PasswordHash,
		Disabled: r.Disabled, CreatedAt: r.CreatedAt, LastLoginAt: r.LastLoginAt}
}

type sessionRow struct {
	IDHash     string `gorm:"primaryKey"`
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

func (sessionRow) TableName() string { return "sessions" }

type tokenRow struct {
	ID         int64 `gorm:"primaryKey"`
	UserID     int64
	Name       string
	Prefix     string
	TokenHash  string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

func (tokenRow) TableName() string { return "api_tokens" }

type failureRow struct {
	ID  int64 `gorm:"primaryKey"`
	Key string
	At  time.Time
}

func (failureRow) TableName() string { return "login_failures" }

type auditRow struct {
	ID         int64 `gorm:"primaryKey"`
	At         time.Time
	ActorID    *int64
	Action     string
	ObjectType string
	ObjectID   string
	Detail     string
}

func (auditRow) TableName() string { return "audit_log" }

// tx runs fn in a transaction: all of it is written, or none.
func (s *Store) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return namedTx(s.db.WithContext(ctx).Transaction, fn)
}

// namedTx runs fn with run (a GORM Transaction). fn's own errors are
// returned as they are (the operations in it name theirs, and callers
// compare errors the store returns on purpose); an error of the
// transaction itself, at its begin or its commit (a connection lost, a
// deferred check), is named, so that a log line says what failed.
func namedTx(run func(func(*gorm.DB) error, ...*sql.TxOptions) error, fn func(tx *gorm.DB) error) error {
	var fnErr error
	err := run(func(tx *gorm.DB) error {
		fnErr = fn(tx)
		return fnErr
	})
	if err != nil && fnErr == nil {
		return fmt.Errorf("store: begin or commit a transaction: %w", err)
	}
	return err
}

func writeAudit(tx *gorm.DB, a Audit) error {
	row := auditRow{At: time.Now().UTC(), Action: a.Action, ObjectType: a.ObjectType, ObjectID: a.ObjectID, Detail: a.Detail}
	if a.ActorID != 0 {
		id := a.ActorID
		row.ActorID = &id
	}
	return wrapf(tx.Create(&row).Error, "write audit")
}

// isUnique tells a unique-constraint violation on either database.
func isUnique(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "duplicate key value") || strings.Contains(msg, "SQLSTATE 23505")
}

// CountUsers tells whether first-run setup is still open.
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&userRow{}).Count(&n).Error
	return n, wrapf(err, "count users")
}

// CreateUser adds a staff account. The email must be normalized and the
// password already hashed by the auth package.
func (s *Store) CreateUser(ctx context.Context, u auth.User, a Audit) (auth.User, error) {
	now := time.Now().UTC()
	row := userRow{Email: u.Email, Name: u.Name, Role: string(u.Role), PasswordHash: u.PasswordHash, CreatedAt: now, UpdatedAt: now}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			if isUnique(err) {
				return ErrConflict
			}
			return fmt.Errorf("store: create user: %w", err)
		}
		a.ObjectType, a.ObjectID = "user", strconv.FormatInt(row.ID, 10)
		if a.Detail == "" {
			a.Detail = "role=" + row.Role
		}
		return writeAudit(tx, a)
	})
	return row.user(), err
}

// CreateFirstAdmin creates the first account only while there is none, so
// two people racing through the setup form cannot both become admin.
func (s *Store) CreateFirstAdmin(ctx context.Context, u auth.User) (auth.User, error) {
	now := time.Now().UTC()
	row := userRow{Email: u.Email, Name: u.Name, Role: string(auth.Admin), PasswordHash: u.PasswordHash, CreatedAt: now, UpdatedAt: now}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&userRow{}).Count(&n).Error; err != nil {
			return fmt.Errorf("store: create first admin: %w", err)
		}
		if n > 0 {
			return ErrConflict
		}
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("store: create first admin: %w", err)
		}
		if err := tx.Where("key = ? OR key LIKE ?", setupCodeKey, setupCodeKey+":%").Delete(&appSetting{}).Error; err != nil {
			return fmt.Errorf("store: create first admin: %w", err)
		}
		return writeAudit(tx, Audit{ActorID: row.ID, Action: "setup.first_admin", ObjectType: "user", ObjectID: strconv.FormatInt(row.ID, 10)})
	})
	return row.user(), err
}

// setupCodeKey names the settings that hold first-run setup codes: one
// row per process, setup_code_hash:<hash> (and, from older versions, one
// row setup_code_hash whose value is the hash).
const setupCodeKey = "setup_code_hash"

// AddSetupCode keeps the hash of one process's first-run setup code beside
// those of the others: replicas starting together each print their own
// code, and every one of them works until the first admin exists.
func (s *Store) AddSetupCode(ctx context.Context, hash string) error {
	return wrapf(s.db.WithContext(ctx).Create(&appSetting{Key: setupCodeKey + ":" + hash, Value: hash, UpdatedAt: time.Now().UTC()}).Error, "add setup code")
}

// SetupCodeValid tells whether hash is the hash of a setup code some
// process printed (and no admin exists yet: creating the first one
// deletes them all).
func (s *Store) SetupCodeValid(ctx context.Context, hash string) (bool, error) {
	if hash == "" {
		return false, nil
	}
	var n int64
	err := s.db.WithContext(ctx).Model(&appSetting{}).
		Where("(key = ? AND value = ?) OR key = ?", setupCodeKey, hash, setupCodeKey+":"+hash).Count(&n).Error
	return n > 0, wrapf(err, "setup code valid")
}

// UserByEmail finds an account by normalized email.
func (s *Store) UserByEmail(ctx context.Context, email string) (auth.User, error) {
	var row userRow
	err := s.db.WithContext(ctx).Where("email = ?", email).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return auth.User{}, ErrNotFound
	}
	return row.user(), wrapf(err, "user by email")
}

// UserByID finds an account by id.
func (s *Store) UserByID(ctx context.Context, id int64) (auth.User, error) {
	var row userRow
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return auth.User{}, ErrNotFound
	}
	return row.user(), wrapf(err, "user by id %d", id)
}

// Users lists every account, by email.
func (s *Store) Users(ctx context.Context) ([]auth.User, error) {
	var rows []userRow
	if err := s.db.WithContext(ctx).Order("email").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	out := make([]auth.User, len(rows))
	for i, r := range rows {
		out[i] = r.user()
	}
	return out, nil
}

// UpdateUser changes name, role and disabled state. Disabling a user or
// changing their role ends their sessions, so the change takes effect now.
// The last enabled admin cannot be demoted or disabled.
func (s *Store) UpdateUser(ctx context.Context, u auth.User, a Audit) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		var cur userRow
		if err := tx.Where("id = ?", u.ID).Take(&cur).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return fmt.Errorf("store: update user: %w", err)
		}
		if cur.Role == string(auth.Admin) && !cur.Disabled && (u.Role != auth.Admin || u.Disabled) {
			var admins int64
			if err := tx.Model(&userRow{}).Where("role = ? AND disabled = ?", string(auth.Admin), false).Count(&admins).Error; err != nil {
				return fmt.Errorf("store: update user: %w", err)
			}
			if admins <= 1 {
				return ErrLastAdmin
			}
		}
		if err := tx.Model(&userRow{}).Where("id = ?", u.ID).Updates(map[string]any{
			"name": u.Name, "role": string(u.Role), "disabled": u.Disabled, "updated_at": time.Now().UTC(),
		}).Error; err != nil {
			return fmt.Errorf("store: update user: %w", err)
		}
		if cur.Role != string(u.Role) || (u.Disabled && !cur.Disabled) {
			if err := tx.Where("user_id = ?", u.ID).Delete(&sessionRow{}).Error; err != nil {
				return fmt.Errorf("store: update user: %w", err)
			}
		}
		a.ObjectType, a.ObjectID = "user", strconv.FormatInt(u.ID, 10)
		if a.Detail == "" {
			a.Detail = "role=" + string(u.Role) + " disabled=" + strconv.FormatBool(u.Disabled)
		}
		return writeAudit(tx, a)
	})
}

// ErrLastAdmin protects against locking everyone out.
var ErrLastAdmin = errors.New("the last admin cannot be demoted or disabled")

// SetPassword replaces a password hash and ends the user's other sessions.
func (s *Store) SetPassword(ctx context.Context, userID int64, hash string, a Audit) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&userRow{}).Where("id = ?", userID).Updates(map[string]any{"password_hash": hash, "updated_at": time.Now().UTC()})
		if res.Error != nil {
			return wrapf(res.Error, "set password")
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if err := tx.Where("user_id = ?", userID).Delete(&sessionRow{}).Error; err != nil {
			return fmt.Errorf("store: set password: %w", err)
		}
		a.ObjectType, a.ObjectID = "user", strconv.FormatInt(userID, 10)
		return writeAudit(tx, a)
	})
}

// Session is a signed-in browser.
type Session struct {
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// CreateSession stores a new session (by the hash of its secret), started
// at now, and records the sign-in.
func (s *Store) CreateSession(ctx context.Context, idHash string, userID int64, now, expires time.Time) error {
	now = now.UTC()
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&sessionRow{IDHash: idHash, UserID: userID, CreatedAt: now, LastSeenAt: now, ExpiresAt: expires.UTC()}).Error; err != nil {
			return fmt.Errorf("store: create session: %w", err)
		}
		if err := tx.Model(&userRow{}).Where("id = ?", userID).Update("last_login_at", now).Error; err != nil {
			return fmt.Errorf("store: create session: %w", err)
		}
		return writeAudit(tx, Audit{ActorID: userID, Action: "session.login", ObjectType: "user", ObjectID: strconv.FormatInt(userID, 10)})
	})
}

// SessionUser returns the session and its user, if the session exists.
// Expiry rules are the caller's (web) to apply.
func (s *Store) SessionUser(ctx context.Context, idHash string) (Session, auth.User, error) {
	var sr sessionRow
	err := s.db.WithContext(ctx).Where("id_hash = ?", idHash).Take(&sr).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Session{}, auth.User{}, ErrNotFound
	}
	if err != nil {
		return Session{}, auth.User{}, fmt.Errorf("store: session user: %w", err)
	}
	u, err := s.UserByID(ctx, sr.UserID)
	return Session{UserID: sr.UserID, CreatedAt: sr.CreatedAt, LastSeenAt: sr.LastSeenAt, ExpiresAt: sr.ExpiresAt}, u, err
}

// TouchSession records activity (callers throttle how often).
func (s *Store) TouchSession(ctx context.Context, idHash string, at time.Time) error {
	return wrapf(s.db.WithContext(ctx).Model(&sessionRow{}).Where("id_hash = ?", idHash).Update("last_seen_at", at.UTC()).Error, "touch session")
}

// DeleteSession signs a browser out.
func (s *Store) DeleteSession(ctx context.Context, idHash string, a Audit) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("id_hash = ?", idHash).Delete(&sessionRow{})
		if res.Error != nil {
			return wrapf(res.Error, "delete session")
		}
		if res.RowsAffected == 0 || a.Action == "" {
			return nil
		}
		return writeAudit(tx, a)
	})
}

// DeleteExpiredSessions removes sessions past their absolute expiry or
// idle since before idleCutoff.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now, idleCutoff time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Where("expires_at < ? OR last_seen_at < ?", now.UTC(), idleCutoff.UTC()).Delete(&sessionRow{})
	return res.RowsAffected, wrapf(res.Error, "delete expired sessions")
}

// AttemptLimit is one throttle counter: at most Max password attempts
// under Key (auth.ThrottleKey: an account or a client IP) in the window.
type AttemptLimit struct {
	Key string
	Max int64
}

// Reservation is the attempts one ReserveAttempt recorded. A failed
// password check keeps them (they are its failures); a good one, or a
// check that was never made, gives them back with ReleaseAttempt.
type Reservation []int64

// ThrottledError is a reservation refused because a key has reached its
// limit. It is an auth.ErrThrottled.
type ThrottledError struct{ Key string }

func (e *ThrottledError) Error() string { return auth.ErrThrottled.Error() }
func (e *ThrottledError) Unwrap() error { return auth.ErrThrottled }

// ReserveAttempt records one password attempt at now under every key,
// before the password is checked, unless a key already has Max attempts
// since now-window: then nothing is written and the answer is a
// *ThrottledError. Counting and recording are one transaction that no
// other reservation of the same key can interleave with (on PostgreSQL a
// transaction advisory lock per key, taken in sorted order; SQLite has a
// single writer), so n parallel attempts against a limit of m check at
// most m passwords.
func (s *Store) ReserveAttempt(ctx context.Context, now time.Time, window time.Duration, limits ...AttemptLimit) (Reservation, error) {
	limits = slices.Clone(limits)
	slices.SortFunc(limits, func(a, b AttemptLimit) int { return strings.Compare(a.Key, b.Key) })
	limits = slices.CompactFunc(limits, func(a, b AttemptLimit) bool { return a.Key == b.Key })
	now = now.UTC()
	since := now.Add(-window)
	rows := make([]failureRow, len(limits))
	err := s.tx(ctx, func(tx *gorm.DB) error {
		for i, l := range limits {
			if err := s.xactLockValue(tx, lockClassAttempt, l.Key); err != nil {
				return err
			}
			var n int64
			if err := tx.Model(&failureRow{}).Where("key = ? AND at >= ?", l.Key, since).Count(&n).Error; err != nil {
				return fmt.Errorf("store: reserve attempt: %w", err)
			}
			if n >= l.Max {
				return &ThrottledError{Key: l.Key}
			}
			rows[i] = failureRow{Key: l.Key, At: now}
		}
		if len(rows) == 0 {
			return nil
		}
		return wrapf(tx.Create(&rows).Error, "reserve attempt")
	})
	if err != nil {
		return nil, err
	}
	r := make(Reservation, len(rows))
	for i, row := range rows {
		r[i] = row.ID
	}
	return r, nil
}

// ReleaseAttempt gives back the attempts of a reservation.
func (s *Store) ReleaseAttempt(ctx context.Context, r Reservation) error {
	if len(r) == 0 {
		return nil
	}
	return wrapf(s.db.WithContext(ctx).Where("id IN ?", []int64(r)).Delete(&failureRow{}).Error, "release attempt")
}

// LoginFailures counts attempts under key since t (those in progress and
// those that failed).
func (s *Store) LoginFailures(ctx context.Context, key string, since time.Time) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&failureRow{}).Where("key = ? AND at >= ?", key, since.UTC()).Count(&n).Error
	return n, wrapf(err, "login failures")
}

// ClearLoginFailures forgets an account's failures after a good sign-in.
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	return wrapf(s.db.WithContext(ctx).Where("key = ?", key).Delete(&failureRow{}).Error, "clear login failures")
}

// PruneLoginFailures drops rows older than the throttle window.
func (s *Store) PruneLoginFailures(ctx context.Context, before time.Time) error {
	return wrapf(s.db.WithContext(ctx).Where("at < ?", before.UTC()).Delete(&failureRow{}).Error, "prune login failures")
}

// APIToken is a staff member's bearer token (its secret is never stored).
type APIToken struct {
	ID         int64
	UserID     int64
	Name       string
	Prefix     string // first characters, to recognise it in lists
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

func (r tokenRow) token() APIToken {
	return APIToken{ID: r.ID, UserID: r.UserID, Name: r.Name, Prefix: r.Prefix, CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt, RevokedAt: r.RevokedAt}
}

// CreateToken stores a new token by its hash.
func (s *Store) CreateToken(ctx context.Context, userID int64, name, prefix, hash string, a Audit) (APIToken, error) {
	row := tokenRow{UserID: userID, Name: name, Prefix: prefix, TokenHash: hash, CreatedAt: time.Now().UTC()}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("store: create token: %w", err)
		}
		a.ObjectType, a.ObjectID = "api_token", strconv.FormatInt(row.ID, 10)
		return writeAudit(tx, a)
	})
	return row.token(), err
}

// TokenUser resolves a bearer token to its user; revoked tokens are
// ErrNotFound. It records the use at most once a minute.
func (s *Store) TokenUser(ctx context.Context, hash string) (APIToken, auth.User, error) {
	var tr tokenRow
	err := s.db.WithContext(ctx).Where("token_hash = ? AND revoked_at IS NULL", hash).Take(&tr).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return APIToken{}, auth.User{}, ErrNotFound
	}
	if err != nil {
		return APIToken{}, auth.User{}, fmt.Errorf("store: token user: %w", err)
	}
	now := time.Now().UTC()
	if tr.LastUsedAt == nil || now.Sub(*tr.LastUsedAt) > time.Minute {
		_ = s.db.WithContext(ctx).Model(&tokenRow{}).Where("id = ?", tr.ID).Update("last_used_at", now).Error
	}
	u, err := s.UserByID(ctx, tr.UserID)
	return tr.token(), u, err
}

// Tokens lists a user's tokens (all users' when userID is 0).
func (s *Store) Tokens(ctx context.Context, userID int64) ([]APIToken, error) {
	var rows []tokenRow
	q := s.db.WithContext(ctx).Order("created_at DESC, id DESC")
	if userID != 0 {
		q = q.Where("user_id = ?", userID)
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: tokens: %w", err)
	}
	out := make([]APIToken, len(rows))
	for i, r := range rows {
		out[i] = r.token()
	}
	return out, nil
}

// RevokeToken revokes a token; when ownerID is not 0 it must be theirs.
func (s *Store) RevokeToken(ctx context.Context, id, ownerID int64, a Audit) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		q := tx.Model(&tokenRow{}).Where("id = ? AND revoked_at IS NULL", id)
		if ownerID != 0 {
			q = q.Where("user_id = ?", ownerID)
		}
		res := q.Update("revoked_at", time.Now().UTC())
		if res.Error != nil {
			return wrapf(res.Error, "revoke token %d", id)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		a.ObjectType, a.ObjectID = "api_token", strconv.FormatInt(id, 10)
		return writeAudit(tx, a)
	})
}

// WriteAudit appends an entry on its own (for actions with no other write).
func (s *Store) WriteAudit(ctx context.Context, a Audit) error {
	return writeAudit(s.db.WithContext(ctx), a)
}

// AuditLog returns entries newest first, before the id cursor (0: latest).
func (s *Store) AuditLog(ctx context.Context, before int64, limit int) ([]AuditEntry, error) {
	type joined struct {
		ID         int64
		At         time.Time
		ActorID    *int64
		Action     string
		ObjectType string
		ObjectID   string
		Detail     string
		ActorEmail *string
	}
	var rows []joined
	q := s.db.WithContext(ctx).Table("audit_log").
		Select("audit_log.*, users.email AS actor_email").
		Joins("LEFT JOIN users ON users.id = audit_log.actor_id").
		Order("audit_log.id DESC").Limit(limit)
	if before > 0 {
		q = q.Where("audit_log.id < ?", before)
	}
	if err := q.Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: audit log: %w", err)
	}
	out := make([]AuditEntry, len(rows))
	for i, r := range rows {
		e := AuditEntry{ID: r.ID, At: r.At, Action: r.Action, ObjectType: r.ObjectType, ObjectID: r.ObjectID, Detail: r.Detail}
		if r.ActorID != nil {
			e.ActorID = *r.ActorID
		}
		if r.ActorEmail != nil {
			e.ActorEmail = *r.ActorEmail
		}
		out[i] = e
	}
	return out, nil
}
