package followup

import (
	"errors"
	"strconv"

	"github.com/outreach-org/outreach/internal/letter"
)

// SecondData is what a second letter is filled with: every merge field of
// the supporter's first letter (supporter and office), plus the first
// letter's date and the number of constituents who wrote to the office.
type SecondData struct {
	letter.Data
	FirstLetterDate  string
	ConstituentCount int64
}

// ParseSecond validates a second-letter template (the letter's merge
// fields plus first_letter_date and constituent_count); unknown fields
// are refused with their line and column.
func ParseSecond(subject, body string) (*letter.Letter, error) {
	if body == "" {
		return nil, errors.New("the follow-up letter's body is empty")
	}
	if subject == "" {
		return nil, errors.New("the follow-up letter's subject is empty")
	}
	return letter.ParseLetter("followup", subject, body, nil)
}

// RenderSecond renders a second letter.
func RenderSecond(subject, body string, d SecondData) (string, string, error) {
	l, err := ParseSecond(subject, body)
	if err != nil {
		return "", "", err
	}
	data := d.Data
	data.FirstLetterDate, data.ConstituentCount = d.FirstLetterDate, strconv.FormatInt(d.ConstituentCount, 10)
	return renderLetter(l, data)
}

// PreviewSecond renders a template with the sample data.
func PreviewSecond(subject, body string) (string, string, error) {
	l, err := ParseSecond(subject, body)
	if err != nil {
		return "", "", err
	}
	return renderLetter(l, letter.SampleSupporter())
}

func renderLetter(l *letter.Letter, d letter.Data) (string, string, error) {
	return l.Render(d, nil)
}
