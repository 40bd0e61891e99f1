//! SMTP with lettre: TLS, STARTTLS or plain (loopback tests), authentication when configured.
//! Each send is classified: a 2xx reply is `Sent` (the reply is kept), a 4xx reply or a
//! connection failure is `Retry`, a 5xx reply is `Failed`.

use std::time::Duration;

use anyhow::{Context, Result};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::ExposeSecret;

use super::{SendOutcome, Transport};
use crate::outbox::Outgoing;
use crate::settings::{OutboundSettings, TlsMode};

/// Hands mail to an SMTP server.
pub struct SmtpTransport {
    inner: AsyncSmtpTransport<Tokio1Executor>,
    describe: String,
}

impl SmtpTransport {
    /// Builds the transport from configuration; nothing is connected until the first send.
    pub fn new(settings: &OutboundSettings, timeout: Duration) -> Result<Self> {
        let host = settings.host.clone();
        let mut tls_params = TlsParameters::builder(host.clone());
        if let Some(path) = &settings.ca_file {
            let pem = std::fs::read(path)
                .with_context(|| format!("outbound.ca_file: reading {}", path.display()))?;
            let cert = Certificate::from_pem(&pem).with_context(|| {
                format!(
                    "outbound.ca_file: {} is not a PEM certificate",
                    path.display()
                )
            })?;
            tls_params = tls_params.add_root_certificate(cert);
        }
        let tls_params = tls_params
            .build_rustls()
            .context("outbound.tls: building TLS parameters")?;
        let tls = match settings.tls {
            TlsMode::None => Tls::None,
            TlsMode::StartTls => Tls::Required(tls_params),
            TlsMode::Tls => Tls::Wrapper(tls_params),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(settings.port)
            .tls(tls)
            .timeout(Some(timeout))
            // One worker sends one mail at a time; one kept connection is enough.
            .pool_config(PoolConfig::new().max_size(1));
        if !settings.username.is_empty() {
            builder = builder.credentials(Credentials::new(
                settings.username.clone(),
                settings.password.expose_secret().to_string(),
            ));
        }
        Ok(Self {
            inner: builder.build(),
            describe: format!(
                "smtp {}:{} ({:?})",
                settings.host, settings.port, settings.tls
            ),
        })
    }
}

impl Transport for SmtpTransport {
    fn describe(&self) -> String {
        self.describe.clone()
    }

    async fn send(&self, mail: &Outgoing) -> SendOutcome {
        let envelope = match envelope_of(mail) {
            Ok(e) => e,
            Err(e) => return SendOutcome::Failed(format!("{e:#}")),
        };
        match self.inner.send_raw(&envelope, &mail.raw).await {
            Ok(response) => {
                let text: Vec<&str> = response.message().collect();
                SendOutcome::Sent(format!("{} {}", response.code(), text.join(" ")))
            }
            Err(e) if e.is_permanent() => SendOutcome::Failed(e.to_string()),
            // 4xx replies, timeouts, refused connections, TLS trouble: all may pass.
            Err(e) => SendOutcome::Retry(e.to_string()),
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
