package web

import (
	"context"
	"sort"
	"time"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery"
)

// statusLabels are the letter statuses in the words staff read on the
// home overview, the deliveries filter and a letter's page.
var statusLabels = map[string]string{
	delivery.StatusPending:   "Waiting to be sent",
	delivery.StatusQueued:    "Queued for office hours",
	delivery.StatusSending:   "Being sent",
	delivery.StatusSent:      "Sent",
	delivery.StatusDelivered: "Delivered",
	delivery.StatusBounced:   "Bounced",
	delivery.StatusDropped:   "Dropped by the provider",
	delivery.StatusFailed:    "Failed",
	delivery.StatusOutbox:    "Kept in the outbox (reached no office)",
	"held":                   "Held",
}

// statusLabel is a letter status in words; an unknown one as stored.
func statusLabel(s string) string {
	if l, ok := statusLabels[s]; ok {
		return l
	}
	return s
}

// statusOrder is the order of a letter's life, for lists of counts.
var statusOrder = []string{delivery.StatusPending, "held", delivery.StatusQueued, delivery.StatusSending, delivery.StatusSent,
	delivery.StatusDelivered, delivery.StatusOutbox, delivery.StatusBounced, delivery.StatusDropped, delivery.StatusFailed}

// statusCount is one line of "letters today".
type statusCount struct {
	Status, Label string
	N             int64
	Problem       bool // failed, bounced, dropped: someone should look
}

// orderedCounts turns counts by status into lines in the order of a
// letter's life; statuses without letters are left out.
func orderedCounts(m map[string]int64) []statusCount {
	var out []statusCount
	seen := map[string]bool{}
	add := func(st string) {
		if n := m[st]; n > 0 && !seen[st] {
			seen[st] = true
			out = append(out, statusCount{Status: st, Label: statusLabel(st), N: n,
				Problem: st == delivery.StatusFailed || st == delivery.StatusBounced || st == delivery.StatusDropped})
		}
	}
	for _, st := range statusOrder {
		add(st)
	}
	rest := make([]string, 0, len(m))
	for st := range m {
		rest = append(rest, st)
	}
	sort.Strings(rest)
	for _, st := range rest {
		add(st)
	}
	return out
}

// overview is the staff home's "what needs me today": each part is
// filled only for a role that may open the page it links to.
type overview struct {
	ShowLetters bool
	Day         string // "Saturday 5 December" in the organization's time zone
	Zone        string
	Today       []statusCount
	TodayTotal  int64
	Failed      int64 // failed letters of any day, waiting for a requeue

	ShowReplies bool
	Replies     int64

	ShowSchedule bool
	Next         []scheduleItem

	// Warnings: channels the build has that configuration left off, and
	// live campaigns with offices no configured channel reaches.
	Unconfigured []string
	OutboxOnly   bool
	Uncovered    []uncoveredCampaign
}

type uncoveredCampaign struct {
	ID      int64
	Title   string
	Offices int
	Waiting int64
}

// startOfDay is midnight of now's day in the organization's delivery time
// zone (the default office-hours zone), UTC when that zone is unknown.
func (s *Server) startOfDay(now time.Time) (time.Time, *time.Location) {
	loc, err := time.LoadLocation(s.deps.DeliveryDefaults.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	n := now.In(loc)
	return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc), loc
}

// overview gathers the staff home's figures for role.
func (s *Server) overview(ctx context.Context, role auth.Role) (overview, error) {
	var v overview
	now := s.deps.Now()
	if role.Can(auth.PermViewDeliveries) {
		v.ShowLetters = true
		day, loc := s.startOfDay(now)
		v.Day, v.Zone = day.Format("Monday 2 January"), loc.String()
		today, err := s.deps.Store.LetterCountsSince(ctx, 0, day)
		if err != nil {
			return v, err
		}
		v.Today = orderedCounts(today)
		for _, n := range today {
			v.TodayTotal += n
		}
		failed, err := s.deps.Store.FailedLetterCount(ctx)
		if err != nil {
			return v, err
		}
		v.Failed = failed
		if err := s.channelWarnings(ctx, &v); err != nil {
			return v, err
		}
	}
	if role.Can(auth.PermEditCampaigns) {
		v.ShowReplies = true
		n, err := s.deps.Store.CountInboundReplies(ctx, "pending")
		if err != nil {
			return v, err
		}
		v.Replies = n
	}
	if role.Can(auth.PermViewCampaigns) {
		v.ShowSchedule = true
		items, _, err := s.scheduleItems(ctx)
		if err != nil {
			return v, err
		}
		for _, it := range items {
			if it.Enabled && len(it.Next) > 0 && len(v.Next) < 5 {
				v.Next = append(v.Next, it)
			}
		}
	}
	return v, nil
}

// channelWarnings names the channels configuration left off and the live
// campaigns with offices that no configured channel reaches (their
// letters would fail), from the coverage view's own routing.
func (s *Server) channelWarnings(ctx context.Context, v *overview) error {
	on := map[delivery.Channel]bool{}
	for _, sd := range s.deps.Senders {
		on[sd.Channel()] = true
	}
	real := false
	for ch := range on {
		real = real || ch != "outbox"
	}
	v.OutboxOnly = !real
	for _, ch := range s.channels() {
		if ch != "outbox" && !on[ch] {
			v.Unconfigured = append(v.Unconfigured, channelLabel(string(ch)))
		}
	}
	list, err := s.deps.Store.Campaigns(ctx)
	if err != nil {
		return err
	}
	for _, cm := range list {
		if cm.Status != campaign.Live || cm.Demo {
			continue
		}
		cov, err := s.coverage(ctx, cm)
		if err != nil {
			return err
		}
		for _, t := range cov.Totals {
			if t.Channel == "none" {
				v.Uncovered = append(v.Uncovered, uncoveredCampaign{ID: cm.ID, Title: cm.Title, Offices: t.Offices, Waiting: t.Waiting})
			}
		}
	}
	return nil
}
