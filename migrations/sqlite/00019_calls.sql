-- +goose Up
-- Calls, 5 Calls style. A campaign's call script (English and Spanish,
-- letter-template language with the member's fields and statistics) and
-- whether it asks for calls only (no letters).
ALTER TABLE campaigns ADD COLUMN call_script_en TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN call_script_es TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN calls_only BOOLEAN NOT NULL DEFAULT FALSE;

-- How many calls supporters reported, per campaign, office, month (UTC,
-- YYYY-MM) and outcome: counts only, nothing about who called. chamber,
-- state and party are the office's as of the latest call (the dashboards
-- group by them, as they do letters).
CREATE TABLE call_counts (
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
    bioguide_id TEXT NOT NULL,
    month       TEXT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('reached', 'voicemail', 'busy', 'skipped')),
    chamber     TEXT NOT NULL,
    state       TEXT NOT NULL,
    party       TEXT NOT NULL,
    calls       INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, bioguide_id, month, outcome)
);

-- A calls-only campaign need not have a letter: its versions may have an
-- empty subject and body, both or neither (the campaign package refuses
-- an empty letter on every other campaign). SQLite cannot change a CHECK,
-- so the table is rebuilt, rows, ids and the immutability trigger kept.
CREATE TABLE campaign_versions_new (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id            INTEGER NOT NULL REFERENCES campaigns(id),
    version                INTEGER NOT NULL CHECK (version >= 1),
    subject                TEXT NOT NULL,
    body                   TEXT NOT NULL,
    organization_statement TEXT NOT NULL DEFAULT '',
    created_by             INTEGER REFERENCES users(id),
    created_at             DATETIME NOT NULL,
    UNIQUE (campaign_id, version),
    CHECK ((subject <> '' AND body <> '') OR (subject = '' AND body = ''))
);
INSERT INTO campaign_versions_new (id, campaign_id, version, subject, body, organization_statement, created_by, created_at)
    SELECT id, campaign_id, version, subject, body, organization_statement, created_by, created_at FROM campaign_versions;
DROP TRIGGER campaign_versions_no_update;
DROP TABLE campaign_versions;
ALTER TABLE campaign_versions_new RENAME TO campaign_versions;
-- +goose StatementBegin
CREATE TRIGGER campaign_versions_no_update BEFORE UPDATE ON campaign_versions
BEGIN
    SELECT RAISE(ABORT, 'campaign_versions rows are immutable');
END;
-- +goose StatementEnd

-- One outcome per office per call page: the page's token carries a random
-- nonce, and a row here (the nonce and the office, nothing about the
-- supporter) is what makes a second outcome for the same office on the
-- same page count nothing. Rows go when the token expires.
CREATE TABLE call_claims (
    nonce       TEXT NOT NULL,
    bioguide_id TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    expires_at  DATETIME NOT NULL,
    PRIMARY KEY (nonce, bioguide_id)
);
CREATE INDEX call_claims_expires ON call_claims (expires_at);

-- +goose Down
DROP TABLE call_claims;
DROP TABLE call_counts;
ALTER TABLE campaigns DROP COLUMN calls_only;
ALTER TABLE campaigns DROP COLUMN call_script_es;
ALTER TABLE campaigns DROP COLUMN call_script_en;
CREATE TABLE campaign_versions_old (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id            INTEGER NOT NULL REFERENCES campaigns(id),
    version                INTEGER NOT NULL CHECK (version >= 1),
    subject                TEXT NOT NULL CHECK (subject <> ''),
    body                   TEXT NOT NULL CHECK (body <> ''),
    organization_statement TEXT NOT NULL DEFAULT '',
    created_by             INTEGER REFERENCES users(id),
    created_at             DATETIME NOT NULL,
    UNIQUE (campaign_id, version)
);
-- The letterless versions of calls-only campaigns stay (as PostgreSQL's
-- NOT VALID constraints do); new rows are checked as before.
PRAGMA ignore_check_constraints = ON;
INSERT INTO campaign_versions_old (id, campaign_id, version, subject, body, organization_statement, created_by, created_at)
    SELECT id, campaign_id, version, subject, body, organization_statement, created_by, created_at FROM campaign_versions;
PRAGMA ignore_check_constraints = OFF;
DROP TRIGGER campaign_versions_no_update;
DROP TABLE campaign_versions;
ALTER TABLE campaign_versions_old RENAME TO campaign_versions;
-- +goose StatementBegin
CREATE TRIGGER campaign_versions_no_update BEFORE UPDATE ON campaign_versions
BEGIN
    SELECT RAISE(ABORT, 'campaign_versions rows are immutable');
END;
-- +goose StatementEnd
