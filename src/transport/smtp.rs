//! SMTP with lettre's client: TLS, STARTTLS or plain (loopback tests), authentication when
//! configured. Each send is classified: a 2xx reply is `Sent` (the reply is kept), a 4xx
//! reply or a connection failure is `Retry`, a 5xx reply is `Failed`.
//!
//! The transport keeps one connection open between sends (a backlog goes out over one
//! session, as a mail client's does) and opens the TCP socket itself to set `TCP_NODELAY`:
//! lettre writes the message and its closing `.` separately, and with Nagle's algorithm the
//! small second write waits for the server's delayed ACK, 40 ms per mail on Linux.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters,
};
use lettre::transport::smtp::extension::ClientId;
use rustls_pki_types::ServerName;
use secrecy::ExposeSecret;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Mutex;
use tokio_rustls::TlsConnector;

use super::{SendOutcome, Transport};
use crate::outbox::Outgoing;
use crate::settings::{Endpoint, TlsMode};

/// A kept connection idle longer than this is checked with NOOP before it is used: the
/// server may have closed it, and a send must not fail for that.
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(5);

/// Hands mail to an SMTP server.
pub struct SmtpTransport {
    host: String,
    port: u16,
    tls: TlsMode,
    /// For STARTTLS, upgraded by lettre.
    starttls: Option<TlsParameters>,
    /// For implicit TLS, wrapped here before the greeting.
    implicit: Option<TlsConnector>,
    credentials: Option<Credentials>,
    hello: ClientId,
    timeout: Duration,
    kept: Mutex<Option<Kept>>,
}

struct Kept {
    connection: AsyncSmtpConnection,
    last_used: Instant,
}

impl SmtpTransport {
    /// Builds the transport from configuration; nothing is connected until the first send.
    pub fn new(settings: &Endpoint) -> Result<Self> {
        let host = settings.host.to_string();
        let (starttls, implicit) = match settings.tls {
            TlsMode::None => (None, None),
            TlsMode::StartTls => {
                let mut params = TlsParameters::builder(host.clone());
                if let Some(path) = settings.ca_file.path() {
                    let pem = std::fs::read(path)
                        .with_context(|| format!("outbound.ca_file: reading {}", path.display()))?;
                    let cert = Certificate::from_pem(&pem).with_context(|| {
                        format!(
                            "outbound.ca_file: {} is not a PEM certificate",
                            path.display()
                        )
                    })?;
                    params = params.add_root_certificate(cert);
                }
                let params = params
                    .build_rustls()
                    .context("outbound.tls: building TLS parameters")?;
                (Some(params), None)
            }
            TlsMode::Tls => {
                let config = crate::mailbox::imap::client_config(settings.ca_file.path())
                    .context("outbound.tls: building TLS parameters")?;
                (None, Some(TlsConnector::from(Arc::new(config))))
            }
        };
        let credentials = (!settings.username.is_empty()).then(|| {
            Credentials::new(
                settings.username.clone(),
                settings.password.expose_secret().to_string(),
            )
        });
        Ok(Self {
            host,
            port: settings.port.get(),
            tls: settings.tls,
            starttls,
            implicit,
            credentials,
            hello: ClientId::default(),
            timeout: Duration::from_secs(settings.timeout_secs.get()),
            kept: Mutex::new(None),
        })
    }

    /// Opens a new session: TCP (no Nagle), TLS as configured, EHLO, AUTH.
    async fn connect(&self) -> Result<AsyncSmtpConnection> {
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .with_context(|| format!("connecting to {}:{}", self.host, self.port))?;
        tcp.set_nodelay(true).context("setting TCP_NODELAY")?;
        let stream: Box<dyn AsyncTokioStream> = match &self.implicit {
            Some(connector) => {
                let name = ServerName::try_from(self.host.clone()).with_context(|| {
                    format!("outbound.host: '{}' is not a valid server name", self.host)
                })?;
                let tls = connector
                    .connect(name, tcp)
                    .await
                    .with_context(|| format!("TLS handshake with {}", self.host))?;
                Box::new(TlsTcp(tls))
            }
            None => Box::new(tcp),
        };
        let mut connection = AsyncSmtpConnection::connect_with_transport(stream, &self.hello)
            .await
            .context("greeting and EHLO")?;
        if let Some(params) = &self.starttls {
            connection
                .starttls(params.clone(), &self.hello)
                .await
                .context("STARTTLS")?;
        }
        if let Some(credentials) = &self.credentials {
            connection
                .auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .context("SMTP authentication")?;
        }
        Ok(connection)
    }

    /// The kept connection if it still answers, else a new one.
    async fn session(&self, kept: Option<Kept>) -> Result<AsyncSmtpConnection> {
        if let Some(mut kept) = kept {
            if kept.last_used.elapsed() < CHECK_AFTER_IDLE || kept.connection.test_connected().await
            {
                return Ok(kept.connection);
            }
            kept.connection.abort().await;
        }
        self.connect().await
    }
}

impl Transport for SmtpTransport {
    fn describe(&self) -> String {
        format!("smtp {}:{} ({:?})", self.host, self.port, self.tls)
    }

    async fn send(&self, mail: &Outgoing) -> SendOutcome {
        let envelope = match envelope_of(mail) {
            Ok(e) => e,
            Err(e) => return SendOutcome::Failed(format!("{e:#}")),
        };
        let mut slot = self.kept.lock().await;
        let connection = tokio::time::timeout(self.timeout, self.session(slot.take())).await;
        let mut connection = match connection {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => return SendOutcome::Retry(format!("{e:#}")),
            Err(_) => {
                return SendOutcome::Retry(format!("connecting timed out after {:?}", self.timeout))
            }
        };
        // The limit grows with the mail: a large forwarded message on a slow link is no stall.
        let limit = self.timeout + Duration::from_secs((mail.raw.len() / (64 << 10)) as u64);
        let sent = tokio::time::timeout(limit, connection.send(&envelope, &mail.raw)).await;
        match sent {
            Ok(Ok(response)) => {
                *slot = Some(Kept {
                    connection,
                    last_used: Instant::now(),
                });
                let text: Vec<&str> = response.message().collect();
                SendOutcome::Sent(format!("{} {}", response.code(), text.join(" ")))
            }
            // lettre has ended the session after an error; the next send opens a new one.
            Ok(Err(e)) if e.is_permanent() => SendOutcome::Failed(e.to_string()),
            // 4xx replies, broken connections, TLS trouble: all may pass.
            Ok(Err(e)) => SendOutcome::Retry(e.to_string()),
            Err(_) => SendOutcome::Retry(format!("the server did not answer within {limit:?}")),
        }
    }

    async fn was_delivered(&self, _mail: &Outgoing) -> Option<bool> {
        // A server that accepted the DATA before the crash keeps no receipt we can ask for.
        None
    }
}

fn envelope_of(mail: &Outgoing) -> Result<Envelope> {
    let from = mail.envelope_from.parse().context("envelope sender")?;
    let to = mail
        .recipients
        .iter()
        .map(|r| r.parse().with_context(|| format!("recipient {r}")))
        .collect::<Result<Vec<_>>>()?;
    Envelope::new(Some(from), to).context("envelope")
}

/// An implicit-TLS stream in the shape lettre's connection takes.
struct TlsTcp(tokio_rustls::client::TlsStream<TcpStream>);

impl fmt::Debug for TlsTcp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsTcp")
    }
}

impl AsyncTokioStream for TlsTcp {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

impl AsyncRead for TlsTcp {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsTcp {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}
