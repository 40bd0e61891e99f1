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

const PROD_PEM: &str = include_str!("../../tests/fixtures/certs/system-prod.pem");

fn pem_of(der: &[u8]) -> String {
    let body = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

fn in_text(text: &str) -> ParsedMessage {
    ParsedMessage {
        text: text.into(),
        ..ParsedMessage::default()
    }
}

#[test]
fn a_certificate_pasted_in_the_text_is_read_like_an_attached_one() {
    let pasted = extract(&in_text(&format!("Certificatul:\n{PROD_PEM}")), &checks());
    let attached = extract(
        &ParsedMessage {
            attachments: vec![file("sistem.pem", PROD_PEM.as_bytes().to_vec())],
            ..ParsedMessage::default()
        },
        &checks(),
    );
    assert_eq!(pasted.certificates.len(), 1);
    assert_eq!(pasted.certificates[0].file_name, "message text");
    assert_eq!(
        CertificateInfo {
            file_name: "sistem.pem".into(),
            ..pasted.certificates[0].clone()
        },
        attached.certificates[0]
    );
    let expired = include_bytes!("../../tests/fixtures/certs/expired.cer");
    let ex = extract(&in_text(&pem_of(expired)), &checks());
    assert_eq!(
        ex.problems,
        [Problem::ExpiredCertificate {
            file: "message text".into(),
            serial: "0A".into(),
            not_after: "2021-01-01".into()
        }]
    );
}

#[test]
fn a_certificate_pasted_as_mail_clients_leave_it_is_read() {
    // Indented, CRLF, a blank line inside, and re-wrapped to 76 columns.
    let b64: String = PROD_PEM.lines().filter(|l| !l.starts_with("---")).collect();
    let rewrapped: Vec<String> = b64
        .as_bytes()
        .chunks(76)
        .map(|c| format!("   {}", std::str::from_utf8(c).unwrap()))
        .collect();
    let text = format!(
        "Bună ziua,\r\n\r\n   -----BEGIN CERTIFICATE-----\r\n{}\r\n\r\n{}\r\n   -----END CERTIFICATE-----\r\n",
        rewrapped[..3].join("\r\n"),
        rewrapped[3..].join("\r\n")
    );
    let parsed = crate::parse::parse(
        format!("From: ion@institutie.md\r\nSubject: MPass\r\n\r\n{text}").as_bytes(),
    )
    .unwrap();
    let ex = extract(&parsed, &checks());
    assert_eq!(ex.certificates.len(), 1, "{:?}", ex.problems);
    assert_eq!(ex.certificates[0].serial.as_hex(), "4F3A001B22C0FFEE02");
}

#[test]
fn a_quoted_certificate_is_history_and_not_read() {
    let quoted: String = PROD_PEM.lines().map(|l| format!("> {l}\n")).collect();
    let ex = extract(
        &in_text(&format!("Vedeți mai jos.\n\nOn Mon, Ion wrote:\n{quoted}")),
        &checks(),
    );
    assert!(ex.certificates.is_empty());
    let ex = extract(&in_text(&format!("Vedeți mai jos.\n{quoted}")), &checks());
    assert!(ex.certificates.is_empty() && ex.problems.is_empty());
}

#[test]
fn a_corrupt_pasted_block_is_an_unreadable_certificate_told_once() {
    let corrupt = "-----BEGIN CERTIFICATE-----\nMIIC/jCC*AeYCCU86\n-----END CERTIFICATE-----\n";
    let cut = "-----BEGIN CERTIFICATE-----\nMIIC/jCCAeYCCU86ABsiwP/uAjANBgkqhkiG9w0BAQsFADA1MQswCQYDVQQGEwJN\n";
    let ex = extract(&in_text(&format!("{corrupt}\n{corrupt}\n{cut}")), &checks());
    assert_eq!(
        ex.problems,
        [Problem::UnreadableCertificate {
            file: "message text".into()
        }]
    );
}

#[test]
fn a_certificate_both_attached_and_pasted_is_the_attached_file_s() {
    let message = ParsedMessage {
        text: PROD_PEM.into(),
        attachments: vec![file("sistem.pem", PROD_PEM.as_bytes().to_vec())],
        ..ParsedMessage::default()
    };
    let ex = extract(&message, &checks());
    assert_eq!(ex.certificates.len(), 1);
    assert_eq!(ex.certificates[0].file_name, "sistem.pem");
}

#[test]
fn the_cap_counts_attached_and_pasted_certificates_together() {
    let all = pem_certificates(12);
    let split = all.match_indices("-----BEGIN").nth(8).unwrap().0;
    let message = ParsedMessage {
        text: format!("Restul:\n{}", &all[split..]),
        attachments: vec![file("a.pem", all.as_bytes()[..split].to_vec())],
        ..ParsedMessage::default()
    };
    let ex = extract(&message, &checks());
    assert_eq!(ex.certificates.len(), 10);
    assert_eq!(ex.certificates[8].file_name, "message text");
    assert_eq!(
        ex.problems,
        [Problem::TooManyCertificates {
            found: 12,
            limit: 10
        }]
    );
}

#[test]
fn a_pasted_block_is_never_read_as_serials_addresses_or_words() {
    // Base64 can spell a label ("+sn/") and a value after it; the block is not text.
    let block = "-----BEGIN CERTIFICATE-----\nAAAA+sn/4F3A001B22+AAAA\n-----END CERTIFICATE-----";
    assert!(!serial::serials_in(block).is_empty());
    let ex = extract(
        &in_text(&format!(
            "{block}\nSerial number: 01:02:03:04\nIP: 194.0.2.10"
        )),
        &checks(),
    );
    let serials: Vec<&str> = ex.serials.iter().map(|s| s.serial.as_hex()).collect();
    assert_eq!(serials, ["01020304"]);
    assert_eq!(ex.public_ips.len(), 1);
}

#[test]
fn problems_in_the_text_keep_their_order_around_a_pasted_block() {
    let key = include_str!("../../tests/fixtures/certs/test-only-private-key.pem");
    let ex = extract(
        &in_text(&format!("IP: 10.0.0.1\n{PROD_PEM}{key}")),
        &checks(),
    );
    assert!(matches!(
        ex.problems[..],
        [Problem::NonPublicIp { .. }, Problem::PrivateKey { .. }]
    ));
    let ex = extract(&in_text(&format!("{key}{PROD_PEM}IP: 10.0.0.1")), &checks());
    assert!(matches!(
        ex.problems[..],
        [Problem::PrivateKey { .. }, Problem::NonPublicIp { .. }]
    ));
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

#[test]
fn a_certificate_pasted_in_html_mail_is_read() {
    let lines: Vec<&str> = PROD_PEM.lines().collect();
    for html in [
        format!(
            "<div>Certificatul TEST:</div><div>{}</div>",
            lines.join("</div><div>")
        ),
        format!("<p>Certificatul TEST:<br>{}</p>", lines.join("<br>\r\n")),
        format!("<pre>Certificatul TEST:\n{PROD_PEM}</pre>"),
    ] {
        let raw = format!(
            "From: ion@institutie.md\r\nSubject: MPass\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>{html}</body></html>\r\n"
        );
        let ex = extract(&crate::parse::parse(raw.as_bytes()).unwrap(), &checks());
        assert_eq!(ex.certificates.len(), 1, "{html}: {:?}", ex.problems);
        assert_eq!(ex.certificates[0].environment, Some(Environment::Test));
    }
}

#[test]
fn a_platform_named_below_the_sign_off_is_no_request() {
    let named = |text: &str| {
        let message = ParsedMessage {
            subject: "Conectare MSign".into(),
            text: text.into(),
            ..ParsedMessage::default()
        };
        extract(&message, &checks()).services
    };
    let msign = [ServiceMention::Service(crate::domain::Service::MSign)];
    // A signature and a disclaimer naming platforms would each have opened a case.
    assert_eq!(
        named("Bună ziua,\nDorim conectarea la MSign.\n\nCu stimă,\nIon Popescu\nResponsabil integrare MPass și MLog"),
        msign
    );
    assert_eq!(
        named("Hello,\nWe request MSign.\n\nKind regards,\nIon\n\nDISCLAIMER: about MPass and MNotify."),
        msign
    );
    // Above the sign-off every platform counts.
    assert_eq!(named("Dorim MSign și MPass.\nMulțumim,\nIon").len(), 2);
}

#[test]
fn only_the_head_of_a_huge_text_is_read() {
    let mut text = "Denumirea sistemului: Registrul\nIP: 194.0.2.10\n".to_string();
    while text.len() <= MAX_TEXT_BYTES {
        text.push_str("Lorem ipsum dolor sit amet, și așa mai departe.\n");
    }
    text.push_str("IP: 194.0.2.99\n");
    let ex = extract(&in_text(&text), &checks());
    assert_eq!(ex.system_name.as_deref(), Some("Registrul"));
    let ips: Vec<String> = ex.public_ips.iter().map(|i| i.text()).collect();
    assert_eq!(ips, ["194.0.2.10"], "the address past the cap is not read");
    assert_eq!(head("ab\ncd", 4), "ab");
    assert_eq!(head("aș", 2), "a", "never inside a character");
}
