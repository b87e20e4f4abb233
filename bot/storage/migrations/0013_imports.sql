-- Roster imports (issue 12, PRODUCT §5.2): staff carry the roster's phone and Telegram username
-- (how a re-import recognises a person, and how an admin reaches them); an invite can be bound to
-- an imported staff record, so opening it binds the account to that record instead of asking.

ALTER TABLE staff ADD COLUMN phone TEXT;              -- E.164, from an imported roster
ALTER TABLE staff ADD COLUMN telegram_username TEXT;  -- without @, as the roster gives it
ALTER TABLE staff ADD COLUMN source TEXT NOT NULL DEFAULT 'invite'
    CHECK (source IN ('invite', 'import'));
CREATE INDEX staff_phone ON staff (phone);

ALTER TABLE invites ADD COLUMN staff_id INTEGER REFERENCES staff (id);
CREATE INDEX invites_staff ON invites (staff_id);
