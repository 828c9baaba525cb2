package followup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/outreach-org/outreach/internal/store"
)

// Schedule kinds.
const (
	KindLaunch       = "campaign_launch"
	KindClose        = "campaign_close"
	KindPause        = "campaign_pause"
	KindResume       = "campaign_resume"
	KindWave         = "delivery_wave"
	KindDigest       = "digest"
	KindCWCRefresh   = "cwc_refresh"
	KindStatsRelease = "stats_release"
	DefaultWaveCap   = 50
	MaxWaveCap       = 10000
	MaxDigestTargets = 20
)

// Kinds lists the schedule kinds with what each does, for forms.
var Kinds = []struct{ Name, Label string }{
	{KindLaunch, "Launch the campaign (make it live)"},
	{KindClose, "Close the campaign"},
	{KindPause, "Pause the campaign (hold deliveries and follow-ups)"},
	{KindResume, "Resume a paused campaign"},
	{KindWave, "Delivery wave: release queued letters, up to a cap per office"},
	{KindDigest, "Weekly digest email to organizers"},
	{KindCWCRefresh, "Refresh the Senate CWC active-office list"},
	{KindStatsRelease, "Publish a statistics release from the case records (all campaigns)"},
}

// Params are the kind-specific settings of a schedule, stored as JSON.
type Params struct {
	// PerOffice caps the letters a delivery wave releases per office.
	PerOffice int `json:"per_office,omitempty"`
	// To lists digest recipients; empty: every active staff account that
	// can see campaigns.
	To []string `json:"to,omitempty"`
	// Once: the schedule runs at its next occurrence and then turns
	// itself off ("once, on 12 January at 14:00").
	Once bool `json:"once,omitempty"`
	// UntilClose: a campaign's schedule turns itself off, instead of
	// running, once the campaign is closed.
	UntilClose bool `json:"until_close,omitempty"`
}

// Input is a schedule as submitted by a form or the API.
type Input struct {
	CampaignID int64  `json:"campaign_id"`
	Kind       string `json:"kind"`
	Cron       string `json:"cron"`
	TimeZone   string `json:"time_zone"`
	Params     Params `json:"params"`
	Enabled    *bool  `json:"enabled"`
}

// FieldError is one problem with an Input, by field.
type FieldErrors map[string]string

func (e FieldErrors) Error() string {
	var parts []string
	for _, k := range []string{"kind", "campaign_id", "repeat", "date", "weekday", "day", "at", "cron", "time_zone", "params", "until_close"} {
		if m, ok := e[k]; ok {
			parts = append(parts, k+": "+m)
		}
	}
	return "invalid schedule: " + strings.Join(parts, "; ")
}

// Validated is a checked schedule, ready to store.
type Validated struct {
	Spec       Spec
	Params     string
	NextRunAt  time.Time
	CampaignID *int64
	Enabled    bool
}

// PerCampaign tells whether a kind of schedule may name a campaign: a
// statistics release is for the whole installation.
func PerCampaign(kind string) bool { return kind != KindStatsRelease }

func needsCampaign(kind string) bool {
	switch kind {
	case KindLaunch, KindClose, KindPause, KindResume, KindWave:
		return true
	}
	return false
}

// Validate checks an input at now. exists says whether a campaign exists.
func Validate(in Input, now time.Time, exists func(id int64) bool) (Validated, error) {
	fe := FieldErrors{}
	known := false
	for _, k := range Kinds {
		known = known || k.Name == in.Kind
	}
	if !known {
		fe["kind"] = fmt.Sprintf("%q is not a schedule kind", in.Kind)
	}
	v := Validated{Enabled: in.Enabled == nil || *in.Enabled}
	if needsCampaign(in.Kind) {
		if in.CampaignID <= 0 {
			fe["campaign_id"] = "choose a campaign"
		} else if exists != nil && !exists(in.CampaignID) {
			fe["campaign_id"] = "no such campaign"
		}
	}
	if !PerCampaign(in.Kind) && in.CampaignID > 0 {
		fe["campaign_id"] = "this kind of schedule is not per campaign: leave the campaign empty"
	}
	if in.CampaignID > 0 {
		id := in.CampaignID
		v.CampaignID = &id
	}
	sp, err := ParseSpec(in.Cron, in.TimeZone)
	if err != nil {
		if strings.Contains(err.Error(), "time zone") {
			fe["time_zone"] = err.Error()
		} else {
			fe["cron"] = err.Error()
		}
	}
	p := in.Params
	if in.Kind == KindWave {
		if p.PerOffice == 0 {
			p.PerOffice = DefaultWaveCap
		}
		if p.PerOffice < 0 || p.PerOffice > MaxWaveCap {
			fe["params"] = fmt.Sprintf("the cap per office must be between 1 and %d", MaxWaveCap)
		}
	} else {
		p.PerOffice = 0
	}
	if in.Kind == KindDigest {
		if len(p.To) > MaxDigestTargets {
			fe["params"] = fmt.Sprintf("at most %d recipients", MaxDigestTargets)
		}
		for _, a := range p.To {
			if !strings.Contains(a, "@") || strings.ContainsAny(a, " \r\n,<>") {
				fe["params"] = fmt.Sprintf("%q is not an email address", a)
			}
		}
	} else {
		p.To = nil
	}
	if p.UntilClose && !needsCampaign(in.Kind) {
		fe["until_close"] = "only a campaign's schedule can stop when its campaign closes"
	}
	if len(fe) > 0 {
		return Validated{}, fe
	}
	b, _ := json.Marshal(p)
	v.Spec, v.Params, v.NextRunAt = sp, string(b), sp.Next(now)
	return v, nil
}

// ParseParams reads stored params (unknown or broken: zero values).
func ParseParams(s string) Params {
	var p Params
	_ = json.Unmarshal([]byte(s), &p)
	return p
}

// ErrDays is returned for follow-up delays outside 1..365 days.
var ErrDays = errors.New("must be between 1 and 365 days")

// SplitCronTZ reads "CRON_TZ=America/Chicago 0 6 * * 1" (robfig/cron's
// prefix, as OUTREACH_STATS_RELEASE_CRON allows) into the expression and
// the zone ("" when there is no prefix).
func SplitCronTZ(s string) (expr, tz string) {
	s = strings.TrimSpace(s)
	for _, p := range []string{"CRON_TZ=", "TZ="} {
		if strings.HasPrefix(s, p) {
			rest := strings.TrimPrefix(s, p)
			i := strings.IndexAny(rest, " \t")
			if i < 0 {
				return "", rest
			}
			return strings.TrimSpace(rest[i:]), rest[:i]
		}
	}
	return s, ""
}

// Seeder creates a schedule unless one of its kind exists (the store).
type Seeder interface {
	EnsureSchedule(ctx context.Context, sc store.Schedule, a store.Audit) (bool, error)
}

// SeedStatsRelease turns OUTREACH_STATS_RELEASE_CRON into a statistics
// release schedule, once: when any statistics release schedule exists
// (seeded before, or made by staff) nothing changes, so staff edits in
// /admin/schedule win over the environment. It reports whether it created
// one.
func SeedStatsRelease(ctx context.Context, st Seeder, env string, now time.Time) (bool, error) {
	if strings.TrimSpace(env) == "" {
		return false, nil
	}
	expr, tz := SplitCronTZ(env)
	sp, err := ParseSpec(expr, tz)
	if err != nil {
		return false, err
	}
	return st.EnsureSchedule(ctx, store.Schedule{Kind: KindStatsRelease, Cron: sp.Expr, TimeZone: sp.Zone.String(), Params: "{}",
		NextRunAt: sp.Next(now), Enabled: true}, store.Audit{Action: "schedule.seed", Detail: "OUTREACH_STATS_RELEASE_CRON " + sp.Expr + " " + sp.Zone.String()})
}
