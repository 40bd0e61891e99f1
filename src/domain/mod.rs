//! Values with rules: each type can only be built valid, and is parsed once at the edge.

mod case_ref;
mod cert_serial;
mod email;
mod ip;
mod item_kind;
mod language;
mod service;

pub use case_ref::CaseRef;
pub use cert_serial::CertSerial;
pub use email::EmailAddress;
pub use ip::{IpClass, PublicIp};
pub use item_kind::ItemKind;
pub use language::Language;
pub use service::{Redirect, Service, ServiceMention};
