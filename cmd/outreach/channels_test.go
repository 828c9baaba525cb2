package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/outreach-org/outreach/internal/config"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/seal"
)

// TestChannelListsComeFromTheRegistry: `outreach help` lists every
// channel of channels() with its summary, and OUTREACH_DELIVERY_CHANNELS
// is checked against the same list.
func TestChannelListsComeFromTheRegistry(t *testing.T) {
	reg, err := channelRegistry()
	if err != nil {
		t.Fatal(err)
	}
	if got := reg.Names(); !slices.Equal(got, []string{"cwc", "sendgrid", "packet", "outbox"}) {
		t.Errorf("registry %v", got)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"help"}, func(string) string { return "" }, &out, &errb); code != 0 {
		t.Fatalf("help: exit %d %s", code, errb.String())
	}
	_, list, ok := strings.Cut(out.String(), "Delivery channels (names for OUTREACH_DELIVERY_CHANNELS):\n")
	if !ok {
		t.Fatalf("help lists no channels:\n%s", out.String())
	}
	flat := strings.Join(strings.Fields(list), " ") // help wraps long lines
	for _, c := range reg.Infos() {
		if !strings.Contains(list, string(c.Name)) || c.Summary == "" || !strings.Contains(flat, strings.Join(strings.Fields(c.Summary), " ")) {
			t.Errorf("help lacks channel %s (%q)", c.Name, c.Summary)
		}
	}
	out.Reset()
	env := map[string]string{"OUTREACH_DATA_DIR": t.TempDir(), "OUTREACH_DELIVERY_CHANNELS": "cwc,fax"}
	if code := run([]string{"migrate"}, func(k string) string { return env[k] }, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), `OUTREACH_DELIVERY_CHANNELS: "fax" is not a channel: use cwc, sendgrid, packet or outbox`) {
		t.Errorf("unknown channel: exit %d %q", code, errb.String())
	}
}

// TestChannelOrder: channels that reach no office by themselves
// (delivery.Reacher: the packet, the outbox) do not make a delivery
// method: alone, letters go to the outbox; beside SendGrid they keep their
// place in the configured order. Unconfigured channels are skipped.
func TestChannelOrder(t *testing.T) {
	keys := seal.NewRandom()
	for _, tc := range []struct {
		env  map[string]string
		want []delivery.Channel
	}{
		{map[string]string{}, []delivery.Channel{"outbox"}},
		{map[string]string{"OUTREACH_DELIVERY_CHANNELS": "packet"}, []delivery.Channel{"outbox"}},
		{map[string]string{"OUTREACH_DELIVERY_CHANNELS": "cwc,sendgrid,packet", "SENDGRID_API_KEY": "SG.x"}, []delivery.Channel{"sendgrid", "packet"}},
		{map[string]string{"OUTREACH_DELIVERY_CHANNELS": "packet,sendgrid", "SENDGRID_API_KEY": "SG.x"}, []delivery.Channel{"packet", "sendgrid"}},
	} {
		cfg, err := config.Load(func(k string) string { return tc.env[k] })
		if err != nil {
			t.Fatal(err)
		}
		senders, err := buildSenders(cfg, nil, keys)
		if err != nil {
			t.Fatal(err)
		}
		if got := channelOrder(cfg, senders); !slices.Equal(got, tc.want) {
			t.Errorf("%v: order %v, want %v", tc.env, got, tc.want)
		}
	}
}
