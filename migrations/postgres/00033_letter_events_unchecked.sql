-- +goose Up
-- Every delivered letter writes timeline rows (its attempt, its
-- acceptance), each checked against letters by the foreign key: a lookup
-- of the letter by primary key and a KEY SHARE lock on its row, per event
-- row, which measured about 6 us of PostgreSQL CPU each on the 2-core box,
-- about a tenth of a delivered letter's cost. The rows are written only by
-- the store, each in the statement or transaction that reads or updates
-- its letter, and letters are never deleted, so the check finds nothing.
-- SQLite keeps the constraint: it is part of the table's definition there,
-- and dropping it means rebuilding the table (00029 kept the UNIQUE on
-- delivery_id there for the same reason). IF EXISTS: re-applied by a role
-- that does not own the table, it fails on ownership, which outreach
-- explains (as 00029 does).
ALTER TABLE letter_events DROP CONSTRAINT IF EXISTS letter_events_letter_id_fkey;

-- +goose Down
ALTER TABLE letter_events ADD CONSTRAINT letter_events_letter_id_fkey FOREIGN KEY (letter_id) REFERENCES letters(id);
