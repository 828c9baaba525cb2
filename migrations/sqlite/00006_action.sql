-- +goose Up
-- Double opt-in to hear from the organization, per supporter (by blind
-- index of the email), sealed; and an index for rate limits by client.
CREATE TABLE optins (
    email_index     TEXT PRIMARY KEY,
    sealed          TEXT NOT NULL,
    lang            TEXT NOT NULL DEFAULT 'en',
    campaign_id     INTEGER REFERENCES campaigns(id),
    requested_at    DATETIME NOT NULL,
    confirmed_at    DATETIME,
    unsubscribed_at DATETIME
);
CREATE INDEX submissions_ip_created ON submissions (ip_hash, created_at);
CREATE INDEX submissions_email_created ON submissions (email_index, created_at);

-- +goose Down
DROP INDEX submissions_email_created;
DROP INDEX submissions_ip_created;
DROP TABLE optins;
