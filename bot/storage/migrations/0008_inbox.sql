-- The durable inbox (docs/architecture.md, "The durable inbox"): every update Telegram sends
-- is stored here before Telegram is told it arrived, and handled from here. The update id is
-- Telegram's: a second delivery of the same update is recognised and ignored.
CREATE TABLE inbox (
    update_id   INTEGER PRIMARY KEY,
    chat_key    INTEGER NOT NULL,  -- the chat (or user) whose updates are handled in order
    payload     TEXT NOT NULL,     -- the update as JSON
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'handling', 'handled', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    not_before  TEXT,              -- a failed try is retried from then
    error       TEXT,              -- the last failure, kept with a failed update
    effect      INTEGER NOT NULL DEFAULT 0,  -- 1: marked in the transaction of its effects
    repeats     INTEGER NOT NULL DEFAULT 0,  -- handlings a crash interrupted
    received_at TEXT NOT NULL,
    handled_at  TEXT
);
-- The next update of each chat, found without reading what was handled.
CREATE INDEX inbox_open ON inbox (chat_key, update_id) WHERE state IN ('pending', 'handling');
-- Pruning handled updates by age.
CREATE INDEX inbox_handled ON inbox (handled_at) WHERE state = 'handled';
