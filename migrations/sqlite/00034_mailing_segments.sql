-- +goose Up
-- A mailing's segment is now the supporter list's filter (the same
-- filters, the same SQL, so the list counts whom a mailing sends to). The
-- earlier segments' keys keep their names except no_reply_campaign_id,
-- which becomes the list's not_replied_campaign_id. Their meaning becomes
-- the list's: states is the supporter's own state (it was the state of
-- the members they wrote to: the same for supporters of the action flow,
-- who write to their own members), campaign_id is joined through or
-- wrote in the campaign (it was joined through), and not_replied is the
-- House office of the supporter's district not having replied (it was any
-- office they wrote to in the campaign).
UPDATE mailings SET segment = REPLACE(segment, '"no_reply_campaign_id":', '"not_replied_campaign_id":')
    WHERE segment LIKE '%"no_reply_campaign_id":%';

-- One row per supporter who unsubscribed through a mailing's link (the
-- one-click header or the footer), when that took them off the list: how
-- many left because of a mailing. No personal data: which supporter is
-- not kept.
CREATE TABLE mailing_unsubscribes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    mailing_id INTEGER NOT NULL REFERENCES mailings(id),
    created_at DATETIME NOT NULL
);
CREATE INDEX mailing_unsubscribes_mailing ON mailing_unsubscribes (mailing_id);

-- +goose Down
DROP TABLE mailing_unsubscribes;
UPDATE mailings SET segment = REPLACE(segment, '"not_replied_campaign_id":', '"no_reply_campaign_id":')
    WHERE segment LIKE '%"not_replied_campaign_id":%';
