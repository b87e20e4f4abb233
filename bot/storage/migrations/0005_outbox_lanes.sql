-- Lanes and kinds for the outbox, so broadcasts, progress messages edited in place and chart
-- images go through the same durable queue as case traffic. Rows written before this migration
-- read as they did: case lane, no bulk, kind 'message' or 'copy'.

-- Images sent from bytes (kind 'photo'), stored once per content and written in the same
-- transaction as the rows that send them.
CREATE TABLE outbox_photos (
    sha256      TEXT    PRIMARY KEY,        -- hex digest of content
    content     BLOB    NOT NULL,
    created_at  TEXT    NOT NULL
);

-- 0 case traffic (relays, cards, receipts), 1 bulk (broadcasts): the lower lane goes first.
ALTER TABLE outbox ADD COLUMN lane INTEGER NOT NULL DEFAULT 0;
-- The broadcast (or other bulk send) a row belongs to, for its progress counts.
ALTER TABLE outbox ADD COLUMN bulk_id INTEGER;
-- Kind 'edit': the outbox row whose sent message this one edits (its message_id, once sent).
ALTER TABLE outbox ADD COLUMN edit_of INTEGER REFERENCES outbox (id);
-- Kind 'photo': the image to upload.
ALTER TABLE outbox ADD COLUMN photo TEXT REFERENCES outbox_photos (sha256);
-- 1: given up because the recipient blocked the bot (403).
ALTER TABLE outbox ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0;

-- A claim walks the pending rows lane by lane, oldest first, and stops at its limit, checking
-- each candidate against its chat's unfinished rows. Both indexes hold unfinished rows only, so
-- they stay small however many sent rows the table keeps.
DROP INDEX outbox_pending;
CREATE INDEX outbox_claim ON outbox (lane, id) WHERE status = 'pending';
CREATE INDEX outbox_chat ON outbox (chat_id, lane, id) WHERE status IN ('pending', 'sending');
CREATE INDEX outbox_bulk ON outbox (bulk_id, status, blocked) WHERE bulk_id IS NOT NULL;
