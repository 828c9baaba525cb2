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
-- '*'. Letters written before this version had no source (''). SQLite
-- cannot change a primary key: the tables are rebuilt.
CREATE TABLE response_rollups_v2 (
    campaign_id  INTEGER NOT NULL,
    bioguide_id  TEXT NOT NULL,
    office_code  TEXT NOT NULL,
    chamber      TEXT NOT NULL,
    state        TEXT NOT NULL,
    party        TEXT NOT NULL,
    channel      TEXT NOT NULL,
    month        TEXT NOT NULL,
    letters      INTEGER NOT NULL,
    delivered    INTEGER NOT NULL,
    failed       INTEGER NOT NULL,
    replied      INTEGER NOT NULL,
    substantive  INTEGER NOT NULL,
    refreshed_at DATETIME NOT NULL,
    source       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (campaign_id, month, channel, bioguide_id, source)
);
INSERT INTO response_rollups_v2
SELECT campaign_id, bioguide_id, office_code, chamber, state, party, channel, month, letters, delivered, failed, replied, substantive,
       refreshed_at, CASE WHEN month = '*' THEN '*' ELSE '' END
FROM response_rollups;
DROP TABLE response_rollups;
ALTER TABLE response_rollups_v2 RENAME TO response_rollups;
CREATE INDEX response_rollups_month ON response_rollups (month);
CREATE INDEX response_rollups_office ON response_rollups (campaign_id, bioguide_id);

CREATE TABLE response_rollup_times_v2 (
    campaign_id  INTEGER NOT NULL,
    bioguide_id  TEXT NOT NULL,
    chamber      TEXT NOT NULL,
    state        TEXT NOT NULL,
    party        TEXT NOT NULL,
    channel      TEXT NOT NULL,
    month        TEXT NOT NULL,
    days         INTEGER NOT NULL,
    events       INTEGER NOT NULL,
    censored     INTEGER NOT NULL,
    source       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (campaign_id, month, channel, bioguide_id, source, days)
);
INSERT INTO response_rollup_times_v2
SELECT campaign_id, bioguide_id, chamber, state, party, channel, month, days, events, censored,
       CASE WHEN month = '*' THEN '*' ELSE '' END
FROM response_rollup_times;
DROP TABLE response_rollup_times;
ALTER TABLE response_rollup_times_v2 RENAME TO response_rollup_times;
CREATE INDEX response_rollup_times_month ON response_rollup_times (month);
CREATE INDEX response_rollup_times_office ON response_rollup_times (campaign_id, bioguide_id);

-- Submissions and confirmations per campaign, source and month of the
-- submission, counted in the transactions that create and confirm them
-- (the confirmation rate by source without reading the submissions).
CREATE TABLE submission_counts (
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
    source      TEXT NOT NULL,
    month       TEXT NOT NULL,
    submissions INTEGER NOT NULL,
    confirmed   INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, source, month)
);
INSERT INTO submission_counts (campaign_id, source, month, submissions, confirmed)
SELECT campaign_id, '', strftime('%Y-%m', created_at), COUNT(*),
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
DELETE FROM app_settings WHERE key = 'tracking.rollups_event_mark';
DROP TABLE response_rollup_times;
CREATE TABLE response_rollup_times (
    campaign_id  INTEGER NOT NULL,
    bioguide_id  TEXT NOT NULL,
    chamber      TEXT NOT NULL,
    state        TEXT NOT NULL,
    party        TEXT NOT NULL,
    channel      TEXT NOT NULL,
    month        TEXT NOT NULL,
    days         INTEGER NOT NULL,
    events       INTEGER NOT NULL,
    censored     INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, month, channel, bioguide_id, days)
);
CREATE INDEX response_rollup_times_month ON response_rollup_times (month);
CREATE INDEX response_rollup_times_office ON response_rollup_times (campaign_id, bioguide_id);
DROP TABLE response_rollups;
CREATE TABLE response_rollups (
    campaign_id  INTEGER NOT NULL,
    bioguide_id  TEXT NOT NULL,
    office_code  TEXT NOT NULL,
    chamber      TEXT NOT NULL,
    state        TEXT NOT NULL,
    party        TEXT NOT NULL,
    channel      TEXT NOT NULL,
    month        TEXT NOT NULL,
    letters      INTEGER NOT NULL,
    delivered    INTEGER NOT NULL,
    failed       INTEGER NOT NULL,
    replied      INTEGER NOT NULL,
    substantive  INTEGER NOT NULL,
    refreshed_at DATETIME NOT NULL,
    PRIMARY KEY (campaign_id, month, channel, bioguide_id)
);
CREATE INDEX response_rollups_month ON response_rollups (month);
CREATE INDEX response_rollups_office ON response_rollups (campaign_id, bioguide_id);
ALTER TABLE submissions DROP COLUMN utm_campaign;
ALTER TABLE submissions DROP COLUMN utm_medium;
ALTER TABLE submissions DROP COLUMN utm_source;
ALTER TABLE submissions DROP COLUMN source;
