-- What falls due for each case (docs/schedule.md): at most one row per case and kind. A row is
-- written, moved or cancelled in the transaction of the case change that causes it, and marked
-- done in the transaction that writes the outbox messages it sends: what is due lives here,
-- never only in the scheduler's memory, and nothing is done twice.
CREATE TABLE case_timers (
    case_id  INTEGER NOT NULL REFERENCES cases (id),
    kind     TEXT    NOT NULL
             CHECK (kind IN ('reminder', 'escalation', 'followup', 'autoclose')),
    due_at   TEXT    NOT NULL,
    state    TEXT    NOT NULL DEFAULT 'pending'
             CHECK (state IN ('pending', 'done', 'cancelled')),
    done_at  TEXT,
    outcome  TEXT,                          -- sent, away, unassigned, obsolete, failed
    PRIMARY KEY (case_id, kind)
);
CREATE INDEX case_timers_due ON case_timers (due_at) WHERE state = 'pending';

-- Cases opened before this migration: unanswered ones are reminded at their deadline and
-- escalated at twice it (counted in calendar time from opening, as their deadline was).
INSERT INTO case_timers (case_id, kind, due_at)
SELECT id, 'reminder', sla_due_at FROM cases
WHERE status IN ('open', 'accepted') AND first_response_at IS NULL;
INSERT INTO case_timers (case_id, kind, due_at)
SELECT id, 'escalation',
       strftime('%Y-%m-%dT%H:%M:%f+00:00', 2 * julianday(sla_due_at) - julianday(created_at))
FROM cases
WHERE status IN ('open', 'accepted') AND first_response_at IS NULL;
-- Resolved cases close themselves 7 days (the default autoclose_days) after resolution.
INSERT INTO case_timers (case_id, kind, due_at)
SELECT id, 'autoclose', strftime('%Y-%m-%dT%H:%M:%f+00:00', julianday(resolved_at) + 7)
FROM cases
WHERE status = 'resolved' AND resolved_at IS NOT NULL;
