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

// Channel is delivery.Packet.
func (Sender) Channel() delivery.Channel { return delivery.Packet }

// Accepts is always true: every office can receive paper.
func (Sender) Accepts(context.Context, delivery.Office) bool { return true }

// Send does nothing but report that the letter is held for the printed
// packet. It never fails.
func (Sender) Send(context.Context, delivery.Message) (delivery.Result, error) {
	return delivery.Result{Detail: "held for the printed packet"}, nil
}
