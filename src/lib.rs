//! egov-desk works the `servicii@egov.md` mailbox of Moldova's eGovernment Agency.
//!
//! The modules read like the pipeline a message travels, and the stages hand work to each
//! other through database tables, never through memory alone, so a crash loses nothing:
//!
//! | stage | module | table it owns |
//! |---|---|---|
//! | 1. mailbox: where mail waits (Maildir, IMAP) | [`mailbox`] | — |
//! | 2. ledger: every message recorded once, raw bytes kept | [`ledger`] | `messages`, `message_bodies` |
//! | 3. parse and extract (pure) | [`parse`], [`extract`] | — |
//! | 4. match to a case (pure) | [`matching`] | — |
//! | 5. case workflow: decide in pure code, then apply — file items, hold strangers' mail, move steps, operator commands, reminders, queue replies | [`workflow`]: rooms [`workflow::procedure`], [`workflow::operator`], [`workflow::schedule`], [`workflow::records`], [`workflow::holds`], [`workflow::mail`] | `cases`, `case_items`, `case_sequences` ([`workflow::records::cases`]); `case_events` ([`workflow::records::audit`]); `case_contacts` ([`workflow::records::contacts`]); `holds` ([`workflow::holds`]); `command_tokens` ([`workflow::operator::tokens`]) |
//! | 6. outbox: replies as rows, rendered from typed contexts and templates | [`outbox`] | `outbox`, `outbox_bodies` |
//! | 7. transport: hand mail on (files, SMTP, memory for tests) | [`transport`] | — |
//!
//! Each table has one owner: only that module's SQL touches it. The IMAP cursors belong to
//! [`mailbox`] (`imap_cursors`), the installation's identity and secrets to [`db`].
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
