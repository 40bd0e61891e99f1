//! Return paths: each mail leaves with its own envelope sender, `servicii+b-<id>-<mac>@…`
//! (VERP), the MAC keyed with the installation's secret over the row and its Message-ID. A
//! delivery report comes back to that address, so it can be tied to the mail it is about by
//! something a stranger cannot know; a Message-ID alone is printed in every copy of the mail.

use anyhow::{Context, Result};
use hmac::Mac;
use sqlx::SqliteConnection;

use crate::db::now;
use crate::domain::EmailAddress;
use crate::workflow::tokens::TokenKey;

/// Bytes of the MAC shown in a return path (80 bits).
const MAC_BYTES: usize = 10;

/// Makes and checks the return paths of one installation.
#[derive(Debug, Clone)]
pub struct ReturnPaths {
    local: String,
    domain: String,
    delimiter: char,
    key: TokenKey,
}

impl ReturnPaths {
    /// Return paths under `address` (the agency's), `delimiter` being the mail server's
    /// recipient delimiter.
    pub fn new(address: &EmailAddress, delimiter: char, key: TokenKey) -> Self {
        let (local, domain) = address
            .as_str()
            .rsplit_once('@')
            .unwrap_or((address.as_str(), ""));
        Self {
            local: local.to_string(),
            domain: domain.to_string(),
            delimiter,
            key,
        }
    }

    fn mac(&self, id: i64, message_id: &str) -> hmac::Hmac<sha2::Sha256> {
        let mut mac = self.key.keyed("egov-desk return path v1");
        mac.update(format!("|{id}|{message_id}").as_bytes());
        mac
    }

    /// The envelope sender of outbox row `id`, whose Message-ID is `message_id`.
    pub fn for_mail(&self, id: i64, message_id: &str) -> String {
        let mac = self.mac(id, message_id).finalize().into_bytes();
        format!(
            "{}{}b-{id}-{}@{}",
            self.local,
            self.delimiter,
            hex::encode(&mac[..MAC_BYTES]),
            self.domain
        )
    }

    /// The row `address` names and the MAC it shows, when it has the shape of one of our
    /// return paths; the MAC is not checked here (see [`ReturnPaths::verifies`]).
    pub fn named_in(&self, address: &str) -> Option<(i64, Vec<u8>)> {
        let address = address.trim().trim_start_matches('<').trim_end_matches('>');
        let (local, domain) = address.rsplit_once('@')?;
        if !domain.eq_ignore_ascii_case(&self.domain) {
            return None;
        }
        let prefix = format!("{}{}b-", self.local, self.delimiter);
        let rest = local
            .get(..prefix.len())
            .filter(|p| p.eq_ignore_ascii_case(&prefix))
            .and_then(|_| local.get(prefix.len()..))?;
        let (id, mac) = rest.split_once('-')?;
        if id.is_empty() || id.len() > 18 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some((id.parse().ok()?, hex::decode(mac).ok()?))
    }

    /// Whether `mac` is the one we made for row `id` with `message_id` (compared in constant
    /// time).
    pub fn verifies(&self, id: i64, message_id: &str, mac: &[u8]) -> bool {
        mac.len() == MAC_BYTES && self.mac(id, message_id).verify_truncated_left(mac).is_ok()
    }
}

/// One of our mails, as a delivery report about it needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OurMail {
    /// Outbox row.
    pub id: i64,
    /// Its Message-ID, without brackets.
    pub message_id: String,
    /// The case it belongs to.
    pub case_id: Option<i64>,
    /// Its subject.
    pub subject: String,
    /// JSON array of its recipients.
    pub recipients: String,
}

impl OurMail {
    /// Whether `address` is one of this mail's recipients.
    pub fn was_sent_to(&self, address: &str) -> bool {
        let recipients: Vec<String> = serde_json::from_str(&self.recipients).unwrap_or_default();
        let address = address.trim().trim_start_matches('<').trim_end_matches('>');
        recipients.iter().any(|r| r.eq_ignore_ascii_case(address))
    }
}

const OUR_MAIL: &str = "SELECT id, message_id, case_id, subject, recipients FROM outbox";

/// The mail we sent as outbox row `id`.
pub async fn by_id(conn: &mut SqliteConnection, id: i64) -> Result<Option<OurMail>> {
    sqlx::query_as(&format!("{OUR_MAIL} WHERE id = ?"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .context("looking up one of our mails")
}

/// The mail we sent with this Message-ID.
pub async fn by_message_id(
    conn: &mut SqliteConnection,
    message_id: &str,
) -> Result<Option<OurMail>> {
    sqlx::query_as(&format!("{OUR_MAIL} WHERE message_id = ?"))
        .bind(message_id)
        .fetch_optional(&mut *conn)
        .await
        .context("looking up one of our mails")
}

/// Marks one of our mails as bounced, with what the report said.
pub async fn mark_bounced(conn: &mut SqliteConnection, id: i64, detail: &str) -> Result<()> {
    sqlx::query("UPDATE outbox SET bounced_at = ?, bounce_detail = ? WHERE id = ?")
        .bind(now())
        .bind(detail)
        .bind(id)
        .execute(&mut *conn)
        .await
        .context("marking a mail bounced")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(secret: &str) -> ReturnPaths {
        ReturnPaths::new(
            &"servicii@egov.md".parse().unwrap(),
            '+',
            TokenKey::new(secret.to_string().into()),
        )
    }

    #[test]
    fn a_return_path_names_its_row_and_only_our_key_makes_it() {
        let ours = paths("k1");
        let address = ours.for_mail(42, "abc.desk@egov.md");
        assert!(address.starts_with("servicii+b-42-"), "{address}");
        assert!(address.ends_with("@egov.md"), "{address}");
        let (id, mac) = ours.named_in(&address).unwrap();
        assert_eq!(id, 42);
        assert_eq!(mac.len(), MAC_BYTES);
        assert!(ours.verifies(42, "abc.desk@egov.md", &mac));
        assert!(!ours.verifies(43, "abc.desk@egov.md", &mac));
        assert!(!ours.verifies(42, "other.desk@egov.md", &mac));
        assert!(!paths("k2").verifies(42, "abc.desk@egov.md", &mac));
        assert!(!ours.verifies(42, "abc.desk@egov.md", &mac[..8]));
        // Servers may change the case of what they write.
        let upper = format!("<{}>", address.to_uppercase());
        assert_eq!(ours.named_in(&upper), Some((42, mac)));
    }

    #[test]
    fn other_addresses_name_no_row() {
        let ours = paths("k1");
        for other in [
            "servicii@egov.md",
            "servicii+b-42-00ff@evil.example",
            "other+b-42-00ff@egov.md",
            "servicii+b--00ff@egov.md",
            "servicii+b-4x2-00ff@egov.md",
            "servicii+b-42-zz@egov.md",
            "servicii-b-42-00ff@egov.md",
            "not an address",
        ] {
            assert_eq!(ours.named_in(other), None, "{other}");
        }
    }
}
