-- +goose Up
-- Coalition sign-on letters. A campaign has a kind: 'constituent' (the
-- supporters' own letters, the only kind until now) or 'signon' (one letter
-- from organizations to committee offices, text fixed by staff).
ALTER TABLE campaigns ADD COLUMN kind TEXT NOT NULL DEFAULT 'constituent' CHECK (kind IN ('constituent', 'signon'));

-- An organization that signed on. What is published (name, city, state,
-- website) is plain; the contact's name and email are sealed in the
-- submission (submission_id), which also carries the confirmation email.
-- status: unconfirmed (email link not followed), pending (confirmed,
-- waiting for staff), approved, rejected, merged (a duplicate of
-- merged_into). name_key and site_key are the normalised name and website
-- host, domain_index the blind index of the contact email's domain (for
-- organisational domains only): staff see duplicates by them.
CREATE TABLE signatories (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id   INTEGER NOT NULL REFERENCES campaigns(id),
    submission_id INTEGER NOT NULL UNIQUE REFERENCES submissions(id),
    organization  TEXT NOT NULL,
    city          TEXT NOT NULL,
    state         TEXT NOT NULL,
    website       TEXT NOT NULL DEFAULT '',
    name_key      TEXT NOT NULL,
    site_key      TEXT NOT NULL DEFAULT '',
    domain_index  TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'unconfirmed' CHECK (status IN ('unconfirmed', 'pending', 'approved', 'rejected', 'merged')),
    merged_into   INTEGER REFERENCES signatories(id),
    created_at    DATETIME NOT NULL,
    confirmed_at  DATETIME,
    reviewed_at   DATETIME,
    reviewed_by   INTEGER
);
CREATE INDEX signatories_campaign_status ON signatories (campaign_id, status, organization);

-- A sign-on campaign's delivery: when it is scheduled (deliver_at, after
-- the closing date), and once delivered, by whom, when, the sender row its
-- letters hang from (submission_id) and how many organizations the letter
-- listed. delivered_at is set once: the one UPDATE that sets it decides
-- which of two parallel "deliver" requests writes the letters.
CREATE TABLE signon_deliveries (
    campaign_id   INTEGER PRIMARY KEY REFERENCES campaigns(id),
    deliver_at    DATETIME,
    delivered_at  DATETIME,
    delivered_by  INTEGER,
    submission_id INTEGER REFERENCES submissions(id),
    signatories   INTEGER NOT NULL DEFAULT 0,
    letters       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX signon_deliveries_due ON signon_deliveries (deliver_at) WHERE delivered_at IS NULL;

-- +goose Down
DROP TABLE signon_deliveries;
DROP TABLE signatories;
ALTER TABLE campaigns DROP COLUMN kind;
