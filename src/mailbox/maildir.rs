//! A local Maildir: new mail in `new/` (and `cur/`), handled mail moved to the Maildir++
//! subfolders `.Processed/cur/` and `.Quarantine/cur/`.

use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context, Result};
use tokio::sync::Notify;

use super::{Disposition, Locator, MailboxSource, Waiting};

/// The folder name the Maildir root is known by, as IMAP calls its inbox.
const INBOX: &str = "INBOX";

/// A Maildir read as the incoming mailbox.
pub struct MaildirSource {
    root: PathBuf,
    poll: Duration,
}

impl MaildirSource {
    /// Opens the Maildir at `root`, creating it and its subfolders if missing.
    pub fn open(root: &Path, poll: Duration) -> Result<Self> {
        for dir in [".", ".Processed", ".Quarantine"] {
            for sub in ["new", "cur", "tmp"] {
                let path = root.join(dir).join(sub);
                std::fs::create_dir_all(&path)
                    .with_context(|| format!("creating Maildir folder {}", path.display()))?;
            }
        }
        Ok(Self {
            root: root.to_path_buf(),
            poll,
        })
    }

    /// Resolves a locator to its file, refusing anything that is not a plain file name
    /// directly under `new/` or `cur/` (a locator comes back from the database).
    fn path_of(&self, locator: &Locator) -> Result<PathBuf> {
        let rel = Path::new(&locator.uid);
        let parts: Vec<Component> = rel.components().collect();
        match parts.as_slice() {
            [Component::Normal(dir), Component::Normal(_)]
                if locator.folder == INBOX && (*dir == "new" || *dir == "cur") =>
            {
                Ok(self.root.join(rel))
            }
            _ => bail!("not a Maildir locator: {}/{}", locator.folder, locator.uid),
        }
    }

    fn list(&self, sub: &str) -> Result<Vec<(SystemTime, String, Waiting)>> {
        let dir = self.root.join(sub);
        let mut found = Vec::new();
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
        {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let meta = match entry.metadata() {
                Ok(m) if m.is_file() => m,
                _ => continue,
            };
            if name.starts_with('.') {
                continue;
            }
            let uid = format!("{sub}/{name}");
            let waiting = Waiting {
                locator: Locator {
                    folder: INBOX.to_string(),
                    uid_validity: 0,
                    uid: uid.clone(),
                },
                size: meta.len(),
            };
            found.push((
                meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                uid,
                waiting,
            ));
        }
        Ok(found)
    }
}

impl MailboxSource for MaildirSource {
    fn describe(&self) -> String {
        format!("maildir {}", self.root.display())
    }

    async fn waiting(&mut self) -> Result<Vec<Waiting>> {
        let mut all = self.list("new")?;
        all.extend(self.list("cur")?);
        all.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        Ok(all.into_iter().map(|(_, _, w)| w).collect())
    }

    async fn fetch(&mut self, locator: &Locator) -> Result<Vec<u8>> {
        let path = self.path_of(locator)?;
        tokio::fs::read(&path)
            .await
            .with_context(|| format!("reading {}", path.display()))
    }

    async fn fetch_head(&mut self, locator: &Locator, limit: usize) -> Result<Vec<u8>> {
        let path = self.path_of(locator)?;
        let file =
            std::fs::File::open(&path).with_context(|| format!("reading {}", path.display()))?;
        let mut head = Vec::with_capacity(limit.min(1 << 20));
        file.take(limit as u64)
            .read_to_end(&mut head)
            .with_context(|| format!("reading {}", path.display()))?;
        Ok(head)
    }

    async fn fetch_many(&mut self, locators: &[Locator]) -> Result<Vec<Result<Vec<u8>>>> {
        let mut out = Vec::with_capacity(locators.len());
        for locator in locators {
            out.push(self.fetch(locator).await);
        }
        Ok(out)
    }

    async fn settle_many(
        &mut self,
        batch: &[(Locator, Option<String>)],
        disposition: Disposition,
    ) -> Result<()> {
        for (locator, message_id) in batch {
            self.settle(locator, message_id.as_deref(), disposition)
                .await?;
        }
        Ok(())
    }

    async fn recorded(&mut self, _locators: &[Locator]) -> Result<()> {
        // Files stay in new/ until settled; listing them again is cheap and the ledger dedups.
        Ok(())
    }

    async fn settle(
        &mut self,
        locator: &Locator,
        _message_id: Option<&str>,
        disposition: Disposition,
    ) -> Result<()> {
        let from = self.path_of(locator)?;
        let folder = match disposition {
            Disposition::Processed => ".Processed",
            Disposition::Quarantine => ".Quarantine",
        };
        let file_name = from
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Maildir info suffix ":2,FLAGS": the base name stays unique, the flag says "seen".
        let base = file_name.split(':').next().unwrap_or(&file_name);
        let to = free_name(&self.root.join(folder).join("cur"), base);
        match std::fs::rename(&from, &to) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!(file = %from.display(), "message file already gone when moving it");
                Ok(())
            }
            Err(e) => Err(e).with_context(|| format!("moving {} to {folder}", from.display())),
        }
    }

    async fn wait_for_mail(&mut self, max_wait: Duration, interrupt: &Notify) -> Result<()> {
        tokio::select! {
            () = tokio::time::sleep(self.poll.min(max_wait)) => {}
            () = interrupt.notified() => {}
        }
        Ok(())
    }
}

/// `<dir>/<base>:2,S`, or `<base>.N:2,S` when a different message already took that name
/// (people drop files called `1.eml` more than once).
fn free_name(dir: &Path, base: &str) -> PathBuf {
    let mut candidate = dir.join(format!("{base}:2,S"));
    let mut n = 1;
    while candidate.exists() {
        candidate = dir.join(format!("{base}.{n}:2,S"));
        n += 1;
    }
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_message_dropped_in_new_is_listed_fetched_and_moved() {
        let dir = tempfile::tempdir().unwrap();
        let mut md = MaildirSource::open(dir.path(), Duration::from_millis(10)).unwrap();
        std::fs::write(dir.path().join("new/1.eml"), b"Subject: x\r\n\r\nhi").unwrap();

        let waiting = md.waiting().await.unwrap();
        assert_eq!(waiting.len(), 1);
        assert_eq!(waiting[0].locator.uid, "new/1.eml");
        assert_eq!(waiting[0].size, 16);
        assert_eq!(
            md.fetch(&waiting[0].locator).await.unwrap(),
            b"Subject: x\r\n\r\nhi"
        );

        md.settle(&waiting[0].locator, None, Disposition::Processed)
            .await
            .unwrap();
        assert!(md.waiting().await.unwrap().is_empty());
        assert!(dir.path().join(".Processed/cur/1.eml:2,S").is_file());
    }

    #[tokio::test]
    async fn a_locator_that_escapes_the_maildir_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut md = MaildirSource::open(dir.path(), Duration::from_millis(10)).unwrap();
        for uid in ["../../etc/passwd", "new/../../x", "/etc/passwd", "tmp/x"] {
            let loc = Locator {
                folder: INBOX.into(),
                uid_validity: 0,
                uid: uid.into(),
            };
            assert!(md.fetch(&loc).await.is_err(), "{uid}");
        }
    }

    #[tokio::test]
    async fn a_second_file_of_the_same_name_does_not_overwrite_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let mut md = MaildirSource::open(dir.path(), Duration::from_millis(10)).unwrap();
        for body in ["first", "second"] {
            std::fs::write(dir.path().join("new/1.eml"), body).unwrap();
            let w = md.waiting().await.unwrap();
            md.settle(&w[0].locator, None, Disposition::Processed)
                .await
                .unwrap();
        }
        let done = dir.path().join(".Processed/cur");
        assert_eq!(
            std::fs::read_to_string(done.join("1.eml:2,S")).unwrap(),
            "first"
        );
        assert_eq!(
            std::fs::read_to_string(done.join("1.eml.1:2,S")).unwrap(),
            "second"
        );
    }

    #[tokio::test]
    async fn settling_a_vanished_file_is_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut md = MaildirSource::open(dir.path(), Duration::from_millis(10)).unwrap();
        let loc = Locator {
            folder: INBOX.into(),
            uid_validity: 0,
            uid: "new/gone".into(),
        };
        md.settle(&loc, None, Disposition::Quarantine)
            .await
            .unwrap();
    }
}
