-- +goose Up
-- A letter being sent keeps its stored status ("pending" or "queued")
-- with sending_since set, and reads as "sending" (see the PostgreSQL
-- migration of the same number: there the claim becomes a heap-only
-- update; SQLite has no such thing, and no fill factor).
UPDATE letters SET status = 'queued' WHERE status = 'sending';

-- +goose Down
UPDATE letters SET status = 'sending' WHERE status IN ('pending', 'queued') AND sending_since IS NOT NULL;
