-- +goose Up
-- Campaigns and the immutable versions of their letters. A campaign row
-- points at its current letter version; every save that changes the
-- subject, body or organization statement adds a version row, so a letter
-- can always say exactly which text it was rendered from.
CREATE TABLE campaigns (
    id                BIGSERIAL PRIMARY KEY,
    slug              TEXT NOT NULL UNIQUE,
    title             TEXT NOT NULL CHECK (title <> ''),
    summary_en        TEXT NOT NULL DEFAULT '',
    summary_es        TEXT NOT NULL DEFAULT '',
    call_to_action_en TEXT NOT NULL DEFAULT '',
    call_to_action_es TEXT NOT NULL DEFAULT '',
    targets           TEXT NOT NULL CHECK (targets IN ('house', 'senate', 'both')),
    loc_topic         TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('draft', 'scheduled', 'live', 'paused', 'closed')),
    starts_at         TIMESTAMPTZ,
    ends_at           TIMESTAMPTZ,
    current_version   INTEGER NOT NULL CHECK (current_version >= 1),
    created_by        BIGINT REFERENCES users(id),
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    CHECK (starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at)
);
CREATE INDEX campaigns_status ON campaigns (status);

CREATE TABLE campaign_versions (
    id                     BIGSERIAL PRIMARY KEY,
    campaign_id            BIGINT NOT NULL REFERENCES campaigns(id),
    version                INTEGER NOT NULL CHECK (version >= 1),
    subject                TEXT NOT NULL CHECK (subject <> ''),
    body                   TEXT NOT NULL CHECK (body <> ''),
    organization_statement TEXT NOT NULL DEFAULT '',
    created_by             BIGINT REFERENCES users(id),
    created_at             TIMESTAMPTZ NOT NULL,
    UNIQUE (campaign_id, version)
);

-- +goose StatementBegin
CREATE FUNCTION campaign_versions_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'campaign_versions rows are immutable';
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER campaign_versions_no_update BEFORE UPDATE ON campaign_versions
    FOR EACH ROW EXECUTE FUNCTION campaign_versions_immutable();

-- +goose Down
DROP TRIGGER campaign_versions_no_update ON campaign_versions;
DROP FUNCTION campaign_versions_immutable();
DROP TABLE campaign_versions;
DROP TABLE campaigns;
