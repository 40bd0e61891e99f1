-- Raw bytes live apart from the rows the pipeline scans. SQLite stores a row's columns in
-- order and keeps a large BLOB on a chain of overflow pages: any read of a column after
-- `raw` (state, settled_at, case_id, created_at...) walked the whole chain, so every scan of
-- the ledger or the outbox read every message again (issue 6's profile: most of the ingest
-- time went there).
CREATE TABLE message_bodies (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id),
    raw        BLOB    NOT NULL           -- as received, private-key parts removed
) STRICT;
INSERT INTO message_bodies (message_id, raw) SELECT id, raw FROM messages;
ALTER TABLE messages DROP COLUMN raw;

CREATE TABLE outbox_bodies (
    outbox_id INTEGER PRIMARY KEY REFERENCES outbox(id),
    raw       BLOB    NOT NULL
) STRICT;
INSERT INTO outbox_bodies (outbox_id, raw) SELECT id, raw FROM outbox;
ALTER TABLE outbox DROP COLUMN raw;

-- What the pipeline looks rows up by.
CREATE INDEX messages_unsettled ON messages(id) WHERE state != 'received' AND settled_at IS NULL;
CREATE INDEX messages_by_case ON messages(case_id, received_at);
-- The daily cap on automatic replies counts them per address (each has one recipient).
CREATE INDEX outbox_auto_replies ON outbox(json_extract(recipients, '$[0]'), created_at)
    WHERE purpose IN ('acknowledgement', 'redirect');
