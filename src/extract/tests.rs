//! Tests of extract as a whole: how many certificates one message may file.

use chrono::{TimeZone, Utc};

use super::*;

/// `count` distinct PEM certificates: the test certificate with the last two bytes of its
/// serial changed (nothing here checks signatures).
fn pem_certificates(count: u16) -> String {
    let der = include_bytes!("../../tests/fixtures/certs/system-test.cer");
    let serial = [0x4f, 0x3a, 0x00, 0x1b, 0x22, 0xc0, 0xff, 0xee, 0x01];
    let at = der
        .windows(serial.len())
        .position(|w| w == serial)
        .expect("the serial in the DER")
        + serial.len()
        - 2;
    (0..count)
        .map(|i| {
            let mut one = der.to_vec();
            one[at..at + 2].copy_from_slice(&i.to_be_bytes());
            let body = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &one);
            format!("-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n")
        })
        .collect()
}

fn file(name: &str, bytes: Vec<u8>) -> Attachment {
    Attachment {
        name: Some(name.into()),
        content_type: "application/octet-stream".into(),
        bytes,
    }
}

fn checks() -> Checks {
    Checks::at(Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap())
}

#[test]
fn ten_thousand_certificates_file_ten_and_one_problem() {
    let message = ParsedMessage {
        text: "Conectare MDocs".into(),
        attachments: vec![file(
            "certificate.txt",
            pem_certificates(10_000).into_bytes(),
        )],
        ..ParsedMessage::default()
    };
    let ex = extract(&message, &checks());
    assert_eq!(ex.certificates.len(), 10);
    assert_eq!(ex.certificates[0].serial.as_hex(), "4F3A001B22C0FF0000");
    assert_eq!(
        ex.problems,
        [Problem::TooManyCertificates {
            found: 10_000,
            limit: 10
        }]
    );
}

#[test]
fn the_cap_counts_every_attachment_of_the_message_and_repeats_once() {
    let all = pem_certificates(12);
    let (first, second) = all.split_at(all.len() / 2);
    let message = ParsedMessage {
        attachments: vec![
            file("a.pem", first.as_bytes().to_vec()),
            file("a-again.pem", first.as_bytes().to_vec()),
            file("b.txt", second.as_bytes().to_vec()),
        ],
        ..ParsedMessage::default()
    };
    let tight = Checks {
        max_certificates: 8,
        ..checks()
    };
    let ex = extract(&message, &tight);
    assert_eq!(ex.certificates.len(), 8);
    assert_eq!(
        ex.problems,
        [Problem::TooManyCertificates {
            found: 12,
            limit: 8
        }]
    );
    let within = extract(&message, &checks());
    assert_eq!(within.certificates.len(), 10);
    let exact = Checks {
        max_certificates: 12,
        ..checks()
    };
    let ex = extract(&message, &exact);
    assert_eq!(ex.certificates.len(), 12);
    assert!(ex.problems.is_empty(), "{:?}", ex.problems);
}

#[test]
fn certificates_and_keys_in_nested_zips_are_read_and_too_deep_ones_refused() {
    let der = include_bytes!("../../tests/fixtures/certs/system-test.cer").to_vec();
    let inner = zip_of(&[("sistem-test.cer", der), ("l2.zip", nested_zips(2))]);
    let message = ParsedMessage {
        attachments: vec![file("acte.zip", zip_of(&[("interior.zip", inner)]))],
        ..ParsedMessage::default()
    };
    let ex = extract(&message, &checks());
    assert_eq!(
        ex.certificates[0].file_name,
        "acte.zip/interior.zip/sistem-test.cer"
    );
    assert_eq!(ex.certificates[0].environment, Some(Environment::Test));
    assert_eq!(
        ex.problems,
        [Problem::ArchiveRefused {
            file: "acte.zip/interior.zip/l2.zip/l2.zip".into(),
            reason: Refusal::TooDeep
        }]
    );
    // The key past the depth read is still found, so the ledger never stores it.
    assert!(attachment_holds_private_key(&message.attachments[0]));
    let within = file("acte.zip", nested_zips(3));
    assert!(attachment_holds_private_key(&within));
    let ex = extract(
        &ParsedMessage {
            attachments: vec![within],
            ..ParsedMessage::default()
        },
        &checks(),
    );
    assert_eq!(
        ex.problems,
        [Problem::PrivateKey {
            file: "acte.zip/l2.zip/l3.zip/key.pem".into()
        }]
    );
}
