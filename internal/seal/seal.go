// Package seal encrypts supporters' personal data at rest (AES-256-GCM)
// and computes blind indexes (HMAC-SHA256) so that a supporter can be found
// by email without storing the email in clear.
//
// Every ciphertext names the key that sealed it, so keys can rotate: new
// data is sealed with the current key, old data still opens with the old
// one until it is re-sealed.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Keys holds the encryption keys (the first is current) and the blind-index
// key, which never rotates: rotating it would orphan every index.
type Keys struct {
	current string
	keys    map[string]cipher.AEAD
	index   []byte
}

// ErrOpen means a ciphertext could not be opened (unknown key, tampering).
var ErrOpen = errors.New("cannot open sealed data")

// Parse reads keys written as "id:base64key,id2:base64key" (32-byte keys,
// the first one current) and a base64 32-byte index key.
func Parse(keyList, indexKey string) (*Keys, error) {
	k := &Keys{keys: map[string]cipher.AEAD{}}
	for i, part := range strings.Split(keyList, ",") {
		id, b64, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok || id == "" || strings.ContainsAny(id, ":.") {
			return nil, fmt.Errorf("key %d: write keys as id:base64key", i+1)
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("key %q: must be 32 bytes, base64-encoded", id)
		}
		block, _ := aes.NewCipher(raw)
		aead, _ := cipher.NewGCM(block)
		if _, dup := k.keys[id]; dup {
			return nil, fmt.Errorf("key %q appears twice", id)
		}
		k.keys[id] = aead
		if i == 0 {
			k.current = id
		}
	}
	idx, err := base64.StdEncoding.DecodeString(strings.TrimSpace(indexKey))
	if err != nil || len(idx) != 32 {
		return nil, errors.New("the blind-index key must be 32 bytes, base64-encoded")
	}
	k.index = idx
	return k, nil
}

// fileKeys is the on-disk form of generated keys.
type fileKeys struct {
	Keys  string `json:"keys"`
	Index string `json:"index"`
}

// LoadFile reads keys written by CreateFile. A missing file is an error
// that wraps os.ErrNotExist.
func LoadFile(path string) (*Keys, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var fk fileKeys
	if err := json.Unmarshal(b, &fk); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	k, err := Parse(fk.Keys, fk.Index)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// CreateFile writes fresh random keys to path (mode 0600, never over an
// existing file) and returns them; created is false when another process
// wrote the file first, whose keys are then returned. Whether new keys
// may be made at all is the caller's decision (see package keyring).
func CreateFile(path string) (k *Keys, created bool, err error) {
	fk := fileKeys{Keys: "k1:" + NewKey(), Index: NewKey()}
	out, _ := json.MarshalIndent(fk, "", "  ")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) { // another process won the race
			k, err := LoadFile(path)
			return k, false, err
		}
		return nil, false, err
	}
	if _, err := f.Write(append(out, '\n')); err != nil {
		f.Close()
		return nil, false, err
	}
	if err := f.Close(); err != nil {
		return nil, false, err
	}
	k, err = Parse(fk.Keys, fk.Index)
	return k, true, err
}

// NewRandom returns throwaway keys, for tests.
func NewRandom() *Keys {
	k, err := Parse("t1:"+NewKey(), NewKey())
	if err != nil {
		panic(err)
	}
	return k
}

// NewKey returns a new random 32-byte key, base64-encoded: an encryption
// key (written "id:" + key in OUTREACH_SECRET_KEYS) or an index key.
func NewKey() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// KeyID is the id of the current key.
func (k *Keys) KeyID() string { return k.current }

// IDs lists the ids of the configured encryption keys, current first.
func (k *Keys) IDs() []string {
	ids := []string{k.current}
	for id := range k.keys {
		if id != k.current {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids[1:])
	return ids
}

// SealedWith names the key a ciphertext was sealed with ("" if it is not
// a ciphertext).
func SealedWith(sealed string) string {
	id, _, ok := strings.Cut(sealed, ".")
	if !ok {
		return ""
	}
	return id
}

// Reseal opens a ciphertext with whichever key sealed it and seals the
// plaintext again with the current key (same AAD).
func (k *Keys) Reseal(sealed, aad string) (string, error) {
	pt, err := k.Open(sealed, aad)
	if err != nil {
		return "", err
	}
	return k.Seal(pt, aad), nil
}

// Seal encrypts plaintext with the current key. The result is text:
// "keyid.base64(nonce|ciphertext)". aad binds it to its row (for example
// "submission:42") so a ciphertext cannot be moved to another row.
func (k *Keys) Seal(plaintext []byte, aad string) string {
	aead := k.keys[k.current]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	ct := aead.Seal(nonce, nonce, plaintext, []byte(aad))
	return k.current + "." + base64.RawStdEncoding.EncodeToString(ct)
}

// Open decrypts what Seal produced, with whichever key sealed it.
func (k *Keys) Open(sealed, aad string) ([]byte, error) {
	id, b64, ok := strings.Cut(sealed, ".")
	if !ok {
		return nil, ErrOpen
	}
	aead, ok := k.keys[id]
	if !ok {
		return nil, fmt.Errorf("%w: key %q is not configured", ErrOpen, id)
	}
	raw, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil || len(raw) < aead.NonceSize() {
		return nil, ErrOpen
	}
	pt, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(aad))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// SealJSON marshals v and seals it.
func (k *Keys) SealJSON(v any, aad string) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return k.Seal(b, aad), nil
}

// OpenJSON opens and unmarshals into v.
func (k *Keys) OpenJSON(sealed, aad string, v any) error {
	b, err := k.Open(sealed, aad)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// Index is the blind index of a value (an email, lower-cased and trimmed
// by the caller's rules): equal inputs give equal indexes, and the index
// reveals nothing without the key.
func (k *Keys) Index(kind, value string) string {
	m := hmac.New(sha256.New, k.index)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}

// HashIP is a salted hash of a client IP for abuse control: it tells
// repeat visitors apart without keeping the address.
func (k *Keys) HashIP(ip string) string { return k.Index("ip", ip)[:32] }
