-- Cases, their history, staff invites, routing cursors, the durable outbox, relay links.

CREATE TABLE invites (
    code        TEXT    PRIMARY KEY,
    role        TEXT    NOT NULL CHECK (role IN ('liaison', 'counsel', 'admin')),
    created_by  INTEGER NOT NULL,           -- admin's Telegram id
    created_at  TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL,
    used_by     INTEGER,                    -- Telegram id that redeemed it
    used_at     TEXT
);

CREATE TABLE cases (
    id                 INTEGER PRIMARY KEY,
    number             TEXT    NOT NULL UNIQUE,
    enterprise_id      INTEGER NOT NULL REFERENCES enterprises (id),
    opened_by          INTEGER REFERENCES contacts (id),
    category           TEXT    NOT NULL,
    urgency            TEXT    NOT NULL CHECK (urgency IN ('normal', 'urgent')),
    description        TEXT    NOT NULL,
    status             TEXT    NOT NULL
                       CHECK (status IN ('open', 'accepted', 'resolved', 'closed')),
    assignee_id        INTEGER REFERENCES staff (id),
    sla_due_at         TEXT    NOT NULL,
    first_response_at  TEXT,
    resolved_at        TEXT,
    closed_at          TEXT,
    rating             INTEGER CHECK (rating BETWEEN 1 AND 5),
    rating_comment     TEXT,
    created_at         TEXT    NOT NULL,
    updated_at         TEXT    NOT NULL
);
CREATE INDEX cases_assignee ON cases (assignee_id, status);
CREATE INDEX cases_enterprise ON cases (enterprise_id, status);

-- Everything that happened to a case, in order: the conversation, private notes,
-- assignments, transfers and status changes, each with time and actor.
CREATE TABLE case_events (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    at          TEXT    NOT NULL,
    actor_kind  TEXT    NOT NULL CHECK (actor_kind IN ('owner', 'staff', 'system')),
    actor_id    INTEGER,                    -- contacts.id or staff.id
    kind        TEXT    NOT NULL,
    text        TEXT,
    file_kind   TEXT,                       -- photo, document
    file_id     TEXT,
    file_name   TEXT,
    details     TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX case_events_case ON case_events (case_id, id);

-- Round-robin cursors for routing ties, one per pool (e.g. "counsel:labour").
CREATE TABLE routing_cursors (
    pool        TEXT    PRIMARY KEY,
    last_staff  INTEGER NOT NULL
);

-- The durable outbox: every message that must arrive is written here in the same transaction
-- as the change that causes it; one sender drains it within Telegram's limits.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    chat_id         INTEGER NOT NULL,
    kind            TEXT    NOT NULL,       -- message, copy
    payload         TEXT    NOT NULL,       -- JSON: template + context + buttons, or a copy
    case_id         INTEGER REFERENCES cases (id),
    status          TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    uncertain       INTEGER NOT NULL DEFAULT 0,  -- a send whose answer never came back
    not_before      TEXT    NOT NULL,
    last_error      TEXT,
    message_id      INTEGER,                -- Telegram's id of the sent message
    created_at      TEXT    NOT NULL,
    sent_at         TEXT
);
CREATE INDEX outbox_pending ON outbox (status, chat_id, id);

-- Messages the bot showed that belong to a case, so that a Telegram reply to one of them
-- reaches that case. Kept apart from the case records (they are Telegram's ids, not ours).
CREATE TABLE relay_links (
    chat_id     INTEGER NOT NULL,
    message_id  INTEGER NOT NULL,
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    PRIMARY KEY (chat_id, message_id)
);

-- The language of the user's Telegram client, remembered so that messages sent to them later
-- (relayed replies, notices) use it when they never chose one with /language.
ALTER TABLE accounts ADD COLUMN client_language TEXT;
