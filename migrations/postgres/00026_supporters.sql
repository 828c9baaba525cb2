-- +goose Up
-- Which link brought which letter. A submission keeps the campaign link's
-- source code (?source=, or utm_source when there is none) and its
-- utm_medium and utm_campaign: short lowercase tokens, never personal data
-- (the action flow normalises them and drops anything else).
ALTER TABLE submissions ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE submissions ADD COLUMN utm_source TEXT NOT NULL DEFAULT '';
ALTER TABLE submissions ADD COLUMN utm_medium TEXT NOT NULL DEFAULT '';
ALTER TABLE submissions ADD COLUMN utm_campaign TEXT NOT NULL DEFAULT '';

-- The rollups split letters by source too: fine cells carry their
-- letters' source, an office's coarse cells (month and channel '*') carry
-- '*'. Letters written before this version had no source ('').
ALTER TABLE response_rollups ADD COLUMN source TEXT NOT NULL DEFAULT '';
UPDATE response_rollups SET source = '*' WHERE month = '*';
ALTER TABLE response_rollups DROP CONSTRAINT response_rollups_pkey;
ALTER TABLE response_rollups ADD PRIMARY KEY (campaign_id, month, channel, bioguide_id, source);
ALTER TABLE response_rollup_times ADD COLUMN source TEXT NOT NULL DEFAULT '';
UPDATE response_rollup_times SET source = '*' WHERE month = '*';
ALTER TABLE response_rollup_times DROP CONSTRAINT response_rollup_times_pkey;
ALTER TABLE response_rollup_times ADD PRIMARY KEY (campaign_id, month, channel, bioguide_id, source, days);

-- Submissions and confirmations per campaign, source and month of the
-- submission, counted in the transactions that create and confirm them
-- (the confirmation rate by source without reading the submissions).
CREATE TABLE submission_counts (
    campaign_id BIGINT NOT NULL REFERENCES campaigns(id),
    source      TEXT NOT NULL,
    month       TEXT NOT NULL,
    submissions BIGINT NOT NULL,
    confirmed   BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, source, month)
);
INSERT INTO submission_counts (campaign_id, source, month, submissions, confirmed)
SELECT campaign_id, '', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM'), COUNT(*),
       SUM(CASE WHEN confirmed_at IS NOT NULL THEN 1 ELSE 0 END)
FROM submissions GROUP BY 1, 2, 3;

-- The supporter list: the non-personal attributes staff filter by are
-- columns (the address and name stay sealed): the supporter's state and
-- House district (NULL: unknown; 0: at-large), the source of the link
-- they joined through, and how they joined ('action': the double opt-in
-- of the action flow; 'import': a CSV import with recorded consent).
ALTER TABLE optins ADD COLUMN state TEXT NOT NULL DEFAULT '';
ALTER TABLE optins ADD COLUMN district INTEGER;
ALTER TABLE optins ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE optins ADD COLUMN origin TEXT NOT NULL DEFAULT 'action';
CREATE INDEX optins_confirmed ON optins (confirmed_at, email_index);
CREATE INDEX optins_state_district ON optins (state, district);
CREATE INDEX optins_source ON optins (source);
CREATE INDEX optins_campaign ON optins (campaign_id);

-- +goose Down
DROP INDEX optins_campaign;
DROP INDEX optins_source;
DROP INDEX optins_state_district;
DROP INDEX optins_confirmed;
ALTER TABLE optins DROP COLUMN origin;
ALTER TABLE optins DROP COLUMN source;
ALTER TABLE optins DROP COLUMN district;
ALTER TABLE optins DROP COLUMN state;
DROP TABLE submission_counts;
-- the rollups are derived: the next refresh rebuilds them without sources
DELETE FROM response_rollup_times;
DELETE FROM response_rollups;
DELETE FROM app_settings WHERE key = 'tracking.rollups_event_mark';
ALTER TABLE response_rollup_times DROP CONSTRAINT response_rollup_times_pkey;
ALTER TABLE response_rollup_times DROP COLUMN source;
ALTER TABLE response_rollup_times ADD PRIMARY KEY (campaign_id, month, channel, bioguide_id, days);
ALTER TABLE response_rollups DROP CONSTRAINT response_rollups_pkey;
ALTER TABLE response_rollups DROP COLUMN source;
ALTER TABLE response_rollups ADD PRIMARY KEY (campaign_id, month, channel, bioguide_id);
ALTER TABLE submissions DROP COLUMN utm_campaign;
ALTER TABLE submissions DROP COLUMN utm_medium;
ALTER TABLE submissions DROP COLUMN utm_source;
ALTER TABLE submissions DROP COLUMN source;
