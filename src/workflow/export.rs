//! `case export`: one zip with everything a case rests on — the raw messages filed on it,
//! the parsed items, the audit trail (confirmations included) and every mail sent for it.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::json;
use sqlx::{Row, SqliteConnection};
use zip::write::SimpleFileOptions;

use super::{audit, cases};

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
    let tokens = sqlx::query(
        "SELECT id, version, recipients, issued_at, expires_at, used_at, used_by FROM command_tokens
         WHERE case_id = ? ORDER BY id",
    )
    .bind(case.id)
    .fetch_all(&mut *conn)
    .await
    .context("reading the case's tokens")?;
    // Messages filed on the case, and those its events name (an operator's reply).
    let messages = sqlx::query(
        "SELECT m.id, m.message_id, m.received_at, m.state, m.outcome, b.raw
         FROM messages m JOIN message_bodies b ON b.message_id = m.id
         WHERE m.case_id = ? OR m.id IN (SELECT message_id FROM case_events WHERE case_id = ?)
         ORDER BY m.id",
    )
    .bind(case.id)
    .bind(case.id)
    .fetch_all(&mut *conn)
    .await
    .context("reading the case's messages")?;
    let outgoing = sqlx::query(
        "SELECT o.id, o.purpose, o.recipients, o.subject, o.state, o.created_at, o.sent_at,
                o.server_reply, o.bounced_at, o.bounce_detail, o.message_id, b.raw
         FROM outbox o JOIN outbox_bodies b ON b.outbox_id = o.id
         WHERE o.case_id = ? ORDER BY o.id",
    )
    .bind(case.id)
    .fetch_all(&mut *conn)
    .await
    .context("reading the case's mail")?;

    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    let options = SimpleFileOptions::default();
    let mut put = |name: &str, bytes: &[u8]| -> Result<()> {
        zip.start_file(name, options)
            .with_context(|| format!("writing {name}"))?;
        zip.write_all(bytes)
            .with_context(|| format!("writing {name}"))?;
        Ok(())
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
    put(
        "case.json",
        serde_json::to_string_pretty(&case_json)?.as_bytes(),
    )?;
    put(
        "timeline.json",
        serde_json::to_string_pretty(&events)?.as_bytes(),
    )?;
    let tokens: Vec<_> = tokens
        .iter()
        .map(|r| json!({
            "id": r.get::<i64, _>(0), "version": r.get::<i64, _>(1),
            "recipients": serde_json::from_str::<serde_json::Value>(r.get(2)).unwrap_or_default(),
            "issued_at": r.get::<String, _>(3), "expires_at": r.get::<String, _>(4),
            "used_at": r.get::<Option<String>, _>(5), "used_by_message": r.get::<Option<i64>, _>(6),
        }))
        .collect();
    put(
        "tokens.json",
        serde_json::to_string_pretty(&tokens)?.as_bytes(),
    )?;
    let mut index = Vec::new();
    for m in &messages {
        let id: i64 = m.get(0);
        put(&format!("received/{id:06}.eml"), m.get::<&[u8], _>(5))?;
        index.push(json!({
            "file": format!("received/{id:06}.eml"), "message_id": m.get::<Option<String>, _>(1),
            "received_at": m.get::<String, _>(2), "state": m.get::<String, _>(3),
            "outcome": m.get::<Option<String>, _>(4),
        }));
    }
    put(
        "received/index.json",
        serde_json::to_string_pretty(&index)?.as_bytes(),
    )?;
    let mut index = Vec::new();
    for m in &outgoing {
        let id: i64 = m.get(0);
        put(&format!("sent/{id:06}.eml"), m.get::<&[u8], _>(11))?;
        index.push(json!({
            "file": format!("sent/{id:06}.eml"), "purpose": m.get::<String, _>(1),
            "recipients": serde_json::from_str::<serde_json::Value>(m.get(2)).unwrap_or_default(),
            "subject": m.get::<String, _>(3), "state": m.get::<String, _>(4),
            "created_at": m.get::<String, _>(5), "sent_at": m.get::<Option<String>, _>(6),
            "server_reply": m.get::<Option<String>, _>(7), "bounced_at": m.get::<Option<String>, _>(8),
            "bounce_detail": m.get::<Option<String>, _>(9), "message_id": m.get::<String, _>(10),
        }));
    }
    put(
        "sent/index.json",
        serde_json::to_string_pretty(&index)?.as_bytes(),
    )?;
    zip.finish().context("finishing the bundle")?;
    Ok(Exported {
        messages: messages.len(),
        sent: outgoing.len(),
        events: events.len(),
    })
}
