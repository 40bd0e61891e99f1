//! The command line: `run`, `once`, `check-config` and the `case` commands.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::daemon::{shutdown_signal, Desk};
use crate::domain::EmailAddress;
use crate::settings::Settings;

/// Prints a line on standard output; a reader that went away (`| head`) ends the output
/// quietly instead of panicking as `println!` would.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::emit(&format!($($arg)*))
    };
}

fn emit(line: &str) {
    use std::io::Write;
    // Sender text is cleaned where it enters; a database written before that rule still
    // holds raw values, and a terminal must never receive a control sequence from one.
    let line = crate::parse::clean::multi_line(line);
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{line}") {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("egov-desk: writing output: {e}");
        }
    }
}

mod case;
mod show;

/// Works the servicii@egov.md mailbox: reads integration requests, files the materials on
/// cases, and answers.
#[derive(Debug, Parser)]
#[command(name = "egov-desk", version)]
pub struct Cli {
    /// A configuration file laid over config/default.toml.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Pretend the time is now this (RFC 3339, e.g. 2026-12-01T09:00:00Z) and let it run on
    /// from there: for tests and for previewing which reminders a later day would send.
    #[arg(long, global = true, value_name = "TIME")]
    pub clock: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Work the mailbox until SIGINT or SIGTERM.
    Run,
    /// Fetch and process everything waiting, send what is due, and exit.
    Once,
    /// Check the configuration, templates and requirements table, and print a summary.
    CheckConfig,
    /// Open, list and inspect cases.
    #[command(subcommand)]
    Case(CaseCommand),
}

/// The `case` commands.
#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Open a case and send the beneficiary the list of materials; prints the reference.
    Open(OpenArgs),
    /// List all cases.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one case with its items, mail and timeline.
    Show {
        /// The case reference, e.g. EGOV-2026-0001.
        reference: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Confirm the materials waiting for confirmation (as an operator's CONFIRM reply).
    Confirm {
        /// The case reference.
        reference: String,
    },
    /// Reject the materials waiting for confirmation; the beneficiary is told the reason.
    Reject {
        /// The case reference.
        reference: String,
        /// The reason, as the beneficiary will read it.
        #[arg(required = true, num_args = 1..)]
        reason: Vec<String>,
    },
    /// Accept a message held because its sender is not a contact of the case (as an
    /// operator's ACCEPT reply): the sender becomes a contact, the message is filed.
    Accept {
        /// The case reference.
        reference: String,
        /// The held message's number (`case show` lists them).
        message: i64,
    },
    /// Dismiss a held message (as an operator's REJECT reply to it): nothing is filed.
    Dismiss {
        /// The case reference.
        reference: String,
        /// The held message's number (`case show` lists them).
        message: i64,
        /// Why, for the timeline.
        reason: Vec<String>,
    },
    /// Set (correct) an item, confirmed: e.g. `case set EGOV-2026-0001 public_ip 194.0.2.10`.
    Set {
        /// The case reference.
        reference: String,
        /// certificate, serial_number, system_name, public_ip, url, attribute, event_type,
        /// channel, document_type or mode.
        item: String,
        /// The value.
        #[arg(required = true, num_args = 1..)]
        value: Vec<String>,
    },
    /// Mark the case's current step done: contract, staging, testing, validation or
    /// production (production sends the completion notice).
    Done {
        /// The case reference.
        reference: String,
        /// The step.
        step: String,
    },
    /// Write an evidence bundle (zip): raw messages, parsed data, timeline, sent mail.
    Export {
        /// The case reference.
        reference: String,
        /// Where to write it (default: REFERENCE.zip here); must not exist.
        #[arg(long, value_name = "PATH")]
        output: Option<PathBuf>,
    },
}

/// Arguments of `case open`.
#[derive(Debug, Args)]
pub struct OpenArgs {
    /// Platform: mpass, msign, mnotify, mdocs, mlog, mpower or mdelivery.
    #[arg(long)]
    pub service: String,
    /// The institution's name.
    #[arg(long)]
    pub institution: String,
    /// The beneficiary's contact address.
    #[arg(long)]
    pub contact: String,
    /// The information system's name.
    #[arg(long)]
    pub system: Option<String>,
    /// Language of mail to the beneficiary (ro, ru or en); without it the case follows the
    /// language the beneficiary writes in, and `agency.default_language` until they do.
    #[arg(long)]
    pub language: Option<String>,
}

/// Runs the command line.
pub async fn main() -> Result<()> {
    let cli = Cli::parse();
    if let Some(at) = &cli.clock {
        let at = chrono::DateTime::parse_from_rfc3339(at)
            .with_context(|| format!("--clock: '{at}' is not an RFC 3339 time"))?;
        crate::clock::start_at(at.with_timezone(&chrono::Utc));
    }
    let settings = Settings::load(cli.config.as_deref())?;
    crate::telemetry::init(&settings.log.level);
    match cli.command {
        Command::CheckConfig => check_config(settings).await,
        Command::Run => {
            let desk = Arc::new(Desk::build(settings).await?);
            let shutdown = CancellationToken::new();
            let signal = shutdown.clone();
            tokio::spawn(async move {
                if let Err(e) = shutdown_signal().await {
                    tracing::error!(error = %e, "cannot listen for signals");
                }
                tracing::info!("stop requested; finishing the work in hand");
                signal.cancel();
            });
            desk.run(shutdown).await?;
            tracing::info!("egov-desk stopped");
            Ok(())
        }
        Command::Once => {
            let desk = Desk::build(settings).await?;
            let r = desk.once().await?;
            tracing::info!(
                recorded = r.recorded,
                duplicates = r.duplicates,
                processed = r.processed,
                moved = r.settled,
                sent = r.sent,
                reminders = r.reminders,
                "pass done"
            );
            Ok(())
        }
        Command::Case(cmd) => case::case_command(settings, cmd).await,
    }
}

async fn check_config(settings: Settings) -> Result<()> {
    let desk = Desk::build(settings).await?;
    let s = desk.settings();
    say!("configuration OK");
    say!("  mailbox:   {}", s.mailbox.source.summary());
    say!("  outbound:  {}", s.outbound.transport.summary());
    say!("  agency:    {} <{}>", s.agency.name, s.agency.address);
    let (local, domain) = s
        .agency
        .address
        .as_str()
        .rsplit_once('@')
        .unwrap_or_default();
    match s.outbound.verp_delimiter {
        // A reminder to the administrator: the server must deliver these to the mailbox.
        Some(d) => {
            say!("  returns:   {local}{d}b-<id>-<mac>@{domain} (delivered to {local}@{domain})")
        }
        None => say!("  returns:   {local}@{domain} (no per-mail return path)"),
    }
    let ops: Vec<&str> = s
        .agency
        .operators
        .iter()
        .map(EmailAddress::as_str)
        .collect();
    say!("  operators: {}", ops.join(", "));
    say!("  database:  {}", s.database.url);
    say!("  services:  {}", s.workflow.services.display());
    say!("  templates: {}", s.workflow.templates.display());
    Ok(())
}
