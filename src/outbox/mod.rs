//! Stage 6, the outbox: outgoing mail as rows, written in the same transaction as the case
//! change that caused them, each with an idempotency key and a Message-ID derived from it.
//! The transport stage works the rows; nothing is sent from memory.

pub mod compose;
pub mod returns;
pub mod templates;

use anyhow::{Context, Result};
use serde::Serialize;
use sqlx::{Row, SqliteConnection, SqlitePool};

pub use compose::{AutoKind, Identity, Thread};
pub use returns::ReturnPaths;
pub use templates::Renderer;

use crate::db::now;
use crate::domain::{CaseRef, EmailAddress, Language};

/// Why a mail is sent; stored by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Answer to a beneficiary's mail on a case.
    Acknowledgement,
    /// First mail of a case opened by an operator.
    CaseOpened,
    /// Answer pointing to another procedure.
    Redirect,
    /// To the operators: what was parsed on a case.
    OperatorUpdate,
    /// To the operators: a mail the daemon could not place.
    OperatorForward,
    /// To the operators: a mail the daemon could not read.
    OperatorQuarantine,
    /// To the operators: a mail that could not be delivered.
    OperatorDeliveryProblem,
    /// To the beneficiary: the case moved to its next step.
    Progress,
    /// To the beneficiary: an operator rejected the materials, with the reason.
    Rejection,
    /// To the beneficiary: the service is active; the case is complete.
    Completion,
    /// To the operator who acted: what their command did.
    OperatorAck,
    /// To the operators: a command that was not obeyed, and why.
    OperatorRefused,
    /// To the beneficiary: the case waits on them.
    Reminder,
    /// To the operators: a beneficiary did not answer the reminders.
    OperatorEscalation,
    /// To the operators: an agency-side step nears or passed its deadline.
    OperatorSla,
    /// To the operators: the daily digest.
    OperatorDigest,
    /// To a certificate's holder: it expires soon.
    ExpiryNotice,
    /// To the operators: a delivery report about one of our mails.
    OperatorBounce,
    /// To a sender the case does not trust: their mail arrived; it names nothing of the case.
    Receipt,
    /// To the operators: a message held because its sender is not a contact of the case.
    OperatorHeld,
    /// To the operators: an address reached the daily limit of automatic answers.
    OperatorReplyLimit,
    /// To the operators: a message reuses the Message-ID of another.
    OperatorReusedId,
}

impl Purpose {
    /// Every purpose: each has a template in every language, rendered at start-up.
    pub const ALL: [Purpose; 22] = [
        Purpose::Acknowledgement,
        Purpose::CaseOpened,
        Purpose::Redirect,
        Purpose::OperatorUpdate,
        Purpose::OperatorForward,
        Purpose::OperatorQuarantine,
        Purpose::OperatorDeliveryProblem,
        Purpose::Progress,
        Purpose::Rejection,
        Purpose::Completion,
        Purpose::OperatorAck,
        Purpose::OperatorRefused,
        Purpose::Reminder,
        Purpose::OperatorEscalation,
        Purpose::OperatorSla,
        Purpose::OperatorDigest,
        Purpose::ExpiryNotice,
        Purpose::OperatorBounce,
        Purpose::Receipt,
        Purpose::OperatorHeld,
        Purpose::OperatorReplyLimit,
        Purpose::OperatorReusedId,
    ];

    /// The stable name stored in the database; also the template name.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Acknowledgement => "acknowledgement",
            Purpose::CaseOpened => "case_opened",
            Purpose::Redirect => "redirect",
            Purpose::OperatorUpdate => "operator_update",
            Purpose::OperatorForward => "operator_forward",
            Purpose::OperatorQuarantine => "operator_quarantine",
            Purpose::OperatorDeliveryProblem => "operator_delivery_problem",
            Purpose::Progress => "progress",
            Purpose::Rejection => "rejection",
            Purpose::Completion => "completion",
            Purpose::OperatorAck => "operator_ack",
            Purpose::OperatorRefused => "operator_refused",
            Purpose::Reminder => "reminder",
            Purpose::OperatorEscalation => "operator_escalation",
            Purpose::OperatorSla => "operator_sla",
            Purpose::OperatorDigest => "operator_digest",
            Purpose::ExpiryNotice => "expiry_notice",
            Purpose::OperatorBounce => "operator_bounce",
            Purpose::Receipt => "receipt",
            Purpose::OperatorHeld => "operator_held",
            Purpose::OperatorReplyLimit => "operator_reply_limit",
            Purpose::OperatorReusedId => "operator_reused_id",
        }
    }

    fn auto_kind(self) -> AutoKind {
        match self {
            Purpose::Acknowledgement | Purpose::Redirect | Purpose::Receipt => AutoKind::Replied,
            _ => AutoKind::Generated,
        }
    }
}

/// What a mail says: the variables of one template, which its purpose names.
pub trait Content: Serialize {
    /// Why the mail is sent; also its template's name.
    fn purpose(&self) -> Purpose;
}

/// A mail to write into the outbox; `C` is what it says.
pub struct Draft<C> {
    /// Its template's variables; they name the purpose and so the template.
    pub content: C,
    /// Unique per mail: the same key is never queued twice.
    pub key: String,
    /// The case it belongs to.
    pub case: Option<(i64, CaseRef)>,
    /// The ledger message that caused it.
    pub cause_message: Option<i64>,
    /// Recipients.
    pub to: Vec<EmailAddress>,
    /// Template language.
    pub language: Language,
    /// The thread it continues, for replies.
    pub thread: Option<Thread>,
    /// A message attached whole.
    pub attach_message: Option<Vec<u8>>,
}

/// Builds outbox rows: templates plus the agency's identity.
pub struct Composer {
    /// Templates.
    pub renderer: Renderer,
    /// Sender identity.
    pub identity: Identity,
    /// Per-mail envelope senders; `None`: the plain address is every mail's.
    pub return_paths: Option<ReturnPaths>,
}

impl Composer {
    /// Renders `draft` and queues it; `None` when a mail with the same key was already queued.
    pub async fn enqueue(
        &self,
        conn: &mut SqliteConnection,
        draft: Draft<impl Content>,
    ) -> Result<Option<i64>> {
        let purpose = draft.content.purpose();
        let rendered = self
            .renderer
            .render(draft.language, purpose.as_str(), &draft.content)?;
        let subject = match &draft.case {
            Some((_, reference)) if !rendered.subject.contains(&reference.to_string()) => {
                format!("{} {}", reference.tag(), rendered.subject)
            }
            _ => rendered.subject.clone(),
        };
        let message_id = compose::message_id_for(&self.identity, &draft.key);
        let raw = compose::build(
            &self.identity,
            &compose::Letter {
                to: &draft.to,
                subject: &subject,
                body: &rendered.body,
                message_id: &message_id,
                thread: draft.thread.as_ref(),
                auto: purpose.auto_kind(),
                attach_message: draft.attach_message.as_deref(),
            },
        )?;
        let recipients: Vec<&str> = draft.to.iter().map(EmailAddress::as_str).collect();
        let stamp = now();
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO outbox (idempotency_key, message_id, case_id, cause_message, purpose,
                                 envelope_from, recipients, subject, next_attempt_at, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (idempotency_key) DO NOTHING
             RETURNING id",
        )
        .bind(&draft.key)
        .bind(&message_id)
        .bind(draft.case.as_ref().map(|(id, _)| *id))
        .bind(draft.cause_message)
        .bind(purpose.as_str())
        .bind(self.identity.address.as_str())
        .bind(serde_json::to_string(&recipients)?)
        .bind(&subject)
        .bind(&stamp)
        .bind(&stamp)
        .fetch_optional(&mut *conn)
        .await
        .context("queueing a mail")?;
        if let (Some(id), Some(paths)) = (id, &self.return_paths) {
            // The row id is only known once inserted, and the return path names it.
            sqlx::query("UPDATE outbox SET envelope_from = ? WHERE id = ?")
                .bind(paths.for_mail(id, &message_id))
                .bind(id)
                .execute(&mut *conn)
                .await
                .context("giving a mail its return path")?;
        }
        if let Some(id) = id {
            sqlx::query("INSERT INTO outbox_bodies (outbox_id, raw) VALUES (?, ?)")
                .bind(id)
                .bind(&raw)
                .execute(&mut *conn)
                .await
                .context("queueing a mail's bytes")?;
        }
        match id {
            Some(id) => {
                tracing::info!(outbox_id = id, purpose = purpose.as_str(), %subject, "mail queued")
            }
            None => tracing::warn!(key = %draft.key, "mail already queued; not queued twice"),
        }
        Ok(id)
    }
}

/// Whether a mail with this idempotency key was ever queued.
pub async fn has_key(conn: &mut SqliteConnection, key: &str) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM outbox WHERE idempotency_key = ?")
        .bind(key)
        .fetch_optional(&mut *conn)
        .await
        .context("looking up an outbox key")?;
    Ok(found.is_some())
}

/// How many automatic replies went to `mailbox` or any of its sub-addresses
/// (`local+anything@domain`) since `since` (the loop breaker).
pub async fn replies_to_since(
    conn: &mut SqliteConnection,
    mailbox: &EmailAddress,
    since: &str,
) -> Result<i64> {
    let (local, domain) = mailbox.as_str().rsplit_once('@').unwrap_or_default();
    let escape = |s: &str| {
        s.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    };
    let sub_addresses = format!("{}+%@{}", escape(local), escape(domain));
    sqlx::query_scalar(
        // Shaped to use the index outbox_auto_replies: these replies have one recipient.
        "SELECT count(*) FROM outbox
         WHERE purpose IN ('acknowledgement', 'redirect', 'receipt')
           AND (json_extract(recipients, '$[0]') = ?
                OR json_extract(recipients, '$[0]') LIKE ? ESCAPE '\\')
           AND created_at > ?",
    )
    .bind(mailbox.as_str())
    .bind(&sub_addresses)
    .bind(since)
    .fetch_one(&mut *conn)
    .await
    .context("counting replies to an address")
}

/// The case of the mail we sent with one of these Message-IDs.
pub async fn case_of_message_ids(
    conn: &mut SqliteConnection,
    ids: &[String],
) -> Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT case_id FROM outbox
         WHERE message_id IN (SELECT value FROM json_each(?)) AND case_id IS NOT NULL
         ORDER BY id DESC LIMIT 1",
    )
    .bind(serde_json::to_string(ids)?)
    .fetch_optional(&mut *conn)
    .await
    .context("looking up a thread in the outbox")
}

/// An outbox row being delivered.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Row id.
    pub id: i64,
    /// Why it is sent.
    pub purpose: String,
    /// Envelope sender.
    pub envelope_from: String,
    /// Envelope recipients.
    pub recipients: Vec<String>,
    /// Subject, for logs.
    pub subject: String,
    /// Message-ID, without brackets.
    pub message_id: String,
    /// The mail's bytes.
    pub raw: Vec<u8>,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

const OUTGOING_COLUMNS: &str = "o.id, o.purpose, o.envelope_from, o.recipients, o.subject, \
     o.message_id, b.raw, o.attempts FROM outbox o JOIN outbox_bodies b ON b.outbox_id = o.id";

fn outgoing(row: &sqlx::sqlite::SqliteRow) -> Result<Outgoing> {
    Ok(Outgoing {
        id: row.get(0),
        purpose: row.get(1),
        envelope_from: row.get(2),
        recipients: serde_json::from_str(row.get::<&str, _>(3)).context("outbox recipients")?,
        subject: row.get(4),
        message_id: row.get(5),
        raw: row.get(6),
        attempts: row.get(7),
    })
}

/// Claims the oldest due rows, at most `max`, marking them `attempting` in one commit before
/// anything is sent. Their bytes are read one at a time, as each is sent.
pub async fn claim_due(pool: &SqlitePool, max: usize) -> Result<Vec<i64>> {
    let mut claimed: Vec<i64> = sqlx::query_scalar(
        "UPDATE outbox SET state = 'attempting', attempts = attempts + 1
         WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?
                      ORDER BY next_attempt_at, id LIMIT ?)
         RETURNING id",
    )
    .bind(now())
    .bind(i64::try_from(max).unwrap_or(i64::MAX))
    .fetch_all(pool)
    .await
    .context("claiming outbox rows")?;
    claimed.sort_unstable();
    Ok(claimed)
}

/// Puts claimed rows that were never tried back in the queue, as they were.
pub async fn release(pool: &SqlitePool, ids: &[i64]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE outbox SET state = 'pending', attempts = attempts - 1
         WHERE state = 'attempting' AND id IN (SELECT value FROM json_each(?))",
    )
    .bind(serde_json::to_string(ids)?)
    .execute(pool)
    .await
    .context("putting claimed mail back in the queue")?;
    Ok(())
}

/// One outbox row with its bytes.
pub async fn outgoing_by_id(pool: &SqlitePool, id: i64) -> Result<Outgoing> {
    let row = sqlx::query(&format!("SELECT {OUTGOING_COLUMNS} WHERE o.id = ?"))
        .bind(id)
        .fetch_one(pool)
        .await
        .context("reading a claimed outbox row")?;
    outgoing(&row)
}

/// Rows left `attempting` by a process that stopped mid-send.
pub async fn interrupted(pool: &SqlitePool) -> Result<Vec<Outgoing>> {
    let rows = sqlx::query(&format!(
        "SELECT {OUTGOING_COLUMNS} WHERE o.state = 'attempting' ORDER BY o.id"
    ))
    .fetch_all(pool)
    .await
    .context("reading the outbox")?;
    rows.iter().map(outgoing).collect()
}

/// Records a delivery.
pub async fn mark_sent(pool: &SqlitePool, id: i64, server_reply: &str) -> Result<()> {
    mark_all_sent(pool, &[(id, server_reply.to_string())]).await
}

/// Records several deliveries in one commit: (row, the server's reply).
pub async fn mark_all_sent(pool: &SqlitePool, sent: &[(i64, String)]) -> Result<()> {
    if sent.is_empty() {
        return Ok(());
    }
    let mut tx = crate::db::begin_write(pool).await?;
    let at = now();
    for (id, server_reply) in sent {
        sqlx::query("UPDATE outbox SET state = 'sent', server_reply = ?, sent_at = ?, last_error = NULL WHERE id = ?")
            .bind(server_reply)
            .bind(&at)
            .bind(id)
            .execute(&mut *tx)
            .await
            .context("recording a sent mail")?;
    }
    tx.commit().await.context("recording sent mail")
}

/// Puts a row back in the queue for another attempt at `next_attempt_at`.
pub async fn mark_retry(
    pool: &SqlitePool,
    id: i64,
    error: &str,
    next_attempt_at: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE outbox SET state = 'pending', last_error = ?, next_attempt_at = ? WHERE id = ?",
    )
    .bind(error)
    .bind(next_attempt_at)
    .bind(id)
    .execute(pool)
    .await
    .context("recording a retry")?;
    Ok(())
}

/// Marks a row given up (`failed`) or of unknown fate (`uncertain`), in the caller's transaction.
pub async fn mark_final(
    conn: &mut SqliteConnection,
    id: i64,
    state: &str,
    error: &str,
) -> Result<()> {
    sqlx::query("UPDATE outbox SET state = ?, last_error = ? WHERE id = ?")
        .bind(state)
        .bind(error)
        .bind(id)
        .execute(&mut *conn)
        .await
        .context("recording a failed mail")?;
    Ok(())
}

/// The earliest time a pending row is due, if any.
pub async fn next_due(pool: &SqlitePool) -> Result<Option<String>> {
    sqlx::query_scalar("SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending'")
        .fetch_one(pool)
        .await
        .context("reading the outbox")
}

/// A row as shown by `case show`.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Why it was sent.
    pub purpose: String,
    /// Recipients.
    pub to: Vec<String>,
    /// Subject.
    pub subject: String,
    /// pending, attempting, sent, failed or uncertain.
    pub state: String,
    /// When it was queued.
    pub created_at: String,
    /// When a delivery report tied to it said it bounced, if one did.
    pub bounced_at: Option<String>,
}

/// The mail of one case, oldest first.
pub async fn of_case(conn: &mut SqliteConnection, case_id: i64) -> Result<Vec<Summary>> {
    let rows = sqlx::query(
        "SELECT purpose, recipients, subject, state, created_at, bounced_at FROM outbox
         WHERE case_id = ? ORDER BY id",
    )
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await
    .context("reading the outbox")?;
    rows.iter()
        .map(|r| {
            Ok(Summary {
                purpose: r.get(0),
                to: serde_json::from_str(r.get::<&str, _>(1))?,
                subject: r.get(2),
                state: r.get(3),
                created_at: r.get(4),
                bounced_at: r.get(5),
            })
        })
        .collect()
}

/// How many rows are in each state.
pub async fn counts(pool: &SqlitePool) -> Result<Vec<(String, i64)>> {
    let rows = sqlx::query("SELECT state, COUNT(*) FROM outbox GROUP BY state ORDER BY state")
        .fetch_all(pool)
        .await
        .context("counting outbox rows")?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}
