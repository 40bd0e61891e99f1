//! A first mail asking for several platforms at once ("Dorim să conectăm sistemul la MPass
//! și MSign"): one case per platform — the sender's open one, or a new one —, each given
//! the materials that platform asks for, and one answer naming every case.

use anyhow::Result;
use sqlx::SqliteConnection;
use tracing::Instrument;

use super::super::cases;
use super::super::filing::{file, Filing};
use super::super::outcome::Outcome;
use super::super::received::{new_case_from, processed, update_operators, Incoming};
use super::super::requirements::ServiceRules;
use super::super::{guards, mail, Handled, Workflow};
use crate::domain::ItemKind;
use crate::extract::{Attributes, Extraction};
use crate::matching::{MatchedBy, Target};

/// Files the message on the case of each platform it names, answers the sender once and
/// sends the operators each case's update with its own token.
pub(in crate::workflow) async fn file_on_each(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    mail: &Incoming<'_>,
    targets: &[Target],
) -> Result<Handled> {
    let mut filings: Vec<Filing> = Vec::new();
    for target in targets {
        filings.push(file_for(conn, wf, mail, *target).await?);
    }
    let (message, parsed, ex) = (mail.message, mail.parsed, mail.ex);
    let replied = guards::may_reply(conn, wf, message, &mail.sender).await?;
    if replied {
        let ack = mail::beneficiary::acknowledgement_several(wf, message, parsed, ex, &filings);
        wf.composer.enqueue(conn, ack).await?;
    }
    // Every case is filed before any token is issued: each names its case as this
    // transaction leaves it.
    for filing in &filings {
        let by = MatchedBy::SeveralPlatforms;
        update_operators(conn, wf, mail, filing, by, replied).await?;
    }
    let filed = filings
        .iter()
        .map(|f| (f.case.reference.clone(), f.new_items.len()))
        .collect();
    let outcome = Outcome::Several { filed, replied };
    // The message belongs to no single case: a reply in its thread is matched by what it
    // names, not sent to the first case.
    processed(conn, mail, outcome, None).await
}

/// Files what one platform asks for on its case: the sender's open one, or a new one
/// (opened before its filing is decided, as the answer names its reference).
async fn file_for(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    mail: &Incoming<'_>,
    target: Target,
) -> Result<Filing> {
    let (case, new_case) = match target {
        Target::Case(id) => (cases::by_id(conn, id).await?, false),
        Target::New(service) => {
            let case = cases::open(conn, &new_case_from(&mail.sender, mail.ex, service)).await?;
            tracing::info!(case = %case.reference, %service, "case opened from a request for several platforms");
            (case, true)
        }
    };
    let materials = for_platform(mail.ex, wf.requirements.of(case.service));
    let (id, sender) = (mail.message.id, mail.sender.as_str());
    let span = tracing::info_span!("case", case = %case.reference);
    file(conn, wf, case, new_case, id, sender, &materials)
        .instrument(span)
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
