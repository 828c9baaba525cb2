package packet

import (
	"context"

	"github.com/outreach-org/outreach/internal/delivery"
)

// Sender is the packet channel's delivery.Sender. Sending a letter by
// packet prints nothing: the letter is already stored, and Send only
// records that it waits for its office's printed packet. Staff assemble
// that packet on demand (Write) from the stored letters of a campaign and
// office, and carry it in person.
type Sender struct{}

var _ delivery.Sender = Sender{}

// Name is the packet channel.
const Name delivery.Channel = "packet"

// ChannelInfo describes the channel for the registry.
func ChannelInfo() delivery.ChannelInfo {
	return delivery.ChannelInfo{Name: Name, Summary: "holds letters for a printed PDF per office, which staff carry in person; used only alongside a channel that reaches offices"}
}

// Channel is Name.
func (Sender) Channel() delivery.Channel { return Name }

// ReachesOffices is false: the letter waits for staff to carry it.
func (Sender) ReachesOffices() bool { return false }

// Accepts is always true: every office can receive paper.
func (Sender) Accepts(context.Context, delivery.Office) bool { return true }

// Send does nothing but report that the letter is held for the printed
// packet. It never fails.
func (Sender) Send(context.Context, delivery.Message) (delivery.Result, error) {
	return delivery.Result{Detail: "held for the printed packet"}, nil
}
