package action

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/outreach-org/outreach/internal/congress"
)

// Calls. After their letters (or, on a calls-only campaign, after the
// lookup) a supporter gets a call page: their offices, each with its
// Washington number and the district office nearest to them, the script,
// and buttons to report how the call went. The page is a signed token
// (CallPage) so that it carries no personal data and needs no storage
// until an outcome is reported; its random nonce lets the store count one
// outcome per office per page.

// CallPageTTL is how long a call page takes outcomes.
const CallPageTTL = 12 * time.Hour

// CallOffice is one office on a call page: the member, and the index in
// their Offices of the district office to call (-1: none has a phone).
type CallOffice struct {
	BioguideID string
	Office     int
}

// CallPage is what a call page's token carries.
type CallPage struct {
	CampaignID int64
	Nonce      string // 32 hex digits, random
	Offices    []CallOffice
}

// NewCallPage is a call page for these offices with a fresh nonce.
func NewCallPage(campaignID int64, offices []CallOffice) CallPage {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return CallPage{CampaignID: campaignID, Nonce: hex.EncodeToString(b[:]), Offices: offices}
}

// Has reports whether the page lists the office.
func (p CallPage) Has(bioguideID string) bool {
	for _, o := range p.Offices {
		if o.BioguideID == bioguideID {
			return true
		}
	}
	return false
}

const callPurpose = "call"

// SignCallPage is the page's token, valid until exp.
func (s Signer) SignCallPage(p CallPage, exp time.Time) string {
	parts := make([]string, len(p.Offices))
	for i, o := range p.Offices {
		parts[i] = o.BioguideID + ":" + strconv.Itoa(o.Office)
	}
	return s.Sign(callPurpose, strconv.FormatInt(p.CampaignID, 10)+"|"+p.Nonce+"|"+strings.Join(parts, ","), exp)
}

// VerifyCallPage checks a call page's token (ErrBadToken, ErrExpiredToken).
func (s Signer) VerifyCallPage(token string, now time.Time) (CallPage, error) {
	v, err := s.Verify(callPurpose, token, now)
	if err != nil {
		return CallPage{}, err
	}
	f := strings.Split(v, "|")
	if len(f) != 3 || len(f[1]) != 32 || f[2] == "" {
		return CallPage{}, ErrBadToken
	}
	p := CallPage{Nonce: f[1]}
	if p.CampaignID, err = strconv.ParseInt(f[0], 10, 64); err != nil {
		return CallPage{}, ErrBadToken
	}
	for _, o := range strings.Split(f[2], ",") {
		id, idx, ok := strings.Cut(o, ":")
		n, err := strconv.Atoi(idx)
		if !ok || err != nil || id == "" {
			return CallPage{}, ErrBadToken
		}
		p.Offices = append(p.Offices, CallOffice{BioguideID: id, Office: n})
	}
	return p, nil
}

// NearestOffice picks the district office of m a supporter in zip (and
// district d, when known) should call, as an index into m.Offices; -1
// when no district office has a phone number. The built-in data has no
// office coordinates, so "nearest" is, in order: an office in the
// supporter's own ZIP code; one in their congressional district (by its
// ZIP code's district); one sharing the first three digits of their ZIP
// code (the same postal sectional centre); else the first office listed.
func NearestOffice(dir *congress.Directory, m *congress.Member, zip string, d *congress.District) int {
	zip5 := zip
	if len(zip5) > 5 {
		zip5 = zip5[:5]
	}
	best, rank := -1, 5
	for i, o := range m.Offices {
		if o.Phone == "" {
			continue
		}
		r := 4
		oz := o.ZIP
		if len(oz) > 5 {
			oz = oz[:5]
		}
		switch {
		case zip5 != "" && oz == zip5:
			r = 1
		case d != nil && inDistrict(dir, oz, *d):
			r = 2
		case len(zip5) == 5 && len(oz) == 5 && oz[:3] == zip5[:3]:
			r = 3
		}
		if r < rank {
			best, rank = i, r
		}
	}
	return best
}

// inDistrict reports whether a ZIP code lies (at least partly) in d.
func inDistrict(dir *congress.Directory, zip string, d congress.District) bool {
	res, err := dir.LookupZIP(zip)
	if err != nil {
		return false
	}
	for _, x := range res.Districts {
		if x == d {
			return true
		}
	}
	return false
}
