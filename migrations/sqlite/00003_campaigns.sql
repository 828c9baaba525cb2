-- +goose Up
-- Campaigns and the immutable versions of their letters. A campaign row
-- points at its current letter version; every save that changes the
-- subject, body or organization statement adds a version row, so a letter
-- can always say exactly which text it was rendered from.
CREATE TABLE campaigns (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    slug              TEXT NOT NULL UNIQUE,
    title             TEXT NOT NULL CHECK (title <> ''),
    summary_en        TEXT NOT NULL DEFAULT '',
    summary_es        TEXT NOT NULL DEFAULT '',
    call_to_action_en TEXT NOT NULL DEFAULT '',
    call_to_action_es TEXT NOT NULL DEFAULT '',
    targets           TEXT NOT NULL CHECK (targets IN ('house', 'senate', 'both')),
    loc_topic         TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('draft', 'scheduled', 'live', 'paused', 'closed')),
    starts_at         DATETIME,
    ends_at           DATETIME,
    current_version   INTEGER NOT NULL CHECK (current_version >= 1),
    created_by        INTEGER REFERENCES users(id),
    created_at        DATETIME NOT NULL,
    updated_at        DATETIME NOT NULL,
    CHECK (starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at)
);
CREATE INDEX campaigns_status ON campaigns (status);

CREATE TABLE campaign_versions (
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

-- +goose StatementBegin
CREATE TRIGGER campaign_versions_no_update BEFORE UPDATE ON campaign_versions
BEGIN
    SELECT RAISE(ABORT, 'campaign_versions rows are immutable');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER campaign_versions_no_update;
DROP TABLE campaign_versions;
DROP TABLE campaigns;
