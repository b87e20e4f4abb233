-- Access (issue 9): invites a deactivated admin made are revoked; a new contact of an
-- enterprise that has contacts waits for approval; the roster's phone of an enterprise (for
-- proof by Telegram's contact button).

ALTER TABLE invites ADD COLUMN revoked_at TEXT;

ALTER TABLE contacts ADD COLUMN status TEXT NOT NULL DEFAULT 'active'
    CHECK (status IN ('active', 'pending', 'refused', 'removed'));
ALTER TABLE contacts ADD COLUMN requested_at TEXT;
ALTER TABLE contacts ADD COLUMN decided_by INTEGER;  -- Telegram id of who approved or refused
ALTER TABLE contacts ADD COLUMN decided_at TEXT;

ALTER TABLE enterprises ADD COLUMN phone TEXT;  -- from an imported roster, E.164
