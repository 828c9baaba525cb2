package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/outreach-org/outreach/internal/campaign"
)

// Campaigns: one row per campaign pointing at its current letter version,
// and one immutable row per version of the letter (subject, body and
// organization statement). Callers validate with campaign.Validate first;
// the tables' constraints refuse what slips through, and every write
// happens in one transaction with its audit entries.

type campaignRow struct {
	ID             int64  `gorm:"primaryKey"`
	Slug           string `gorm:"column:slug"`
	Kind           string `gorm:"column:kind"`
	Title          string `gorm:"column:title"`
	TitleES        string `gorm:"column:title_es"`
	SubjectES      string `gorm:"column:subject_es"`
	TemplateES     string `gorm:"column:template_es"`
	SummaryEN      string `gorm:"column:summary_en"`
	SummaryES      string `gorm:"column:summary_es"`
	CallToActionEN string `gorm:"column:call_to_action_en"`
	CallToActionES string `gorm:"column:call_to_action_es"`
	Targets        string `gorm:"column:target_rules"` // JSON list of campaign.Rule
	LOCTopic       string `gorm:"column:loc_topic"`
	Status         string `gorm:"column:status"`
	StartsAt       *time.Time
	EndsAt         *time.Time
	CurrentVersion int
	CiteRelease    bool   `gorm:"column:cite_release"`
	Demo           bool   `gorm:"column:demo"`
	CallScriptEN   string `gorm:"column:call_script_en"`
	CallScriptES   string `gorm:"column:call_script_es"`
	CallsOnly      bool   `gorm:"column:calls_only"`
	EmbedOrigins   string `gorm:"column:embed_origins"` // one origin a line
	HeldReason     string
	HeldReleaseID  *int64
	HeldAt         *time.Time
	CreatedBy      *int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (campaignRow) TableName() string { return "campaigns" }

type campaignVersionRow struct {
	ID                    int64 `gorm:"primaryKey"`
	CampaignID            int64
	Version               int
	Subject               string
	Body                  string
	OrganizationStatement string
	CreatedBy             *int64
	CreatedAt             time.Time
}

func (campaignVersionRow) TableName() string { return "campaign_versions" }

func actorPtr(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func derefID(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func rowOfCampaign(c campaign.Campaign) campaignRow {
	kind := c.Kind
	if kind == "" {
		kind = campaign.Constituent
	}
	return campaignRow{ID: c.ID, Slug: c.Slug, Kind: string(kind), Title: c.Title, TitleES: c.TitleES, SubjectES: c.SubjectES, TemplateES: c.TemplateES, SummaryEN: c.SummaryEN, SummaryES: c.SummaryES,
		CallToActionEN: c.CallToActionEN, CallToActionES: c.CallToActionES, Targets: encodeTargets(c.Targets),
		LOCTopic: c.LOCTopic, Status: string(c.Status), StartsAt: utcPtr(c.StartsAt), EndsAt: utcPtr(c.EndsAt),
		CiteRelease: !c.NoCitation, Demo: c.Demo, CallScriptEN: c.CallScriptEN, CallScriptES: c.CallScriptES, CallsOnly: c.CallsOnly,
		EmbedOrigins: strings.Join(c.EmbedOrigins, "\n")}
}

func (r campaignRow) campaign(v campaignVersionRow) campaign.Campaign {
	return campaign.Campaign{ID: r.ID, Slug: r.Slug, Kind: campaign.Kind(r.Kind), Title: r.Title, TitleES: r.TitleES, SubjectES: r.SubjectES, TemplateES: r.TemplateES, SummaryEN: r.SummaryEN, SummaryES: r.SummaryES,
		CallToActionEN: r.CallToActionEN, CallToActionES: r.CallToActionES, Targets: decodeTargets(r.Targets),
		LOCTopic: r.LOCTopic, Status: campaign.Status(r.Status), StartsAt: utcPtr(r.StartsAt), EndsAt: utcPtr(r.EndsAt),
		Subject: v.Subject, Template: v.Body, OrganizationStatement: v.OrganizationStatement,
		TemplateVersion: r.CurrentVersion, NoCitation: !r.CiteRelease, Demo: r.Demo, HeldReason: r.HeldReason,
		HeldReleaseID: r.HeldReleaseID, HeldAt: utcPtr(r.HeldAt),
		CallScriptEN: r.CallScriptEN, CallScriptES: r.CallScriptES, CallsOnly: r.CallsOnly,
		EmbedOrigins: splitLines(r.EmbedOrigins),
		CreatedBy:    derefID(r.CreatedBy), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// splitLines is the list a one-per-line column holds (none when empty).
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// encodeTargets is the target_rules column of a campaign's rules: JSON,
// deterministic, so an unchanged list compares equal to the stored one.
func encodeTargets(t campaign.Targets) string {
	b, _ := json.Marshal(t) // strings and lists of strings always encode
	return string(b)
}

// decodeTargets reads target_rules; the migration wrote every row, and
// only encodeTargets writes it since, so a bad value is a corrupt row and
// yields no rules (the campaign then writes to no one, visibly).
func decodeTargets(s string) campaign.Targets {
	var t campaign.Targets
	if err := json.Unmarshal([]byte(s), &t); err != nil {
		return campaign.Targets{}
	}
	return t
}

func (v campaignVersionRow) version() campaign.Version {
	return campaign.Version{CampaignID: v.CampaignID, Number: v.Version, Subject: v.Subject, Body: v.Body,
		OrganizationStatement: v.OrganizationStatement, CreatedBy: derefID(v.CreatedBy), CreatedAt: v.CreatedAt.UTC()}
}

// CreateCampaign stores a new campaign with version 1 of its letter and an
// audit entry, all or nothing. A taken slug is campaign.ErrSlugTaken. The
// creator is a.ActorID.
func (s *Store) CreateCampaign(ctx context.Context, c campaign.Campaign, a Audit) (campaign.Campaign, error) {
	return s.createCampaign(ctx, c, nil, a)
}

// CreateCampaignAndDelivery is CreateCampaign with the campaign's own
// delivery settings (d.CampaignID is set from the new campaign) saved in
// the same transaction.
func (s *Store) CreateCampaignAndDelivery(ctx context.Context, c campaign.Campaign, d DeliverySettings, a Audit) (campaign.Campaign, error) {
	return s.createCampaign(ctx, c, &d, a)
}

func (s *Store) createCampaign(ctx context.Context, c campaign.Campaign, d *DeliverySettings, a Audit) (campaign.Campaign, error) {
	now := time.Now().UTC().Truncate(time.Microsecond) // what PostgreSQL keeps
	row := rowOfCampaign(c)
	row.ID, row.CurrentVersion, row.CreatedBy, row.CreatedAt, row.UpdatedAt = 0, 1, actorPtr(a.ActorID), now, now
	ver := campaignVersionRow{Version: 1, Subject: c.Subject, Body: c.Template, OrganizationStatement: c.OrganizationStatement,
		CreatedBy: actorPtr(a.ActorID), CreatedAt: now}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := s.lockReleases(tx); err != nil { // before any row lock: see refreshHolds
			return err
		}
		if err := tx.Create(&row).Error; err != nil {
			if isUnique(err) {
				return campaign.ErrSlugTaken
			}
			return fmt.Errorf("store: create campaign: %w", err)
		}
		ver.CampaignID = row.ID
		if err := tx.Create(&ver).Error; err != nil {
			return fmt.Errorf("store: create campaign: %w", err)
		}
		if d != nil {
			d.CampaignID = row.ID
			if err := saveDelivery(tx, *d, a); err != nil {
				return err
			}
		}
		if err := s.refreshHolds(tx, nil, row.ID); err != nil {
			return err
		}
		if err := tx.Where("id = ?", row.ID).Take(&row).Error; err != nil {
			return fmt.Errorf("store: create campaign: %w", err)
		}
		if a.Action == "" {
			a.Action = "campaign.create"
		}
		a.ObjectType, a.ObjectID = "campaign", strconv.FormatInt(row.ID, 10)
		a.Detail = "slug=" + row.Slug + " status=" + row.Status + " version=1"
		return writeAudit(tx, a)
	})
	if err != nil {
		return campaign.Campaign{}, err
	}
	return row.campaign(ver), nil
}

// UpdateCampaign saves c over the stored campaign c.ID, all or nothing:
//   - when the subject, body or statement differ from the current version,
//     a new version (current + 1) is added and becomes current;
//   - when c.TemplateVersion is not 0 and is not the current version (someone
//     else saved in between), nothing is saved: campaign.ErrStaleVersion;
//   - a status change the current status does not allow is refused with a
//     *campaign.ValidationError (checked here too, under the row lock, so
//     two editors cannot race past the rule);
//   - one audit entry "campaign.update" names the changed fields (never
//     their values), and a status change adds "campaign.status".
//
// When nothing changed, nothing is written. It returns the campaign as
// stored afterwards.
func (s *Store) UpdateCampaign(ctx context.Context, c campaign.Campaign, a Audit) (campaign.Campaign, error) {
	return s.updateCampaign(ctx, c, nil, a)
}

// UpdateCampaignAndDelivery is UpdateCampaign with the campaign's own
// delivery settings saved in the same transaction: both or neither.
func (s *Store) UpdateCampaignAndDelivery(ctx context.Context, c campaign.Campaign, d DeliverySettings, a Audit) (campaign.Campaign, error) {
	d.CampaignID = c.ID
	return s.updateCampaign(ctx, c, &d, a)
}

func (s *Store) updateCampaign(ctx context.Context, c campaign.Campaign, d *DeliverySettings, a Audit) (campaign.Campaign, error) {
	var out campaign.Campaign
	err := s.tx(ctx, func(tx *gorm.DB) error {
		// The release lock first: a release being published meanwhile
		// re-checks every campaign's hold under it (refreshHolds).
		if err := s.lockReleases(tx); err != nil {
			return err
		}
		if d != nil {
			// Written first; anything refused below rolls it back.
			if err := saveDelivery(tx, *d, a); err != nil {
				return err
			}
		}
		var cur campaignRow
		q := s.forUpdate(tx.Where("id = ?", c.ID))
		if err := q.Take(&cur).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return fmt.Errorf("store: update campaign: %w", err)
		}
		prevStatus := campaign.Status(cur.Status)
		if !prevStatus.CanBecome(c.Status) {
			return &campaign.ValidationError{Errors: []campaign.FieldError{{Field: "status",
				Message: fmt.Sprintf("cannot change from %s to %s", prevStatus, c.Status)}}, Conflict: true}
		}
		if c.TemplateVersion != 0 && c.TemplateVersion != cur.CurrentVersion {
			return campaign.ErrStaleVersion
		}
		var ver campaignVersionRow
		if err := tx.Where("campaign_id = ? AND version = ?", cur.ID, cur.CurrentVersion).Take(&ver).Error; err != nil {
			return fmt.Errorf("current version of campaign %d: %w", cur.ID, err)
		}
		now := time.Now().UTC().Truncate(time.Microsecond) // what PostgreSQL keeps
		next := rowOfCampaign(c)
		next.ID, next.CurrentVersion, next.CreatedBy, next.CreatedAt, next.UpdatedAt = cur.ID, cur.CurrentVersion, cur.CreatedBy, cur.CreatedAt, cur.UpdatedAt
		changed := changedFields(cur, next)
		letterChanged := !c.SameLetter(ver.version())
		if letterChanged {
			ver = campaignVersionRow{CampaignID: cur.ID, Version: cur.CurrentVersion + 1, Subject: c.Subject, Body: c.Template,
				OrganizationStatement: c.OrganizationStatement, CreatedBy: actorPtr(a.ActorID), CreatedAt: now}
			if err := tx.Create(&ver).Error; err != nil {
				if isUnique(err) {
					return campaign.ErrStaleVersion
				}
				return fmt.Errorf("store: update campaign: %w", err)
			}
			next.CurrentVersion = ver.Version
			changed = append(changed, "letter")
		}
		if len(changed) == 0 {
			out = cur.campaign(ver)
			return nil
		}
		next.UpdatedAt = now
		err := tx.Model(&campaignRow{}).Where("id = ?", cur.ID).Updates(map[string]any{
			"slug": next.Slug, "kind": next.Kind, "title": next.Title, "title_es": next.TitleES, "subject_es": next.SubjectES, "template_es": next.TemplateES, "summary_en": next.SummaryEN, "summary_es": next.SummaryES,
			"call_to_action_en": next.CallToActionEN, "call_to_action_es": next.CallToActionES, "target_rules": next.Targets,
			"loc_topic": next.LOCTopic, "status": next.Status, "starts_at": next.StartsAt, "ends_at": next.EndsAt,
			"current_version": next.CurrentVersion, "updated_at": next.UpdatedAt, "cite_release": next.CiteRelease,
			"call_script_en": next.CallScriptEN, "call_script_es": next.CallScriptES, "calls_only": next.CallsOnly,
			"embed_origins": next.EmbedOrigins,
		}).Error
		if err != nil {
			if isUnique(err) {
				return campaign.ErrSlugTaken
			}
			return fmt.Errorf("store: update campaign: %w", err)
		}
		id := strconv.FormatInt(cur.ID, 10)
		upd := a
		if upd.Action == "" {
			upd.Action = "campaign.update"
		}
		upd.ObjectType, upd.ObjectID = "campaign", id
		upd.Detail = "changed=" + strings.Join(changed, ",") + " version=" + strconv.Itoa(next.CurrentVersion)
		if err := writeAudit(tx, upd); err != nil {
			return err
		}
		if next.Status != cur.Status {
			st := Audit{ActorID: a.ActorID, Action: "campaign.status", ObjectType: "campaign", ObjectID: id,
				Detail: "from=" + cur.Status + " to=" + next.Status}
			if err := writeAudit(tx, st); err != nil {
				return err
			}
		}
		// Re-check the hold against the latest release with the saved
		// letter, and return the campaign as stored.
		if err := s.refreshHolds(tx, nil, cur.ID); err != nil {
			return err
		}
		var row campaignRow
		if err := tx.Where("id = ?", cur.ID).Take(&row).Error; err != nil {
			return fmt.Errorf("store: update campaign: %w", err)
		}
		out = row.campaign(ver)
		return nil
	})
	if err != nil {
		return campaign.Campaign{}, err
	}
	return out, nil
}

// changedFields names the columns (other than the letter) that differ.
func changedFields(a, b campaignRow) []string {
	var out []string
	add := func(name string, same bool) {
		if !same {
			out = append(out, name)
		}
	}
	add("slug", a.Slug == b.Slug)
	add("kind", a.Kind == b.Kind)
	add("title", a.Title == b.Title)
	add("title_es", a.TitleES == b.TitleES)
	add("spanish_letter", a.SubjectES == b.SubjectES && a.TemplateES == b.TemplateES)
	add("summary_en", a.SummaryEN == b.SummaryEN)
	add("summary_es", a.SummaryES == b.SummaryES)
	add("call_to_action_en", a.CallToActionEN == b.CallToActionEN)
	add("call_to_action_es", a.CallToActionES == b.CallToActionES)
	add("targets", a.Targets == b.Targets)
	add("loc_topic", a.LOCTopic == b.LOCTopic)
	add("status", a.Status == b.Status)
	add("starts_at", sameTime(a.StartsAt, b.StartsAt))
	add("ends_at", sameTime(a.EndsAt, b.EndsAt))
	add("cite_release", a.CiteRelease == b.CiteRelease)
	add("call_script_en", a.CallScriptEN == b.CallScriptEN)
	add("call_script_es", a.CallScriptES == b.CallScriptES)
	add("calls_only", a.CallsOnly == b.CallsOnly)
	add("embed_origins", a.EmbedOrigins == b.EmbedOrigins)
	return out
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// campaignWithLetter is a campaign row joined with its current version.
type campaignWithLetter struct {
	Row                   campaignRow `gorm:"embedded"`
	Subject               string
	Body                  string
	OrganizationStatement string
}

func (s *Store) campaignsQuery(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Table("campaigns").
		Select("campaigns.*, v.subject, v.body, v.organization_statement").
		Joins("JOIN campaign_versions v ON v.campaign_id = campaigns.id AND v.version = campaigns.current_version")
}

func (r campaignWithLetter) campaign() campaign.Campaign {
	return r.Row.campaign(campaignVersionRow{Subject: r.Subject, Body: r.Body, OrganizationStatement: r.OrganizationStatement})
}

func (s *Store) oneCampaign(ctx context.Context, where string, arg any) (campaign.Campaign, error) {
	var rows []campaignWithLetter
	if err := s.campaignsQuery(ctx).Where(where, arg).Limit(1).Scan(&rows).Error; err != nil {
		return campaign.Campaign{}, fmt.Errorf("store: one campaign: %w", err)
	}
	if len(rows) == 0 {
		return campaign.Campaign{}, ErrNotFound
	}
	return rows[0].campaign(), nil
}

// Campaign returns a campaign with its current letter.
func (s *Store) Campaign(ctx context.Context, id int64) (campaign.Campaign, error) {
	return s.oneCampaign(ctx, "campaigns.id = ?", id)
}

// CampaignBySlug returns a campaign with its current letter by slug.
func (s *Store) CampaignBySlug(ctx context.Context, slug string) (campaign.Campaign, error) {
	return s.oneCampaign(ctx, "campaigns.slug = ?", slug)
}

// Campaigns lists every campaign with its current letter, most recently
// changed first.
func (s *Store) Campaigns(ctx context.Context) ([]campaign.Campaign, error) {
	var rows []campaignWithLetter
	if err := s.campaignsQuery(ctx).Order("campaigns.updated_at DESC, campaigns.id DESC").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: campaigns: %w", err)
	}
	out := make([]campaign.Campaign, len(rows))
	for i, r := range rows {
		out[i] = r.campaign()
	}
	return out, nil
}

type versionWithEmail struct {
	Row            campaignVersionRow `gorm:"embedded"`
	CreatedByEmail *string
}

func (s *Store) versionsQuery(ctx context.Context, campaignID int64) *gorm.DB {
	return s.db.WithContext(ctx).Table("campaign_versions").
		Select("campaign_versions.*, users.email AS created_by_email").
		Joins("LEFT JOIN users ON users.id = campaign_versions.created_by").
		Where("campaign_versions.campaign_id = ?", campaignID)
}

func (r versionWithEmail) version() campaign.Version {
	v := r.Row.version()
	if r.CreatedByEmail != nil {
		v.CreatedByEmail = *r.CreatedByEmail
	}
	return v
}

// CampaignVersions lists the versions of a campaign's letter, newest
// first. An unknown campaign is ErrNotFound.
func (s *Store) CampaignVersions(ctx context.Context, campaignID int64) ([]campaign.Version, error) {
	var rows []versionWithEmail
	if err := s.versionsQuery(ctx, campaignID).Order("campaign_versions.version DESC").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: campaign versions: %w", err)
	}
	if len(rows) == 0 {
		return nil, ErrNotFound // every campaign has version 1
	}
	out := make([]campaign.Version, len(rows))
	for i, r := range rows {
		out[i] = r.version()
	}
	return out, nil
}

// CampaignVersion returns version n of a campaign's letter.
func (s *Store) CampaignVersion(ctx context.Context, campaignID int64, n int) (campaign.Version, error) {
	var rows []versionWithEmail
	if err := s.versionsQuery(ctx, campaignID).Where("campaign_versions.version = ?", n).Limit(1).Scan(&rows).Error; err != nil {
		return campaign.Version{}, fmt.Errorf("store: campaign version: %w", err)
	}
	if len(rows) == 0 {
		return campaign.Version{}, ErrNotFound
	}
	return rows[0].version(), nil
}
