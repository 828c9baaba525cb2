-- +goose Up
-- Personal data at rest.
--
-- Inbound replies (offices quote the constituent's name, address and email)
-- and the free text of survey answers (the supporter's sentence, the reply
-- they forwarded) are sealed like submissions: AES-GCM, bound to their row,
-- in the new column "sealed". SQL cannot encrypt, so the rows already there
-- are sealed by the start-up step of outreach serve and outreach worker
-- (store.SealPlaintext), which empties the plaintext columns in the same
-- statement. From now on those columns must stay empty: SQLite cannot add
-- a CHECK to a table, so triggers refuse any new or changed row that
-- carries plaintext (as the PostgreSQL CHECKs, NOT VALID, do).
ALTER TABLE inbound_replies ADD COLUMN sealed TEXT NOT NULL DEFAULT '';
-- +goose StatementBegin
CREATE TRIGGER inbound_replies_sealed_only_insert BEFORE INSERT ON inbound_replies
WHEN NEW.from_addr <> '' OR NEW.subject <> '' OR NEW.body <> ''
BEGIN
    SELECT RAISE(ABORT, 'inbound_replies: the text must be sealed');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER inbound_replies_sealed_only_update BEFORE UPDATE ON inbound_replies
WHEN NEW.from_addr <> '' OR NEW.subject <> '' OR NEW.body <> ''
BEGIN
    SELECT RAISE(ABORT, 'inbound_replies: the text must be sealed');
END;
-- +goose StatementEnd
ALTER TABLE survey_answers ADD COLUMN sealed TEXT NOT NULL DEFAULT '';
-- +goose StatementBegin
CREATE TRIGGER survey_answers_sealed_only_insert BEFORE INSERT ON survey_answers
WHEN NEW.note <> '' OR NEW.reply_text <> ''
BEGIN
    SELECT RAISE(ABORT, 'survey_answers: the text must be sealed');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER survey_answers_sealed_only_update BEFORE UPDATE ON survey_answers
WHEN NEW.note <> '' OR NEW.reply_text <> ''
BEGIN
    SELECT RAISE(ABORT, 'survey_answers: the text must be sealed');
END;
-- +goose StatementEnd

-- Outbox messages name their recipient by blind index, so that
-- delete-my-data finds a supporter's emails. NULL: not indexed yet (rows
-- from before this version; the start-up step fills them in).
ALTER TABLE outbox_messages ADD COLUMN email_index TEXT;
CREATE INDEX outbox_messages_email ON outbox_messages (email_index);

-- (The audit log's TRUNCATE trigger is PostgreSQL's: SQLite has no
-- TRUNCATE, and its DELETE trigger already refuses "DELETE FROM audit_log".)

-- +goose Down
-- Going down loses the sealed text (SQL cannot open it).
DROP INDEX outbox_messages_email;
ALTER TABLE outbox_messages DROP COLUMN email_index;
DROP TRIGGER survey_answers_sealed_only_update;
DROP TRIGGER survey_answers_sealed_only_insert;
ALTER TABLE survey_answers DROP COLUMN sealed;
DROP TRIGGER inbound_replies_sealed_only_update;
DROP TRIGGER inbound_replies_sealed_only_insert;
ALTER TABLE inbound_replies DROP COLUMN sealed;
