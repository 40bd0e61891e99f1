//! Operator tokens: a reply changes a case only when it carries a token the daemon issued
//! for that case, that version of its data and that operator. The token is a row id plus
//! an HMAC-SHA256 over the row's fields (the MAC itself is never stored); it works once and
//! expires. This module owns `command_tokens`.

use std::sync::LazyLock;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use regex::Regex;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use sqlx::{SqliteConnection, SqlitePool};

use super::super::cases::{self, Case};
use crate::db::{parse_stamp, stamp};
use crate::domain::EmailAddress;

/// Bytes of the MAC shown in a token (128 bits).
const MAC_BYTES: usize = 16;

static TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"egov-token:(\d{1,18}):([0-9a-fA-F]{32})\b").expect("static regex is valid")
});

/// The key tokens are signed with.
#[derive(Clone)]
pub struct TokenKey(SecretString);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

impl TokenKey {
    /// A key given as it is (the configured one; tests).
    pub fn new(secret: SecretString) -> Self {
        Self(secret)
    }

    /// The configured key, or (when none is configured) one made once and kept in the
    /// database, so the embedded default needs no setup.
    pub async fn load(pool: &SqlitePool, configured: &SecretString) -> Result<Self> {
        if !configured.expose_secret().is_empty() {
            return Ok(Self(configured.clone()));
        }
        use rand::Rng;
        let fresh = hex::encode(rand::thread_rng().gen::<[u8; 32]>());
        let kept = crate::db::kept_secret(pool, "token_key", &fresh).await?;
        Ok(Self(SecretString::from(kept)))
    }

    /// An HMAC-SHA256 keyed with the installation's secret, `purpose` written first: the
    /// same key signs tokens and return paths, and no MAC made for one is valid for another.
    pub fn keyed(&self, purpose: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.0.expose_secret().as_bytes())
            .expect("HMAC takes keys of any length");
        mac.update(purpose.as_bytes());
        mac
    }

    fn mac(&self, row: &TokenRow) -> Hmac<Sha256> {
        let mut mac = self.keyed("egov-desk token v1");
        mac.update(
            format!(
                "|{}|{}|{}|{}|{}",
                row.id, row.case_id, row.version, row.expires_at, row.recipients
            )
            .as_bytes(),
        );
        // Added only to tokens for a held message, so tokens issued before holds existed
        // keep their MACs.
        if let Some(hold) = row.hold_id {
            mac.update(format!("|hold:{hold}").as_bytes());
        }
        mac
    }
}

/// A token as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    /// Row id, the visible half of the token.
    pub id: i64,
    /// The case it acts on.
    pub case_id: i64,
    /// The case version it was issued for.
    pub version: i64,
    /// JSON array of the addresses it was sent to.
    pub recipients: String,
    /// When it stops working.
    pub expires_at: String,
    /// When it was used, if it was.
    pub used_at: Option<String>,
    /// The held message it decides on (ACCEPT / REJECT), for tokens issued for one.
    pub hold_id: Option<i64>,
}

/// Why a token does not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The reply carries no token.
    Missing,
    /// No such token was issued.
    Unknown,
    /// The token's MAC does not match: it was altered or made up.
    Altered,
    /// The token was already used.
    Used,
    /// The token has expired.
    Expired,
    /// The reply does not come from an address the token was sent to.
    WrongSender,
    /// The case changed since the token was issued.
    Stale,
    /// The agency's mail server did not vouch for the sender (Authentication-Results).
    Unauthenticated,
    /// The mail names more than one author (`From:`), so it does not say who wrote it.
    SeveralAuthors,
    /// The unquoted top of the reply holds no command.
    NoCommand,
    /// A command could not be read or does not fit the case.
    BadCommand,
}

impl Refusal {
    /// The stable name used in logs and templates.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Missing => "missing_token",
            Refusal::Unknown => "unknown_token",
            Refusal::Altered => "altered_token",
            Refusal::Used => "used_token",
            Refusal::Expired => "expired_token",
            Refusal::WrongSender => "wrong_sender",
            Refusal::Stale => "stale_token",
            Refusal::Unauthenticated => "unauthenticated",
            Refusal::SeveralAuthors => "several_authors",
            Refusal::NoCommand => "no_command",
            Refusal::BadCommand => "bad_command",
        }
    }
}

/// What a token is issued for.
#[derive(Debug, Clone, Copy)]
pub struct Grant {
    /// The case it acts on.
    pub case_id: i64,
    /// The case version it names.
    pub version: i64,
    /// The held message it decides on, when it is for one.
    pub hold_id: Option<i64>,
}

/// Issues a token for `grant`, good for `recipients` until `expires`.
pub async fn issue(
    conn: &mut SqliteConnection,
    key: &TokenKey,
    grant: Grant,
    recipients: &[EmailAddress],
    expires: DateTime<Utc>,
) -> Result<String> {
    let Grant {
        case_id,
        version,
        hold_id,
    } = grant;
    let recipients: Vec<&str> = recipients.iter().map(EmailAddress::as_str).collect();
    let recipients = serde_json::to_string(&recipients)?;
    let expires_at = stamp(expires);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO command_tokens (case_id, version, recipients, issued_at, expires_at, hold_id)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(case_id)
    .bind(version)
    .bind(&recipients)
    .bind(crate::db::now())
    .bind(&expires_at)
    .bind(hold_id)
    .fetch_one(&mut *conn)
    .await
    .context("issuing a token")?;
    let row = TokenRow {
        id,
        case_id,
        version,
        recipients,
        expires_at,
        used_at: None,
        hold_id,
    };
    let mac = key.mac(&row).finalize().into_bytes();
    Ok(format!(
        "egov-token:{id}:{}",
        hex::encode(&mac[..MAC_BYTES])
    ))
}

/// Most tokens weighed in one reply: a reply quoting a thread holds a few, not hundreds.
const MAX_FOUND: usize = 16;

/// The first token written anywhere in `text` (quoted parts included: replies quote it).
pub fn find(text: &str) -> Option<(i64, Vec<u8>)> {
    find_all(text).into_iter().next()
}

/// The tokens written in `text`, in order, without repeats, at most [`MAX_FOUND`].
fn find_all(text: &str) -> Vec<(i64, Vec<u8>)> {
    let mut found: Vec<(i64, Vec<u8>)> = Vec::new();
    for c in TOKEN.captures_iter(text) {
        let (Ok(id), Ok(mac)) = (c[1].parse(), hex::decode(&c[2])) else {
            continue;
        };
        if !found.iter().any(|(i, m)| *i == id && *m == mac) {
            found.push((id, mac));
        }
        if found.len() == MAX_FOUND {
            break;
        }
    }
    found
}

/// The token a reply answers with: the first written in `text` that we issued and nobody
/// altered, else the first written. A beneficiary's words quoted in our mail to the
/// operators may carry a token-like string above ours; it must not shadow ours.
pub async fn choose(
    conn: &mut SqliteConnection,
    key: &TokenKey,
    text: &str,
) -> Result<Option<(i64, Vec<u8>)>> {
    let all = find_all(text);
    for found in &all {
        if genuine(conn, key, found).await?.is_some() {
            return Ok(Some(found.clone()));
        }
    }
    Ok(all.into_iter().next())
}

/// The row of a token we issued, when `found` carries its MAC unaltered.
async fn genuine(
    conn: &mut SqliteConnection,
    key: &TokenKey,
    found: &(i64, Vec<u8>),
) -> Result<Option<TokenRow>> {
    Ok(row_of(conn, found.0)
        .await?
        .filter(|row| unaltered(key, row, &found.1)))
}

/// The token row with id `id`, if we issued one.
async fn row_of(conn: &mut SqliteConnection, id: i64) -> Result<Option<TokenRow>> {
    sqlx::query_as(
        "SELECT id, case_id, version, recipients, expires_at, used_at, hold_id
         FROM command_tokens WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
    .context("looking up a token")
}

/// The case token `id` was issued for, whatever became of the token since (a refusal still
/// names the case to the operators).
pub async fn case_of(conn: &mut SqliteConnection, id: i64) -> Result<Option<Case>> {
    match row_of(conn, id).await? {
        Some(row) => Ok(Some(cases::by_id(conn, row.case_id).await?)),
        None => Ok(None),
    }
}

/// A token as the evidence bundle lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Issued {
    /// Row id.
    pub id: i64,
    /// The case version it was issued for.
    pub version: i64,
    /// JSON array of the addresses it was sent to.
    pub recipients: String,
    /// When it was issued.
    pub issued_at: String,
    /// When it stops working.
    pub expires_at: String,
    /// When it was used, if it was.
    pub used_at: Option<String>,
    /// The ledger message that used it.
    pub used_by: Option<i64>,
}

/// Every token issued for a case, oldest first.
pub async fn of_case(conn: &mut SqliteConnection, case_id: i64) -> Result<Vec<Issued>> {
    sqlx::query_as(
        "SELECT id, version, recipients, issued_at, expires_at, used_at, used_by
         FROM command_tokens WHERE case_id = ? ORDER BY id",
    )
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await
    .context("reading the case's tokens")
}

/// Whether `mac` is the row's MAC (verify_truncated_left compares in constant time).
fn unaltered(key: &TokenKey, row: &TokenRow, mac: &[u8]) -> bool {
    mac.len() == MAC_BYTES && key.mac(row).verify_truncated_left(mac).is_ok()
}

/// Checks a token found in a reply from `sender` at `now`: issued by us, unaltered (MAC
/// compared in constant time), unused, unexpired, and sent to `sender`.
pub async fn verify(
    conn: &mut SqliteConnection,
    key: &TokenKey,
    found: &(i64, Vec<u8>),
    sender: &EmailAddress,
    now: DateTime<Utc>,
) -> Result<std::result::Result<TokenRow, Refusal>> {
    let Some(row) = row_of(conn, found.0).await? else {
        return Ok(Err(Refusal::Unknown));
    };
    if !unaltered(key, &row, &found.1) {
        return Ok(Err(Refusal::Altered));
    }
    if row.used_at.is_some() {
        return Ok(Err(Refusal::Used));
    }
    if parse_stamp(&row.expires_at).is_none_or(|at| at <= now) {
        return Ok(Err(Refusal::Expired));
    }
    let recipients: Vec<String> = serde_json::from_str(&row.recipients).unwrap_or_default();
    if !recipients.iter().any(|r| r == sender.as_str()) {
        return Ok(Err(Refusal::WrongSender));
    }
    Ok(Ok(row))
}

/// Marks a token used by ledger message `message`; false when another use got there first.
pub async fn spend(conn: &mut SqliteConnection, id: i64, message: Option<i64>) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE command_tokens SET used_at = ?, used_by = ? WHERE id = ? AND used_at IS NULL",
    )
    .bind(crate::db::now())
    .bind(message)
    .bind(id)
    .execute(&mut *conn)
    .await
    .context("spending a token")?;
    Ok(done.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_found_in_quoted_text() {
        let text = "CONFIRM\n\n> Token: egov-token:12:0123456789abcdef0123456789ABCDEF\n";
        let (id, mac) = find(text).unwrap();
        assert_eq!(id, 12);
        assert_eq!(mac.len(), 16);
        assert!(find("egov-token:12:0123").is_none());
    }
}
