-- +goose Up
-- Schedules (cron expressions with a time zone; the one-minute tick claims
-- due rows by a conditional UPDATE of next_run_at, so each occurrence runs
-- once across replicas), per-campaign follow-up rules, the record of every
-- follow-up step done (unique per letter or submission and step: nobody is
-- emailed twice for the same step), and supporters' survey answers.
CREATE TABLE schedules (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id INTEGER REFERENCES campaigns(id),
    kind        TEXT NOT NULL,
    cron        TEXT NOT NULL,
    time_zone   TEXT NOT NULL DEFAULT 'America/New_York',
    params      TEXT NOT NULL DEFAULT '{}',
    next_run_at DATETIME NOT NULL,
    last_run_at DATETIME,
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL
);
CREATE INDEX schedules_due ON schedules (next_run_at);

CREATE TABLE followup_settings (
    campaign_id      INTEGER PRIMARY KEY REFERENCES campaigns(id),
    survey_enabled   BOOLEAN NOT NULL DEFAULT FALSE,
    survey_days      INTEGER NOT NULL DEFAULT 14,
    second_enabled   BOOLEAN NOT NULL DEFAULT FALSE,
    second_days      INTEGER NOT NULL DEFAULT 21,
    second_approval  BOOLEAN NOT NULL DEFAULT TRUE,
    second_subject   TEXT NOT NULL DEFAULT '',
    second_body      TEXT NOT NULL DEFAULT '',
    reminder_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at       DATETIME NOT NULL
);

CREATE TABLE followup_sends (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id   INTEGER NOT NULL REFERENCES campaigns(id),
    letter_id     INTEGER REFERENCES letters(id),
    submission_id INTEGER REFERENCES submissions(id),
    step          TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'sent',
    at            DATETIME NOT NULL,
    UNIQUE (letter_id, step),
    UNIQUE (submission_id, step)
);

-- answer: replied, acknowledged, no_reply, not_sure. reply_text is what
-- the supporter chose to forward of the office's reply.
CREATE TABLE survey_answers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    letter_id   INTEGER NOT NULL REFERENCES letters(id),
    answer      TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    reply_text  TEXT NOT NULL DEFAULT '',
    answered_at DATETIME NOT NULL
);
CREATE INDEX survey_answers_letter ON survey_answers (letter_id, answered_at);

-- +goose Down
DROP TABLE survey_answers;
DROP TABLE followup_sends;
DROP TABLE followup_settings;
DROP TABLE schedules;
