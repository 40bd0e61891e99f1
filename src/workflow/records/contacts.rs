//! The `case_contacts` table: addresses besides a case's contact whose mail is filed on the
//! case. An address is added only by an operator (ACCEPT on a held message, or the CLI);
//! writing with a case's tag or in its thread adds nobody.

use anyhow::{Context, Result};
use sqlx::SqliteConnection;

use super::super::audit::Actor;
use super::super::cases::Case;
use crate::db::now;
use crate::domain::EmailAddress;

/// Whether mail from `address` is filed on `case`: its contact, or an address accepted for it.
pub async fn trusts(
    conn: &mut SqliteConnection,
    case: &Case,
    address: &EmailAddress,
) -> Result<bool> {
    if case.contact == *address {
        return Ok(true);
    }
    let found: Option<i64> =
        sqlx::query_scalar("SELECT case_id FROM case_contacts WHERE case_id = ? AND address = ?")
            .bind(case.id)
            .bind(address.as_str())
            .fetch_optional(&mut *conn)
            .await
            .context("looking up a case's contacts")?;
    Ok(found.is_some())
}

/// Row ids of the cases `address` was accepted for (besides those it is the contact of).
pub async fn cases_of(conn: &mut SqliteConnection, address: &EmailAddress) -> Result<Vec<i64>> {
    sqlx::query_scalar("SELECT case_id FROM case_contacts WHERE address = ? ORDER BY case_id DESC")
        .bind(address.as_str())
        .fetch_all(&mut *conn)
        .await
        .context("looking up the cases of a contact")
}

/// Adds `address` to the case's contacts; false when it already was one.
pub async fn add(
    conn: &mut SqliteConnection,
    case_id: i64,
    address: &EmailAddress,
    by: &Actor,
    message: Option<i64>,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO case_contacts (case_id, address, added_at, added_by, message_id)
         VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    )
    .bind(case_id)
    .bind(address.as_str())
    .bind(now())
    .bind(by.as_string())
    .bind(message)
    .execute(&mut *conn)
    .await
    .context("adding a contact to a case")?;
    Ok(done.rows_affected() == 1)
}

/// The addresses accepted for a case, oldest first (the contact itself not included).
pub async fn of_case(conn: &mut SqliteConnection, case_id: i64) -> Result<Vec<String>> {
    sqlx::query_scalar("SELECT address FROM case_contacts WHERE case_id = ? ORDER BY added_at")
        .bind(case_id)
        .fetch_all(&mut *conn)
        .await
        .context("reading a case's contacts")
}
