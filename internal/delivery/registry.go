package delivery

import (
	"fmt"
	"strings"
)

// ChannelInfo describes a channel to configuration and to people. Each
// adapter gives its own (cwc.ChannelInfo(), sendgrid.ChannelInfo(), ...).
type ChannelInfo struct {
	Name    Channel
	Summary string // one line for `outreach help`: what it does and what turns it on
}

// Registry is the channels a build has, in the order help and staff
// pages list them. Every list of channel names comes from it:
// OUTREACH_DELIVERY_CHANNELS, `outreach help`, the deliveries filter.
// main builds it from the adapters' ChannelInfo; nothing adds to it behind
// main's back, and it does not change once built.
type Registry struct {
	infos []ChannelInfo
}

// NewRegistry checks the channels (a name is lower-case letters and
// digits, each name once) and returns their registry.
func NewRegistry(channels ...ChannelInfo) (*Registry, error) {
	seen := map[Channel]bool{}
	for _, c := range channels {
		if c.Name == "" || strings.IndexFunc(string(c.Name), func(r rune) bool { return (r < 'a' || r > 'z') && (r < '0' || r > '9') }) >= 0 {
			return nil, fmt.Errorf("delivery: channel name %q must be lower-case letters and digits", c.Name)
		}
		if seen[c.Name] {
			return nil, fmt.Errorf("delivery: channel %q registered twice", c.Name)
		}
		seen[c.Name] = true
	}
	return &Registry{infos: append([]ChannelInfo(nil), channels...)}, nil
}

// Infos are the registered channels, in order.
func (r *Registry) Infos() []ChannelInfo { return append([]ChannelInfo(nil), r.infos...) }

// Channels are the registered names, in order.
func (r *Registry) Channels() []Channel {
	out := make([]Channel, len(r.infos))
	for i, c := range r.infos {
		out[i] = c.Name
	}
	return out
}

// Names are the registered names as strings, in order.
func (r *Registry) Names() []string {
	out := make([]string, len(r.infos))
	for i, c := range r.infos {
		out[i] = string(c.Name)
	}
	return out
}
