//! A first mail asking for several platforms at once ("Dorim să conectăm sistemul la MPass
//! și MSign"): one case per platform — the sender's open one, or a new one —, each given
//! the materials that platform asks for, and one answer naming every case.

use anyhow::{Context, Result};
use sqlx::SqliteConnection;

use super::cases::{self, Case};
use super::filing::{file, Filing};
use super::requirements::ServiceRules;
use super::{
    finish, guards, mail, new_case_from, update_operators, Handled, Workflow, REPLY_WITHHELD,
};
use crate::domain::ItemKind;
use crate::extract::{Attributes, Extraction};
use crate::ledger::{LedgerMessage, MessageState};
use crate::matching::{MatchedBy, Target};
use crate::parse::ParsedMessage;

/// Files the message on the case of each platform it names, answers the sender once and
/// sends the operators each case's update with its own token.
pub(super) async fn file_on_each(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    message: &LedgerMessage,
    parsed: &ParsedMessage,
    ex: &Extraction,
    targets: &[Target],
) -> Result<Handled> {
    let sender = parsed
        .from
        .clone()
        .context("parsed message without sender")?;
    let mut filings: Vec<Filing> = Vec::new();
    for target in targets {
        let (case, new_case): (Case, bool) = match target {
            Target::Case(id) => (cases::by_id(conn, *id).await?, false),
            Target::New(service) => {
                let case = cases::open(conn, &new_case_from(&sender, ex, *service)).await?;
                tracing::info!(ledger_id = message.id, case = %case.reference, %service, "case opened from a request for several platforms");
                (case, true)
            }
        };
        let materials = for_platform(ex, wf.requirements.of(case.service));
        filings.push(
            file(
                conn,
                wf,
                case,
                new_case,
                message.id,
                sender.as_str(),
                &materials,
            )
            .await?,
        );
    }
    let replied = guards::may_reply(conn, wf, message, &sender).await?;
    if replied {
        let ack = mail::beneficiary::acknowledgement_several(wf, message, parsed, ex, &filings);
        wf.composer.enqueue(conn, ack).await?;
    }
    // Every case is filed before any token is issued: each names its case as this
    // transaction leaves it.
    for filing in &filings {
        let by = MatchedBy::SeveralPlatforms;
        update_operators(conn, wf, message, parsed, ex, filing, by, replied).await?;
    }
    let filed: Vec<String> = filings
        .iter()
        .map(|f| format!("{} ({} new item(s))", f.case.reference, f.new_items.len()))
        .collect();
    let mut outcome = format!("several platforms, filed on {}", filed.join(", "));
    if !replied {
        outcome.push_str(REPLY_WITHHELD);
    }
    // The message belongs to no single case: a reply in its thread is matched by what it
    // names, not sent to the first case.
    let language = ex.language.map(|l| l.code());
    finish(
        conn,
        message.id,
        MessageState::Processed,
        &outcome,
        None,
        language,
    )
    .await
}

/// The part of `ex` a platform asks for: MSign is not given MPass's attributes, MPower
/// nothing but its mode. Problems stay: they are about what was sent.
fn for_platform(ex: &Extraction, rules: &ServiceRules) -> Extraction {
    let uses = |kind| rules.uses(kind);
    let mut narrowed = ex.clone();
    if !uses(ItemKind::Certificate) {
        narrowed.certificates.clear();
        narrowed.serials.clear();
    }
    if !uses(ItemKind::SystemName) {
        narrowed.system_name = None;
    }
    if !uses(ItemKind::PublicIp) {
        narrowed.public_ips.clear();
    }
    if !uses(ItemKind::Url) {
        narrowed.urls.clear();
    }
    if !uses(ItemKind::Attribute) {
        narrowed.attributes = Attributes::default();
    }
    if !uses(ItemKind::EventType) {
        narrowed.event_types.clear();
    }
    if !uses(ItemKind::Channel) {
        narrowed.channels.clear();
    }
    if !uses(ItemKind::DocumentType) {
        narrowed.document_types.clear();
    }
    if !uses(ItemKind::Mode) {
        narrowed.mpower_mode = None;
    }
    narrowed
}
