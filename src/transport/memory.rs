//! A transport that keeps mail in a `Vec`: each mail exactly as the directory transport
//! would write its file (same name, same `Return-Path:` line on top), so an in-process test
//! reads what a test of the binary reads, without touching the disk.
//!
//! The transport is a handle: clones share the same mail, so the caller keeps one to read
//! what was sent while the desk sends through another.

use std::sync::{Arc, Mutex, MutexGuard};

use super::directory::{file_name, return_path};
use super::{SendOutcome, Transport};
use crate::outbox::Outgoing;

/// One mail handed to the memory transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    /// The file name the directory transport would give it (row, purpose, Message-ID).
    pub name: String,
    /// The bytes the directory transport would write: `Return-Path:` and the mail.
    pub bytes: Vec<u8>,
}

/// Mail sent into a `Vec`.
#[derive(Clone, Default)]
pub struct MemoryTransport {
    kept: Arc<Mutex<Vec<Kept>>>,
}

impl MemoryTransport {
    /// A transport that has sent nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every mail sent so far, in the order sent; a mail sent again replaces its first copy,
    /// as its file would.
    pub fn kept(&self) -> Vec<Kept> {
        self.lock().clone()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Kept>> {
        self.kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Transport for MemoryTransport {
    fn describe(&self) -> String {
        "memory".to_string()
    }

    async fn send(&self, mail: &Outgoing) -> SendOutcome {
        let name = file_name(mail);
        let mut bytes = return_path(mail).into_bytes();
        bytes.extend_from_slice(&mail.raw);
        let mut kept = self.lock();
        match kept.iter_mut().find(|k| k.name == name) {
            Some(earlier) => earlier.bytes = bytes,
            None => kept.push(Kept {
                name: name.clone(),
                bytes,
            }),
        }
        SendOutcome::Sent(format!("kept in memory as {name}"))
    }

    async fn was_delivered(&self, mail: &Outgoing) -> Option<bool> {
        let name = file_name(mail);
        Some(self.lock().iter().any(|k| k.name == name))
    }
}
