//! Parse and extract of single messages (criterion): the CPU cost per message of the
//! workflow stage before any database work. `cargo bench --bench parse_extract`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use egov_desk::extract::{extract, Checks};
use egov_desk::parse::{parse_within, Limits};

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mail");
    std::fs::read(path.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn parse_and_extract(c: &mut Criterion) {
    let limits = Limits::default();
    let checks = Checks {
        now: chrono::Utc::now(),
        expiry_warning_days: 30,
        min_rsa_bits: 2048,
        min_ec_bits: 256,
        max_certificates: limits.max_certificates,
    };
    // A typical request: a few lines of Romanian with a system name, an IP, document
    // types and one DER certificate attached.
    for name in ["ro-mdocs-complete.eml", "en-mlog-pem.eml", "ru-msign.eml"] {
        let raw = fixture(name);
        c.bench_function(&format!("parse+extract {name}"), |b| {
            b.iter(|| {
                let parsed = parse_within(black_box(&raw), &limits).expect("parses");
                black_box(extract(&parsed, &checks))
            })
        });
    }
}

criterion_group!(benches, parse_and_extract);
criterion_main!(benches);
