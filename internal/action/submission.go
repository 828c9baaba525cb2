package action

import "strconv"

// Sealed is what a submission keeps, encrypted (seal.Keys.SealJSON bound
// to SubmissionAAD): the form as typed and the page's language.
type Sealed struct {
	Form Form   `json:"form"`
	Lang string `json:"lang"`
}

// SubmissionAAD binds a submission's ciphertext to its row.
func SubmissionAAD(id int64) string { return "submission:" + strconv.FormatInt(id, 10) }

// OptInAAD binds a sealed opt-in request (the address and first name of a
// supporter who asked to hear from the organization) to its row, keyed by
// the email's blind index.
func OptInAAD(emailIndex string) string { return "optin:" + emailIndex }
