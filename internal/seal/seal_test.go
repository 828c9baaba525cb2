package seal

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpenAndRotation(t *testing.T) {
	k1, idx := "k1:"+NewKey(), NewKey()
	old, err := Parse(k1, idx)
	if err != nil {
		t.Fatal(err)
	}
	ct := old.Seal([]byte("Ana García, 12 Elm St"), "submission:1")
	if strings.Contains(ct, "Ana") || !strings.HasPrefix(ct, "k1.") {
		t.Fatalf("ciphertext %q", ct)
	}
	if _, err := old.Open(ct, "submission:2"); !errors.Is(err, ErrOpen) {
		t.Error("a ciphertext opened under another row's AAD")
	}
	// rotate: new current key k2, k1 kept for reading
	rotated, err := Parse("k2:"+NewKey()+","+k1, idx)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := rotated.Open(ct, "submission:1")
	if err != nil || string(pt) != "Ana García, 12 Elm St" {
		t.Fatalf("open after rotation: %q %v", pt, err)
	}
	if !strings.HasPrefix(rotated.Seal([]byte("x"), ""), "k2.") {
		t.Error("new data not sealed with the current key")
	}
	if rotated.Index("email", "a@example.org") != old.Index("email", "a@example.org") {
		t.Error("blind index changed with key rotation")
	}
	// a key that is gone
	if _, err := Parse("k3:"+NewKey(), idx); err != nil {
		t.Fatal(err)
	}
	only3, _ := Parse("k3:"+NewKey(), idx)
	if _, err := only3.Open(ct, "submission:1"); !errors.Is(err, ErrOpen) {
		t.Error("opened without its key")
	}
	// tampering
	b := []byte(ct)
	b[len(b)-2] ^= 1
	if _, err := old.Open(string(b), "submission:1"); !errors.Is(err, ErrOpen) {
		t.Error("tampered ciphertext opened")
	}
	if _, err := Parse("k1:short", NewKey()); err == nil {
		t.Error("short key accepted")
	}
	if _, err := Parse("k1:"+NewKey(), "bad"); err == nil {
		t.Error("bad index key accepted")
	}
}

func TestCreateAndLoadFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "data", "keys.json")
	if _, err := LoadFile(p); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	k, created, err := CreateFile(p)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v", st.Mode().Perm())
	}
	ct := k.Seal([]byte("x"), "a")
	k2, created, err := CreateFile(p) // never over an existing file
	if err != nil || created {
		t.Fatalf("second create: %v %v", created, err)
	}
	if pt, err := k2.Open(ct, "a"); err != nil || string(pt) != "x" {
		t.Errorf("the file's keys cannot open: %v", err)
	}
	k3, err := LoadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := k3.Open(ct, "a"); err != nil || string(pt) != "x" {
		t.Errorf("reloaded keys cannot open: %v", err)
	}
}

func TestResealUnderTheCurrentKey(t *testing.T) {
	a, idx := "a:"+NewKey(), NewKey()
	old, _ := Parse(a, idx)
	ct := old.Seal([]byte("Ana"), "letter:1")
	b := "b:" + NewKey()
	both, _ := Parse(b+","+a, idx)
	if got := both.IDs(); len(got) != 2 || got[0] != "b" || got[1] != "a" {
		t.Errorf("IDs = %v", got)
	}
	re, err := both.Reseal(ct, "letter:1")
	if err != nil || SealedWith(re) != "b" || SealedWith(ct) != "a" {
		t.Fatalf("reseal: %q %v", re, err)
	}
	onlyB, _ := Parse(b, idx)
	if pt, err := onlyB.Open(re, "letter:1"); err != nil || string(pt) != "Ana" {
		t.Errorf("the re-sealed value does not open without the old key: %v", err)
	}
	if _, err := both.Reseal(ct, "letter:2"); !errors.Is(err, ErrOpen) {
		t.Error("re-sealed under another row's AAD")
	}
}

// TestCreateFileIsPrivate: generated keys are written 0600 in a
// directory created 0700.
func TestCreateFileIsPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "keys.json")
	if _, created, err := CreateFile(path); err != nil || !created {
		t.Fatalf("created %v, %v", created, err)
	}
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s mode %o, want %o", p, fi.Mode().Perm(), want)
		}
	}
}
