-- +goose Up
-- Personal data at rest.
--
-- Inbound replies (offices quote the constituent's name, address and email)
-- and the free text of survey answers (the supporter's sentence, the reply
-- they forwarded) are sealed like submissions: AES-GCM, bound to their row,
-- in the new column "sealed". SQL cannot encrypt, so the rows already there
-- are sealed by the start-up step of outreach serve and outreach worker
-- (store.SealPlaintext), which empties the plaintext columns in the same
-- statement. From now on those columns must stay empty: the CHECKs below
-- are NOT VALID, so they hold every new or changed row without refusing
-- the rows that wait for the start-up step.
ALTER TABLE inbound_replies ADD COLUMN sealed TEXT NOT NULL DEFAULT '';
ALTER TABLE inbound_replies ADD CONSTRAINT inbound_replies_sealed_only
    CHECK (from_addr = '' AND subject = '' AND body = '') NOT VALID;
ALTER TABLE survey_answers ADD COLUMN sealed TEXT NOT NULL DEFAULT '';
ALTER TABLE survey_answers ADD CONSTRAINT survey_answers_sealed_only
    CHECK (note = '' AND reply_text = '') NOT VALID;

-- Outbox messages name their recipient by blind index, so that
-- delete-my-data finds a supporter's emails. NULL: not indexed yet (rows
-- from before this version; the start-up step fills them in).
ALTER TABLE outbox_messages ADD COLUMN email_index TEXT;
CREATE INDEX outbox_messages_email ON outbox_messages (email_index);

-- The audit log could still be emptied with TRUNCATE, which row triggers
-- do not see.
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- +goose Down
-- Going down loses the sealed text (SQL cannot open it).
DROP TRIGGER audit_log_no_truncate ON audit_log;
DROP INDEX outbox_messages_email;
ALTER TABLE outbox_messages DROP COLUMN email_index;
ALTER TABLE survey_answers DROP CONSTRAINT survey_answers_sealed_only;
ALTER TABLE survey_answers DROP COLUMN sealed;
ALTER TABLE inbound_replies DROP CONSTRAINT inbound_replies_sealed_only;
ALTER TABLE inbound_replies DROP COLUMN sealed;
