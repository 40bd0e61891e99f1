-- The procedure from first mail to completion: versions for operator tokens, the SLA clock,
-- renewals, the audit trail, operator tokens, bounces.

-- Bumped by every recorded change, so an operator token names the data it was issued for.
ALTER TABLE cases ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
-- When the case entered its current step (reminders count from here).
ALTER TABLE cases ADD COLUMN step_since TEXT;
-- When every required material was first on the case: the 7-working-day clock starts here.
ALTER TABLE cases ADD COLUMN materials_complete_at TEXT;
-- The certificate serial this case renews (opened by the expiry watch).
ALTER TABLE cases ADD COLUMN renews_serial TEXT;
CREATE INDEX cases_by_step ON cases(step);

-- Append-only: every change to a case, what caused it and who.
CREATE TABLE case_events (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    at          TEXT    NOT NULL,
    actor       TEXT    NOT NULL,               -- an address, 'daemon' or 'cli:<user>'
    message_id  INTEGER REFERENCES messages(id),-- the ledger message that caused it
    kind        TEXT    NOT NULL,
    detail      TEXT    NOT NULL DEFAULT '{}'    -- JSON
) STRICT;
CREATE INDEX case_events_by_case ON case_events(case_id, id);
CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;
CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events
BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;

-- Tokens operators answer with; the MAC is over the row's fields and never stored.
CREATE TABLE command_tokens (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    version     INTEGER NOT NULL,
    recipients  TEXT    NOT NULL,               -- JSON array: who may answer with it
    issued_at   TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL,
    used_at     TEXT,
    used_by     INTEGER REFERENCES messages(id)
) STRICT;

-- Secrets the daemon made itself (the token key when none is configured).
CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- A delivery report naming one of our mails.
ALTER TABLE outbox ADD COLUMN bounced_at TEXT;
ALTER TABLE outbox ADD COLUMN bounce_detail TEXT;
CREATE INDEX outbox_by_recipient_time ON outbox(created_at);
