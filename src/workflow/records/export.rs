//! `case export`: one zip with everything a case rests on — the raw messages filed on it,
//! the parsed items, the audit trail (confirmations included) and every mail sent for it.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::json;
use sqlx::SqliteConnection;
use zip::write::SimpleFileOptions;

use super::super::{audit, cases, tokens};
use crate::{ledger, outbox};

/// What went into a bundle.
#[derive(Debug, Default, Clone, Copy)]
pub struct Exported {
    /// Messages received.
    pub messages: usize,
    /// Mails sent (or queued).
    pub sent: usize,
    /// Timeline entries.
    pub events: usize,
}

/// Writes the evidence bundle of `case` to `path` (a new zip file).
pub async fn write(
    conn: &mut SqliteConnection,
    case: &cases::Case,
    path: &Path,
) -> Result<Exported> {
    let items = cases::items(conn, case.id).await?;
    let events = audit::timeline(conn, case.id).await?;
    let tokens = tokens::of_case(conn, case.id).await?;
    // Messages filed on the case, and those its events name (an operator's reply).
    let named: Vec<i64> = events.iter().filter_map(|e| e.message).collect();
    let received = ledger::of_case_with_bytes(conn, case.id, &named).await?;
    let sent = outbox::of_case_with_bytes(conn, case.id).await?;
    let exported = Exported {
        messages: received.len(),
        sent: sent.len(),
        events: events.len(),
    };

    let case_json = json!({
        "reference": case.reference.to_string(), "service": case.service.key(),
        "institution": case.institution, "contact": case.contact.as_str(),
        "system_name": case.system_name, "language": case.language.map(crate::domain::Language::code),
        "step": case.step.as_str(), "version": case.version, "opened_at": case.opened_at,
        "step_since": case.step_since, "materials_complete_at": case.materials_complete_at,
        "renews_serial": case.renews_serial, "exported_at": crate::db::now(),
        "items": items,
    });
    let tokens: Vec<_> = tokens
        .iter()
        .map(|t| {
            json!({
                "id": t.id, "version": t.version, "recipients": json_or_null(&t.recipients),
                "issued_at": t.issued_at, "expires_at": t.expires_at,
                "used_at": t.used_at, "used_by_message": t.used_by,
            })
        })
        .collect();
    let mut files = vec![
        ("case.json".to_string(), pretty(&case_json)?),
        ("timeline.json".to_string(), pretty(&events)?),
        ("tokens.json".to_string(), pretty(&tokens)?),
    ];
    let mut index = Vec::new();
    for m in received {
        let file = format!("received/{:06}.eml", m.id);
        index.push(json!({
            "file": file, "message_id": m.message_id, "received_at": m.received_at,
            "state": m.state, "outcome": m.outcome,
        }));
        files.push((file, m.raw));
    }
    files.push(("received/index.json".to_string(), pretty(&index)?));
    let mut index = Vec::new();
    for m in sent {
        let file = format!("sent/{:06}.eml", m.id);
        index.push(json!({
            "file": file, "purpose": m.purpose, "recipients": json_or_null(&m.recipients),
            "subject": m.subject, "state": m.state, "created_at": m.created_at,
            "sent_at": m.sent_at, "server_reply": m.server_reply, "bounced_at": m.bounced_at,
            "bounce_detail": m.bounce_detail, "message_id": m.message_id,
        }));
        files.push((file, m.raw));
    }
    files.push(("sent/index.json".to_string(), pretty(&index)?));
    // Writing a zip is blocking file work: off the async threads.
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || write_zip(&path, &files))
        .await
        .context("writing the bundle")??;
    Ok(exported)
}

/// Writes `files` (name, bytes), in order, into a new zip at `path`.
fn write_zip(path: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    let options = SimpleFileOptions::default();
    for (name, bytes) in files {
        zip.start_file(name.as_str(), options)
            .with_context(|| format!("writing {name}"))?;
        zip.write_all(bytes)
            .with_context(|| format!("writing {name}"))?;
    }
    zip.finish().context("finishing the bundle")?;
    Ok(())
}

fn pretty(value: &impl serde::Serialize) -> Result<Vec<u8>> {
    Ok(serde_json::to_string_pretty(value)?.into_bytes())
}

/// A stored JSON column as a value (null if it does not read, as the bundle always had it).
fn json_or_null(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_default()
}
