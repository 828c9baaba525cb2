-- +goose Up
-- A campaign's targets become a list of rules (JSON) instead of a chamber
-- switch: "my House member", "my senators", "my members on committee X",
-- "the chair and ranking member of committee X" (organizational letters
-- only) and hand-picked offices. Existing campaigns get the equivalent
-- rules: house → [house], senate → [senate], both → [house, senate].
ALTER TABLE campaigns ADD COLUMN target_rules TEXT NOT NULL DEFAULT '[]';
UPDATE campaigns SET target_rules = CASE targets
    WHEN 'house' THEN '[{"kind":"house"}]'
    WHEN 'senate' THEN '[{"kind":"senate"}]'
    ELSE '[{"kind":"house"},{"kind":"senate"}]' END;
ALTER TABLE campaigns DROP COLUMN targets;

-- +goose Down
ALTER TABLE campaigns ADD COLUMN targets TEXT NOT NULL DEFAULT 'both' CHECK (targets IN ('house', 'senate', 'both'));
UPDATE campaigns SET targets = CASE target_rules
    WHEN '[{"kind":"house"}]' THEN 'house'
    WHEN '[{"kind":"senate"}]' THEN 'senate'
    ELSE 'both' END;
ALTER TABLE campaigns DROP COLUMN target_rules;
