-- +goose Up
-- Response tracking: what offices answered (survey answers, staff logs,
-- classified email replies), replies received by email waiting for staff,
-- rollups the dashboards read instead of the letters table, and each
-- campaign's opt-in to a public responsiveness page. No supporter PII.
CREATE TABLE responses (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    letter_id    INTEGER NOT NULL REFERENCES letters(id),
    campaign_id  INTEGER NOT NULL,
    bioguide_id  TEXT NOT NULL,
    source       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    substance    TEXT NOT NULL,
    answer       TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    batch        TEXT NOT NULL DEFAULT '',
    occurred_at  DATETIME NOT NULL,
    created_at   DATETIME NOT NULL,
    actor_id     INTEGER
);
CREATE INDEX responses_letter ON responses (letter_id);
CREATE INDEX responses_office ON responses (campaign_id, bioguide_id);

CREATE TABLE inbound_replies (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    letter_id    INTEGER NOT NULL REFERENCES letters(id),
    from_addr    TEXT NOT NULL DEFAULT '',
    subject      TEXT NOT NULL DEFAULT '',
    body         TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT 'pending',
    response_id  INTEGER,
    received_at  DATETIME NOT NULL,
    decided_at   DATETIME,
    decided_by   INTEGER
);
CREATE INDEX inbound_replies_status ON inbound_replies (status, id);

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

-- Time to reply per rollup cell: letters that replied after days (events)
-- and letters still waiting after days at refresh time (censored).
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

CREATE TABLE campaign_tracking (
    campaign_id           INTEGER PRIMARY KEY REFERENCES campaigns(id),
    public_responsiveness BOOLEAN NOT NULL DEFAULT 0,
    updated_at            DATETIME NOT NULL
);

-- +goose Down
DROP TABLE campaign_tracking;
DROP TABLE response_rollup_times;
DROP TABLE response_rollups;
DROP TABLE inbound_replies;
DROP TABLE responses;
