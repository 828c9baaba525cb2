-- +goose Up
-- PostgreSQL drops the foreign key of letter_events to letters (see the
-- PostgreSQL migration of the same number). SQLite keeps it: it is part
-- of the table's definition there, and dropping it means rebuilding the
-- table.
SELECT 1;

-- +goose Down
SELECT 1;
