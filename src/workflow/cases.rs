//! The `cases` and `case_items` tables: opening cases, filing items, moving steps.

use anyhow::{Context, Result};
use chrono::Datelike;
use serde::Serialize;
use sqlx::{Row, SqliteConnection};

use super::step::Step;
use crate::db::now;
use crate::domain::ItemKind;
use crate::domain::{CaseRef, EmailAddress, Language, Service};

/// A case as stored.
#[derive(Debug, Clone)]
pub struct Case {
    /// Row id.
    pub id: i64,
    /// Reference shown to people.
    pub reference: CaseRef,
    /// Platform.
    pub service: Service,
    /// Institution's name.
    pub institution: String,
    /// The beneficiary's contact address.
    pub contact: EmailAddress,
    /// The information system's name, once known.
    pub system_name: Option<String>,
    /// The language its beneficiary last wrote in; `None` until they write to a case an
    /// operator opened without naming one.
    pub language: Option<Language>,
    /// Where it stands.
    pub step: Step,
    /// When it was opened.
    pub opened_at: String,
    /// When it last changed.
    pub updated_at: String,
    /// Bumped by every change; operator tokens name it.
    pub version: i64,
    /// When it entered its current step.
    pub step_since: String,
    /// When its materials were first complete (the 7-working-day clock).
    pub materials_complete_at: Option<String>,
    /// The certificate serial this case renews, for cases the expiry watch opened.
    pub renews_serial: Option<String>,
}

impl Case {
    /// The language mail to the beneficiary is written in: theirs, or `default` until known.
    pub fn speaks(&self, default: Language) -> Language {
        self.language.unwrap_or(default)
    }
}

/// How far an item has been checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Read from mail, not yet checked by an operator.
    Parsed,
    /// Confirmed by an operator.
    Confirmed,
    /// Rejected by an operator.
    Rejected,
}

/// An item filed on a case.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    /// Row id.
    #[serde(skip)]
    pub id: i64,
    /// What it is.
    pub kind: ItemKind,
    /// Its value (a certificate's serial in hex, an address, a name).
    pub value: String,
    /// How far it has been checked.
    pub status: ItemStatus,
    /// Details (certificate subject and validity, address class...).
    pub detail: serde_json::Value,
    /// When it was filed.
    pub created_at: String,
}

/// What is needed to open a case.
#[derive(Debug, Clone)]
pub struct NewCase {
    /// Platform.
    pub service: Service,
    /// Institution's name.
    pub institution: String,
    /// Contact address.
    pub contact: EmailAddress,
    /// System name, if known.
    pub system_name: Option<String>,
    /// The beneficiary's language, when known.
    pub language: Option<Language>,
    /// The serial of the certificate it renews, if opened for a renewal.
    pub renews_serial: Option<String>,
}

const CASE_COLUMNS: &str =
    "id, reference, service, institution, contact, system_name, language, step,
     opened_at, updated_at, version, coalesce(step_since, opened_at), materials_complete_at,
     renews_serial";

fn case_of(row: &sqlx::sqlite::SqliteRow) -> Result<Case> {
    Ok(Case {
        id: row.get(0),
        reference: row.get::<&str, _>(1).parse()?,
        service: row.get::<&str, _>(2).parse()?,
        institution: row.get(3),
        contact: row.get::<&str, _>(4).parse()?,
        system_name: row.get(5),
        language: row.get::<Option<&str>, _>(6).map(str::parse).transpose()?,
        step: row.get::<&str, _>(7).parse()?,
        opened_at: row.get(8),
        updated_at: row.get(9),
        version: row.get(10),
        step_since: row.get(11),
        materials_complete_at: row.get(12),
        renews_serial: row.get(13),
    })
}

/// Opens a case with the next reference of the current year.
pub async fn open(conn: &mut SqliteConnection, new: &NewCase) -> Result<Case> {
    let year = crate::clock::now().year();
    let sequence: i64 = sqlx::query_scalar(
        "INSERT INTO case_sequences (year, last) VALUES (?, 1)
         ON CONFLICT (year) DO UPDATE SET last = last + 1
         RETURNING last",
    )
    .bind(year)
    .fetch_one(&mut *conn)
    .await
    .context("allocating a case reference")?;
    let reference = CaseRef::issue(
        u16::try_from(year).context("year out of range")?,
        u32::try_from(sequence).context("case sequence out of range")?,
    );
    let stamp = now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO cases (reference, service, institution, contact, system_name, language, step,
                            opened_at, updated_at, step_since, renews_serial)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(reference.to_string())
    .bind(new.service.key())
    .bind(&new.institution)
    .bind(new.contact.as_str())
    .bind(&new.system_name)
    .bind(new.language.map(Language::code))
    .bind(Step::INITIAL.as_str())
    .bind(&stamp)
    .bind(&stamp)
    .bind(&stamp)
    .bind(&new.renews_serial)
    .fetch_one(&mut *conn)
    .await
    .context("opening a case")?;
    by_id(conn, id).await
}

/// The case with row id `id`.
pub async fn by_id(conn: &mut SqliteConnection, id: i64) -> Result<Case> {
    let row = sqlx::query(&format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = ?"))
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .with_context(|| format!("reading case {id}"))?;
    case_of(&row)
}

/// The case with this reference, if any.
pub async fn by_reference(
    conn: &mut SqliteConnection,
    reference: &CaseRef,
) -> Result<Option<Case>> {
    let row = sqlx::query(&format!(
        "SELECT {CASE_COLUMNS} FROM cases WHERE reference = ?"
    ))
    .bind(reference.to_string())
    .fetch_optional(&mut *conn)
    .await
    .context("looking up a case reference")?;
    row.as_ref().map(case_of).transpose()
}

/// Every case whose contact is `contact`, newest first.
pub async fn by_contact(conn: &mut SqliteConnection, contact: &EmailAddress) -> Result<Vec<Case>> {
    let rows = sqlx::query(&format!(
        "SELECT {CASE_COLUMNS} FROM cases WHERE contact = ? ORDER BY id DESC"
    ))
    .bind(contact.as_str())
    .fetch_all(&mut *conn)
    .await
    .context("looking up a sender's cases")?;
    rows.iter().map(case_of).collect()
}

/// Every case, oldest first.
pub async fn all(conn: &mut SqliteConnection) -> Result<Vec<Case>> {
    let rows = sqlx::query(&format!("SELECT {CASE_COLUMNS} FROM cases ORDER BY id"))
        .fetch_all(&mut *conn)
        .await
        .context("listing cases")?;
    rows.iter().map(case_of).collect()
}

impl ItemStatus {
    /// The stable name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Parsed => "parsed",
            ItemStatus::Confirmed => "confirmed",
            ItemStatus::Rejected => "rejected",
        }
    }
}

/// Files an item; returns false when the case already had it.
pub async fn file_item(
    conn: &mut SqliteConnection,
    case_id: i64,
    kind: ItemKind,
    value: &str,
    detail: &serde_json::Value,
    status: ItemStatus,
    message: Option<i64>,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO case_items (case_id, kind, value, detail, status, message_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (case_id, kind, value) DO NOTHING",
    )
    .bind(case_id)
    .bind(kind.as_str())
    .bind(value)
    .bind(detail.to_string())
    .bind(status.as_str())
    .bind(message)
    .bind(now())
    .execute(&mut *conn)
    .await
    .context("filing an item")?;
    Ok(done.rows_affected() == 1)
}

/// The items of a case, in filing order.
pub async fn items(conn: &mut SqliteConnection, case_id: i64) -> Result<Vec<Item>> {
    let rows = sqlx::query(
        "SELECT kind, value, status, detail, created_at, id FROM case_items WHERE case_id = ? ORDER BY id",
    )
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await
    .context("reading a case's items")?;
    rows.iter()
        .map(|r| {
            Ok(Item {
                id: r.get(5),
                kind: r.get::<&str, _>(0).parse()?,
                value: r.get(1),
                status: match r.get::<&str, _>(2) {
                    "confirmed" => ItemStatus::Confirmed,
                    "rejected" => ItemStatus::Rejected,
                    _ => ItemStatus::Parsed,
                },
                detail: serde_json::from_str(r.get(3)).unwrap_or_default(),
                created_at: r.get(4),
            })
        })
        .collect()
}

/// Moves a case to `step` (the caller has checked the transition); entering materials
/// review starts the 7-working-day clock.
pub async fn set_step(conn: &mut SqliteConnection, case_id: i64, step: Step) -> Result<()> {
    let stamp = now();
    sqlx::query(
        "UPDATE cases SET step = ?, updated_at = ?, step_since = ?,
                materials_complete_at = CASE WHEN ? THEN ? ELSE materials_complete_at END
         WHERE id = ?",
    )
    .bind(step.as_str())
    .bind(&stamp)
    .bind(&stamp)
    .bind(step == Step::MaterialsReview)
    .bind(&stamp)
    .bind(case_id)
    .execute(&mut *conn)
    .await
    .context("moving a case")?;
    Ok(())
}

/// Sets an item's status (an operator's confirmation or rejection).
pub async fn set_item_status(
    conn: &mut SqliteConnection,
    item_id: i64,
    status: ItemStatus,
) -> Result<()> {
    sqlx::query("UPDATE case_items SET status = ? WHERE id = ?")
        .bind(status.as_str())
        .bind(item_id)
        .execute(&mut *conn)
        .await
        .context("changing an item's status")?;
    Ok(())
}

/// Replaces an item's details (e.g. what a serial number was found to be).
pub async fn set_item_detail(
    conn: &mut SqliteConnection,
    case_id: i64,
    kind: ItemKind,
    value: &str,
    detail: &serde_json::Value,
) -> Result<()> {
    sqlx::query("UPDATE case_items SET detail = ? WHERE case_id = ? AND kind = ? AND value = ?")
        .bind(detail.to_string())
        .bind(case_id)
        .bind(kind.as_str())
        .bind(value)
        .execute(&mut *conn)
        .await
        .context("updating an item's details")?;
    Ok(())
}

/// Sets the system name (an operator's correction).
pub async fn set_system_name(conn: &mut SqliteConnection, case_id: i64, name: &str) -> Result<()> {
    sqlx::query("UPDATE cases SET system_name = ?, updated_at = ? WHERE id = ?")
        .bind(name)
        .bind(now())
        .bind(case_id)
        .execute(&mut *conn)
        .await
        .context("recording the system name")?;
    Ok(())
}

/// Records the language the case's beneficiary last wrote in.
pub async fn set_language(
    conn: &mut SqliteConnection,
    case_id: i64,
    language: Language,
) -> Result<()> {
    sqlx::query("UPDATE cases SET language = ?, updated_at = ? WHERE id = ?")
        .bind(language.code())
        .bind(now())
        .bind(case_id)
        .execute(&mut *conn)
        .await
        .context("recording the case's language")?;
    Ok(())
}

/// Every open case, oldest first.
pub async fn open_cases(conn: &mut SqliteConnection) -> Result<Vec<Case>> {
    let rows = sqlx::query(&format!(
        "SELECT {CASE_COLUMNS} FROM cases WHERE step NOT IN ('completed', 'closed') ORDER BY id"
    ))
    .fetch_all(&mut *conn)
    .await
    .context("listing open cases")?;
    rows.iter().map(case_of).collect()
}

/// Confirmed certificates whose serial is `serial`, with the case holding each.
pub async fn confirmed_certificates(
    conn: &mut SqliteConnection,
    serial: &str,
) -> Result<Vec<(Case, Item)>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT case_id FROM case_items WHERE kind = 'certificate' AND value = ? AND status = 'confirmed'
         ORDER BY id DESC",
    )
    .bind(serial)
    .fetch_all(&mut *conn)
    .await
    .context("looking up a serial number")?;
    let mut out = Vec::new();
    for id in ids {
        let case = by_id(conn, id).await?;
        let item = items(conn, id)
            .await?
            .into_iter()
            .find(|i| i.kind == ItemKind::Certificate && i.value == serial);
        if let Some(item) = item {
            out.push((case, item));
        }
    }
    Ok(out)
}

/// When the last mail filed on the case arrived.
pub async fn last_mail_at(conn: &mut SqliteConnection, case_id: i64) -> Result<Option<String>> {
    sqlx::query_scalar("SELECT last_mail_at FROM cases WHERE id = ?")
        .bind(case_id)
        .fetch_one(&mut *conn)
        .await
        .context("reading a case's last mail")
}

/// Records that a mail received at `received_at` was filed on the case (the latest counts).
pub async fn record_mail(
    conn: &mut SqliteConnection,
    case_id: i64,
    received_at: &str,
) -> Result<()> {
    sqlx::query("UPDATE cases SET last_mail_at = max(coalesce(last_mail_at, ''), ?) WHERE id = ?")
        .bind(received_at)
        .bind(case_id)
        .execute(&mut *conn)
        .await
        .context("recording a case's last mail")?;
    Ok(())
}

/// Records the system name on the case when it had none.
pub async fn set_system_name_if_missing(
    conn: &mut SqliteConnection,
    case_id: i64,
    name: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE cases SET system_name = ?, updated_at = ? WHERE id = ? AND system_name IS NULL",
    )
    .bind(name)
    .bind(now())
    .bind(case_id)
    .execute(&mut *conn)
    .await
    .context("recording the system name")?;
    Ok(())
}

/// Sets the status of the case's item of this kind and value.
pub async fn set_status_of(
    conn: &mut SqliteConnection,
    case_id: i64,
    kind: ItemKind,
    value: &str,
    status: ItemStatus,
) -> Result<()> {
    sqlx::query("UPDATE case_items SET status = ? WHERE case_id = ? AND kind = ? AND value = ?")
        .bind(status.as_str())
        .bind(case_id)
        .bind(kind.as_str())
        .bind(value)
        .execute(&mut *conn)
        .await
        .context("changing an item's status")?;
    Ok(())
}
