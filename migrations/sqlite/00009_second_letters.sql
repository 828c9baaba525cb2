-- +goose Up
-- Second letters to silent offices are real letters, delivered like the
-- first: kind 'first' (the supporter's own letter) or 'second' (sent on
-- the supporter's behalf to an office with no recorded reply), and
-- followup_of, the first letter a second letter follows (at most one each).
-- A submission has one first and at most one second letter per office.
--
-- SQLite cannot drop the table's UNIQUE (submission_id, bioguide_id): the
-- table is rebuilt through a temporary copy. Other tables' references to
-- letters(id) are checked at commit (defer_foreign_keys), after the rows
-- are back under the same ids. (Not by renaming a new table: rows inserted
-- into it would not settle the references to "letters".)
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE letters_copy AS SELECT * FROM letters;
DROP TABLE letters;
CREATE TABLE letters (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id         INTEGER NOT NULL REFERENCES campaigns(id),
    submission_id       INTEGER NOT NULL REFERENCES submissions(id),
    bioguide_id         TEXT NOT NULL,
    office_code         TEXT NOT NULL,
    chamber             TEXT NOT NULL,
    state               TEXT NOT NULL,
    district            INTEGER,
    party               TEXT NOT NULL DEFAULT '',
    template_version    INTEGER NOT NULL,
    stats_release_id    INTEGER,
    sealed              TEXT NOT NULL,
    delivery_id         TEXT NOT NULL UNIQUE,
    reply_token         TEXT NOT NULL UNIQUE,
    status              TEXT NOT NULL,
    channel             TEXT NOT NULL DEFAULT '',
    attempts            INTEGER NOT NULL DEFAULT 0,
    provider_id         TEXT NOT NULL DEFAULT '',
    last_error          TEXT NOT NULL DEFAULT '',
    created_at          DATETIME NOT NULL,
    updated_at          DATETIME NOT NULL,
    sending_since       DATETIME,
    sent_at             DATETIME,
    delivered_at        DATETIME,
    kind                TEXT NOT NULL DEFAULT 'first',
    followup_of         INTEGER REFERENCES letters(id)
);
INSERT INTO letters (id, campaign_id, submission_id, bioguide_id, office_code, chamber, state, district, party, template_version, stats_release_id, sealed, delivery_id, reply_token, status, channel, attempts, provider_id, last_error, created_at, updated_at, sending_since, sent_at, delivered_at, kind)
    SELECT id, campaign_id, submission_id, bioguide_id, office_code, chamber, state, district, party, template_version, stats_release_id, sealed, delivery_id, reply_token, status, channel, attempts, provider_id, last_error, created_at, updated_at, sending_since, sent_at, delivered_at, 'first' FROM letters_copy;
DROP TABLE letters_copy;
CREATE INDEX letters_campaign_status ON letters (campaign_id, status);
CREATE INDEX letters_status ON letters (status);
CREATE INDEX letters_office ON letters (office_code, sent_at);
CREATE UNIQUE INDEX letters_submission_office_kind ON letters (submission_id, bioguide_id, kind);
CREATE UNIQUE INDEX letters_followup_of ON letters (followup_of);

-- +goose Down
PRAGMA defer_foreign_keys = ON;
DELETE FROM letter_events WHERE letter_id IN (SELECT id FROM letters WHERE kind <> 'first');
DELETE FROM responses WHERE letter_id IN (SELECT id FROM letters WHERE kind <> 'first');
DELETE FROM inbound_replies WHERE letter_id IN (SELECT id FROM letters WHERE kind <> 'first');
DELETE FROM followup_sends WHERE letter_id IN (SELECT id FROM letters WHERE kind <> 'first');
DELETE FROM survey_answers WHERE letter_id IN (SELECT id FROM letters WHERE kind <> 'first');
DELETE FROM outbox_messages WHERE letter_id IN (SELECT id FROM letters WHERE kind <> 'first');
DELETE FROM letters WHERE kind <> 'first';
CREATE TEMP TABLE letters_copy AS SELECT * FROM letters;
DROP TABLE letters;
CREATE TABLE letters (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id         INTEGER NOT NULL REFERENCES campaigns(id),
    submission_id       INTEGER NOT NULL REFERENCES submissions(id),
    bioguide_id         TEXT NOT NULL,
    office_code         TEXT NOT NULL,
    chamber             TEXT NOT NULL,
    state               TEXT NOT NULL,
    district            INTEGER,
    party               TEXT NOT NULL DEFAULT '',
    template_version    INTEGER NOT NULL,
    stats_release_id    INTEGER,
    sealed              TEXT NOT NULL,
    delivery_id         TEXT NOT NULL UNIQUE,
    reply_token         TEXT NOT NULL UNIQUE,
    status              TEXT NOT NULL,
    channel             TEXT NOT NULL DEFAULT '',
    attempts            INTEGER NOT NULL DEFAULT 0,
    provider_id         TEXT NOT NULL DEFAULT '',
    last_error          TEXT NOT NULL DEFAULT '',
    created_at          DATETIME NOT NULL,
    updated_at          DATETIME NOT NULL,
    sending_since       DATETIME,
    sent_at             DATETIME,
    delivered_at        DATETIME,
    UNIQUE (submission_id, bioguide_id)
);
INSERT INTO letters (id, campaign_id, submission_id, bioguide_id, office_code, chamber, state, district, party, template_version, stats_release_id, sealed, delivery_id, reply_token, status, channel, attempts, provider_id, last_error, created_at, updated_at, sending_since, sent_at, delivered_at)
    SELECT id, campaign_id, submission_id, bioguide_id, office_code, chamber, state, district, party, template_version, stats_release_id, sealed, delivery_id, reply_token, status, channel, attempts, provider_id, last_error, created_at, updated_at, sending_since, sent_at, delivered_at FROM letters_copy;
DROP TABLE letters_copy;
CREATE INDEX letters_campaign_status ON letters (campaign_id, status);
CREATE INDEX letters_status ON letters (status);
CREATE INDEX letters_office ON letters (office_code, sent_at);
