package dispatch

import (
	"context"

	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/store"
)

// Merge puts a campaign's stored delivery settings over the defaults: its
// channel order (a name no configured channel has is skipped when
// picking), its office hours when they are complete, and its hourly cap
// when above 0.
func Merge(defaults Settings, d store.DeliverySettings) Settings {
	s := defaults
	var order []delivery.Channel
	for _, c := range d.Channels {
		if c != "" {
			order = append(order, delivery.Channel(c))
		}
	}
	if len(order) > 0 {
		s.Channels = order
	}
	if d.OfficeDays != "" && d.OfficeOpen != "" && d.OfficeClose != "" && d.TimeZone != "" {
		s.OfficeDays, s.OfficeOpen, s.OfficeClose, s.TimeZone = d.OfficeDays, d.OfficeOpen, d.OfficeClose, d.TimeZone
	}
	if d.OfficeHourlyCap > 0 {
		s.OfficeHourlyCap = d.OfficeHourlyCap
	}
	return s
}

// Route is the channel the worker would pick for an office now: the first
// in order that is among senders and accepts the office; false when none
// does (such a letter fails with "no configured channel accepts this
// office"). o.Email is the office's contact email, as the worker sets it.
func Route(ctx context.Context, senders []delivery.Sender, order []delivery.Channel, o delivery.Office) (delivery.Channel, bool) {
	for _, ch := range order {
		for _, s := range senders {
			if s.Channel() == ch && s.Accepts(ctx, o) {
				return ch, true
			}
		}
	}
	return "", false
}
