//! The mail each outcome produces, and the variables its template sees.

use serde_json::{json, Value};

use super::cases::{Case, Item};
use super::requirements::Missing;
use super::{Filing, Workflow};
use crate::domain::ItemKind;
use crate::domain::{Language, Redirect, ServiceMention};
use crate::extract::{Extraction, Problem};
use crate::ledger::LedgerMessage;
use crate::matching::{Facts, MatchedBy, Unmatched};
use crate::outbox::{Draft, Purpose, Thread};
use crate::parse::ParsedMessage;

/// Longest excerpt of a beneficiary's text shown to the operators.
const EXCERPT_CHARS: usize = 1500;

/// The items a message carries, as (kind, value, detail) ready to file.
pub(super) fn materials(ex: &Extraction) -> Vec<(ItemKind, String, Value)> {
    let env = |e: Option<crate::extract::Environment>| e.map(|e| e.as_str());
    let mut out = Vec::new();
    for c in &ex.certificates {
        out.push((
            ItemKind::Certificate,
            c.serial.to_string(),
            json!({
                "subject": c.subject,
                "issuer": c.issuer,
                "not_before": c.not_before.to_rfc3339(),
                "not_after": c.not_after.to_rfc3339(),
                "sha256": c.sha256,
                "public_key_sha256": c.public_key_sha256,
                "file": c.file_name,
                "key": c.key,
                "self_signed": c.self_signed,
                "environment": env(c.environment),
            }),
        ));
    }
    for s in &ex.serials {
        out.push((
            ItemKind::SerialNumber,
            s.serial.to_string(),
            json!({ "environment": env(s.environment) }),
        ));
    }
    if let Some(name) = &ex.system_name {
        out.push((ItemKind::SystemName, name.clone(), json!({})));
    }
    for ip in &ex.public_ips {
        out.push((
            ItemKind::PublicIp,
            ip.text(),
            json!({ "class": ip.class.name(), "environment": env(ip.environment) }),
        ));
    }
    for name in &ex.attributes.standard {
        out.push((
            ItemKind::Attribute,
            name.clone(),
            json!({ "standard": true }),
        ));
    }
    for name in &ex.attributes.custom {
        out.push((
            ItemKind::Attribute,
            name.clone(),
            json!({ "standard": false }),
        ));
    }
    for event in &ex.event_types {
        out.push((ItemKind::EventType, event.clone(), json!({})));
    }
    for channel in &ex.channels {
        out.push((ItemKind::Channel, channel.clone(), json!({})));
    }
    for document in &ex.document_types {
        out.push((ItemKind::DocumentType, document.clone(), json!({})));
    }
    if let Some(mode) = ex.mpower_mode {
        out.push((ItemKind::Mode, mode.to_string(), json!({})));
    }
    for url in &ex.urls {
        out.push((
            ItemKind::Url,
            url.url.clone(),
            json!({ "https": url.is_https(), "role": url.role, "environment": env(url.environment) }),
        ));
    }
    for (kind, value, detail) in &mut out {
        add_note(ex, *kind, value, detail);
    }
    out
}

/// How the sender wrote an item, and their remark on it, as the detail's `written` and
/// `remark`: the operators check the value filed against what was meant.
fn add_note(ex: &Extraction, kind: ItemKind, value: &str, detail: &mut Value) {
    let Some(note) = ex
        .notes
        .iter()
        .find(|n| n.item == kind.as_str() && n.value == value)
    else {
        return;
    };
    if let Some(written) = &note.written {
        detail["written"] = json!(written);
    }
    if let Some(remark) = &note.remark {
        detail["remark"] = json!(remark);
    }
}

pub(super) fn case_view(case: &Case) -> Value {
    json!({
        "reference": case.reference.to_string(),
        "service": case.service.display_name(),
        "institution": case.institution,
        "contact": case.contact.as_str(),
        "system_name": case.system_name,
        "step": case.step.as_str(),
        "waiting_on": case.step.waiting_on().as_str(),
        "version": case.version,
    })
}

pub(super) fn items_view(items: &[Item]) -> Value {
    json!(items
        .iter()
        .map(|i| json!({
            "kind": i.kind.as_str(),
            "value": i.value,
            "status": i.status,
            "detail": i.detail,
        }))
        .collect::<Vec<_>>())
}

/// What a message carried, as `{kind, value}` for the operators.
pub(super) fn found_view(ex: &Extraction) -> Value {
    json!(materials(ex)
        .into_iter()
        .map(|(kind, value, _)| json!({ "kind": kind.as_str(), "value": value }))
        .collect::<Vec<_>>())
}

pub(super) fn missing_view(missing: &[Missing]) -> Value {
    json!(missing)
}

fn thread_of(parsed: &ParsedMessage) -> Option<Thread> {
    parsed.message_id.as_ref().map(|id| Thread {
        in_reply_to: id.clone(),
        references: parsed.references.clone(),
    })
}

/// The subject without the "Re:"/"Fwd:" prefixes piled up by mail clients.
fn clean_subject(subject: &str) -> String {
    let mut s = subject.trim();
    loop {
        let lower = s.to_lowercase();
        let prefix = ["re:", "fw:", "fwd:", "aw:", "tr:", "ответ:", "пересл:"]
            .iter()
            .find(|p| lower.starts_with(*p));
        match prefix {
            Some(p) => s = s[p.len()..].trim_start(),
            None => return s.to_string(),
        }
    }
}

/// The beneficiary's words for the operators, every line quoted with `> `: pasted back
/// into a reply, even unquoted by the operator's client, they can never read as a command.
pub(super) fn excerpt(text: &str) -> String {
    let body = crate::extract::new_text_of(text);
    let mut cut: String = body.chars().take(EXCERPT_CHARS).collect();
    if body.chars().count() > EXCERPT_CHARS {
        cut.push_str(" […]");
    }
    cut.trim_matches('\n')
        .lines()
        .map(|line| format!("> {line}").trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod excerpt_tests {
    use super::excerpt;

    #[test]
    fn every_line_of_the_excerpt_is_quoted() {
        assert_eq!(
            excerpt("\nBună ziua,\n\nOK\nDONE contract\n"),
            "> Bună ziua,\n>\n> OK\n> DONE contract"
        );
        assert_eq!(excerpt(""), "");
        let long = "DA\n".repeat(1000);
        let quoted = excerpt(&long);
        assert!(quoted.lines().all(|l| l.starts_with('>')), "{quoted}");
        assert!(quoted.ends_with("[…]"), "{quoted}");
        assert!(crate::workflow::commands::parse(&quoted)
            .unwrap()
            .is_empty());
    }
}

fn reply_language(wf: &Workflow, ex: &Extraction, case: Option<&Case>) -> Language {
    ex.language
        .or(case.and_then(|c| c.language))
        .unwrap_or(wf.settings.agency.default_language)
}

/// A reply to the sender of `parsed`, threaded to it.
pub(super) fn reply(
    purpose: Purpose,
    key: &str,
    message: &LedgerMessage,
    parsed: &ParsedMessage,
    language: Language,
    case: Option<&Case>,
    context: Value,
) -> Draft {
    Draft {
        purpose,
        key: format!("{key}:{}", message.id),
        case: case.map(|c| (c.id, c.reference.clone())),
        cause_message: Some(message.id),
        to: parsed.from.iter().cloned().collect(),
        language,
        context,
        thread: thread_of(parsed),
        attach_message: None,
    }
}

/// A notice to the operators, in their language.
pub(super) fn to_operators(
    wf: &Workflow,
    purpose: Purpose,
    key: &str,
    message: &LedgerMessage,
    case: Option<&Case>,
    context: Value,
    attach_original: bool,
) -> Draft {
    Draft {
        purpose,
        key: format!("{key}:{}", message.id),
        case: case.map(|c| (c.id, c.reference.clone())),
        cause_message: Some(message.id),
        to: wf.settings.agency.operators.clone(),
        language: wf.settings.agency.operator_language,
        context,
        thread: None,
        attach_message: attach_original.then(|| message.raw.clone()),
    }
}

/// The beneficiary's answer: what was filed, what is wrong, what is still missing.
pub(super) fn acknowledgement(
    wf: &Workflow,
    message: &LedgerMessage,
    parsed: &ParsedMessage,
    ex: &Extraction,
    filing: &Filing,
) -> Draft {
    let rules = wf.requirements.of(filing.case.service);
    let context = json!({
        "case": case_view(&filing.case),
        "new_case": filing.new_case,
        "new_items": items_view(&filing.new_items),
        "items": items_view(&filing.items),
        "missing": missing_view(&filing.missing),
        "also_needed": rules.also_needed,
        "complete": filing.missing.is_empty(),
        "problems": filing.problems,
        "private_key": ex.has_private_key(),
        "original_subject": clean_subject(&parsed.subject),
    });
    let language = reply_language(wf, ex, Some(&filing.case));
    reply(
        Purpose::Acknowledgement,
        "ack",
        message,
        parsed,
        language,
        Some(&filing.case),
        context,
    )
}

/// One answer to a request for several platforms: every case it opened or reached, what
/// each took from the mail and what each still needs; the problems once.
pub(super) fn acknowledgement_several(
    wf: &Workflow,
    message: &LedgerMessage,
    parsed: &ParsedMessage,
    ex: &Extraction,
    filings: &[Filing],
) -> Draft {
    let mut problems: Vec<&Problem> = Vec::new();
    for p in filings.iter().flat_map(|f| &f.problems) {
        if !problems.contains(&p) {
            problems.push(p);
        }
    }
    let cases: Vec<Value> = filings
        .iter()
        .map(|f| {
            json!({
                "case": case_view(&f.case),
                "new_case": f.new_case,
                "new_items": items_view(&f.new_items),
                "missing": missing_view(&f.missing),
                "also_needed": wf.requirements.of(f.case.service).also_needed,
                "complete": f.missing.is_empty(),
            })
        })
        .collect();
    let context = json!({
        "cases": cases,
        "problems": problems,
        "private_key": ex.has_private_key(),
        "original_subject": clean_subject(&parsed.subject),
    });
    let language = reply_language(wf, ex, None);
    reply(
        Purpose::Acknowledgement,
        "ack",
        message,
        parsed,
        language,
        None,
        context,
    )
}

/// The operators' copy of a case update: everything parsed, for them to check, and the
/// token their answer must carry.
#[allow(clippy::too_many_arguments)]
pub(super) fn operator_update(
    wf: &Workflow,
    message: &LedgerMessage,
    parsed: &ParsedMessage,
    ex: &Extraction,
    filing: &Filing,
    matched_by: MatchedBy,
    token: &str,
    replied: bool,
) -> Draft {
    let context = json!({
        "token": token,
        "replied": replied,
        "case": case_view(&filing.case),
        "new_case": filing.new_case,
        "matched_by": matched_by.as_str(),
        "sender": parsed.from.as_ref().map(|a| a.as_str()),
        "subject": parsed.subject,
        "new_items": items_view(&filing.new_items),
        "items": items_view(&filing.items),
        "missing": missing_view(&filing.missing),
        "problems": filing.problems,
        "private_key": ex.has_private_key(),
        "excerpt": excerpt(&parsed.text),
    });
    // Keyed by case too: a request for several platforms updates each case's operators.
    to_operators(
        wf,
        Purpose::OperatorUpdate,
        &format!("ops-update:{}", filing.case.reference),
        message,
        Some(&filing.case),
        context,
        false,
    )
}

/// The polite redirect for platforms with their own procedure.
pub(super) fn redirect(
    wf: &Workflow,
    message: &LedgerMessage,
    parsed: &ParsedMessage,
    ex: &Extraction,
    target: Redirect,
) -> Draft {
    let context = json!({
        "platform": target.key(),
        "platform_name": target.display_name(),
        "contact": target.contact(),
        "original_subject": clean_subject(&parsed.subject),
    });
    let language = reply_language(wf, ex, None);
    reply(
        Purpose::Redirect,
        "redirect",
        message,
        parsed,
        language,
        None,
        context,
    )
}

/// The warning a sender gets at once when they mailed a private key outside any case.
pub(super) fn private_key_warning(
    wf: &Workflow,
    message: &LedgerMessage,
    parsed: &ParsedMessage,
    ex: &Extraction,
) -> Draft {
    let context = json!({
        "case": Value::Null,
        "new_case": false,
        "new_items": [],
        "items": [],
        "missing": [],
        "also_needed": [],
        "complete": false,
        "problems": ex.problems,
        "private_key": true,
        "original_subject": clean_subject(&parsed.subject),
    });
    let language = reply_language(wf, ex, None);
    reply(
        Purpose::Acknowledgement,
        "key-warning",
        message,
        parsed,
        language,
        None,
        context,
    )
}

/// A mail the daemon could not place, forwarded whole to the operators with a summary.
pub(super) fn operator_forward(
    wf: &Workflow,
    message: &LedgerMessage,
    parsed: &ParsedMessage,
    ex: &Extraction,
    why: &Unmatched,
    facts: &Facts,
) -> (Draft, String) {
    let (reason, detail) = match why {
        Unmatched::UnknownReference(r) => ("unknown_reference", r.to_string()),
        Unmatched::ClosedCase(_) => ("closed_case", String::new()),
        Unmatched::Ambiguous => ("ambiguous", facts.by_sender.len().to_string()),
        Unmatched::NoService => ("no_service", String::new()),
        Unmatched::ManyServices(n) => ("many_services", n.to_string()),
        Unmatched::Automated(why) => ("automated", why.clone()),
    };
    let services: Vec<String> = ex
        .services
        .iter()
        .map(|m| match m {
            ServiceMention::Service(s) => s.display_name().to_string(),
            ServiceMention::Redirect(r) => r.display_name().to_string(),
        })
        .collect();
    let found = found_view(ex);
    let context = json!({
        "reason": reason,
        "detail": detail,
        "sender": parsed.from.as_ref().map(|a| a.as_str()),
        "subject": parsed.subject,
        "services": services,
        "found": found,
        "problems": ex.problems,
        "private_key": ex.has_private_key(),
        "excerpt": excerpt(&parsed.text),
    });
    let draft = to_operators(
        wf,
        Purpose::OperatorForward,
        "forward",
        message,
        None,
        context,
        true,
    );
    (draft, format!("forwarded to the operators: {reason}"))
}

/// The operators' notice of a message that could not be processed, with the message attached.
pub(super) fn quarantine_report(wf: &Workflow, message: &LedgerMessage, reason: &str) -> Draft {
    let head = crate::parse::parse(&message.raw).ok();
    let context = json!({
        "reason": reason,
        "ledger_id": message.id,
        "sender": head.as_ref().and_then(|p| p.from.as_ref()).map(|a| a.as_str()),
        "subject": head.as_ref().map(|p| p.subject.clone()),
        "size": message.raw.len(),
    });
    to_operators(
        wf,
        Purpose::OperatorQuarantine,
        "quarantine",
        message,
        None,
        context,
        true,
    )
}

/// The first mail of a case opened by hand: what the beneficiary should send.
pub(super) fn case_opened(wf: &Workflow, case: &Case, missing: &[Missing]) -> Draft {
    Draft {
        purpose: Purpose::CaseOpened,
        key: format!("opened:{}", case.reference),
        case: Some((case.id, case.reference.clone())),
        cause_message: None,
        to: vec![case.contact.clone()],
        language: case.speaks(wf.settings.agency.default_language),
        context: json!({
            "case": case_view(case),
            "missing": missing_view(missing),
            "also_needed": wf.requirements.of(case.service).also_needed,
        }),
        thread: None,
        attach_message: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn how_an_item_was_written_and_its_remark_reach_its_detail() {
        let ex = Extraction {
            channels: vec!["email".into(), "cabinet".into()],
            system_name: Some("Registrul".into()),
            notes: vec![
                crate::extract::Note {
                    item: "channel",
                    value: "cabinet".into(),
                    written: Some("notificare în cabinet".into()),
                    remark: None,
                },
                crate::extract::Note {
                    item: "system_name",
                    value: "Registrul".into(),
                    written: None,
                    remark: Some("RAL".into()),
                },
            ],
            ..Extraction::default()
        };
        let details: Vec<(String, Value)> = materials(&ex)
            .into_iter()
            .map(|(kind, value, detail)| (format!("{}:{value}", kind.as_str()), detail))
            .collect();
        assert_eq!(
            details,
            [
                ("system_name:Registrul".into(), json!({ "remark": "RAL" })),
                ("channel:email".into(), json!({})),
                (
                    "channel:cabinet".into(),
                    json!({ "written": "notificare în cabinet" })
                ),
            ]
        );
    }

    #[test]
    fn reply_prefixes_are_removed_from_subjects() {
        assert_eq!(clean_subject("RE: Fwd: re: MPass"), "MPass");
        assert_eq!(clean_subject("Ответ: MPass"), "MPass");
        assert_eq!(clean_subject("Conectare"), "Conectare");
    }
}
