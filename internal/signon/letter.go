package signon

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/i18n"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/supportermail"
)

// Org is a signatory as the letter lists it.
type Org struct{ Name, City, State string }

// OrgsOf lists signatories as the letter does.
func OrgsOf(sigs []store.Signatory) []Org {
	out := make([]Org, len(sigs))
	for i, s := range sigs {
		out[i] = Org{Name: s.Organization, City: s.City, State: s.State}
	}
	return out
}

// List is the block after the letter's text: a heading with the count and
// one line per organization, "Florence Project (Tucson, AZ)".
func List(orgs []Org) string {
	if len(orgs) == 0 {
		return ""
	}
	var b strings.Builder
	if len(orgs) == 1 {
		b.WriteString("Signed by 1 organization:\n")
	} else {
		fmt.Fprintf(&b, "Signed by %d organizations:\n", len(orgs))
	}
	for _, o := range orgs {
		b.WriteString("\n" + o.Name)
		if o.City != "" || o.State != "" {
			b.WriteString(" (" + strings.Trim(o.City+", "+o.State, ", ") + ")")
		}
	}
	return b.String()
}

// Render is the letter one office receives: the campaign's text for its
// member (with the member's seats on the named committees), dated date,
// the list of orgs after it, the figures citation (citation, as a
// constituent letter of the campaign carries it) and the organization
// statement; the sender is the organization that coordinates the letter.
func Render(ctx context.Context, cp *campaign.Compiled, c campaign.Campaign, m *congress.Member, seats campaign.Seats, rel campaign.Release,
	date time.Time, org, citation string, orgs []Org) (delivery.Message, error) {
	d := campaign.MemberData(m)
	d.Date = date.Format("January 2, 2006")
	seats.Apply(&d)
	r, err := cp.Render(ctx, d, rel)
	if err != nil {
		return delivery.Message{}, err
	}
	if l := List(orgs); l != "" {
		r.Body = strings.TrimRight(r.Body, "\n") + "\n\n" + l
	}
	r.Citation = citation
	msg := r.Message()
	msg.Office, msg.Organization = action.Office(m), org
	msg.From = delivery.Constituent{FirstName: org}
	return msg, nil
}

// Store is what a delivery reads and writes.
type Store interface {
	Campaign(ctx context.Context, id int64) (campaign.Campaign, error)
	LatestRelease(ctx context.Context) (store.Release, error)
	DeliverSignOn(ctx context.Context, campaignID int64, now time.Time, a store.Audit, build store.SignOnBuild, enqueue store.Enqueue) ([]int64, error)
}

// Deliverer writes a sign-on letter's letters, once, for the delivery
// worker: "deliver now" on the staff page and the scheduled delivery.
type Deliverer struct {
	Store    Store
	Keys     *seal.Keys
	Congress *congress.Directory
	OrgName  string
	StatsURL string // absolute /stats, for the citation line
	// Enqueue inserts the letters' delivery jobs in the transaction that
	// stores them; nil: none (tests).
	Enqueue store.Enqueue
	// Overseen reports whether a committee is in the oversight table (the
	// seats a letter names when its rules name no committee); nil: none.
	Overseen func(id string) bool
}

// Refusal is a delivery that cannot be made, and why (shown to staff).
type Refusal struct{ Reason string }

func (r *Refusal) Error() string { return r.Reason }

// Deliver writes one letter per targeted office with every approved
// signatory and enqueues their delivery. A second call (or a parallel
// one) answers store.ErrAlreadyDone and writes nothing.
func (d *Deliverer) Deliver(ctx context.Context, campaignID int64, now time.Time, a store.Audit) ([]int64, error) {
	c, err := d.Store.Campaign(ctx, campaignID)
	if err != nil {
		return nil, err
	}
	if !c.Organizational() {
		return nil, &Refusal{Reason: "only a sign-on letter is delivered this way; constituent campaigns deliver each supporter's letters"}
	}
	if c.Demo {
		return nil, &Refusal{Reason: "the demonstration campaign is never delivered"}
	}
	if d.Congress == nil {
		return nil, &Refusal{Reason: "the congressional data is not loaded: the letter's offices are not known"}
	}
	offices := c.Targets.SignOnOffices(d.Congress)
	if len(offices) == 0 {
		return nil, &Refusal{Reason: "the letter's rules reach no office in the congressional data (as of " + d.Congress.AsOf() + "): check its committees and offices"}
	}
	cp, verr := campaign.CompileCampaign(c)
	if verr != nil {
		return nil, &Refusal{Reason: "the letter does not compile: " + verr.Error()}
	}
	rel, err := d.release(ctx)
	if err != nil {
		return nil, err
	}
	if un := cp.Unpublished(rel); len(un) > 0 {
		return nil, &Refusal{Reason: "not delivered: " + un[0].Message}
	}
	citation := cp.CitationFor(c, d.OrgName, d.StatsURL, rel)
	var relID *int64
	if rel.ID != 0 && cp.QuotesRelease() {
		relID = &rel.ID
	}
	build := func(subID int64, approved []store.Signatory) ([]store.NewLetter, error) {
		if len(approved) == 0 {
			return nil, &Refusal{Reason: "no signatory is approved yet: approve the organizations first"}
		}
		orgs := OrgsOf(approved)
		out := make([]store.NewLetter, 0, len(offices))
		for _, m := range offices {
			seats := campaign.SeatsFor(d.Congress, c.Targets, m, d.Overseen)
			msg, err := Render(ctx, cp, c, m, seats, rel, now, d.OrgName, citation, orgs)
			if err != nil {
				return nil, fmt.Errorf("render the letter to %s: %w", m.Name, err)
			}
			sealed := msg.Sealed()
			out = append(out, store.NewLetter{CampaignID: c.ID, SubmissionID: subID, BioguideID: m.BioguideID,
				OfficeCode: msg.Office.Code, Chamber: msg.Office.Chamber, State: m.State, District: m.District, Party: m.Party,
				TemplateVer: c.TemplateVersion, StatsReleaseID: relID,
				DeliveryID: delivery.NewDeliveryID(), ReplyToken: delivery.NewReplyToken(),
				Seal: func(id int64) (string, error) { return d.Keys.SealJSON(sealed, delivery.LetterAAD(id)) }})
		}
		return out, nil
	}
	return d.Store.DeliverSignOn(ctx, campaignID, now, a, build, d.Enqueue)
}

func (d *Deliverer) release(ctx context.Context) (campaign.Release, error) {
	r, err := d.Store.LatestRelease(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return campaign.Release{}, nil
	}
	if err != nil {
		return campaign.Release{}, err
	}
	return campaign.Release{ID: r.ID, AsOf: r.CreatedAt, Synthetic: r.Synthetic, Figures: r.Figures}, nil
}

// ConfirmPurpose is the purpose the confirmation link's token is signed
// for (the submission id): a constituent's confirmation token does not
// confirm a signature, nor the other way round.
const ConfirmPurpose = "signon"

// ConfirmTTL is how long the confirmation link works: organizations
// often need a colleague's go-ahead before they confirm.
const ConfirmTTL = 7 * 24 * time.Hour

// MailStore is what the confirmation email reads.
type MailStore interface {
	Campaign(ctx context.Context, id int64) (campaign.Campaign, error)
	SignatoryBySubmission(ctx context.Context, subID int64) (store.Signatory, error)
}

// ConfirmURL is the link that confirms the signature of submission subID,
// valid until exp.
func ConfirmURL(l supportermail.Links, slug string, subID int64, lang i18n.Lang, exp time.Time) string {
	t := l.Signer().Sign(ConfirmPurpose, strconv.FormatInt(subID, 10), exp)
	return l.URL("/c/"+slug+"/sign/confirm", url.Values{"t": {t}, "lang": {string(lang)}})
}

// Composer writes the email (store.MailSignOnConfirm) that asks the
// contact to confirm their organization's signature; the supporter-mail
// worker sends it like every supporter email (outbox or SendGrid, with
// the unsubscribe and delete-my-data footer).
func Composer(st MailStore, l supportermail.Links) supportermail.Composer {
	return func(ctx context.Context, in supportermail.Input) (string, string, error) {
		if in.Sub.Status != "pending" {
			return "", "", supportermail.Skip("the signature was confirmed before its email was sent")
		}
		exp := in.Sub.CreatedAt.Add(ConfirmTTL)
		if !in.Now.Before(exp) {
			return "", "", supportermail.Skip("the confirmation link expired before it could be sent")
		}
		sig, err := st.SignatoryBySubmission(ctx, in.Sub.ID)
		if err != nil {
			return "", "", err
		}
		c, err := st.Campaign(ctx, in.Sub.CampaignID)
		if err != nil {
			return "", "", err
		}
		title := c.Title
		if in.Lang == i18n.Spanish && c.TitleES != "" {
			title = c.TitleES
		}
		link := ConfirmURL(l, c.Slug, in.Sub.ID, in.Lang, exp)
		return in.Lang.T("sign.mail.subject"), in.Lang.T("sign.mail.body", in.Sealed.Form.FirstName, title, sig.Organization,
			strings.Trim(sig.City+", "+sig.State, ", "), link), nil
	}
}
