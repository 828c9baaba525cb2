-- +goose Up
-- The same indexes as PostgreSQL's 00036 (which explains them): SQLite has
-- no heap-only updates, but one schema keeps one set of queries.
DROP INDEX letters_campaign_status;
CREATE INDEX letters_campaign ON letters (campaign_id);
DROP INDEX letters_office;
CREATE INDEX letters_office ON letters (office_code);
DROP INDEX letters_problems;
ALTER TABLE letters ADD COLUMN problem INTEGER GENERATED ALWAYS AS (status IN ('failed', 'bounced', 'dropped')) VIRTUAL;
CREATE INDEX letters_problems ON letters (id) WHERE problem;

-- +goose Down
DROP INDEX letters_problems;
ALTER TABLE letters DROP COLUMN problem;
CREATE INDEX letters_problems ON letters (id) WHERE status IN ('failed', 'bounced', 'dropped');
DROP INDEX letters_office;
CREATE INDEX letters_office ON letters (office_code, sent_at);
DROP INDEX letters_campaign;
CREATE INDEX letters_campaign_status ON letters (campaign_id, status);
