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
    campaign_id BIGINT NOT NULL REFERENCES campaigns(id),
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
-- an empty letter on every other campaign).
ALTER TABLE campaign_versions DROP CONSTRAINT campaign_versions_subject_check;
ALTER TABLE campaign_versions DROP CONSTRAINT campaign_versions_body_check;
ALTER TABLE campaign_versions ADD CONSTRAINT campaign_versions_letter_check
    CHECK ((subject <> '' AND body <> '') OR (subject = '' AND body = ''));

-- One outcome per office per call page: the page's token carries a random
-- nonce, and a row here (the nonce and the office, nothing about the
-- supporter) is what makes a second outcome for the same office on the
-- same page count nothing. Rows go when the token expires.
CREATE TABLE call_claims (
    nonce       TEXT NOT NULL,
    bioguide_id TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (nonce, bioguide_id)
);
CREATE INDEX call_claims_expires ON call_claims (expires_at);

-- +goose Down
DROP TABLE call_claims;
DROP TABLE call_counts;
ALTER TABLE campaigns DROP COLUMN calls_only;
ALTER TABLE campaigns DROP COLUMN call_script_es;
ALTER TABLE campaigns DROP COLUMN call_script_en;
ALTER TABLE campaign_versions DROP CONSTRAINT campaign_versions_letter_check;
-- NOT VALID: the letterless versions of calls-only campaigns stay; new
-- rows are checked as before.
ALTER TABLE campaign_versions ADD CONSTRAINT campaign_versions_subject_check CHECK (subject <> '') NOT VALID;
ALTER TABLE campaign_versions ADD CONSTRAINT campaign_versions_body_check CHECK (body <> '') NOT VALID;
