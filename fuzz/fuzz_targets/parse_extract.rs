//! Hostile bytes through everything a message meets before the workflow: the ledger's
//! private-key redaction, parse, and extract (containers, certificates, text). Nothing may
//! panic, hang or grow without bound.
#![no_main]

use chrono::{TimeZone, Utc};
use egov_desk::extract::{extract, Checks};
use egov_desk::ledger::without_private_keys;
use egov_desk::parse::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let stored = without_private_keys(data);
    let bytes = stored.as_deref().unwrap_or(data);
    if let Ok(message) = parse(bytes) {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let _ = extract(&message, &Checks::at(now));
    }
});
