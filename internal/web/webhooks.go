package web

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/delivery/sendgrid"
	"github.com/outreach-org/outreach/internal/tracking"
)

// EventVerifier checks and parses SendGrid Event Webhook posts.
type EventVerifier interface {
	VerifyAndParse(signatureHeader, timestampHeader string, body []byte, now time.Time) ([]sendgrid.Event, error)
}

const maxWebhookBody = 2 << 20

func (s *Server) webhookRoutes(root *echo.Group) {
	s.public(root, http.MethodPost, "/webhooks/sendgrid/events", s.sendgridEvents)
}

// sendgridEvents is the SendGrid Event Webhook. The signature is checked
// over the raw body before anything is parsed; stale timestamps are
// refused; events are applied once (sg_event_id); an unsubscribe, a spam
// report or a bounce stops all further email to the address.
func (s *Server) sendgridEvents(c echo.Context) error {
	if s.deps.Events == nil {
		return echo.NewHTTPError(http.StatusNotFound, "the SendGrid event webhook is not configured")
	}
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxWebhookBody+1))
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) { // the body limit, met while reading
			return he
		}
		return echo.NewHTTPError(http.StatusBadRequest, "cannot read the body")
	}
	if len(body) > maxWebhookBody {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "body too large")
	}
	h := c.Request().Header
	events, err := s.deps.Events.VerifyAndParse(h.Get(sendgrid.SignatureHeader), h.Get(sendgrid.TimestampHeader), body, s.deps.Now())
	switch {
	case errors.Is(err, sendgrid.ErrBadSignature), errors.Is(err, sendgrid.ErrStale):
		s.log.Warn("sendgrid webhook refused", "reason", err.Error())
		return echo.NewHTTPError(http.StatusForbidden, "signature not valid")
	case err != nil:
		return echo.NewHTTPError(http.StatusBadRequest, "malformed events")
	}
	ctx := c.Request().Context()
	applied := 0
	for _, ev := range events {
		if ev.EventID == "" {
			continue // cannot deduplicate: ignore rather than apply twice
		}
		detail := ""
		if ev.Reason != "" {
			detail = ": " + truncateText(ev.Reason, 200)
		}
		if ev.MailID != 0 {
			// Any event about a supporter email means SendGrid took it: one
			// whose send ended without an answer is not sent again.
			at := ev.Timestamp
			if at.IsZero() {
				at = s.deps.Now()
			}
			if _, err := s.deps.Store.SettleSupporterMail(ctx, ev.MailID, ev.ProviderID(), at); err != nil {
				return err
			}
		}
		ok, err := s.deps.Store.ApplyProviderEvent(ctx, ev.EventID, ev.LetterID, ev.Event, sendgrid.StatusFor(ev.Event), detail, ev.Timestamp)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		applied++
		if ev.LetterID != 0 {
			// A letter whose acceptance was lost learns its message id here.
			if err := s.deps.Store.NoteProviderID(ctx, ev.LetterID, ev.ProviderID()); err != nil {
				return err
			}
		}
		if tracking.Unsubscribes(ev.Event) && ev.Email != "" && s.deps.Keys != nil {
			if err := s.deps.Store.Unsubscribe(ctx, s.deps.Keys.Index("email", strings.ToLower(strings.TrimSpace(ev.Email))), ev.Event); err != nil {
				return err
			}
		}
	}
	return c.JSON(http.StatusOK, map[string]string{"applied": strconv.Itoa(applied)})
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
