-- +goose Up
-- What a campaign's letters say about the figures they quote:
--   cite_release: append the citation line ("Figures: ... statistics
--     release N of DATE, .../stats") to letters that quote figures;
--   demo: the demonstration campaign (/c/demo), whose letters only ever
--     go to the outbox;
--   held_*: set when a statistics release stops publishing a figure the
--     letter prints outside a {{if stat_available}} guard: the campaign's
--     letters are not delivered until staff fix the template (or a later
--     release publishes the figure again).
ALTER TABLE campaigns ADD COLUMN cite_release BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE campaigns ADD COLUMN demo BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE campaigns ADD COLUMN held_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN held_release_id INTEGER REFERENCES stats_releases(id);
ALTER TABLE campaigns ADD COLUMN held_at DATETIME;
-- The demonstration campaign an earlier version seeded (no staff author).
UPDATE campaigns SET demo = TRUE WHERE slug = 'demo' AND created_by IS NULL;

-- +goose Down
ALTER TABLE campaigns DROP COLUMN held_at;
ALTER TABLE campaigns DROP COLUMN held_release_id;
ALTER TABLE campaigns DROP COLUMN held_reason;
ALTER TABLE campaigns DROP COLUMN demo;
ALTER TABLE campaigns DROP COLUMN cite_release;
