-- +goose Up
-- Time to reply moves into the rollup cells as a histogram ("days:replied:
-- waiting,..." by days), so that a dashboard query reads one row per cell
-- instead of one per cell and day waited (about 600,000 rows for a
-- campaign of a million letters). Two more levels of cells are kept beside
-- the fine cells (office, channel, month, source) and an office's total
-- (month, channel and source '*'): an office's months (channel and source
-- '*'), read for periods; and, in response_rollup_cohorts, the campaign's
-- letters per channel, month and source to the offices of one chamber,
-- party and state, and to every office (chamber, party and state '*'),
-- read by the channel, month and source groupings. The existing rollups
-- are carried over here; the next refresh recomputes them anyway.
ALTER TABLE response_rollups ADD COLUMN times TEXT NOT NULL DEFAULT '';
UPDATE response_rollups SET times = COALESCE((
    SELECT string_agg(CAST(t.days AS TEXT) || ':' || CAST(t.events AS TEXT) || ':' || CAST(t.censored AS TEXT), ',' ORDER BY t.days)
    FROM response_rollup_times t
    WHERE t.campaign_id = response_rollups.campaign_id AND t.month = response_rollups.month AND t.channel = response_rollups.channel
      AND t.bioguide_id = response_rollups.bioguide_id AND t.source = response_rollups.source AND (t.events > 0 OR t.censored > 0)), '');
CREATE TABLE response_rollup_cohorts (
    campaign_id  INTEGER NOT NULL,
    chamber      TEXT NOT NULL,
    party        TEXT NOT NULL,
    state        TEXT NOT NULL,
    channel      TEXT NOT NULL,
    month        TEXT NOT NULL,
    source       TEXT NOT NULL,
    letters      INTEGER NOT NULL,
    delivered    INTEGER NOT NULL,
    failed       INTEGER NOT NULL,
    replied      INTEGER NOT NULL,
    substantive  INTEGER NOT NULL,
    times        TEXT NOT NULL,
    refreshed_at DATETIME NOT NULL,
    PRIMARY KEY (campaign_id, chamber, month, channel, source, party, state)
);
INSERT INTO response_rollup_cohorts (campaign_id, chamber, party, state, channel, month, source,
                                     letters, delivered, failed, replied, substantive, times, refreshed_at)
SELECT r.campaign_id, '*', '*', '*', r.channel, r.month, r.source,
       SUM(r.letters), SUM(r.delivered), SUM(r.failed), SUM(r.replied), SUM(r.substantive),
       COALESCE((SELECT string_agg(CAST(x.days AS TEXT) || ':' || CAST(x.e AS TEXT) || ':' || CAST(x.c AS TEXT), ',' ORDER BY x.days)
                 FROM (SELECT t.days, SUM(t.events) AS e, SUM(t.censored) AS c FROM response_rollup_times t
                       WHERE t.campaign_id = r.campaign_id AND t.month = r.month AND t.channel = r.channel AND t.source = r.source
                       GROUP BY t.days) x
                 WHERE x.e > 0 OR x.c > 0), ''),
       MAX(r.refreshed_at)
FROM response_rollups r WHERE r.month <> '*'
GROUP BY r.campaign_id, r.month, r.channel, r.source;
INSERT INTO response_rollup_cohorts (campaign_id, chamber, party, state, channel, month, source,
                                     letters, delivered, failed, replied, substantive, times, refreshed_at)
SELECT r.campaign_id, r.chamber, r.party, r.state, r.channel, r.month, r.source,
       SUM(r.letters), SUM(r.delivered), SUM(r.failed), SUM(r.replied), SUM(r.substantive),
       COALESCE((SELECT string_agg(CAST(x.days AS TEXT) || ':' || CAST(x.e AS TEXT) || ':' || CAST(x.c AS TEXT), ',' ORDER BY x.days)
                 FROM (SELECT t.days, SUM(t.events) AS e, SUM(t.censored) AS c FROM response_rollup_times t
                       WHERE t.campaign_id = r.campaign_id AND t.month = r.month AND t.channel = r.channel AND t.source = r.source
                         AND t.chamber = r.chamber AND t.party = r.party AND t.state = r.state
                       GROUP BY t.days) x
                 WHERE x.e > 0 OR x.c > 0), ''),
       MAX(r.refreshed_at)
FROM response_rollups r WHERE r.month <> '*'
GROUP BY r.campaign_id, r.chamber, r.party, r.state, r.month, r.channel, r.source;
INSERT INTO response_rollups (campaign_id, bioguide_id, office_code, chamber, state, party, channel, month, source,
                              letters, delivered, failed, replied, substantive, refreshed_at, times)
SELECT r.campaign_id, r.bioguide_id, MAX(r.office_code), MAX(r.chamber), MAX(r.state), MAX(r.party), '*', r.month, '*',
       SUM(r.letters), SUM(r.delivered), SUM(r.failed), SUM(r.replied), SUM(r.substantive), MAX(r.refreshed_at),
       COALESCE((SELECT string_agg(CAST(x.days AS TEXT) || ':' || CAST(x.e AS TEXT) || ':' || CAST(x.c AS TEXT), ',' ORDER BY x.days)
                 FROM (SELECT t.days, SUM(t.events) AS e, SUM(t.censored) AS c FROM response_rollup_times t
                       WHERE t.campaign_id = r.campaign_id AND t.month = r.month AND t.bioguide_id = r.bioguide_id
                       GROUP BY t.days) x
                 WHERE x.e > 0 OR x.c > 0), '')
FROM response_rollups r WHERE r.month <> '*'
GROUP BY r.campaign_id, r.bioguide_id, r.month;
DROP TABLE response_rollup_times;

-- +goose Down
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
    source       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (campaign_id, month, channel, bioguide_id, source, days)
);
CREATE INDEX response_rollup_times_month ON response_rollup_times (month);
CREATE INDEX response_rollup_times_office ON response_rollup_times (campaign_id, bioguide_id);
DROP TABLE response_rollup_cohorts;
DELETE FROM response_rollups WHERE channel = '*' AND month <> '*';
ALTER TABLE response_rollups DROP COLUMN times;
-- the times are gone: the next schedule tick, finding no mark, refreshes everything
DELETE FROM app_settings WHERE key = 'tracking.rollups_event_mark';
