-- The ledger: every message that reached the mailbox, recorded once, raw bytes kept.
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    message_id      TEXT,                       -- Message-ID without <>, NULL when absent
    sha256          TEXT    NOT NULL UNIQUE,    -- of the bytes as received
    raw             BLOB    NOT NULL,           -- as received, private-key parts removed
    size            INTEGER NOT NULL,           -- bytes as received
    source_folder   TEXT    NOT NULL,
    source_uid      TEXT    NOT NULL,
    received_at     TEXT    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'received'
                    CHECK (state IN ('received', 'processed', 'quarantined')),
    refused         TEXT,                       -- set at intake: why it must not be processed
    outcome         TEXT,                       -- what was done, or why it was quarantined
    case_id         INTEGER REFERENCES cases(id),
    language        TEXT,
    processed_at    TEXT,
    settled_at      TEXT                        -- when the source copy was moved away
) STRICT;
CREATE UNIQUE INDEX messages_by_message_id ON messages(message_id) WHERE message_id IS NOT NULL;
CREATE INDEX messages_by_state ON messages(state);

-- One case per information system connecting to one platform.
CREATE TABLE cases (
    id          INTEGER PRIMARY KEY,
    reference   TEXT    NOT NULL UNIQUE,
    service     TEXT    NOT NULL,
    institution TEXT    NOT NULL,
    contact     TEXT    NOT NULL,
    system_name TEXT,
    language    TEXT    NOT NULL,
    step        TEXT    NOT NULL,
    opened_at   TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
) STRICT;
CREATE INDEX cases_by_contact ON cases(contact);

-- Per-year sequence behind case references.
CREATE TABLE case_sequences (
    year INTEGER PRIMARY KEY,
    last INTEGER NOT NULL
) STRICT;

-- Materials filed on a case.
CREATE TABLE case_items (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    kind        TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    detail      TEXT    NOT NULL DEFAULT '{}',   -- JSON
    status      TEXT    NOT NULL DEFAULT 'parsed'
                CHECK (status IN ('parsed', 'confirmed', 'rejected')),
    message_id  INTEGER REFERENCES messages(id),
    created_at  TEXT    NOT NULL,
    UNIQUE (case_id, kind, value)
) STRICT;

-- Outgoing mail: written in the same transaction as the change that caused it.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    idempotency_key TEXT    NOT NULL UNIQUE,
    message_id      TEXT    NOT NULL UNIQUE,     -- derived from idempotency_key, without <>
    case_id         INTEGER REFERENCES cases(id),
    cause_message   INTEGER REFERENCES messages(id),
    purpose         TEXT    NOT NULL,
    envelope_from   TEXT    NOT NULL,
    recipients      TEXT    NOT NULL,            -- JSON array of addresses
    subject         TEXT    NOT NULL,
    raw             BLOB    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'attempting', 'sent', 'failed', 'uncertain')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    last_error      TEXT,
    server_reply    TEXT,
    created_at      TEXT    NOT NULL,
    sent_at         TEXT
) STRICT;
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
CREATE INDEX outbox_by_case ON outbox(case_id);

-- One row: a random token naming this installation, mixed into every Message-ID we make,
-- so two databases (test and production) never mint the same one.
CREATE TABLE instance (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    token TEXT    NOT NULL
) STRICT;
