package action

import (
	"strconv"
	"strings"

	"github.com/outreach-org/outreach/internal/delivery"
)

// Sealed is what a submission keeps, encrypted (seal.Keys.SealJSON bound
// to SubmissionAAD): the form as typed, the page's language, the offices
// its letters will go to (which the confirmation email lists, since the
// job that sends it carries ids only), and the letters themselves as
// rendered when the supporter sent them: confirming stores these, so a
// template edited, a statistics release published or a day gone by before
// the supporter follows the link changes nothing in what they reviewed.
type Sealed struct {
	Form    Form           `json:"form"`
	Lang    string         `json:"lang"`
	Offices []OfficeName   `json:"offices,omitempty"`
	Letters []SealedLetter `json:"letters,omitempty"`
}

// SealedLetter is one letter of a submission as the supporter sent it:
// the office (bioguide id), the letter's parts, sender and office, the
// statistics release it quotes (0: none) and the campaign's template
// version.
type SealedLetter struct {
	BioguideID      string          `json:"bioguide_id"`
	Letter          delivery.Sealed `json:"letter"`
	ReleaseID       int64           `json:"release_id,omitempty"`
	TemplateVersion int             `json:"template_version,omitempty"`
}

// OfficeName names an office as the supporter saw it: the member's title
// ("Senator", "Representative", ...) and name.
type OfficeName struct {
	Title  string `json:"title"`
	Gender string `json:"gender,omitempty"`
	Name   string `json:"name"`
}

// SubmissionAAD binds a submission's ciphertext to its row.
func SubmissionAAD(id int64) string { return "submission:" + strconv.FormatInt(id, 10) }

// OptInAAD binds a sealed opt-in request (the address and first name of a
// supporter who asked to hear from the organization) to its row, keyed by
// the email's blind index.
func OptInAAD(emailIndex string) string { return "optin:" + emailIndex }

// UnsubValue is what an unsubscribe link's token signs: the supporter's
// blind email index and, for a link in a mobilization email, "|m" and the
// mailing's id, so that the mailing can count who left through it. Links
// signed before carry the index alone and still work (ParseUnsubValue).
func UnsubValue(emailIndex string, mailingID int64) string {
	if mailingID == 0 {
		return emailIndex
	}
	return emailIndex + "|m" + strconv.FormatInt(mailingID, 10)
}

// ParseUnsubValue reads a verified unsubscribe token's value: the email
// index, and the mailing it came in (0: none).
func ParseUnsubValue(v string) (emailIndex string, mailingID int64) {
	idx, m, ok := strings.Cut(v, "|m")
	if !ok {
		return v, 0
	}
	n, err := strconv.ParseInt(m, 10, 64)
	if err != nil || n < 0 {
		return idx, 0
	}
	return idx, n
}
