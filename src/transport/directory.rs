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

    /// The file a mail is written to: named by row and Message-ID, so writing it again
    /// replaces it rather than making a second copy.
    fn file_of(&self, mail: &Outgoing) -> PathBuf {
        let tag: String = mail.message_id.chars().take(12).collect();
        self.dir
            .join(format!("{:06}-{}-{tag}.eml", mail.id, mail.purpose))
    }

    fn write(&self, mail: &Outgoing) -> std::io::Result<PathBuf> {
        let target = self.file_of(mail);
        let tmp = target.with_extension("eml.tmp");
        {
            use std::io::Write;
            let mut file = std::fs::File::create(&tmp)?;
            // The envelope sender is recorded as a delivering server records it (RFC 5321
            // 4.4), so the file shows the return path the mail left with.
            write!(file, "Return-Path: <{}>\r\n", mail.envelope_from)?;
            file.write_all(&mail.raw)?;
            file.sync_all()?;
        }
        // The rename makes the file appear whole or not at all.
        std::fs::rename(&tmp, &target)?;
        Ok(target)
    }
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
