package tracking

import (
	"strconv"

	"github.com/outreach-org/outreach/internal/seal"
)

// Reply is the text of an office's emailed reply to a letter. Offices
// quote the constituent (name, address, email), so it is personal data:
// stored only sealed, bound to its row (ReplyAAD), and never logged.
type Reply struct {
	From    string `json:"from"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// ReplyAAD binds a reply's ciphertext to its inbound_replies row.
func ReplyAAD(id int64) string { return "inbound_reply:" + strconv.FormatInt(id, 10) }

// SealReply seals a reply for the row id.
func SealReply(keys *seal.Keys, id int64, r Reply) (string, error) {
	return keys.SealJSON(r, ReplyAAD(id))
}

// OpenReply opens a stored reply. An empty sealed value is a reply whose
// text was erased at the supporter's request: it opens to an empty Reply
// and erased true.
func OpenReply(keys *seal.Keys, id int64, sealed string) (r Reply, erased bool, err error) {
	if sealed == "" {
		return Reply{}, true, nil
	}
	err = keys.OpenJSON(sealed, ReplyAAD(id), &r)
	return r, false, err
}
