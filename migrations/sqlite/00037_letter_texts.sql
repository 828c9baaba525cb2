-- +goose Up
-- The same table as PostgreSQL's 00037 (which explains it): a letter's
-- sealed text apart from the row that delivery updates.
CREATE TABLE letter_texts (
    letter_id INTEGER PRIMARY KEY,
    sealed    TEXT NOT NULL
);
INSERT INTO letter_texts (letter_id, sealed) SELECT id, sealed FROM letters;
ALTER TABLE letters DROP COLUMN sealed;

-- +goose Down
ALTER TABLE letters ADD COLUMN sealed TEXT NOT NULL DEFAULT '';
UPDATE letters SET sealed = (SELECT t.sealed FROM letter_texts t WHERE t.letter_id = letters.id)
WHERE id IN (SELECT letter_id FROM letter_texts);
DROP TABLE letter_texts;
