package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Sign-on letters: organizations sign one letter (signatories), staff
// review them, and the letter is delivered once to every targeted office
// (signon_deliveries). The contact's name and email are sealed in the
// signatory's submission, which also carries its confirmation email
// (supporter_mail, kind MailSignOnConfirm), so that unsubscribe, delete my
// data, the outbox and SendGrid treat it like any supporter email.

// MailSignOnConfirm is the email that asks a signatory's contact to
// confirm the sign-on.
const MailSignOnConfirm = "signon_confirm"

// Signatory statuses.
const (
	SignUnconfirmed = "unconfirmed" // the email link was not followed yet
	SignPending     = "pending"     // confirmed; waiting for staff
	SignApproved    = "approved"    // listed publicly and in the letter
	SignRejected    = "rejected"
	SignMerged      = "merged" // a duplicate of MergedInto
)

// SignatoryStatuses lists the statuses in the order the staff page shows them.
var SignatoryStatuses = []string{SignPending, SignApproved, SignUnconfirmed, SignRejected, SignMerged}

// Signatory is an organization that signed a sign-on letter. Organization,
// City, State and Website are what is published; the contact is sealed in
// the submission. NameKey, SiteKey and DomainIndex find duplicates.
type Signatory struct {
	ID           int64 `gorm:"primaryKey"`
	CampaignID   int64
	SubmissionID int64
	Organization string
	City         string
	State        string
	Website      string
	NameKey      string
	SiteKey      string
	DomainIndex  string
	Status       string
	MergedInto   *int64
	CreatedAt    time.Time
	ConfirmedAt  *time.Time
	ReviewedAt   *time.Time
	ReviewedBy   *int64
}

func (Signatory) TableName() string { return "signatories" }

// ErrSignOnDelivered refuses a change that would no longer reach the
// letter: it was delivered with the list as it stood.
var ErrSignOnDelivered = errors.New("the sign-on letter was delivered already; its list of signatories is final")

// ErrSignatoryState refuses a review the signatory's status does not allow.
type ErrSignatoryState struct{ Status, Want string }

func (e *ErrSignatoryState) Error() string {
	switch e.Status {
	case SignUnconfirmed:
		return "the organization has not confirmed its email address yet; it can be reviewed once it has"
	case SignMerged:
		return "the organization was merged into another signatory; review that one"
	}
	return fmt.Sprintf("a signatory that is %s cannot become %s", e.Status, e.Want)
}

// CreateSignatory stores a sign-on: a pending submission sealing the
// contact (seal), the signatory (unconfirmed) and, when confirm is set,
// the confirmation email with its job, all in one transaction under the
// submission limits.
func (s *Store) CreateSignatory(ctx context.Context, sub Submission, seal func(id int64) (string, error), sig Signatory, confirm MailEnqueue, limits ...SubmissionLimit) (Signatory, error) {
	_, err := s.createSubmission(ctx, sub, seal, MailSignOnConfirm, confirm, func(tx *gorm.DB, id int64) error {
		sig.ID, sig.CampaignID, sig.SubmissionID, sig.Status = 0, sub.CampaignID, id, SignUnconfirmed
		sig.CreatedAt = sub.CreatedAt.UTC()
		if sig.CreatedAt.IsZero() {
			sig.CreatedAt = time.Now().UTC()
		}
		return wrapf(tx.Create(&sig).Error, "create signatory")
	}, limits...)
	return sig, err
}

// ConfirmSignatory records that the contact followed the email link: the
// submission is confirmed and the signatory waits for staff. It answers
// ErrAlreadyDone when it was confirmed before and ErrNotFound when the
// submission is not a signatory of campaignID (or was erased).
func (s *Store) ConfirmSignatory(ctx context.Context, campaignID, subID int64, now time.Time) (Signatory, error) {
	var sig Signatory
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("submission_id = ? AND campaign_id = ?", subID, campaignID).Take(&sig).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return wrapf(err, "confirm signatory")
		}
		res := tx.Model(&submissionRow{}).Where("id = ? AND status = 'pending'", subID).
			Updates(map[string]any{"status": "confirmed", "confirmed_at": now.UTC()})
		if res.Error != nil {
			return wrapf(res.Error, "confirm signatory")
		}
		if res.RowsAffected == 0 {
			return whyNotPending(tx, subID, campaignID)
		}
		t := now.UTC()
		sig.ConfirmedAt = &t
		if sig.Status == SignUnconfirmed {
			sig.Status = SignPending
		}
		return wrapf(tx.Model(&Signatory{}).Where("id = ?", sig.ID).
			Updates(map[string]any{"status": sig.Status, "confirmed_at": t}).Error, "confirm signatory")
	})
	return sig, err
}

// Signatories lists a campaign's signatories with one of statuses (all
// when none), by organization name.
func (s *Store) Signatories(ctx context.Context, campaignID int64, statuses ...string) ([]Signatory, error) {
	q := s.db.WithContext(ctx).Where("campaign_id = ?", campaignID)
	if len(statuses) > 0 {
		q = q.Where("status IN ?", statuses)
	}
	var out []Signatory
	err := q.Order("name_key, id").Find(&out).Error
	return out, wrapf(err, "signatories")
}

// Signatory loads one signatory of a campaign.
func (s *Store) Signatory(ctx context.Context, campaignID, id int64) (Signatory, error) {
	var sig Signatory
	err := s.db.WithContext(ctx).Where("id = ? AND campaign_id = ?", id, campaignID).Take(&sig).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return sig, ErrNotFound
	}
	return sig, wrapf(err, "signatory")
}

// SignatoryBySubmission loads the signatory of a submission.
func (s *Store) SignatoryBySubmission(ctx context.Context, subID int64) (Signatory, error) {
	var sig Signatory
	err := s.db.WithContext(ctx).Where("submission_id = ?", subID).Take(&sig).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return sig, ErrNotFound
	}
	return sig, wrapf(err, "signatory by submission")
}

// ApprovedCount is the number of approved signatories (the public count).
func (s *Store) ApprovedCount(ctx context.Context, campaignID int64) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Signatory{}).Where("campaign_id = ? AND status = ?", campaignID, SignApproved).Count(&n).Error
	return n, wrapf(err, "approved count")
}

// ReviewSignatory approves or rejects a confirmed signatory (or puts it
// back to pending), with an audit entry; refused once the letter was
// delivered (ErrSignOnDelivered) and for an unconfirmed or merged one.
func (s *Store) ReviewSignatory(ctx context.Context, campaignID, id int64, status string, a Audit) (Signatory, error) {
	if status != SignApproved && status != SignRejected && status != SignPending {
		return Signatory{}, errors.New("store: a review approves, rejects or puts back to pending")
	}
	var sig Signatory
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := notDelivered(tx, campaignID); err != nil {
			return err
		}
		if err := s.forUpdate(tx.Where("id = ? AND campaign_id = ?", id, campaignID)).Take(&sig).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return wrapf(err, "review signatory")
		}
		if sig.Status == SignUnconfirmed || sig.Status == SignMerged {
			return &ErrSignatoryState{Status: sig.Status, Want: status}
		}
		if sig.Status == status {
			return nil
		}
		now := time.Now().UTC()
		from := sig.Status
		sig.Status, sig.ReviewedAt, sig.ReviewedBy = status, &now, actorPtr(a.ActorID)
		if err := tx.Model(&Signatory{}).Where("id = ?", sig.ID).
			Updates(map[string]any{"status": status, "reviewed_at": now, "reviewed_by": sig.ReviewedBy}).Error; err != nil {
			return wrapf(err, "review signatory")
		}
		a.Action, a.ObjectType, a.ObjectID = "signatory."+status, "campaign", strconv.FormatInt(campaignID, 10)
		a.Detail = fmt.Sprintf("signatory=%d from=%s", sig.ID, from)
		return writeAudit(tx, a)
	})
	return sig, err
}

// MergeSignatories records dup as a duplicate of keep: dup leaves every
// list (status merged) and keep stays as it is. Both must be signatories
// of the campaign, distinct, and not merged already.
func (s *Store) MergeSignatories(ctx context.Context, campaignID, keep, dup int64, a Audit) error {
	if keep == dup {
		return &ErrSignatoryState{Status: "the same signatory", Want: "merged into itself"}
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := notDelivered(tx, campaignID); err != nil {
			return err
		}
		var rows []Signatory
		if err := s.forUpdate(tx.Where("id IN ? AND campaign_id = ?", []int64{keep, dup}, campaignID)).Order("id").Find(&rows).Error; err != nil {
			return wrapf(err, "merge signatories")
		}
		if len(rows) != 2 {
			return ErrNotFound
		}
		for _, r := range rows {
			if r.Status == SignMerged {
				return &ErrSignatoryState{Status: SignMerged, Want: "merged"}
			}
		}
		now := time.Now().UTC()
		if err := tx.Model(&Signatory{}).Where("id = ?", dup).Updates(map[string]any{"status": SignMerged, "merged_into": keep,
			"reviewed_at": now, "reviewed_by": actorPtr(a.ActorID)}).Error; err != nil {
			return wrapf(err, "merge signatories")
		}
		// Anything merged into the duplicate now points at the one kept.
		if err := tx.Model(&Signatory{}).Where("merged_into = ?", dup).Update("merged_into", keep).Error; err != nil {
			return wrapf(err, "merge signatories")
		}
		a.Action, a.ObjectType, a.ObjectID = "signatory.merge", "campaign", strconv.FormatInt(campaignID, 10)
		a.Detail = fmt.Sprintf("signatory=%d into=%d", dup, keep)
		return writeAudit(tx, a)
	})
}

// SignOnDelivery is where a sign-on letter's delivery stands.
type SignOnDelivery struct {
	CampaignID   int64 `gorm:"primaryKey"`
	DeliverAt    *time.Time
	DeliveredAt  *time.Time
	DeliveredBy  *int64
	SubmissionID *int64
	Signatories  int
	Letters      int
	// Refused is why the last scheduled delivery was not made (then
	// unscheduled), at RefusedAt; "" when none or once rescheduled.
	Refused   string
	RefusedAt *time.Time
}

func (SignOnDelivery) TableName() string { return "signon_deliveries" }

// SignOnDeliveryOf is the campaign's delivery (zero, with CampaignID set,
// when nothing was scheduled or delivered).
func (s *Store) SignOnDeliveryOf(ctx context.Context, campaignID int64) (SignOnDelivery, error) {
	d := SignOnDelivery{CampaignID: campaignID}
	err := s.db.WithContext(ctx).Where("campaign_id = ?", campaignID).Take(&d).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return SignOnDelivery{CampaignID: campaignID}, nil
	}
	return d, wrapf(err, "sign-on delivery of")
}

func notDelivered(tx *gorm.DB, campaignID int64) error {
	var n int64
	if err := tx.Model(&SignOnDelivery{}).Where("campaign_id = ? AND delivered_at IS NOT NULL", campaignID).Count(&n).Error; err != nil {
		return wrapf(err, "sign-on delivered")
	}
	if n > 0 {
		return ErrSignOnDelivered
	}
	return nil
}

// ScheduleSignOn sets (at) or clears (nil) the time the letter is
// delivered by itself; refused once it was delivered.
func (s *Store) ScheduleSignOn(ctx context.Context, campaignID int64, at *time.Time, a Audit) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := notDelivered(tx, campaignID); err != nil {
			return err
		}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&SignOnDelivery{CampaignID: campaignID}).Error; err != nil {
			return wrapf(err, "schedule sign-on")
		}
		if err := tx.Model(&SignOnDelivery{}).Where("campaign_id = ?", campaignID).
			Updates(map[string]any{"deliver_at": utcPtr(at), "refused": "", "refused_at": nil}).Error; err != nil {
			return wrapf(err, "schedule sign-on")
		}
		a.Action, a.ObjectType, a.ObjectID = "signon.schedule", "campaign", strconv.FormatInt(campaignID, 10)
		a.Detail = "deliver_at=none"
		if at != nil {
			a.Detail = "deliver_at=" + at.UTC().Format(time.RFC3339)
		}
		return writeAudit(tx, a)
	})
}

// RefuseScheduledSignOn unschedules a due delivery that could not be made,
// keeping why for staff (audited), so that it is not tried again every
// minute. A schedule staff moved to a later time meanwhile is left alone.
func (s *Store) RefuseScheduledSignOn(ctx context.Context, campaignID int64, reason string, now time.Time) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&SignOnDelivery{}).Where("campaign_id = ? AND delivered_at IS NULL AND deliver_at IS NOT NULL AND deliver_at <= ?", campaignID, now.UTC()).
			Updates(map[string]any{"deliver_at": nil, "refused": reason, "refused_at": now.UTC()})
		if res.Error != nil || res.RowsAffected == 0 {
			return wrapf(res.Error, "refuse scheduled sign-on")
		}
		return writeAudit(tx, Audit{Action: "signon.schedule_refused", ObjectType: "campaign", ObjectID: strconv.FormatInt(campaignID, 10), Detail: reason})
	})
}

// DueSignOns lists the campaigns whose scheduled delivery time has come
// and that were not delivered yet.
func (s *Store) DueSignOns(ctx context.Context, now time.Time) ([]int64, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Model(&SignOnDelivery{}).Where("delivered_at IS NULL AND deliver_at IS NOT NULL AND deliver_at <= ?", now.UTC()).
		Order("campaign_id").Pluck("campaign_id", &ids).Error
	return ids, wrapf(err, "due sign-ons")
}

// SignOnBuild renders the letters of a delivery: one per office, from
// the sender submission subID, listing approved (by name).
type SignOnBuild func(subID int64, approved []Signatory) ([]NewLetter, error)

// DeliverSignOn delivers a sign-on letter once: in one transaction it
// marks the campaign delivered (the single UPDATE that sets delivered_at
// decides between parallel requests: the others get ErrAlreadyDone),
// writes the sender row (a submission of status "coalition" that every
// letter hangs from), reads the approved signatories, stores the letters
// build renders and enqueues their delivery jobs. Each office gets one
// letter: the unique index on (campaign, sender, office) of first letters
// holds even if two deliveries got past the guard.
func (s *Store) DeliverSignOn(ctx context.Context, campaignID int64, now time.Time, a Audit, build SignOnBuild, enqueue Enqueue) ([]int64, error) {
	var ids []int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&SignOnDelivery{CampaignID: campaignID}).Error; err != nil {
			return wrapf(err, "deliver sign-on")
		}
		res := tx.Model(&SignOnDelivery{}).Where("campaign_id = ? AND delivered_at IS NULL", campaignID).
			Updates(map[string]any{"delivered_at": now.UTC(), "delivered_by": actorPtr(a.ActorID)})
		if res.Error != nil {
			return wrapf(res.Error, "deliver sign-on")
		}
		if res.RowsAffected == 0 {
			return ErrAlreadyDone
		}
		var approved []Signatory
		if err := tx.Where("campaign_id = ? AND status = ?", campaignID, SignApproved).Order("name_key, id").Find(&approved).Error; err != nil {
			return wrapf(err, "deliver sign-on")
		}
		sender := submissionRow{CampaignID: campaignID, EmailIndex: coalitionIndex(campaignID), Sealed: "", Lang: "en",
			Status: "coalition", CreatedAt: now.UTC(), ConfirmedAt: ptrTime(now.UTC())}
		if err := tx.Create(&sender).Error; err != nil {
			return wrapf(err, "deliver sign-on")
		}
		letters, err := build(sender.ID, approved)
		if err != nil {
			return err
		}
		for i := range letters {
			letters[i].SubmissionID, letters[i].EmailIndex, letters[i].Kind = sender.ID, sender.EmailIndex, LetterFirst
		}
		if ids, _, err = createLettersTx(ctx, tx, nil, letters, enqueue); err != nil {
			return err
		}
		if err := tx.Model(&SignOnDelivery{}).Where("campaign_id = ?", campaignID).
			Updates(map[string]any{"submission_id": sender.ID, "signatories": len(approved), "letters": len(ids)}).Error; err != nil {
			return wrapf(err, "deliver sign-on")
		}
		a.Action, a.ObjectType, a.ObjectID = "signon.deliver", "campaign", strconv.FormatInt(campaignID, 10)
		a.Detail = fmt.Sprintf("signatories=%d letters=%d", len(approved), len(ids))
		return writeAudit(tx, a)
	})
	return ids, err
}

// coalitionIndex is the email_index of a sign-on letter's sender row: not
// an address's blind index, so no supporter's erasure or unsubscribe can
// match it, and one per campaign, so the unique index on first letters
// allows one letter per office.
func coalitionIndex(campaignID int64) string { return "coalition:" + strconv.FormatInt(campaignID, 10) }

func ptrTime(t time.Time) *time.Time { return &t }
