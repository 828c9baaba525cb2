-- +goose Up
-- Mobilization emails: staff write one (a subject and a body per
-- language), choose a segment of the opted-in supporters (stored as its
-- JSON definition), and send it now or at send_at. No personal data here:
-- recipients are read from the sealed opt-ins when each batch is sent.
-- status: draft, scheduled, sending, sent, cancelled, failed.
CREATE TABLE mailings (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    campaign_id INTEGER REFERENCES campaigns(id),
    subject_en  TEXT NOT NULL,
    body_en     TEXT NOT NULL,
    subject_es  TEXT NOT NULL DEFAULT '',
    body_es     TEXT NOT NULL DEFAULT '',
    segment     TEXT NOT NULL DEFAULT '{}',
    status      TEXT NOT NULL DEFAULT 'draft',
    send_at     DATETIME,
    cutoff      DATETIME,
    total       INTEGER NOT NULL DEFAULT 0,
    detail      TEXT NOT NULL DEFAULT '',
    created_by  INTEGER,
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL,
    started_at  DATETIME,
    finished_at DATETIME
);
CREATE INDEX mailings_status_send_at ON mailings (status, send_at);

-- One row per request to the provider (up to 1,000 recipients of one
-- language), never one per email: the recipients are the segment's
-- supporters of that language whose email_index is in (after_key,
-- last_key]. status: sending (handed to the provider, answer not recorded:
-- after a crash the outcome is unknown), sent, failed, retry (not taken,
-- to be sent again), unknown (may have been taken; never sent again).
CREATE TABLE mailing_batches (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    mailing_id    INTEGER NOT NULL REFERENCES mailings(id),
    lang          TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    after_key     TEXT NOT NULL,
    last_key      TEXT NOT NULL,
    recipients    INTEGER NOT NULL,
    sent          INTEGER NOT NULL DEFAULT 0,
    failed        INTEGER NOT NULL DEFAULT 0,
    status        TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 1,
    provider_id   TEXT NOT NULL DEFAULT '',
    detail        TEXT NOT NULL DEFAULT '',
    created_at    DATETIME NOT NULL,
    sending_since DATETIME,
    finished_at   DATETIME
);
CREATE UNIQUE INDEX mailing_batches_mailing_lang_seq ON mailing_batches (mailing_id, lang, seq);

-- +goose Down
DROP TABLE mailing_batches;
DROP TABLE mailings;
