//! What a message carries, as items ready to file: the extraction turned into the values
//! and details `filing` writes on a case.

use serde_json::{json, Value};

use crate::domain::ItemKind;
use crate::extract::Extraction;

/// An item a message carries, ready to file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Material {
    /// What it is.
    pub kind: ItemKind,
    /// Its value as filed.
    pub value: String,
    /// What else is known of it (certificate fields, address class, how it was written…).
    pub detail: Value,
}

/// The items a message carries, ready to file, in filing order.
pub(crate) fn materials(ex: &Extraction) -> Vec<Material> {
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
    out.into_iter()
        .map(|(kind, value, mut detail)| {
            add_note(ex, kind, &value, &mut detail);
            Material {
                kind,
                value,
                detail,
            }
        })
        .collect()
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
            .map(|m| (format!("{}:{}", m.kind.as_str(), m.value), m.detail))
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
}
