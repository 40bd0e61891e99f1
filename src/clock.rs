//! The daemon's idea of "now". Real time, unless `--clock` set a starting point: then time
//! runs forward from there, so tests and dry runs can see what a later day would do.
//!
//! The binary sets that starting point once for the whole process. Tests that run many desks
//! in one process, each at its own time, use [`starting_at`] instead: a task-local starting
//! point that [`now`] reads before the process-wide one, and that [`carried`] takes along to
//! the blocking threads of [`crate::cpu`]. The daemon itself never sets one, so its
//! behaviour does not change.

use std::future::Future;
use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};

static OFFSET: OnceLock<Duration> = OnceLock::new();

tokio::task_local! {
    /// The offset from real time inside [`starting_at`].
    static SCOPED: Duration;
}

/// Makes "now" start at `at`; only the first call counts (it is set once, at start-up).
pub fn start_at(at: DateTime<Utc>) {
    let _ = OFFSET.set(at - Utc::now());
}

/// The current time.
pub fn now() -> DateTime<Utc> {
    let offset = SCOPED
        .try_with(|o| *o)
        .unwrap_or_else(|_| OFFSET.get().copied().unwrap_or_else(Duration::zero));
    Utc::now() + offset
}

/// Runs `work` with "now" starting at `at` for it alone (and for what it hands to
/// [`carried`] closures), leaving the process-wide clock and other tasks untouched.
pub async fn starting_at<F: Future>(at: DateTime<Utc>, work: F) -> F::Output {
    SCOPED.scope(at - Utc::now(), work).await
}

/// Wraps `f`, which is to run on another thread, so that it sees the caller's clock: a
/// task-local value does not cross into `spawn_blocking` by itself.
pub fn carried<R>(f: impl FnOnce() -> R) -> impl FnOnce() -> R {
    let scoped = SCOPED.try_with(|o| *o).ok();
    move || match scoped {
        Some(offset) => SCOPED.sync_scope(offset, f),
        None => f(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_scoped_clock_reaches_blocking_threads_and_ends_with_its_scope() {
        let at = DateTime::parse_from_rfc3339("2031-03-04T05:06:07Z")
            .unwrap()
            .with_timezone(&Utc);
        let (inside, on_worker) = starting_at(at, async {
            let worker = tokio::task::spawn_blocking(carried(now)).await.unwrap();
            (now(), worker)
        })
        .await;
        for seen in [inside, on_worker] {
            assert!((seen - at).num_seconds().abs() < 5, "{seen}");
        }
        assert!((now() - Utc::now()).num_seconds().abs() < 5);
    }
}
