package action_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/congress"
)

// The district office to call: one in the supporter's ZIP code, else one
// in their district, else one sharing their ZIP code's first three
// digits, else the first listed; offices without a phone never.
func TestNearestOffice(t *testing.T) {
	dir, err := congress.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	m := &congress.Member{BioguideID: "X000001", Offices: []congress.Office{
		{City: "Fresno", ZIP: "93721", Phone: "559-497-5109"},
		{City: "No phone", ZIP: "94110"},
		{City: "San Francisco", ZIP: "94104", Phone: "415-981-9369"},
		{City: "Oakland", ZIP: "94612", Phone: "510-555-0100"},
		{City: "Los Angeles", ZIP: "90012-3456", Phone: "310-231-4494"},
	}}
	ca11 := congress.District{State: "CA", Number: 11}
	for _, c := range []struct {
		zip  string
		d    *congress.District
		want int
	}{
		{"90012", nil, 4},      // the same ZIP code (the office's is ZIP+4)
		{"94110", &ca11, 2},    // the office in the supporter's district (the one in their ZIP has no phone)
		{"94601", nil, 3},      // the same first three digits (946)
		{"10001", nil, 0},      // nothing near: the first listed
		{"", nil, 0},           // nothing known
		{"93721-0001", nil, 0}, // ZIP+4 of the Fresno office
	} {
		if got := action.NearestOffice(dir, m, c.zip, c.d); got != c.want {
			t.Errorf("ZIP %q: office %d, want %d", c.zip, got, c.want)
		}
	}
	if got := action.NearestOffice(dir, &congress.Member{Offices: []congress.Office{{City: "X"}}}, "94110", nil); got != -1 {
		t.Errorf("no phone anywhere: %d", got)
	}
}

// A call page's token carries the campaign, the nonce and the offices;
// a changed, expired or other-purpose token is refused.
func TestCallPageToken(t *testing.T) {
	s := action.NewSigner(func(kind, value string) string {
		m := hmac.New(sha256.New, []byte("test key"))
		m.Write([]byte(kind + "\x00" + value))
		return hex.EncodeToString(m.Sum(nil))
	})
	p := action.NewCallPage(7, []action.CallOffice{{BioguideID: "P000197", Office: 0}, {BioguideID: "P000145", Office: -1}})
	if len(p.Nonce) != 32 || p.Nonce == action.NewCallPage(7, nil).Nonce {
		t.Fatalf("nonce %q", p.Nonce)
	}
	now := time.Now()
	tok := s.SignCallPage(p, now.Add(time.Hour))
	got, err := s.VerifyCallPage(tok, now)
	if err != nil || got.CampaignID != 7 || got.Nonce != p.Nonce || len(got.Offices) != 2 || got.Offices[1] != p.Offices[1] || !got.Has("P000145") || got.Has("S001150") {
		t.Fatalf("verify: %+v %v", got, err)
	}
	if _, err := s.VerifyCallPage(tok, now.Add(2*time.Hour)); err != action.ErrExpiredToken {
		t.Errorf("expired: %v", err)
	}
	if _, err := s.Verify("confirm", tok, now); err != action.ErrBadToken {
		t.Errorf("as a confirmation link: %v", err)
	}
	// Change the last character of the signature (to another one: a
	// token ending in "0" stays itself with "0").
	last := "0"
	if strings.HasSuffix(tok, "0") {
		last = "1"
	}
	if _, err := s.VerifyCallPage(tok[:len(tok)-1]+last, now); err != action.ErrBadToken {
		t.Errorf("changed: %v", err)
	}
}
