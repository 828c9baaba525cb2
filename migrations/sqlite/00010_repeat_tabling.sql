-- +goose Up
-- One first letter per (campaign, supporter email, office), enforced by the
-- database: letters carry the blind index of their supporter's email (NULL
-- once the supporter's data is erased), and a partial unique index covers
-- first letters. Second letters keep their own guard (unique followup_of).
ALTER TABLE letters ADD COLUMN email_index TEXT;
UPDATE letters SET email_index = (SELECT s.email_index FROM submissions s WHERE s.id = letters.submission_id AND s.status <> 'erased');
-- Duplicates written before this constraint (concurrent confirmations)
-- stay, as sent letters are history; only the oldest first letter per
-- office keeps the index, so the constraint can be built.
UPDATE letters SET email_index = NULL
WHERE kind = 'first' AND email_index IS NOT NULL AND id NOT IN (
    SELECT MIN(id) FROM letters WHERE kind = 'first' AND email_index IS NOT NULL GROUP BY campaign_id, email_index, bioguide_id);
CREATE UNIQUE INDEX letters_first_per_supporter ON letters (campaign_id, email_index, bioguide_id) WHERE kind = 'first';

-- Tabling events: for a period, a campaign accepts more submissions per
-- client IP per hour (volunteers behind one Wi-Fi). They end by themselves
-- at ends_at; ended_at records staff ending one early. No personal data.
CREATE TABLE tabling_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
    starts_at   DATETIME NOT NULL,
    ends_at     DATETIME NOT NULL,
    ip_limit    INTEGER NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    created_by  INTEGER REFERENCES users(id),
    created_at  DATETIME NOT NULL,
    ended_at    DATETIME
);
CREATE INDEX tabling_events_campaign ON tabling_events (campaign_id, ends_at);

-- +goose Down
DROP TABLE tabling_events;
DROP INDEX letters_first_per_supporter;
ALTER TABLE letters DROP COLUMN email_index;
