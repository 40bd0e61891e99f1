//! The `case_items` table: the materials filed on a case and how far each was checked.

use anyhow::{Context, Result};
use sqlx::SqliteConnection;

use super::{by_id, Case};
use crate::db::now;
use crate::domain::ItemKind;

/// How far an item has been checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemStatus {
    /// Read from mail, not yet checked by an operator.
    Parsed,
    /// Confirmed by an operator.
    Confirmed,
    /// Rejected by an operator.
    Rejected,
}

crate::db::stored_names!(ItemStatus {
    Parsed => "parsed",
    Confirmed => "confirmed",
    Rejected => "rejected",
});

/// An item filed on a case.
#[derive(Debug, Clone, serde::Serialize)]
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
    .bind(kind)
    .bind(value)
    .bind(detail.to_string())
    .bind(status)
    .bind(message)
    .bind(now())
    .execute(&mut *conn)
    .await
    .context("filing an item")?;
    Ok(done.rows_affected() == 1)
}

/// A `case_items` row as read.
#[derive(sqlx::FromRow)]
struct ItemRow {
    id: i64,
    kind: ItemKind,
    value: String,
    status: ItemStatus,
    detail: String,
    created_at: String,
}

impl From<ItemRow> for Item {
    fn from(row: ItemRow) -> Self {
        Item {
            id: row.id,
            kind: row.kind,
            value: row.value,
            status: row.status,
            detail: serde_json::from_str(&row.detail).unwrap_or_default(),
            created_at: row.created_at,
        }
    }
}

/// The items of a case, in filing order.
pub async fn items(conn: &mut SqliteConnection, case_id: i64) -> Result<Vec<Item>> {
    let rows: Vec<ItemRow> = sqlx::query_as(
        "SELECT id, kind, value, status, detail, created_at FROM case_items WHERE case_id = ? ORDER BY id",
    )
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await
    .context("reading a case's items")?;
    Ok(rows.into_iter().map(Item::from).collect())
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
        .bind(status)
        .bind(case_id)
        .bind(kind)
        .bind(value)
        .execute(&mut *conn)
        .await
        .context("changing an item's status")?;
    Ok(())
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

/// A confirmed certificate nearing its end, as the expiry watch finds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Expiring {
    /// The case holding it.
    pub case_id: i64,
    /// Its serial.
    pub serial: String,
}

/// Confirmed certificates of cases not closed that end by `horizon`, in filing order.
pub async fn expiring_certificates(
    conn: &mut SqliteConnection,
    horizon: &str,
) -> Result<Vec<Expiring>> {
    sqlx::query_as(
        "SELECT i.case_id, i.value AS serial FROM case_items i JOIN cases c ON c.id = i.case_id
         WHERE i.kind = 'certificate' AND i.status = 'confirmed' AND c.step != 'closed'
           AND json_extract(i.detail, '$.not_after') <= ? ORDER BY i.id",
    )
    .bind(horizon)
    .fetch_all(&mut *conn)
    .await
    .context("looking for expiring certificates")
}
