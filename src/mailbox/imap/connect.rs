//! Opening an IMAP session: TCP, then TLS from the first byte, STARTTLS or (loopback tests
//! only) nothing; the greeting; then AUTHENTICATE PLAIN or LOGIN.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use async_imap::{Client, Session};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use secrecy::ExposeSecret;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

use crate::settings::{Endpoint, ImapAuth, ImapSettings, TlsMode};

/// A byte stream an IMAP session runs over: plain TCP or TLS.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug> Io for T {}

/// An authenticated IMAP session over whichever stream was negotiated.
pub type ImapSession = Session<Box<dyn Io>>;

/// Connects and logs in, within the configured timeout.
pub async fn open(settings: &ImapSettings) -> Result<ImapSession> {
    let endpoint = &settings.endpoint;
    let limit = Duration::from_secs(endpoint.timeout_secs.get());
    tokio::time::timeout(limit, open_inner(settings))
        .await
        .map_err(|_| anyhow!("connecting to {} timed out", endpoint.address()))?
}

async fn open_inner(settings: &ImapSettings) -> Result<ImapSession> {
    let endpoint = &settings.endpoint;
    let tcp = TcpStream::connect((endpoint.host.as_str(), endpoint.port.get()))
        .await
        .with_context(|| format!("connecting to {}", endpoint.address()))?;
    tcp.set_nodelay(true).ok();
    let client = match endpoint.tls {
        TlsMode::Tls => {
            let tls = wrap_tls(tcp, endpoint).await?;
            greeted(Client::new(Box::new(tls) as Box<dyn Io>)).await?
        }
        TlsMode::None => greeted(Client::new(Box::new(tcp) as Box<dyn Io>)).await?,
        TlsMode::StartTls => {
            let mut plain = greeted(Client::new(tcp)).await?;
            plain
                .run_command_and_check_ok("STARTTLS", None)
                .await
                .context("STARTTLS refused")?;
            let tls = wrap_tls(plain.into_inner(), endpoint).await?;
            // No greeting follows STARTTLS (RFC 3501 §6.2.1).
            Client::new(Box::new(tls) as Box<dyn Io>)
        }
    };
    login(client, settings).await
}

async fn greeted<T: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug>(
    mut client: Client<T>,
) -> Result<Client<T>> {
    match client.read_response().await {
        Some(Ok(_)) => Ok(client),
        Some(Err(e)) => Err(e).context("reading the server greeting"),
        None => bail!("the server closed the connection before greeting"),
    }
}

async fn login(client: Client<Box<dyn Io>>, settings: &ImapSettings) -> Result<ImapSession> {
    let user = settings.endpoint.username.as_str();
    let password = settings.endpoint.password.expose_secret();
    let result = match settings.options.auth {
        ImapAuth::Plain => client.authenticate("PLAIN", Plain { user, password }).await,
        ImapAuth::Login => client.login(user, password).await,
    };
    // The error may quote the command; it never holds the password, but say little anyway.
    result.map_err(|(e, _)| anyhow!("IMAP login as {user} failed: {e}"))
}

/// AUTHENTICATE PLAIN's single response (RFC 4616); async-imap base64-encodes it.
struct Plain<'a> {
    user: &'a str,
    password: &'a str,
}

impl async_imap::Authenticator for Plain<'_> {
    type Response = Vec<u8>;

    fn process(&mut self, _challenge: &[u8]) -> Self::Response {
        format!("\0{}\0{}", self.user, self.password).into_bytes()
    }
}

async fn wrap_tls(
    tcp: TcpStream,
    endpoint: &Endpoint,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let config = client_config(endpoint.ca_file.path())?;
    let host = endpoint.host.as_str();
    let name = ServerName::try_from(host.to_string())
        .with_context(|| format!("mailbox.host: '{host}' is not a valid server name"))?;
    TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .with_context(|| format!("TLS handshake with {host}"))
}

/// A TLS client trusting the public roots plus, if given, one more CA.
pub fn client_config(extra_ca: Option<&Path>) -> Result<ClientConfig> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = extra_ca {
        for cert in CertificateDer::pem_file_iter(path)
            .with_context(|| format!("reading CA file {}", path.display()))?
        {
            let cert = cert.with_context(|| format!("reading CA file {}", path.display()))?;
            roots.add(cert).with_context(|| {
                format!("CA file {} holds an unusable certificate", path.display())
            })?;
        }
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
