-- +goose Up
-- Case records: one anonymized family-separation case each, holding only the
-- 13 allow-listed fields of internal/casestats with their enumerated values
-- (the checks below repeat the lists so that nothing else can be stored, even
-- by hand). No names, numbers, dates, addresses or free text; no timestamps
-- either (the audit log says who changed what, and when).
CREATE TABLE case_records (
    id                              BIGSERIAL PRIMARY KEY,
    quarter                         TEXT NOT NULL CHECK (quarter ~ '^[0-9]{4}-Q[1-4]$' AND quarter BETWEEN '2015-Q1' AND '2030-Q4'),
    state                           TEXT NOT NULL CHECK (state IN (
        'AK', 'AL', 'AR', 'AS', 'AZ', 'CA', 'CO', 'CT', 'DC', 'DE', 'FL', 'GA', 'GU', 'HI',
        'IA', 'ID', 'IL', 'IN', 'KS', 'KY', 'LA', 'MA', 'MD', 'ME', 'MI', 'MN', 'MO', 'MP',
        'MS', 'MT', 'NC', 'ND', 'NE', 'NH', 'NJ', 'NM', 'NV', 'NY', 'OH', 'OK', 'OR', 'PA',
        'PR', 'RI', 'SC', 'SD', 'TN', 'TX', 'UT', 'VA', 'VI', 'VT', 'WA', 'WI', 'WV', 'WY')),
    child_age_bracket               TEXT NOT NULL CHECK (child_age_bracket IN ('0-4', '5-9', '10-13', '14-17')),
    facility_type                   TEXT NOT NULL CHECK (facility_type IN ('cbp', 'ice_family', 'ice_adult', 'orr_shelter', 'other')),
    form_presented                  TEXT NOT NULL CHECK (form_presented IN ('none', 'two_option', 'three_option')),
    form_premarked                  TEXT NOT NULL CHECK (form_premarked IN ('yes', 'no', 'unknown')),
    form_english_only               TEXT NOT NULL CHECK (form_english_only IN ('yes', 'no', 'unknown')),
    language_barrier                TEXT NOT NULL CHECK (language_barrier IN ('yes', 'no', 'unknown')),
    told_no_rights                  TEXT NOT NULL CHECK (told_no_rights IN ('yes', 'no', 'unknown')),
    threatened_permanent_separation TEXT NOT NULL CHECK (threatened_permanent_separation IN ('yes', 'no', 'unknown')),
    credible_fear                   TEXT NOT NULL CHECK (credible_fear IN ('not_screened', 'pending', 'positive', 'negative')),
    asylum_claim                    TEXT NOT NULL CHECK (asylum_claim IN ('none', 'pending', 'withdrawn', 'denied', 'granted')),
    outcome                         TEXT NOT NULL CHECK (outcome IN ('separated', 'reunified', 'deported_with_child', 'deported_without_child', 'released_together')),
    -- generated demonstration data (outreach seed-demo), never real cases
    synthetic                       BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX case_records_synthetic ON case_records (id) WHERE synthetic;

-- Statistics releases: immutable, dated snapshots of the figures computed
-- from the case records under disclosure control. figures is the public JSON
-- of casestats.Figures (no exact counts); case_count is the exact number of
-- records, for staff only. Letters and pages quote a release, never live
-- counts, so a release is never changed or deleted (triggers below).
CREATE TABLE stats_releases (
    id         BIGSERIAL PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL,
    created_by BIGINT,
    params     TEXT NOT NULL,
    case_count BIGINT NOT NULL,
    synthetic  BOOLEAN NOT NULL,
    figures    TEXT NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION stats_releases_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'stats_releases are immutable: publish a new release instead';
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER stats_releases_no_change BEFORE UPDATE OR DELETE ON stats_releases
    FOR EACH ROW EXECUTE FUNCTION stats_releases_immutable();
CREATE TRIGGER stats_releases_no_truncate BEFORE TRUNCATE ON stats_releases
    FOR EACH STATEMENT EXECUTE FUNCTION stats_releases_immutable();

-- +goose Down
DROP TRIGGER stats_releases_no_truncate ON stats_releases;
DROP TRIGGER stats_releases_no_change ON stats_releases;
DROP FUNCTION stats_releases_immutable();
DROP TABLE stats_releases;
DROP TABLE case_records;
