//! The golden corpus: every `tests/fixtures/corpus/*.eml` is parsed and extracted, and the
//! result must equal the `.json` beside it (the contract is `tests/fixtures/corpus/SPEC.md`).
//! `EGOV_DESK_BLESS=1 cargo test --test corpus` rewrites the `.json` files from the code;
//! review the difference before committing it.

mod common;

use chrono::{TimeZone, Utc};
use egov_desk::domain::ServiceMention;
use egov_desk::extract::{extract, Checks, Environment};
use egov_desk::parse::parse;
use serde_json::{json, Value};

fn env(e: Option<Environment>) -> Value {
    e.map_or(Value::Null, |e| json!(e.as_str()))
}

/// What the SPEC says the corpus compares: the extraction, in its JSON form.
fn view(raw: &[u8]) -> Value {
    let parsed = match parse(raw) {
        Ok(p) => p,
        Err(e) => {
            return json!({
                "outcome": e.kind(), "language": null, "services": [], "certificates": [],
                "serials": [], "system_name": null, "public_ips": [], "urls": [],
                "attributes": { "standard": [], "custom": [] }, "event_types": [], "channels": [],
                "problems": [], "document_types": [], "mpower_mode": null, "notes": [],
            })
        }
    };
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
    let ex = extract(&parsed, &Checks::at(now));
    json!({
        "outcome": "ok",
        "language": ex.language.map(|l| l.code()),
        "services": ex.services.iter().map(|m| match m {
            ServiceMention::Service(s) => s.key(),
            ServiceMention::Redirect(r) => r.key(),
        }).collect::<Vec<_>>(),
        "certificates": ex.certificates.iter().map(|c| json!({
            "serial": c.serial.as_hex(), "file": c.file_name, "environment": env(c.environment),
        })).collect::<Vec<_>>(),
        "serials": ex.serials.iter().map(|s| json!({
            "serial": s.serial.as_hex(), "environment": env(s.environment),
        })).collect::<Vec<_>>(),
        "system_name": ex.system_name,
        "public_ips": ex.public_ips.iter().map(|i| json!({
            "address": i.text(), "environment": env(i.environment),
        })).collect::<Vec<_>>(),
        "urls": ex.urls.iter().map(|u| json!({
            "url": u.url, "role": u.role, "environment": env(u.environment),
        })).collect::<Vec<_>>(),
        "attributes": ex.attributes,
        "event_types": ex.event_types,
        "channels": ex.channels,
        "problems": ex.problems,
        "document_types": ex.document_types,
        "mpower_mode": ex.mpower_mode,
        "notes": ex.notes,
    })
}

#[test]
fn every_corpus_message_yields_exactly_what_its_json_says() {
    let dir = common::repo().join("tests/fixtures/corpus");
    let bless = std::env::var("EGOV_DESK_BLESS").as_deref() == Ok("1");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    names.sort();
    let mut failures = Vec::new();
    for eml in &names {
        let got = view(&std::fs::read(eml).unwrap());
        let expected_path = eml.with_extension("json");
        if bless {
            std::fs::write(
                &expected_path,
                serde_json::to_string_pretty(&got).unwrap() + "\n",
            )
            .unwrap();
            continue;
        }
        let expected: Value = match std::fs::read(&expected_path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display())),
            Err(_) => {
                failures.push(format!("{}: no .json beside it", eml.display()));
                continue;
            }
        };
        if got != expected {
            failures.push(difference(
                eml.file_name().unwrap().to_string_lossy().as_ref(),
                &expected,
                &got,
            ));
        }
    }
    assert!(
        names.len() >= 100,
        "the corpus must hold at least 100 messages; found {}",
        names.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} fixtures differ:\n\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
}

/// The keys whose values differ, each with what was expected and what came out.
fn difference(name: &str, expected: &Value, got: &Value) -> String {
    let mut out = format!("== {name}\n");
    let keys = expected
        .as_object()
        .into_iter()
        .flat_map(|o| o.keys())
        .chain(got.as_object().into_iter().flat_map(|o| o.keys()));
    let mut seen = Vec::new();
    for key in keys {
        if seen.contains(key) {
            continue;
        }
        seen.push(key.clone());
        let (e, g) = (&expected[key], &got[key]);
        if e != g {
            out.push_str(&format!("  {key}:\n    expected {e}\n    got      {g}\n"));
        }
    }
    out
}
