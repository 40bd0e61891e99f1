//! The case records: opening cases (`cases`, `case_sequences`), moving steps, the version
//! every recorded change bumps; the items filed on them (`case_items`) are in [`items`].

mod items;

pub use items::{
    confirmed_certificates, expiring_certificates, file_item, items, set_status_of, Expiring, Item,
    ItemStatus,
};

use anyhow::{Context, Result};
use chrono::Datelike;
use sqlx::SqliteConnection;

use super::super::step::Step;
use crate::db::now;
use crate::domain::{CaseRef, EmailAddress, Language, Service};

/// A case as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
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
     opened_at, updated_at, version, coalesce(step_since, opened_at) AS step_since,
     materials_complete_at, renews_serial";

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
    sqlx::query_as(&format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = ?"))
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .with_context(|| format!("reading case {id}"))
}

/// The case with this reference, if any.
pub async fn by_reference(
    conn: &mut SqliteConnection,
    reference: &CaseRef,
) -> Result<Option<Case>> {
    sqlx::query_as(&format!(
        "SELECT {CASE_COLUMNS} FROM cases WHERE reference = ?"
    ))
    .bind(reference.to_string())
    .fetch_optional(&mut *conn)
    .await
    .context("looking up a case reference")
}

/// Every case whose contact is `contact`, newest first.
pub async fn by_contact(conn: &mut SqliteConnection, contact: &EmailAddress) -> Result<Vec<Case>> {
    sqlx::query_as(&format!(
        "SELECT {CASE_COLUMNS} FROM cases WHERE contact = ? ORDER BY id DESC"
    ))
    .bind(contact.as_str())
    .fetch_all(&mut *conn)
    .await
    .context("looking up a sender's cases")
}

/// Every case, oldest first.
pub async fn all(conn: &mut SqliteConnection) -> Result<Vec<Case>> {
    sqlx::query_as(&format!("SELECT {CASE_COLUMNS} FROM cases ORDER BY id"))
        .fetch_all(&mut *conn)
        .await
        .context("listing cases")
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
    sqlx::query_as(&format!(
        "SELECT {CASE_COLUMNS} FROM cases WHERE step NOT IN ('completed', 'closed') ORDER BY id"
    ))
    .fetch_all(&mut *conn)
    .await
    .context("listing open cases")
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

/// Bumps the case's version (in the caller's transaction): every recorded change does, so an
/// operator's token names exactly the data they saw.
pub async fn bump_version(conn: &mut SqliteConnection, case_id: i64) -> Result<()> {
    sqlx::query("UPDATE cases SET version = version + 1, updated_at = ? WHERE id = ?")
        .bind(now())
        .bind(case_id)
        .execute(&mut *conn)
        .await
        .context("bumping a case's version")?;
    Ok(())
}

/// The case opened to renew `serial` for `contact`, if one was.
pub async fn renewal_of(
    conn: &mut SqliteConnection,
    serial: &str,
    contact: &EmailAddress,
) -> Result<Option<Case>> {
    sqlx::query_as(&format!(
        "SELECT {CASE_COLUMNS} FROM cases WHERE renews_serial = ? AND contact = ? ORDER BY id LIMIT 1"
    ))
    .bind(serial)
    .bind(contact.as_str())
    .fetch_optional(&mut *conn)
    .await
    .context("looking for a renewal case")
}
