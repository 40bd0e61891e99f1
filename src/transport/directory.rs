//! The embedded default's transport: each mail becomes an `.eml` file in a folder, its
//! envelope sender on top as `Return-Path:`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::{SendOutcome, Transport};
use crate::outbox::Outgoing;

/// Writes mail as `.eml` files.
pub struct DirectoryTransport {
    dir: PathBuf,
}

impl DirectoryTransport {
    /// Opens (creating if missing) the output folder.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("outbound.path: cannot create {}", dir.display()))?;
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    /// The file a mail is written to.
    fn file_of(&self, mail: &Outgoing) -> PathBuf {
        self.dir.join(file_name(mail))
    }

    fn write(&self, mail: &Outgoing) -> std::io::Result<PathBuf> {
        let target = self.file_of(mail);
        let tmp = target.with_extension("eml.tmp");
        {
            use std::io::Write;
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(return_path(mail).as_bytes())?;
            file.write_all(&mail.raw)?;
            file.sync_all()?;
        }
        // The rename makes the file appear whole or not at all.
        std::fs::rename(&tmp, &target)?;
        Ok(target)
    }
}

/// A mail's file name: by row and Message-ID, so writing it again replaces it rather than
/// making a second copy; the purpose in it tells a reader of the folder what each mail is.
pub(super) fn file_name(mail: &Outgoing) -> String {
    let tag: String = mail.message_id.chars().take(12).collect();
    format!("{:06}-{}-{tag}.eml", mail.id, mail.purpose)
}

/// The line written above the mail: its envelope sender, recorded as a delivering server
/// records it (RFC 5321 4.4), so the file shows the return path the mail left with.
pub(super) fn return_path(mail: &Outgoing) -> String {
    format!("Return-Path: <{}>\r\n", mail.envelope_from)
}

impl Transport for DirectoryTransport {
    fn describe(&self) -> String {
        format!("directory {}", self.dir.display())
    }

    async fn send(&self, mail: &Outgoing) -> SendOutcome {
        match self.write(mail) {
            Ok(path) => SendOutcome::Sent(format!("written to {}", path.display())),
            Err(e) => SendOutcome::Retry(format!("writing to {}: {e}", self.dir.display())),
        }
    }

    async fn was_delivered(&self, mail: &Outgoing) -> Option<bool> {
        // Writing the same file again is harmless, so "not there" means "send again".
        Some(self.file_of(mail).is_file())
    }
}
