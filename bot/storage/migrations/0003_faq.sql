-- Free-text FAQ questions the bot kept: for "ask a counsel" (the question becomes the request's
-- description) and, for admins (§5.4), the ones nothing matched or that were not helpful.
-- No Telegram id is stored with them: admins see what was asked, not who asked.
CREATE TABLE faq_queries (
    id          INTEGER PRIMARY KEY,
    at          TEXT    NOT NULL,
    language    TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    best_entry  TEXT,                       -- NULL: nothing matched well enough
    score       REAL,
    helpful     INTEGER                     -- NULL: not told; 1 yes; 0 no
);
CREATE INDEX faq_queries_unanswered ON faq_queries (best_entry, helpful);
