-- +goose Up
-- A provider's acceptance was recorded twice: on the letter (status,
-- sent_at, provider_id) and as a "sent" row of its timeline, a row and two
-- index entries per letter delivered, a sixth of PostgreSQL's work per
-- letter. The acceptance's own line now stays on the letter: sent_status
-- (what the acceptance made it: sent, delivered or outbox; '' when the
-- letter holds no acceptance of its own) and sent_detail (the provider's
-- answer); the timeline reads it from there (Store.Timeline), and a
-- requeue stores it as a row before the letter goes out again. Letters
-- accepted before this keep their "sent" rows.
-- The dashboards' refresh found the offices whose letters changed through
-- those rows: an acceptance now writes one row per statement in
-- letter_changes (the letters it accepted), which the refresh reads past
-- its mark and then deletes.
ALTER TABLE letters ADD COLUMN sent_status TEXT NOT NULL DEFAULT '';
ALTER TABLE letters ADD COLUMN sent_detail TEXT NOT NULL DEFAULT '';
CREATE TABLE letter_changes (
    id         BIGSERIAL PRIMARY KEY,
    letter_ids BIGINT[] NOT NULL
);

-- +goose Down
INSERT INTO letter_events (letter_id, at, kind, channel, status, detail)
SELECT id, sent_at, 'sent', channel, sent_status, sent_detail FROM letters WHERE sent_status <> '' AND sent_at IS NOT NULL;
DROP TABLE letter_changes;
ALTER TABLE letters DROP COLUMN sent_detail;
ALTER TABLE letters DROP COLUMN sent_status;
