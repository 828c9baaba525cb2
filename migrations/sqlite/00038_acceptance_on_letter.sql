-- +goose Up
-- As PostgreSQL's 00038 (which explains it). letter_ids is a JSON array;
-- AUTOINCREMENT, so that an id is never used again after the refresh
-- deletes the rows it has read.
ALTER TABLE letters ADD COLUMN sent_status TEXT NOT NULL DEFAULT '';
ALTER TABLE letters ADD COLUMN sent_detail TEXT NOT NULL DEFAULT '';
CREATE TABLE letter_changes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    letter_ids TEXT NOT NULL
);

-- +goose Down
INSERT INTO letter_events (letter_id, at, kind, channel, status, detail)
SELECT id, sent_at, 'sent', channel, sent_status, sent_detail FROM letters WHERE sent_status <> '' AND sent_at IS NOT NULL;
DROP TABLE letter_changes;
ALTER TABLE letters DROP COLUMN sent_detail;
ALTER TABLE letters DROP COLUMN sent_status;
