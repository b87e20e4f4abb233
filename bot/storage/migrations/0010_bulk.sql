-- Bulk sends (issue 11 items 4-5, issue 12 item 2): broadcasts and recurring notices. A bulk
-- send is written to the outbox in batches, each batch one transaction that also moves the
-- cursor, so a crash leaves every recipient either written once or still to write.
CREATE TABLE bulk_sends (
    id           INTEGER PRIMARY KEY,
    kind         TEXT    NOT NULL CHECK (kind IN ('broadcast', 'notice')),
    status       TEXT    NOT NULL
                 CHECK (status IN ('scheduled', 'writing', 'sending', 'done', 'cancelled')),
    message      TEXT    NOT NULL,            -- the outbox payload every recipient gets (JSON)
    audience     TEXT    NOT NULL,            -- districts, industries, open_cases (JSON)
    urgent       INTEGER NOT NULL DEFAULT 0,  -- 1: muted owners get it too
    created_by   INTEGER,                     -- Telegram id of the admin; NULL for a notice
    created_at   TEXT    NOT NULL,
    due_at       TEXT    NOT NULL,            -- when writing starts (now or the scheduled time)
    cursor       INTEGER NOT NULL DEFAULT 0,  -- highest recipient (Telegram id) written so far
    written      INTEGER NOT NULL DEFAULT 0,  -- outbox rows written so far
    progress_id  INTEGER REFERENCES outbox (id),  -- the creator's progress message
    progress_at  TEXT,                        -- when the progress message was last edited
    finished_at  TEXT,
    notice_id    TEXT,                        -- config/notices.toml id of a notice
    occurrence   TEXT,                        -- the cron time this notice send is for
    UNIQUE (notice_id, occurrence)
);
CREATE INDEX bulk_sends_status ON bulk_sends (status, due_at);

-- Nobody gets one bulk send twice: one outbox row per recipient and bulk send.
CREATE UNIQUE INDEX outbox_bulk_recipient ON outbox (bulk_id, chat_id) WHERE bulk_id IS NOT NULL;

-- /notices: 1 = the owner muted non-urgent notices and broadcasts.
ALTER TABLE accounts ADD COLUMN muted INTEGER NOT NULL DEFAULT 0;

-- The last occurrence of each recurring notice that was handled (sent, or the time it was
-- first seen): what fell due after it while the bot was down is sent once at start.
CREATE TABLE notice_state (
    notice_id  TEXT PRIMARY KEY,
    last_at    TEXT NOT NULL
);
