package delivery_test

import (
	"slices"
	"testing"

	"github.com/outreach-org/outreach/internal/delivery"
)

func TestRegistry(t *testing.T) {
	r, err := delivery.NewRegistry(delivery.ChannelInfo{Name: "cwc"}, delivery.ChannelInfo{Name: "fax2"}, delivery.ChannelInfo{Name: "outbox"})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Channels(); !slices.Equal(got, []delivery.Channel{"cwc", "fax2", "outbox"}) {
		t.Errorf("channels in registration order: %v", got)
	}
	if got := r.Names(); !slices.Equal(got, []string{"cwc", "fax2", "outbox"}) {
		t.Errorf("names: %v", got)
	}
	if c, err := r.Parse("fax2"); err != nil || c != "fax2" {
		t.Errorf("Parse(fax2) = %q, %v", c, err)
	}
	if _, err := r.Parse("sendgrid"); err == nil || err.Error() != "channel must be cwc, fax2 or outbox" {
		t.Errorf("Parse(sendgrid): %v", err)
	}
	for _, bad := range [][]delivery.ChannelInfo{
		{{Name: "cwc"}, {Name: "cwc"}},
		{{Name: ""}},
		{{Name: "Fax"}},
		{{Name: "fax,cwc"}},
	} {
		if _, err := delivery.NewRegistry(bad...); err == nil {
			t.Errorf("NewRegistry(%v) accepted", bad)
		}
	}
}
