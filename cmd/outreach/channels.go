package main

import (
	"fmt"

	"github.com/outreach-org/outreach/internal/config"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/cwc"
	"github.com/outreach-org/outreach/internal/delivery/outbox"
	"github.com/outreach-org/outreach/internal/delivery/packet"
	"github.com/outreach-org/outreach/internal/delivery/sendgrid"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
)

// channel is one delivery channel of this build: how it is described, and
// how configuration turns it on.
type channel struct {
	info delivery.ChannelInfo
	// build returns the channel's sender, or nil when configuration
	// leaves the channel off.
	build func(cfg *config.Config, st *store.Store, keys *seal.Keys) (delivery.Sender, error)
}

// channels are the delivery channels of this build, one line each, in the
// order `outreach help` and the deliveries page list them. A new channel
// is its package under internal/delivery and a line here.
func channels() []channel {
	return []channel{
		{cwc.ChannelInfo(), newCWC},
		{sendgrid.ChannelInfo(), newSendGrid},
		{packet.ChannelInfo(), func(*config.Config, *store.Store, *seal.Keys) (delivery.Sender, error) { return packet.Sender{}, nil }},
		{outbox.ChannelInfo(), func(_ *config.Config, st *store.Store, keys *seal.Keys) (delivery.Sender, error) {
			return outbox.New(st, keys), nil // always on: letters go here when nothing else is configured
		}},
	}
}

// channelRegistry is the registry of channels(): every list of channel
// names (configuration, help, the deliveries filter) comes from it.
func channelRegistry() (*delivery.Registry, error) {
	var infos []delivery.ChannelInfo
	for _, c := range channels() {
		infos = append(infos, c.info)
	}
	return delivery.NewRegistry(infos...)
}

// loadConfig reads the configuration, with OUTREACH_DELIVERY_CHANNELS
// checked against the channels of this build.
func loadConfig(env func(string) string) (*config.Config, *delivery.Registry, error) {
	reg, err := channelRegistry()
	if err != nil {
		return nil, nil, err
	}
	cfg, err := config.Load(env, reg.Names()...)
	if err != nil {
		return nil, nil, fmt.Errorf("configuration:\n%w", err)
	}
	return cfg, reg, nil
}

// buildSenders makes every channel that configuration turns on; the
// outbox is always there.
func buildSenders(cfg *config.Config, st *store.Store, keys *seal.Keys) ([]delivery.Sender, error) {
	var senders []delivery.Sender
	for _, c := range channels() {
		s, err := c.build(cfg, st, keys)
		if err != nil {
			return nil, err
		}
		if s != nil {
			senders = append(senders, s)
		}
	}
	return senders, nil
}

func newSendGrid(cfg *config.Config, _ *store.Store, _ *seal.Keys) (delivery.Sender, error) {
	if cfg.SendGridAPIKey == "" {
		return nil, nil
	}
	sg, err := sendgrid.New(sendgrid.Config{APIKey: cfg.SendGridAPIKey, BaseURL: cfg.SendGridURL, FromEmail: cfg.MailFrom,
		FromName: cfg.OrgName, ReplyDomain: cfg.ReplyDomain, Rate: cfg.SendGridRate, Connections: dispatch.InFlight(cfg.DeliveryWorkers)}, nil)
	if err != nil {
		return nil, fmt.Errorf("SendGrid: %w", err)
	}
	return sg, nil
}

func newCWC(cfg *config.Config, _ *store.Store, _ *seal.Keys) (delivery.Sender, error) {
	if cfg.CWCHouseURL == "" && cfg.CWCSenateURL == "" {
		return nil, nil
	}
	c, err := cwc.New(cwc.Config{HouseURL: cfg.CWCHouseURL, HouseAPIKey: cfg.CWCHouseKey, SenateURL: cfg.CWCSenateURL,
		SenateAPIKey: cfg.CWCSenateKey, SenateTesting: cfg.CWCSenateTesting, DeliveryAgent: cfg.CWCDeliveryAgent,
		AckEmail: cfg.CWCAckEmail, AgentContact: cwc.Contact{Name: cfg.CWCDeliveryAgent, Email: cfg.CWCAckEmail, Phone: cfg.CWCContactPhone},
		Organization: cfg.OrgName, Rate: cfg.CWCRate, Connections: dispatch.InFlight(cfg.DeliveryWorkers)}, nil)
	if err != nil {
		return nil, fmt.Errorf("CWC: %w", err)
	}
	return c, nil
}

// channelOrder keeps the configured channels that this process can use;
// with none that reaches offices by itself (delivery.Reacher), letters go
// to the outbox.
func channelOrder(cfg *config.Config, senders []delivery.Sender) []delivery.Channel {
	have := map[delivery.Channel]delivery.Sender{}
	for _, s := range senders {
		have[s.Channel()] = s
	}
	var order []delivery.Channel
	real := false
	for _, name := range cfg.DeliveryChannels {
		ch := delivery.Channel(name)
		s, ok := have[ch]
		if !ok {
			continue
		}
		order = append(order, ch)
		// The packet channel only holds letters for printing: alone it is
		// not a delivery method for a fresh install, so it counts only
		// when a channel that reaches offices is configured.
		if r, ok := s.(delivery.Reacher); !ok || r.ReachesOffices() {
			real = true
		}
	}
	if !real {
		return []delivery.Channel{outbox.Name}
	}
	return order
}
