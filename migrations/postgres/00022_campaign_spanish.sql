-- +goose Up
-- A campaign's Spanish title, and a Spanish rendering of its letter (subject
-- and template) that Spanish readers see beside the English letter Congress
-- receives. Empty: none (the page says so rather than translate by machine).
ALTER TABLE campaigns ADD COLUMN title_es TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN subject_es TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN template_es TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE campaigns DROP COLUMN template_es;
ALTER TABLE campaigns DROP COLUMN subject_es;
ALTER TABLE campaigns DROP COLUMN title_es;
