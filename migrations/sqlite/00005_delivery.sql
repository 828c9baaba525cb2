-- +goose Up
-- Supporters' submissions (personal data sealed with AES-GCM; email found
-- through an HMAC blind index), the letters they produce, each letter's
-- timeline, the outbox, provider events and email suppressions.
CREATE TABLE submissions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id   INTEGER NOT NULL REFERENCES campaigns(id),
    email_index   TEXT NOT NULL,
    sealed        TEXT NOT NULL,
    lang          TEXT NOT NULL DEFAULT 'en',
    ip_hash       TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'pending',
    created_at    DATETIME NOT NULL,
    confirmed_at  DATETIME,
    erased_at     DATETIME
);
CREATE INDEX submissions_campaign_email ON submissions (campaign_id, email_index);

-- Per-campaign delivery settings; defaults apply when a campaign has none.
CREATE TABLE campaign_delivery (
    campaign_id       INTEGER PRIMARY KEY REFERENCES campaigns(id),
    channels          TEXT NOT NULL,
    office_days       TEXT NOT NULL,
    office_open       TEXT NOT NULL,
    office_close      TEXT NOT NULL,
    time_zone         TEXT NOT NULL,
    office_hourly_cap INTEGER NOT NULL,
    updated_at        DATETIME NOT NULL
);

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
CREATE INDEX letters_campaign_status ON letters (campaign_id, status);
CREATE INDEX letters_status ON letters (status);
CREATE INDEX letters_office ON letters (office_code, sent_at);

-- Timeline: every attempt, answer and provider event of a letter. No PII.
CREATE TABLE letter_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    letter_id  INTEGER NOT NULL REFERENCES letters(id),
    at         DATETIME NOT NULL,
    kind       TEXT NOT NULL,
    channel    TEXT NOT NULL DEFAULT '',
    status     TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX letter_events_letter ON letter_events (letter_id, id);

-- Messages kept by the outbox channel (sealed: they hold supporters' data).
CREATE TABLE outbox_messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    letter_id   INTEGER,
    kind        TEXT NOT NULL,
    sealed      TEXT NOT NULL,
    created_at  DATETIME NOT NULL
);
CREATE INDEX outbox_messages_created ON outbox_messages (created_at);
CREATE UNIQUE INDEX outbox_messages_letter ON outbox_messages (letter_id);

-- SendGrid event ids already applied (events arrive more than once).
CREATE TABLE provider_events (
    event_id    TEXT PRIMARY KEY,
    letter_id   INTEGER,
    event       TEXT NOT NULL,
    received_at DATETIME NOT NULL
);
CREATE INDEX provider_events_letter ON provider_events (letter_id, event);

-- Addresses we must not email again (unsubscribe, spam report, bounce).
CREATE TABLE email_suppressions (
    email_index TEXT PRIMARY KEY,
    reason      TEXT NOT NULL,
    created_at  DATETIME NOT NULL
);

-- +goose Down
DROP TABLE email_suppressions;
DROP TABLE provider_events;
DROP TABLE outbox_messages;
DROP TABLE letter_events;
DROP TABLE letters;
DROP TABLE campaign_delivery;
DROP TABLE submissions;
