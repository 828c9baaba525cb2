-- +goose Up
-- Second letters to silent offices are real letters, delivered like the
-- first: kind 'first' (the supporter's own letter) or 'second' (sent on
-- the supporter's behalf to an office with no recorded reply), and
-- followup_of, the first letter a second letter follows (at most one each).
-- A submission has one first and at most one second letter per office.
ALTER TABLE letters ADD COLUMN kind TEXT NOT NULL DEFAULT 'first';
ALTER TABLE letters ADD COLUMN followup_of BIGINT REFERENCES letters(id);
ALTER TABLE letters DROP CONSTRAINT letters_submission_id_bioguide_id_key;
CREATE UNIQUE INDEX letters_submission_office_kind ON letters (submission_id, bioguide_id, kind);
CREATE UNIQUE INDEX letters_followup_of ON letters (followup_of);

-- +goose Down
DELETE FROM letter_events WHERE letter_id IN (SELECT id FROM letters WHERE kind <> 'first');
DELETE FROM responses WHERE letter_id IN (SELECT id FROM letters WHERE kind <> 'first');
DELETE FROM inbound_replies WHERE letter_id IN (SELECT id FROM letters WHERE kind <> 'first');
DELETE FROM followup_sends WHERE letter_id IN (SELECT id FROM letters WHERE kind <> 'first');
DELETE FROM survey_answers WHERE letter_id IN (SELECT id FROM letters WHERE kind <> 'first');
DELETE FROM outbox_messages WHERE letter_id IN (SELECT id FROM letters WHERE kind <> 'first');
DELETE FROM letters WHERE kind <> 'first';
DROP INDEX letters_followup_of;
DROP INDEX letters_submission_office_kind;
ALTER TABLE letters DROP COLUMN followup_of;
ALTER TABLE letters DROP COLUMN kind;
ALTER TABLE letters ADD CONSTRAINT letters_submission_id_bioguide_id_key UNIQUE (submission_id, bioguide_id);
