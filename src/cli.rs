//! The command line: `run`, `once`, `check-config` and the `case` commands.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::daemon::{shutdown_signal, Desk};
use crate::domain::{CaseRef, EmailAddress, Language, Service};
use crate::parse::clean::one_line;
use crate::settings::Settings;
use crate::workflow::commands::{self, Command as OperatorCommand, Decision};
use crate::workflow::{self, audit, cases, ItemKind};

/// Prints a line on standard output; a reader that went away (`| head`) ends the output
/// quietly instead of panicking as `println!` would.
macro_rules! say {
    ($($arg:tt)*) => {
        emit(&format!($($arg)*))
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
        Command::Case(cmd) => case_command(settings, cmd).await,
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

async fn case_command(settings: Settings, cmd: CaseCommand) -> Result<()> {
    match cmd {
        CaseCommand::Open(args) => {
            let new = cases::NewCase {
                service: args.service.parse::<Service>().context("--service")?,
                institution: non_empty("--institution", &args.institution)?,
                contact: args.contact.parse::<EmailAddress>().context("--contact")?,
                system_name: args.system.map(|s| one_line(&s)).filter(|s| !s.is_empty()),
                language: args
                    .language
                    .map(|l| l.parse::<Language>())
                    .transpose()
                    .context("--language")?,
                renews_serial: None,
            };
            let desk = Desk::build(settings).await?;
            let case = workflow::open_case(&desk.pool, &desk.workflow, &new).await?;
            say!("{}", case.reference);
            Ok(())
        }
        CaseCommand::List { json } => {
            let pool = crate::db::open(&settings.database.url).await?;
            let mut conn = pool.acquire().await?;
            let all = cases::all(&mut conn).await?;
            if json {
                let list: Vec<_> = all.iter().map(case_json).collect();
                say!("{}", serde_json::to_string_pretty(&list)?);
            } else if all.is_empty() {
                say!("no cases");
            } else {
                say!("REFERENCE             SERVICE    STEP                 WAITING ON   INSTITUTION");
                for c in &all {
                    say!(
                        "{:<21} {:<10} {:<20} {:<12} {}",
                        c.reference,
                        c.service,
                        c.step,
                        c.step.waiting_on().as_str(),
                        c.institution
                    );
                }
            }
            Ok(())
        }
        CaseCommand::Show { reference, json } => {
            let reference: CaseRef = reference.parse()?;
            let requirements = workflow::Requirements::load(&settings.workflow.services)?;
            let pool = crate::db::open(&settings.database.url).await?;
            let mut conn = pool.acquire().await?;
            let case = cases::by_reference(&mut conn, &reference)
                .await?
                .with_context(|| format!("no case {reference}"))?;
            let items = cases::items(&mut conn, case.id).await?;
            let usable: Vec<(ItemKind, &str)> = items
                .iter()
                .filter(|i| i.status != cases::ItemStatus::Rejected)
                .map(|i| (i.kind, i.value.as_str()))
                .collect();
            let missing = requirements.missing(case.service, &usable);
            let mail = crate::outbox::of_case(&mut conn, case.id).await?;
            let timeline = audit::timeline(&mut conn, case.id).await?;
            let contacts = workflow::contacts::of_case(&mut conn, case.id).await?;
            let held = workflow::holds::waiting_on(&mut conn, case.id).await?;
            if json {
                let mut v = case_json(&case);
                v["items"] = json!(items);
                v["missing"] = json!(missing);
                v["mail"] = json!(mail);
                v["timeline"] = json!(timeline);
                v["contacts"] = json!(contacts);
                v["held"] = json!(held);
                say!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                print_case(&case, &items, &missing, &mail);
                print_trust(&contacts, &held);
                print_timeline(&timeline);
            }
            Ok(())
        }
        CaseCommand::Confirm { reference } => {
            operator_command(settings, &reference, OperatorCommand::Confirm).await
        }
        CaseCommand::Reject { reference, reason } => {
            let reason = non_empty("REASON", &reason.join(" "))?;
            operator_command(settings, &reference, OperatorCommand::Reject(reason)).await
        }
        CaseCommand::Accept { reference, message } => {
            held_decision(settings, &reference, message, Decision::Accept).await
        }
        CaseCommand::Dismiss {
            reference,
            message,
            reason,
        } => {
            let decision = Decision::Reject(one_line(&reason.join(" ")));
            held_decision(settings, &reference, message, decision).await
        }
        CaseCommand::Set {
            reference,
            item,
            value,
        } => {
            let line = format!("SET {item} {}", value.join(" "));
            let command = commands::parse(&line)
                .map_err(|e| anyhow::anyhow!(e))?
                .pop()
                .context("SET needs an item and a value")?;
            operator_command(settings, &reference, command).await
        }
        CaseCommand::Done { reference, step } => {
            let command = commands::parse(&format!("DONE {step}"))
                .map_err(|e| anyhow::anyhow!(e))?
                .pop()
                .context("DONE needs a step")?;
            operator_command(settings, &reference, command).await
        }
        CaseCommand::Export { reference, output } => {
            let reference: CaseRef = reference.parse()?;
            let pool = crate::db::open(&settings.database.url).await?;
            let mut conn = pool.acquire().await?;
            let case = cases::by_reference(&mut conn, &reference)
                .await?
                .with_context(|| format!("no case {reference}"))?;
            let path = output.unwrap_or_else(|| PathBuf::from(format!("{reference}.zip")));
            let done = workflow::export::write(&mut conn, &case, &path).await?;
            say!(
                "{}: {} message(s) received, {} mail(s) sent, {} timeline entries",
                path.display(),
                done.messages,
                done.sent,
                done.events
            );
            Ok(())
        }
    }
}

async fn operator_command(
    settings: Settings,
    reference: &str,
    command: OperatorCommand,
) -> Result<()> {
    let reference: CaseRef = reference.parse()?;
    let desk = Desk::build(settings).await?;
    let case = workflow::command(&desk.pool, &desk.workflow, &reference, &[command]).await?;
    say!(
        "{}  step {} (waiting on {})",
        case.reference,
        case.step,
        case.step.waiting_on().as_str()
    );
    Ok(())
}

async fn held_decision(
    settings: Settings,
    reference: &str,
    message: i64,
    decision: Decision,
) -> Result<()> {
    let reference: CaseRef = reference.parse()?;
    let desk = Desk::build(settings).await?;
    let mut conn = desk.pool.acquire().await?;
    let case = cases::by_reference(&mut conn, &reference)
        .await?
        .with_context(|| format!("no case {reference}"))?;
    drop(conn);
    let done =
        workflow::holds::decide_by_hand(&desk.pool, &desk.workflow, &case, message, &decision)
            .await?;
    say!("{reference}  {done}");
    Ok(())
}

/// A value of one line, cleaned as mail is: it reaches templates, headers and terminals.
fn non_empty(flag: &str, value: &str) -> Result<String> {
    let v = one_line(value);
    anyhow::ensure!(!v.is_empty(), "{flag} must not be empty");
    Ok(v)
}

fn case_json(c: &cases::Case) -> serde_json::Value {
    json!({
        "reference": c.reference.to_string(),
        "service": c.service.key(),
        "institution": c.institution,
        "contact": c.contact.as_str(),
        "system_name": c.system_name,
        "language": c.language.map(Language::code),
        "step": c.step.as_str(),
        "waiting_on": c.step.waiting_on().as_str(),
        "version": c.version,
        "step_since": c.step_since,
        "materials_complete_at": c.materials_complete_at,
        "renews_serial": c.renews_serial,
        "opened_at": c.opened_at,
        "updated_at": c.updated_at,
    })
}

fn print_case(
    c: &cases::Case,
    items: &[cases::Item],
    missing: &[workflow::requirements::Missing],
    mail: &[crate::outbox::Summary],
) {
    say!(
        "{}  {}  step {} (waiting on {})",
        c.reference,
        c.service,
        c.step,
        c.step.waiting_on().as_str()
    );
    say!("  institution: {}", c.institution);
    say!("  contact:     {}", c.contact);
    say!("  system:      {}", c.system_name.as_deref().unwrap_or("-"));
    match c.language {
        Some(language) => say!("  language:    {language}"),
        None => say!("  language:    (not known yet: none of their mail read)"),
    }
    say!("  opened:      {}   updated: {}", c.opened_at, c.updated_at);
    say!("items:");
    if items.is_empty() {
        say!("  (none)");
    }
    for i in items {
        let status = serde_json::to_value(i.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        say!("  {:<14} {:<40} {}", i.kind.as_str(), i.value, status);
    }
    if missing.is_empty() {
        say!("missing: nothing");
    } else {
        say!("missing:");
        for m in missing {
            say!("  {} ({} of {})", m.item, m.have, m.needed);
        }
    }
    say!("mail:");
    if mail.is_empty() {
        say!("  (none)");
    }
    for m in mail {
        say!(
            "  {}  {:<26} {:<10} {}  -> {}",
            m.created_at,
            m.purpose,
            if m.bounced_at.is_some() {
                "bounced"
            } else {
                m.state.as_str()
            },
            m.subject,
            m.to.join(", ")
        );
    }
}

fn print_trust(contacts: &[String], held: &[workflow::holds::Held]) {
    if !contacts.is_empty() {
        say!("also trusted: {}", contacts.join(", "));
    }
    if !held.is_empty() {
        say!("held for the operators (ACCEPT or REJECT):");
        for h in held {
            say!("  {}  message #{}  from {}", h.held_at, h.message, h.sender);
        }
    }
}

fn print_timeline(events: &[audit::Event]) {
    say!("timeline:");
    for e in events {
        let detail = match &e.detail {
            serde_json::Value::Object(map) => map
                .iter()
                .map(|(k, v)| match v {
                    serde_json::Value::String(s) => format!("{k}={s}"),
                    other => format!("{k}={other}"),
                })
                .collect::<Vec<_>>()
                .join(" "),
            other => other.to_string(),
        };
        let cause = e
            .message
            .map(|m| format!(" (message #{m})"))
            .unwrap_or_default();
        say!(
            "  {}  {:<18} {:<28} {}{}",
            e.at,
            e.kind,
            e.actor,
            detail,
            cause
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_given_by_hand_are_cleaned_to_one_line() {
        assert_eq!(
            non_empty("--institution", " ASP\n\x1b]0;x\x07 Chișinău ").unwrap(),
            "ASP ]0;x Chișinău"
        );
        assert!(non_empty("--institution", "\x1b\r\n").is_err());
    }
}
