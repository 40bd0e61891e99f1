//! egov-desk works the `servicii@egov.md` mailbox of Moldova's eGovernment Agency.
//!
//! The modules read like the pipeline a message travels, and the stages hand work to each
//! other through database tables, never through memory alone, so a crash loses nothing:
//!
//! | stage | module | table it owns |
//! |---|---|---|
//! | 1. mailbox: where mail waits (Maildir, IMAP) | [`mailbox`] | — |
//! | 2. ledger: every message recorded once, raw bytes kept | [`ledger`] | `messages` |
//! | 3. parse and extract (pure) | [`parse`], [`extract`] | — |
//! | 4. match to a case (pure) | [`matching`] | — |
//! | 5. case workflow: file items, hold strangers' mail, move steps, operator commands, reminders, queue replies | [`workflow`] | `cases`, `case_items`, `case_contacts`, `holds`, `case_events`, `command_tokens` |
//! | 6. outbox: replies as rows, rendered from templates | [`outbox`] | `outbox` |
//! | 7. transport: hand mail on (files, SMTP) | [`transport`] | — |
//!
//! [`daemon`] runs the stages; [`cli`] is the command line; [`settings`] the configuration;
//! [`domain`] holds the values that have rules (case references, serials, addresses).

#![warn(missing_docs)]

pub mod cli;
pub mod clock;
pub mod cpu;
pub mod daemon;
pub mod db;
pub mod domain;
pub mod extract;
pub mod ledger;
pub mod mailbox;
pub mod matching;
pub mod outbox;
pub mod parse;
pub mod settings;
pub mod telemetry;
pub mod transport;
pub mod workflow;
