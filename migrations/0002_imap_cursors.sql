-- Where incremental IMAP sync stopped, per folder: a changed UIDVALIDITY means rescan.
CREATE TABLE imap_cursors (
    folder       TEXT    PRIMARY KEY,
    uid_validity INTEGER NOT NULL,
    last_uid     INTEGER NOT NULL
) STRICT;
