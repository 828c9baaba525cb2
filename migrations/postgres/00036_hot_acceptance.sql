-- +goose Up
-- A provider's acceptance changes a letter's status and sent_at. With
-- either of them in an index (or in an index's WHERE), PostgreSQL writes
-- the acceptance as a full update: a new entry in every index on letters.
-- No index holds them now, so the acceptance is heap-only (HOT) like the
-- claim (00031), and touches no index:
--   letters_campaign (was campaign_id, status): a campaign's letters; their
--     counts by status read status from the rows.
--   letters_office (was office_code, sent_at): an office's letters; pacing
--     reads sent_at from the rows (once per office every few seconds).
--   letters_problems (was WHERE status IN failed, bounced, dropped): on
--     problem, a stored generated column that only a failure, bounce or
--     drop changes; an acceptance leaves it false, so it stays heap-only.
-- TestAcceptanceIsHeapOnly and TestLetterIndexesServeTheirQueries. IF
-- EXISTS: re-applied by a role that does not own the table, it fails on
-- ownership, which outreach explains (as 00029 does).
DROP INDEX IF EXISTS letters_campaign_status;
CREATE INDEX letters_campaign ON letters (campaign_id);
DROP INDEX IF EXISTS letters_office;
CREATE INDEX letters_office ON letters (office_code);
DROP INDEX IF EXISTS letters_problems;
ALTER TABLE letters ADD COLUMN problem BOOLEAN GENERATED ALWAYS AS (status IN ('failed', 'bounced', 'dropped')) STORED;
CREATE INDEX letters_problems ON letters (id) WHERE problem;

-- +goose Down
DROP INDEX letters_problems;
ALTER TABLE letters DROP COLUMN problem;
CREATE INDEX letters_problems ON letters (id) WHERE status IN ('failed', 'bounced', 'dropped');
DROP INDEX letters_office;
CREATE INDEX letters_office ON letters (office_code, sent_at);
DROP INDEX letters_campaign;
CREATE INDEX letters_campaign_status ON letters (campaign_id, status);
