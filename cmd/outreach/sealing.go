package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/outreach-org/outreach/internal/delivery/outbox"
	"github.com/outreach-org/outreach/internal/followup"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/tracking"
)

// sealAtStart finishes migration 00013 where SQL cannot: it seals the
// inbound replies and survey answers that earlier versions stored in
// clear, emptying their plaintext columns, and gives the outbox rows
// they wrote the blind index of their recipient (so delete-my-data finds
// them). serve and worker run it before they serve or work anything; it
// is idempotent and changes nothing once done.
func sealAtStart(ctx context.Context, st *store.Store, keys *seal.Keys, log *slog.Logger) error {
	replies, err := st.SealLegacyReplies(ctx, func(id int64, from, subject, body string) (string, error) {
		return tracking.SealReply(keys, id, tracking.Reply{From: from, Subject: subject, Body: body})
	})
	if err != nil {
		return fmt.Errorf("seal inbound replies stored in clear: %w", err)
	}
	answers, err := st.SealLegacySurveyText(ctx, func(id int64, note, replyText string) (string, error) {
		return followup.SealSurveyText(keys, id, followup.SurveyText{Note: note, ReplyText: replyText})
	})
	if err != nil {
		return fmt.Errorf("seal survey answers stored in clear: %w", err)
	}
	indexed, skipped, err := st.IndexLegacyOutbox(ctx, func(id int64, sealed string) (string, error) {
		m, err := outbox.Open(keys, id, sealed)
		if err != nil {
			return "", err
		}
		if m.Email == nil {
			return "", nil
		}
		return outbox.RecipientIndex(keys, m.Email.To), nil
	})
	if err != nil {
		return fmt.Errorf("index outbox messages: %w", err)
	}
	if replies+answers+indexed > 0 {
		log.Info("personal data stored in clear by an earlier version is now sealed", "inbound_replies", replies, "survey_answers", answers, "outbox_indexed", indexed)
	}
	if skipped > 0 {
		log.Warn("outbox messages sealed with a key that is not configured could not be indexed: delete-my-data cannot find them until that key is back", "messages", skipped)
	}
	return nil
}
