//! The one place a decided [`CasePlan`] is written: every change of one decision, in
//! order, through the owners of the tables it touches. The caller holds the savepoint that
//! makes the plan, its mail and the message's outcome one unit.

use anyhow::Result;
use sqlx::SqliteConnection;

use super::audit;
use super::cases;
use super::plan::{CasePlan, Change};

/// Writes `plan`'s changes to its case, in order.
pub async fn apply(conn: &mut SqliteConnection, plan: &CasePlan) -> Result<()> {
    let case = plan.case_id;
    for change in &plan.changes {
        match change {
            Change::MailReceived { at } => cases::record_mail(conn, case, at).await?,
            Change::File {
                kind,
                value,
                detail,
                status,
            } => {
                cases::file_item(conn, case, *kind, value, detail, *status, plan.cause).await?;
            }
            Change::Status {
                kind,
                value,
                status,
            } => cases::set_status_of(conn, case, *kind, value, *status).await?,
            Change::Step { to, .. } => cases::set_step(conn, case, *to).await?,
            Change::SystemName {
                name,
                only_if_missing: true,
            } => cases::set_system_name_if_missing(conn, case, name).await?,
            Change::SystemName { name, .. } => cases::set_system_name(conn, case, name).await?,
            Change::Language(language) => cases::set_language(conn, case, *language).await?,
            Change::Event {
                kind,
                detail,
                counts: true,
            } => audit::record(conn, case, &plan.actor, plan.cause, *kind, detail.clone()).await?,
            Change::Event { kind, detail, .. } => {
                audit::note(conn, case, &plan.actor, plan.cause, *kind, detail.clone()).await?
            }
        }
    }
    Ok(())
}
