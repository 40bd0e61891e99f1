//! The `case` commands: open, list, show, export, and the operators' commands typed at the
//! terminal.

use std::path::PathBuf;

use anyhow::{Context, Result};
use serde_json::json;

use super::show::{case_json, print_case, print_timeline, print_trust};
use super::CaseCommand;
use crate::daemon::Desk;
use crate::domain::{CaseRef, EmailAddress, Language, Service};
use crate::parse::clean::one_line;
use crate::settings::Settings;
use crate::workflow::commands::{self, Command as OperatorCommand, Decision};
use crate::workflow::{self, audit, cases, ItemKind};

pub(super) async fn case_command(settings: Settings, cmd: CaseCommand) -> Result<()> {
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
