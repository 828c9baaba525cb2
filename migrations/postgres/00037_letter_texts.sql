-- +goose Up
-- A letter's sealed text (about 1.4 KB) is written once and never
-- changes, while its row in letters is rewritten twice on the way out:
-- the claim and the acceptance, both heap-only updates (00031, 00036).
-- Each of those copied the text into the row's new version, and at the
-- fill factor of 00031 only about three letters fitted on a page. In a
-- table of its own the text is stored once and read once, when the
-- letter is sent; the row the updates copy is about 300 bytes, and a
-- campaign's scans (counts by status, the dashboards' refresh) read a
-- fraction of the pages.
-- No foreign key: the text is written in the letter's own transaction by
-- the one function that writes letters (CreateLetters), and a foreign key
-- check would lock each new letter's row (a write per letter at fan-out).
-- Rows written before this migration keep their dropped column's bytes
-- until they are next updated (PostgreSQL drops a column in the catalog).
CREATE TABLE letter_texts (
    letter_id BIGINT PRIMARY KEY,
    sealed    TEXT NOT NULL
);
INSERT INTO letter_texts (letter_id, sealed) SELECT id, sealed FROM letters;
ALTER TABLE letters DROP COLUMN sealed;
-- A page now holds the rows of many more letters than three, so
-- 00031's half page is no longer room for each letter's two updates
-- (claim, acceptance): with rows filled to 30% of a page, the new versions
-- of every letter on it fit beside them without waiting for a prune, and
-- both updates stay heap-only (TestClaimIsHeapOnly,
-- TestAcceptanceIsHeapOnly). The table is still about a third of its size
-- before this migration.
ALTER TABLE letters SET (fillfactor = 30);

-- +goose Down
ALTER TABLE letters SET (fillfactor = 50);
ALTER TABLE letters ADD COLUMN sealed TEXT NOT NULL DEFAULT '';
UPDATE letters SET sealed = t.sealed FROM letter_texts t WHERE t.letter_id = letters.id;
ALTER TABLE letters ALTER COLUMN sealed DROP DEFAULT;
DROP TABLE letter_texts;
