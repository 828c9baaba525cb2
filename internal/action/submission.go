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
