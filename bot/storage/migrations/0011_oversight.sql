-- Oversight (issue 13) and the daily report (issue 11 item 6).

-- The daily report's periods: each row is one report, covering [period_start, period_end).
-- The next report starts where the last one ended, so a day missed while the bot was down is
-- covered once, by the next report. The first row (sent_at NULL, due_at NULL) only marks when
-- the bot first ran: the first report covers the time since then. due_at is the scheduled
-- slot a report was sent for: unique, so two runs for one slot send one report.
CREATE TABLE daily_reports (
    id            INTEGER PRIMARY KEY,
    due_at        TEXT    UNIQUE,
    period_start  TEXT    NOT NULL,
    period_end    TEXT    NOT NULL UNIQUE,
    sent_at       TEXT
);

-- Figures over a period read cases by when something happened to them.
CREATE INDEX cases_created ON cases (created_at);
CREATE INDEX cases_first_response ON cases (first_response_at) WHERE first_response_at IS NOT NULL;
CREATE INDEX cases_resolved ON cases (resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX cases_closed ON cases (closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX cases_sla_due ON cases (sla_due_at);
CREATE INDEX faq_queries_at ON faq_queries (at);
CREATE INDEX audit_log_at ON audit_log (at);

-- The audit log is append-only from the bot's side: no statement may change or remove a line.
-- (PostgreSQL: the same as a trigger function raising an exception, or REVOKE UPDATE, DELETE.)
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
