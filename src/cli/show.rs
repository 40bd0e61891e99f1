//! How a case is printed at the terminal (and as JSON): its items, what it still needs, its
//! contacts and held messages, its timeline.

use serde_json::json;

use crate::domain::Language;
use crate::workflow::{self, audit, cases};

pub(super) fn case_json(c: &cases::Case) -> serde_json::Value {
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

pub(super) fn print_case(
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

pub(super) fn print_trust(contacts: &[String], held: &[workflow::holds::Held]) {
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

pub(super) fn print_timeline(events: &[audit::Event]) {
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
