// Package auth decides who staff are and what they may do: roles and their
// permissions, password hashing, session and API-token secrets, and login
// throttling rules. It holds no HTTP and no SQL: the web package enforces,
// the store package persists.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Role is a staff role. Every route names the permission it needs, and a
// role has only the permissions listed for it here: deny by default.
type Role string

const (
	Admin      Role = "admin"
	Campaigner Role = "campaigner"
	CaseEditor Role = "case_editor"
	Organizer  Role = "organizer" // read-only dashboards
)

// Roles lists every role in the order forms show them.
var Roles = []Role{Admin, Campaigner, CaseEditor, Organizer}

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("role must be one of admin, campaigner, case_editor, organizer")
}

// Permission is one thing a route may require.
type Permission string

const (
	// PermStaff: any signed-in staff member (own account, own tokens).
	PermStaff          Permission = "staff"
	PermManageUsers    Permission = "users.manage"
	PermViewAudit      Permission = "audit.view"
	PermViewCampaigns  Permission = "campaigns.view"
	PermEditCampaigns  Permission = "campaigns.edit"
	PermEditCases      Permission = "cases.edit"
	PermPublishStats   Permission = "stats.publish"
	PermViewDashboards Permission = "dashboards.view"
	PermViewDeliveries Permission = "deliveries.view"
	PermManageDelivery Permission = "deliveries.manage"
	PermExportPII      Permission = "export.pii"
	// PermViewPersonalData: open a supporter's personal data in clear in
	// a staff view (an outbox message); every such read is audited.
	PermViewPersonalData Permission = "personal_data.view"
)

var rolePerms = map[Role][]Permission{
	Admin: {PermStaff, PermManageUsers, PermViewAudit, PermViewCampaigns, PermEditCampaigns, PermEditCases,
		PermPublishStats, PermViewDashboards, PermViewDeliveries, PermManageDelivery, PermExportPII, PermViewPersonalData},
	Campaigner: {PermStaff, PermViewCampaigns, PermEditCampaigns, PermViewDashboards, PermViewDeliveries, PermManageDelivery},
	CaseEditor: {PermStaff, PermEditCases, PermPublishStats},
	Organizer:  {PermStaff, PermViewCampaigns, PermViewDashboards},
}

// Can reports whether role r holds permission p.
func (r Role) Can(p Permission) bool {
	for _, q := range rolePerms[r] {
		if q == p {
			return true
		}
	}
	return false
}

// User is a staff account.
type User struct {
	ID           int64
	Email        string
	Name         string
	Role         Role
	PasswordHash string
	Disabled     bool
	CreatedAt    time.Time
	LastLoginAt  *time.Time
}

// Errors of this package. Messages are meant for people.
var (
	ErrBadCredentials = errors.New("the email or password is not right")
	ErrThrottled      = errors.New("too many failed sign-in attempts; wait 15 minutes and try again")
	ErrWeakPassword   = errors.New("a password needs at least 12 characters")
	ErrLongPassword   = errors.New("a password may have at most 256 characters")
	ErrBadEmail       = errors.New("enter an email address like name@example.org")
	ErrDisabled       = errors.New("this account is disabled")
)

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 12

// CheckPassword enforces the password policy.
func CheckPassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	if n < MinPasswordLen {
		return ErrWeakPassword
	}
	if n > 256 {
		return ErrLongPassword
	}
	return nil
}

// NormalizeEmail lower-cases and validates a staff email address.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) > 254 || strings.ContainsAny(s, " \r\n<>\"") {
		return "", ErrBadEmail
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		return "", ErrBadEmail
	}
	return s, nil
}

// argon2id parameters: OWASP's minimum (19 MiB, 2 passes), enough for a
// 2-core server to verify a login in about 20 ms.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns a PHC-format argon2id hash.
func HashPassword(pw string) (string, error) {
	if err := CheckPassword(pw); err != nil {
		return "", err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// VerifyPassword checks pw against a hash made by HashPassword.
func VerifyPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<20 || t > 10 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}

// dummyHash lets a login for an unknown email cost as much as a real one,
// so response time does not reveal which accounts exist.
var dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$wX2xWmVwH0Q7cE5lD2JjN3lqY0d6bU9xS1lXb0ZmS0E"

// BurnPasswordCheck spends the time of one verification.
func BurnPasswordCheck(pw string) { VerifyPassword(dummyHash, pw) }

// NewSecret returns a random URL-safe secret with a prefix, and the hash
// that is stored in its place. Sessions, API tokens and setup codes all use
// it: the database never holds a usable credential.
func NewSecret(prefix string) (secret, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	secret = prefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, HashSecret(secret), nil
}

// HashSecret is the stored form of a secret (SHA-256: secrets are random,
// so a slow hash adds nothing).
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Token prefixes make leaked credentials recognizable (secret scanners).
const (
	SessionPrefix = "os_"
	TokenPrefix   = "otk_"
	SetupPrefix   = "setup-"
)

// ThrottleKey hashes what a throttle counts (an email or a client IP) so
// the attempts table holds no personal data.
func ThrottleKey(kind, value string) string {
	sum := sha256.Sum256([]byte("outreach-throttle\x00" + kind + "\x00" + strings.ToLower(value)))
	return kind + ":" + hex.EncodeToString(sum[:16])
}

// Throttle limits: failed sign-ins per window, per account and per IP.
const (
	ThrottleWindow     = 15 * time.Minute
	MaxFailsPerAccount = 5
	MaxFailsPerIP      = 20
)

// NewAPIToken returns a bearer token's secret (shown once), the prefix
// kept to recognise it in lists, and the hash that is stored.
func NewAPIToken() (secret, prefix, hash string, err error) {
	secret, hash, err = NewSecret(TokenPrefix)
	if err != nil {
		return "", "", "", err
	}
	return secret, secret[:len(TokenPrefix)+6], hash, nil
}
