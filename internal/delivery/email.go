package delivery

// Email is a message to a supporter or to staff (confirmations, copies of
// letters, surveys, notices), as the supporter mail path hands it to a
// mail channel (the outbox, or SendGrid). The JSON names are how the
// outbox stores it, sealed: keep them.
type Email struct {
	To      string            `json:"to"`
	Subject string            `json:"subject"`
	Text    string            `json:"text"`
	Headers map[string]string `json:"headers,omitempty"`
}
