package followup

import (
	"strconv"

	"github.com/outreach-org/outreach/internal/seal"
)

// SurveyText is what a supporter may write with a survey answer: a
// sentence, and the office's reply they chose to forward (which quotes
// them). It is stored only sealed, bound to its survey_answers row.
type SurveyText struct {
	Note      string `json:"note,omitempty"`
	ReplyText string `json:"reply_text,omitempty"`
}

// SurveyAAD binds a survey answer's text to its row.
func SurveyAAD(id int64) string { return "survey_answer:" + strconv.FormatInt(id, 10) }

// SealSurveyText seals the text of the answer id; nothing to say seals to
// "" (no ciphertext for an empty text).
func SealSurveyText(keys *seal.Keys, id int64, t SurveyText) (string, error) {
	if t == (SurveyText{}) {
		return "", nil
	}
	return keys.SealJSON(t, SurveyAAD(id))
}

// OpenSurveyText opens the text of the answer id ("" opens to nothing).
func OpenSurveyText(keys *seal.Keys, id int64, sealed string) (SurveyText, error) {
	var t SurveyText
	if sealed == "" {
		return t, nil
	}
	err := keys.OpenJSON(sealed, SurveyAAD(id), &t)
	return t, err
}
