-- +goose Up
-- Every index on letters is written by every letter stored and by every
-- status change that is not HOT; each one left is needed by a query
-- (TestLetterIndexesServeTheirQueries runs EXPLAIN on each):
--   letters_pkey                     letters by id (claims, acceptances, timelines)
--   letters_reply_token_key          an inbound reply finds its letter
--   letters_campaign_status          a campaign's counts by status
--   letters_office                   an office's letters sent since a time (pacing, rollups)
--   letters_submission_office_kind   one letter per submission, office and kind
--   letters_first_per_supporter      one first letter per email and office on a campaign
--   letters_followup_of              at most one second letter per first letter
--   letters_problems                 staff's list of failed, bounced or dropped letters
-- Dropped: letters_status (no query filters on status alone but the staff
-- list, whose rare statuses letters_problems serves: the common ones are
-- found by walking the primary key) and the UNIQUE on delivery_id (never
-- looked up; 160 random bits). letters_followup_of indexed every first
-- letter's NULL; it now holds second letters only.
DROP INDEX IF EXISTS letters_status;
ALTER TABLE letters DROP CONSTRAINT letters_delivery_id_key;
DROP INDEX letters_followup_of;
CREATE UNIQUE INDEX letters_followup_of ON letters (followup_of) WHERE followup_of IS NOT NULL;
CREATE INDEX letters_problems ON letters (id) WHERE status IN ('failed', 'bounced', 'dropped');

-- +goose Down
DROP INDEX letters_problems;
DROP INDEX letters_followup_of;
CREATE UNIQUE INDEX letters_followup_of ON letters (followup_of);
ALTER TABLE letters ADD CONSTRAINT letters_delivery_id_key UNIQUE (delivery_id);
CREATE INDEX letters_status ON letters (status);
