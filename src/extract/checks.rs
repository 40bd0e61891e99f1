//! What is checked about each certificate: its validity window, how soon it ends, and the
//! strength of its key. (Which issuers a service accepts depends on the service, so the
//! workflow checks that.)

use chrono::{DateTime, Duration, Utc};

use super::certificate::CertificateInfo;
use super::Problem;

/// The thresholds certificates are checked against.
#[derive(Debug, Clone, Copy)]
pub struct Checks {
    /// The moment validity is judged at.
    pub now: DateTime<Utc>,
    /// A certificate ending within this many days is flagged.
    pub expiry_warning_days: i64,
    /// Smallest acceptable RSA key.
    pub min_rsa_bits: u32,
    /// Smallest acceptable EC key.
    pub min_ec_bits: u32,
    /// Most certificates read from one message (`limits.max_certificates`).
    pub max_certificates: usize,
}

impl Checks {
    /// The default thresholds (30 days, RSA 2048, EC 256, 10 certificates) at `now`.
    pub fn at(now: DateTime<Utc>) -> Self {
        Self {
            now,
            expiry_warning_days: 30,
            min_rsa_bits: 2048,
            min_ec_bits: 256,
            max_certificates: 10,
        }
    }

    /// The problems of one certificate, in a stable order.
    pub fn problems_of(&self, cert: &CertificateInfo) -> Vec<Problem> {
        let mut out = Vec::new();
        let file = cert.file_name.clone();
        let serial = cert.serial.to_string();
        if cert.not_after < self.now {
            out.push(Problem::ExpiredCertificate {
                file: file.clone(),
                serial: serial.clone(),
                not_after: day(cert.not_after),
            });
        } else if cert.not_before > self.now {
            out.push(Problem::NotYetValidCertificate {
                file: file.clone(),
                serial: serial.clone(),
                not_before: day(cert.not_before),
            });
        } else if cert.not_after < self.now + Duration::days(self.expiry_warning_days) {
            out.push(Problem::ExpiringCertificate {
                file: file.clone(),
                serial: serial.clone(),
                not_after: day(cert.not_after),
            });
        }
        let minimum = if cert.key_is_rsa {
            self.min_rsa_bits
        } else {
            self.min_ec_bits
        };
        if cert.key_bits > 0 && cert.key_bits < minimum {
            out.push(Problem::WeakKey {
                file,
                serial,
                key: cert.key.clone(),
            });
        }
        out
    }
}

fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}
