-- +goose Up
-- The indexes on letters, each needed by a query (see the PostgreSQL
-- migration of the same number for the list). SQLite keeps the UNIQUE on
-- delivery_id: it is part of the table's definition, and dropping it means
-- rebuilding the table.
DROP INDEX letters_status;
DROP INDEX letters_followup_of;
CREATE UNIQUE INDEX letters_followup_of ON letters (followup_of) WHERE followup_of IS NOT NULL;
CREATE INDEX letters_problems ON letters (id) WHERE status IN ('failed', 'bounced', 'dropped');

-- +goose Down
DROP INDEX letters_problems;
DROP INDEX letters_followup_of;
CREATE UNIQUE INDEX letters_followup_of ON letters (followup_of);
CREATE INDEX letters_status ON letters (status);
