//! The raw limits the daemon is measured against: a plain IMAP client fetching the whole
//! folder in one command, and Postfix's own load generator `smtp-source`.

use std::process::Command;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use tokio::net::TcpStream;

/// Logs in to the agency's mailbox over plain IMAP on loopback and selects the inbox.
async fn session(port: u16) -> async_imap::Session<TcpStream> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut client = async_imap::Client::new(tcp);
    client.read_response().await.unwrap().unwrap();
    let mut session = client
        .login("servicii@egov.md", "test")
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    session.select("INBOX").await.unwrap();
    session
}

/// Lists the folder (`UID FETCH 1:* (UID RFC822.SIZE)`): makes Dovecot index the messages
/// written straight into its Maildir, so neither measurement pays for that. Returns how many
/// messages it holds.
pub async fn index(port: u16) -> usize {
    let mut session = session(port).await;
    let listed: Vec<_> = session
        .uid_fetch("1:*", "(UID RFC822.SIZE)")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    session.logout().await.ok();
    listed.len()
}

/// What the raw fetch did.
#[derive(Debug, Clone, Copy)]
pub struct RawFetch {
    /// Wall time of the one `UID FETCH 1:* BODY.PEEK[]`.
    pub elapsed: Duration,
    /// Messages received.
    pub messages: usize,
    /// Bytes received.
    pub bytes: u64,
}

/// `UID FETCH 1:* BODY.PEEK[]` over one connection, each message dropped as it arrives.
pub async fn raw_fetch(port: u16) -> RawFetch {
    let mut session = session(port).await;
    let started = Instant::now();
    let mut messages = 0;
    let mut bytes = 0u64;
    {
        let mut stream = session.uid_fetch("1:*", "BODY.PEEK[]").await.unwrap();
        while let Some(fetch) = stream.try_next().await.unwrap() {
            if let Some(body) = fetch.body() {
                messages += 1;
                bytes += body.len() as u64;
            }
        }
    }
    let elapsed = started.elapsed();
    session.logout().await.ok();
    RawFetch {
        elapsed,
        messages,
        bytes,
    }
}

/// What `smtp-source` did.
#[derive(Debug, Clone, Copy)]
pub struct SourceRun {
    /// Wall time.
    pub elapsed: Duration,
    /// Messages handed over.
    pub messages: usize,
}

/// `smtp-source -s 1 -d`: one session that stays connected, `count` messages of `length`
/// bytes, to Postfix on `port` — the same concurrency and connection reuse as the daemon.
pub fn smtp_source(port: u16, count: usize, length: usize, to: &str) -> SourceRun {
    let started = Instant::now();
    let out = Command::new("smtp-source")
        .args(["-s", "1", "-d", "-c"])
        .args(["-m", &count.to_string()])
        .args(["-l", &length.to_string()])
        .args(["-f", "servicii@egov.md", "-t", to])
        .arg(format!("127.0.0.1:{port}"))
        .output()
        .expect("running smtp-source (Debian package postfix)");
    let elapsed = started.elapsed();
    assert!(
        out.status.success(),
        "smtp-source failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    SourceRun {
        elapsed,
        messages: count,
    }
}
