-- +goose Up
-- A scheduled sign-on delivery that is refused (nothing approved, a figure
-- no longer published) is unscheduled with its reason, for staff to see,
-- instead of being tried again every minute.
ALTER TABLE signon_deliveries ADD COLUMN refused TEXT NOT NULL DEFAULT '';
ALTER TABLE signon_deliveries ADD COLUMN refused_at DATETIME;

-- +goose Down
ALTER TABLE signon_deliveries DROP COLUMN refused_at;
ALTER TABLE signon_deliveries DROP COLUMN refused;
