//! IMAP IDLE (RFC 2177): the server pushes new mail, under a watchdog.

use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use tokio::sync::Notify;

use super::ImapSource;

impl ImapSource {
    /// Waits in IDLE until the server reports a change, `interrupt` rings, or `wait` passes.
    pub(super) async fn idle(&mut self, wait: Duration, interrupt: &Notify) -> Result<()> {
        let session = self.session.take().context("no IMAP session")?;
        let limit = self.limit();
        let mut handle = session.idle();
        tokio::time::timeout(limit, handle.init())
            .await
            .map_err(|_| anyhow!("IDLE was not accepted in time"))?
            .context("starting IDLE")?;
        let outcome = {
            let (idle, stop) = handle.wait_with_timeout(wait);
            tokio::pin!(idle);
            // The watchdog: an IDLE that outlives its own timeout means a silent stall.
            let watchdog = tokio::time::sleep(wait + limit);
            tokio::pin!(watchdog);
            tokio::select! {
                r = &mut idle => r.map(|r| format!("{r:?}")),
                () = interrupt.notified() => {
                    drop(stop);
                    idle.await.map(|_| "interrupted".to_string())
                }
                () = &mut watchdog => return Err(anyhow!("IDLE stalled: no answer in {} s", (wait + limit).as_secs())),
            }
        };
        let outcome = outcome.context("waiting in IDLE")?;
        tracing::debug!(%outcome, "IDLE ended");
        let session = tokio::time::timeout(limit, handle.done())
            .await
            .map_err(|_| anyhow!("DONE was not answered in time"))?
            .context("ending IDLE")?;
        self.session = Some(session);
        Ok(())
    }
}
