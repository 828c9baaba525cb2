-- +goose Up
-- Every email to a supporter (confirmation, copy of the letters, opt-in
-- request, survey, survey asked again, reminder) is one row, unique per
-- (submission, kind), written with the job that sends it and moved to
-- "sent" in the same transaction that records the provider's answer:
-- queued (waiting for its job), sending (handed to the provider, answer
-- not recorded yet: after a crash the outcome is unknown), sent, skipped
-- (nothing to send: erased, unsubscribed, already confirmed, ...) or failed
-- (refused by the provider, or too many attempts). No personal data: the
-- job reopens the sealed submission when it sends.
CREATE TABLE supporter_mail (
    id            BIGSERIAL PRIMARY KEY,
    submission_id BIGINT NOT NULL REFERENCES submissions(id),
    kind          TEXT NOT NULL,
    lang          TEXT NOT NULL DEFAULT 'en',
    status        TEXT NOT NULL DEFAULT 'queued',
    attempts      INTEGER NOT NULL DEFAULT 0,
    provider_id   TEXT NOT NULL DEFAULT '',
    detail        TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    sending_since TIMESTAMPTZ,
    sent_at       TIMESTAMPTZ
);
CREATE UNIQUE INDEX supporter_mail_submission_kind ON supporter_mail (submission_id, kind);
CREATE INDEX supporter_mail_kind_status ON supporter_mail (kind, status);

-- +goose Down
DROP TABLE supporter_mail;
