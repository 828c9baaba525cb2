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
	if got := r.Infos(); len(got) != 3 || got[1].Name != "fax2" {
		t.Errorf("infos: %v", got)
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
