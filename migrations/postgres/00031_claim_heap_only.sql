-- +goose Up
-- A letter being sent keeps its stored status ("pending" or "queued")
-- with sending_since set, and reads as "sending" (store.Letter.AfterFind):
-- the claim before each send then changes no indexed column and is a
-- heap-only (HOT) update, which rewrites none of the letters' indexes.
-- A HOT update needs room on the row's own page: half of each page is
-- left free for the claim's new row version (measured: with pages packed
-- full, claims of a batch of rows on one page found no room and none was
-- heap-only). Applies to pages written from now on.
UPDATE letters SET status = 'queued' WHERE status = 'sending';
ALTER TABLE letters SET (fillfactor = 50);

-- +goose Down
ALTER TABLE letters RESET (fillfactor);
UPDATE letters SET status = 'sending' WHERE status IN ('pending', 'queued') AND sending_since IS NOT NULL;
