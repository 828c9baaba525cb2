-- +goose Up
-- The office contacts directory: people in congressional offices that
-- staff enter or import (an office's immigration legislative assistant,
-- say), kept apart from the built-in congressional data so that a data
-- refresh (outreach import-congress) never touches them. The first
-- contact of an office (by position) with an email address is where the
-- email channel sends that office's letters.
CREATE TABLE office_contacts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    bioguide_id TEXT NOT NULL,
    position    INTEGER NOT NULL,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL DEFAULT '',
    email       TEXT NOT NULL DEFAULT '',
    fax         TEXT NOT NULL DEFAULT '',
    updated_at  DATETIME NOT NULL
);
CREATE UNIQUE INDEX office_contacts_position ON office_contacts (bioguide_id, position);

-- +goose Down
DROP TABLE office_contacts;
