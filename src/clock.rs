//! The daemon's idea of "now". Real time, unless `--clock` set a starting point: then time
//! runs forward from there, so tests and dry runs can see what a later day would do.

use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};

static OFFSET: OnceLock<Duration> = OnceLock::new();

/// Makes "now" start at `at`; only the first call counts (it is set once, at start-up).
pub fn start_at(at: DateTime<Utc>) {
    let _ = OFFSET.set(at - Utc::now());
}

/// The current time.
pub fn now() -> DateTime<Utc> {
    Utc::now() + OFFSET.get().copied().unwrap_or_else(Duration::zero)
}
