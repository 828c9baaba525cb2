-- +goose Up
-- Case records: one anonymized family-separation case each, holding only the
-- 13 allow-listed fields of internal/casestats with their enumerated values
-- (the checks below repeat the lists so that nothing else can be stored, even
-- by hand; written with instr, which SQLite evaluates far faster than IN).
-- No names, numbers, dates, addresses or free text; no timestamps either (the
-- audit log says who changed what, and when).
CREATE TABLE case_records (
    id                              INTEGER PRIMARY KEY AUTOINCREMENT,
    quarter                         TEXT NOT NULL CHECK (quarter GLOB '[0-9][0-9][0-9][0-9]-Q[1-4]' AND quarter BETWEEN '2015-Q1' AND '2030-Q4'),
    state                           TEXT NOT NULL CHECK (instr(',AK,AL,AR,AS,AZ,CA,CO,CT,DC,DE,FL,GA,GU,HI,IA,ID,IL,IN,KS,KY,LA,MA,MD,ME,MI,MN,MO,MP,MS,MT,NC,ND,NE,NH,NJ,NM,NV,NY,OH,OK,OR,PA,PR,RI,SC,SD,TN,TX,UT,VA,VI,VT,WA,WI,WV,WY,', ',' || state || ',') > 0 AND instr(state, ',') = 0),
    child_age_bracket               TEXT NOT NULL CHECK (instr(',0-4,5-9,10-13,14-17,', ',' || child_age_bracket || ',') > 0 AND instr(child_age_bracket, ',') = 0),
    facility_type                   TEXT NOT NULL CHECK (instr(',cbp,ice_family,ice_adult,orr_shelter,other,', ',' || facility_type || ',') > 0 AND instr(facility_type, ',') = 0),
    form_presented                  TEXT NOT NULL CHECK (instr(',none,two_option,three_option,', ',' || form_presented || ',') > 0 AND instr(form_presented, ',') = 0),
    form_premarked                  TEXT NOT NULL CHECK (instr(',yes,no,unknown,', ',' || form_premarked || ',') > 0 AND instr(form_premarked, ',') = 0),
    form_english_only               TEXT NOT NULL CHECK (instr(',yes,no,unknown,', ',' || form_english_only || ',') > 0 AND instr(form_english_only, ',') = 0),
    language_barrier                TEXT NOT NULL CHECK (instr(',yes,no,unknown,', ',' || language_barrier || ',') > 0 AND instr(language_barrier, ',') = 0),
    told_no_rights                  TEXT NOT NULL CHECK (instr(',yes,no,unknown,', ',' || told_no_rights || ',') > 0 AND instr(told_no_rights, ',') = 0),
    threatened_permanent_separation TEXT NOT NULL CHECK (instr(',yes,no,unknown,', ',' || threatened_permanent_separation || ',') > 0 AND instr(threatened_permanent_separation, ',') = 0),
    credible_fear                   TEXT NOT NULL CHECK (instr(',not_screened,pending,positive,negative,', ',' || credible_fear || ',') > 0 AND instr(credible_fear, ',') = 0),
    asylum_claim                    TEXT NOT NULL CHECK (instr(',none,pending,withdrawn,denied,granted,', ',' || asylum_claim || ',') > 0 AND instr(asylum_claim, ',') = 0),
    outcome                         TEXT NOT NULL CHECK (instr(',separated,reunified,deported_with_child,deported_without_child,released_together,', ',' || outcome || ',') > 0 AND instr(outcome, ',') = 0),
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
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at DATETIME NOT NULL,
    created_by BIGINT,
    params     TEXT NOT NULL,
    case_count BIGINT NOT NULL,
    synthetic  BOOLEAN NOT NULL,
    figures    TEXT NOT NULL
);

-- +goose StatementBegin
CREATE TRIGGER stats_releases_no_update BEFORE UPDATE ON stats_releases
BEGIN
    SELECT RAISE(ABORT, 'stats_releases are immutable: publish a new release instead');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER stats_releases_no_delete BEFORE DELETE ON stats_releases
BEGIN
    SELECT RAISE(ABORT, 'stats_releases are immutable: publish a new release instead');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER stats_releases_no_delete;
DROP TRIGGER stats_releases_no_update;
DROP TABLE stats_releases;
DROP TABLE case_records;
