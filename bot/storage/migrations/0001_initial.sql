-- Accounts, enterprises, contacts, staff, dialog state and the audit log.

CREATE TABLE accounts (
    telegram_id  INTEGER PRIMARY KEY,
    role         TEXT    NOT NULL DEFAULT 'owner'
                 CHECK (role IN ('owner', 'liaison', 'counsel', 'admin')),
    language     TEXT    CHECK (language IN ('zh-hans', 'zh-hant', 'en')),
    active       INTEGER NOT NULL DEFAULT 1,   -- 0 once the user blocked the bot
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL
);

CREATE TABLE staff (
    id            INTEGER PRIMARY KEY,
    telegram_id   INTEGER UNIQUE REFERENCES accounts (telegram_id) ON DELETE SET NULL,
    role          TEXT    NOT NULL CHECK (role IN ('liaison', 'counsel', 'admin')),
    display_name  TEXT    NOT NULL,
    title         TEXT    NOT NULL DEFAULT '',
    district      TEXT,
    available     INTEGER NOT NULL DEFAULT 1,
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);

CREATE TABLE staff_specialties (
    staff_id   INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    specialty  TEXT    NOT NULL,
    PRIMARY KEY (staff_id, specialty)
);

CREATE TABLE enterprises (
    id                 INTEGER PRIMARY KEY,
    credit_code        TEXT    NOT NULL UNIQUE,
    name               TEXT    NOT NULL,
    district           TEXT    NOT NULL,
    industry           TEXT    NOT NULL,
    source             TEXT    NOT NULL CHECK (source IN ('registration', 'import')),
    liaison_id         INTEGER REFERENCES staff (id),
    deputy_liaison_id  INTEGER REFERENCES staff (id),
    created_at         TEXT    NOT NULL,
    updated_at         TEXT    NOT NULL
);
CREATE INDEX enterprises_district ON enterprises (district);

-- A contact person of an enterprise. Erasure (/deleteme) nulls name, phone and telegram_id and
-- keeps the row, so that case records stay countable without personal data.
CREATE TABLE contacts (
    id             INTEGER PRIMARY KEY,
    enterprise_id  INTEGER NOT NULL REFERENCES enterprises (id),
    telegram_id    INTEGER UNIQUE REFERENCES accounts (telegram_id) ON DELETE SET NULL,
    name           TEXT,
    phone          TEXT,
    consented_at   TEXT,
    erased_at      TEXT,
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL
);
CREATE INDEX contacts_enterprise ON contacts (enterprise_id);

-- Every answered step of every dialog, written before the bot acknowledges the answer.
-- Also the store behind PTB's ConversationHandler persistence (bot/storage/persistence.py).
CREATE TABLE dialogs (
    name        TEXT    NOT NULL,
    chat_id     INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    state       TEXT    NOT NULL,
    data        TEXT    NOT NULL DEFAULT '{}',
    updated_at  TEXT    NOT NULL,
    PRIMARY KEY (name, chat_id, user_id)
);

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT    NOT NULL,
    actor     INTEGER,              -- Telegram user id, NULL for the system
    action    TEXT    NOT NULL,
    subject   TEXT,
    details   TEXT    NOT NULL DEFAULT '{}'
);
