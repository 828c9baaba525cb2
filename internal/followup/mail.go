package followup

import (
	"context"
	"strings"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/supportermail"
)

// Composers are the follow-up emails the supporter-mail worker sends for
// this package: the survey, the survey asked again, and the reminder.
func (r *Runner) Composers() map[string]supportermail.Composer {
	return map[string]supportermail.Composer{
		supportermail.KindSurvey:      r.surveyEmail(false),
		supportermail.KindSurveyAgain: r.surveyEmail(true),
		supportermail.KindReminder:    r.reminderEmail,
	}
}

// surveyEmail asks a supporter, in one email, whether each office they
// wrote to on the campaign replied: a signed link per office opens the
// survey page for that office's letter. Asked again, it lists only the
// offices they said had not replied yet.
func (r *Runner) surveyEmail(again bool) supportermail.Composer {
	return func(ctx context.Context, in supportermail.Input) (string, string, error) {
		camp, err := r.Store.Campaign(ctx, in.Sub.CampaignID)
		if err != nil {
			return "", "", err
		}
		if camp.Status == campaign.Closed {
			return "", "", supportermail.Skip("the campaign is closed")
		}
		letters, err := r.Store.SurveyLetters(ctx, in.Sub.ID, again)
		if err != nil {
			return "", "", err
		}
		var lines []string
		for _, l := range letters {
			office := l.OfficeCode
			var sl delivery.Sealed
			if l.Sealed != "" {
				if err := r.Links.Keys.OpenJSON(l.Sealed, delivery.LetterAAD(l.ID), &sl); err == nil && sl.Office.Name != "" {
					gender := sl.Office.Gender
					if m, ok := r.member(sl.Office.BioguideID); ok && gender == "" {
						gender = m.Gender // a letter sealed before offices carried it
					}
					office = strings.TrimSpace(in.Lang.TG("lookup.title."+sl.Office.Title, gender) + " " + sl.Office.Name)
				}
			}
			lines = append(lines, "- "+office+": "+r.Links.SurveyURL(camp.Slug, l.ID, in.Lang, in.Now))
		}
		if len(lines) == 0 {
			return "", "", supportermail.Skip("no office to ask about")
		}
		if again {
			return in.Lang.T("fu.survey.again_subject"), in.Lang.T("fu.survey.again_body", in.Sealed.Form.FirstName, camp.Title, strings.Join(lines, "\n")), nil
		}
		return in.Lang.T("fu.survey.subject"), in.Lang.T("fu.survey.body", in.Sealed.Form.FirstName, camp.Title, strings.Join(lines, "\n")), nil
	}
}

// reminderEmail reminds a supporter who did not confirm within a day,
// with a fresh confirmation link (48 hours).
func (r *Runner) reminderEmail(ctx context.Context, in supportermail.Input) (string, string, error) {
	if in.Sub.Status != "pending" {
		return "", "", supportermail.Skip("confirmed before the reminder was sent")
	}
	camp, err := r.Store.Campaign(ctx, in.Sub.CampaignID)
	if err != nil {
		return "", "", err
	}
	if camp.Status == campaign.Closed {
		return "", "", supportermail.Skip("the campaign is closed")
	}
	sl := supportermail.Links{BaseURL: r.Links.BaseURL, Keys: r.Links.Keys}
	link := sl.ConfirmURL(camp.Slug, in.Sub.ID, in.Lang, in.Now.Add(supportermail.ConfirmTTL))
	return in.Lang.T("fu.reminder.subject"), in.Lang.T("fu.reminder.body", in.Sealed.Form.FirstName, camp.Title, link), nil
}

// member is Member, when the runner has one.
func (r *Runner) member(bioguideID string) (*congress.Member, bool) {
	if r.Member == nil {
		return nil, false
	}
	return r.Member(bioguideID)
}
