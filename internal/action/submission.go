package action

import "strconv"

// Sealed is what a submission keeps, encrypted (seal.Keys.SealJSON bound
// to SubmissionAAD): the form as typed, the page's language, and the
// offices its letters will go to (which the confirmation email lists,
// since the job that sends it carries ids only).
type Sealed struct {
	Form    Form         `json:"form"`
	Lang    string       `json:"lang"`
	Offices []OfficeName `json:"offices,omitempty"`
}

// OfficeName names an office as the supporter saw it: the member's title
// ("Senator", "Representative", ...) and name.
type OfficeName struct {
	Title string `json:"title"`
	Name  string `json:"name"`
}

// SubmissionAAD binds a submission's ciphertext to its row.
func SubmissionAAD(id int64) string { return "submission:" + strconv.FormatInt(id, 10) }

// OptInAAD binds a sealed opt-in request (the address and first name of a
// supporter who asked to hear from the organization) to its row, keyed by
// the email's blind index.
func OptInAAD(emailIndex string) string { return "optin:" + emailIndex }
