-- +goose Up
-- The sites allowed to show a campaign's action form in an iframe
-- (/c/{slug}/embed): origins such as https://www.example.org, one a line,
-- normalized by campaign.NormalizeOrigin. Empty: no site may frame it.
ALTER TABLE campaigns ADD COLUMN embed_origins TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE campaigns DROP COLUMN embed_origins;
