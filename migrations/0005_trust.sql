-- Trust boundaries (issue 11): who may add materials to a case, messages that reuse a
-- Message-ID, mail held for the operators' decision.

-- A message is the same message when its bytes are the same, or when everything but the
-- trace headers a delivery adds (Received, Delivered-To, Return-Path...) is the same.
-- NULL on rows recorded before this column existed: those keep the old rule (Message-ID).
ALTER TABLE messages ADD COLUMN content_sha256 TEXT;
-- A different message that reuses the Message-ID of an earlier one: that earlier row.
ALTER TABLE messages ADD COLUMN reuses_id_of INTEGER REFERENCES messages(id);
-- A Message-ID no longer names one row: anyone can write any Message-ID.
DROP INDEX messages_by_message_id;
CREATE INDEX messages_by_message_id ON messages(message_id) WHERE message_id IS NOT NULL;
CREATE INDEX messages_by_content ON messages(content_sha256) WHERE content_sha256 IS NOT NULL;

-- Addresses besides the case's contact whose mail is filed on the case: added when an
-- operator ACCEPTs a held message.
CREATE TABLE case_contacts (
    case_id    INTEGER NOT NULL REFERENCES cases(id),
    address    TEXT    NOT NULL,
    added_at   TEXT    NOT NULL,
    added_by   TEXT    NOT NULL,              -- an address or 'cli:<user>'
    message_id INTEGER REFERENCES messages(id),
    PRIMARY KEY (case_id, address)
) STRICT;

-- A message matched to a case by its tag or thread alone, from an address the case does
-- not trust: recorded, not filed, until an operator decides.
CREATE TABLE holds (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    message_id  INTEGER NOT NULL UNIQUE REFERENCES messages(id),
    sender      TEXT    NOT NULL,
    held_at     TEXT    NOT NULL,
    state       TEXT    NOT NULL DEFAULT 'held' CHECK (state IN ('held', 'accepted', 'rejected')),
    decided_at  TEXT,
    decided_by  TEXT
) STRICT;
CREATE INDEX holds_by_case ON holds(case_id);

-- A token issued for a decision on one held message (ACCEPT / REJECT) rather than on the
-- case's data: it is not made stale by later changes to the case.
ALTER TABLE command_tokens ADD COLUMN hold_id INTEGER REFERENCES holds(id);

-- Every automatic answer to a sender counts against the daily reply limit.
DROP INDEX outbox_auto_replies;
CREATE INDEX outbox_auto_replies ON outbox(json_extract(recipients, '$[0]'), created_at)
    WHERE purpose IN ('acknowledgement', 'redirect', 'receipt');
