-- Albums being received (issue 16). Telegram delivers an album (photos or files sent at once)
-- as one message per item, sharing a media_group_id. The items of an album sent to a case are
-- kept here as they arrive, so that after a crash a half-received album is relayed whole when
-- the rest arrives; it is relayed once: done_at is set in the transaction of the relay.
CREATE TABLE albums (
    chat_id         INTEGER NOT NULL,
    media_group_id  TEXT    NOT NULL,
    user_id         INTEGER NOT NULL,
    -- relay: collected for case_id, relayed whole after [cases] album_wait_seconds of quiet;
    -- follow: its first item went elsewhere (held, /ask, an answer); the rest follow it.
    mode            TEXT    NOT NULL CHECK (mode IN ('relay', 'follow')),
    case_id         INTEGER REFERENCES cases (id),
    last_at         TEXT    NOT NULL,
    done_at         TEXT,
    PRIMARY KEY (chat_id, media_group_id)
);
CREATE INDEX albums_collecting ON albums (last_at) WHERE done_at IS NULL;

CREATE TABLE album_items (
    chat_id         INTEGER NOT NULL,
    media_group_id  TEXT    NOT NULL,
    message_id      INTEGER NOT NULL,
    attachment      TEXT    NOT NULL,   -- JSON of domain.cases.Attachment
    PRIMARY KEY (chat_id, media_group_id, message_id),
    FOREIGN KEY (chat_id, media_group_id) REFERENCES albums (chat_id, media_group_id)
        ON DELETE CASCADE
);
