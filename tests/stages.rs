//! Parse and extract, the pure stages, on the `.eml` fixtures under `tests/fixtures/mail/`.

mod common;

use chrono::{TimeZone, Utc};
use egov_desk::domain::{IpClass, Language, Service, ServiceMention};
use egov_desk::extract::{extract, Checks, Extraction, Problem};
use egov_desk::parse::{parse, ParseError};

fn read(name: &str) -> Extraction {
    let raw = common::fixture(&format!("mail/{name}.eml"));
    let parsed = parse(&raw).unwrap_or_else(|e| panic!("{name}: {e}"));
    // A fixed "now" so certificate validity does not depend on the day the tests run.
    extract(
        &parsed,
        &Checks::at(Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()),
    )
}

#[test]
fn a_romanian_mail_with_a_der_certificate() {
    let ex = read("ro-mdocs-complete");
    assert_eq!(ex.language, Some(Language::Ro));
    assert_eq!(ex.services, vec![ServiceMention::Service(Service::MDocs)]);
    assert_eq!(ex.certificates.len(), 1);
    let cert = &ex.certificates[0];
    assert_eq!(cert.serial.as_hex(), "4F3A001B22C0FFEE01");
    assert!(
        cert.subject.contains("SIA Registrul TEST"),
        "{}",
        cert.subject
    );
    assert!(cert.issuer.contains("STISC Test CA"), "{}", cert.issuer);
    assert!(cert.not_before < cert.not_after);
    assert_eq!(cert.file_name, "sistem-test.cer");
    assert_eq!(ex.system_name.as_deref(), Some("Registrul Școlar"));
    assert_eq!(
        ex.public_ips
            .iter()
            .map(|i| i.addr.to_string())
            .collect::<Vec<_>>(),
        ["194.0.2.10"]
    );
    assert!(ex.problems.is_empty(), "{:?}", ex.problems);
}

#[test]
fn a_romanian_mail_without_diacritics_with_a_serial_in_the_text() {
    let ex = read("ro-mpass-partial");
    assert_eq!(ex.language, Some(Language::Ro));
    assert_eq!(ex.services, vec![ServiceMention::Service(Service::MPass)]);
    assert!(ex.certificates.is_empty());
    assert_eq!(
        ex.serials
            .iter()
            .map(|s| s.serial.as_hex())
            .collect::<Vec<_>>(),
        ["4F3A001B22C0FFEE01"]
    );
    assert_eq!(ex.system_name.as_deref(), Some("SIME"));
}

#[test]
fn a_russian_mail_with_serial_name_and_ip() {
    let ex = read("ru-msign");
    assert_eq!(ex.language, Some(Language::Ru));
    assert_eq!(ex.services, vec![ServiceMention::Service(Service::MSign)]);
    assert_eq!(
        ex.serials
            .iter()
            .map(|s| s.serial.as_hex())
            .collect::<Vec<_>>(),
        ["4F3A001B22C0FFEE02"]
    );
    assert_eq!(ex.system_name.as_deref(), Some("Е-Пенсия"));
    assert_eq!(ex.public_ips[0].addr.to_string(), "85.120.33.7");
}

#[test]
fn an_english_mail_with_a_pem_certificate_sent_as_octet_stream() {
    let ex = read("en-mlog-pem");
    assert_eq!(ex.language, Some(Language::En));
    assert_eq!(
        ex.certificates.len(),
        1,
        "detected by content, not by MIME type"
    );
    assert_eq!(ex.certificates[0].serial.as_hex(), "4F3A001B22C0FFEE02");
    assert_eq!(ex.system_name.as_deref(), Some("TelecomReg"));
    assert_eq!(
        ex.public_ips
            .iter()
            .map(|i| i.addr.to_string())
            .collect::<Vec<_>>(),
        ["89.28.10.20"]
    );
    assert_eq!(
        ex.problems,
        vec![Problem::NonPublicIp {
            address: "10.0.0.5".into(),
            class: IpClass::Private
        }]
    );
}

#[test]
fn a_corrupt_certificate_is_a_problem_not_an_item() {
    let ex = read("ro-corrupt-cert");
    assert!(ex.certificates.is_empty());
    assert_eq!(
        ex.problems,
        vec![Problem::UnreadableCertificate {
            file: "cnam.cer".into()
        }]
    );
}

#[test]
fn an_expired_certificate_is_read_and_flagged() {
    let ex = read("ro-expired-cert");
    assert_eq!(ex.certificates.len(), 1);
    assert!(
        matches!(&ex.problems[..], [Problem::ExpiredCertificate { not_after, .. }] if not_after == "2021-01-01"),
        "{:?}",
        ex.problems
    );
}

#[test]
fn a_pfx_is_a_private_key() {
    let ex = read("ro-private-key");
    assert!(ex.has_private_key());
    assert!(
        ex.certificates.is_empty(),
        "nothing is read out of a key bundle"
    );
}

#[test]
fn a_pem_private_key_is_recognised_even_with_a_certificate_name() {
    let key = common::fixture("certs/test-only-private-key.pem");
    let raw = [
        b"From: a@b.md\r\nSubject: MSign\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"=_Part_7f3a\"\r\n\r\n--=_Part_7f3a\r\nContent-Type: text/plain\r\n\r\ncert attached\r\n--=_Part_7f3a\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"system.cer\"\r\n\r\n".as_slice(),
        &key,
        b"\r\n--=_Part_7f3a--\r\n",
    ]
    .concat();
    let ex = extract(&parse(&raw).unwrap(), &Checks::at(Utc::now()));
    assert!(ex.has_private_key(), "{:?}", ex.problems);
}

#[test]
fn the_redirected_platforms_are_recognised() {
    assert_eq!(
        read("ro-mpay").services,
        vec![ServiceMention::Redirect(egov_desk::domain::Redirect::MPay)]
    );
}

#[test]
fn an_auto_reply_is_marked_automated() {
    let raw = common::fixture("mail/en-out-of-office.eml");
    assert!(parse(&raw).unwrap().automated.is_some());
}

#[test]
fn unreadable_fixtures_are_refused_with_a_reason() {
    assert_eq!(
        parse(&common::fixture("mail/malformed-no-sender.eml")).unwrap_err(),
        ParseError::NoSender
    );
    assert!(parse(&common::fixture("mail/binary-junk.eml")).is_err());
}

#[test]
fn every_fixture_goes_through_both_stages_without_panicking() {
    let dir = common::repo().join("tests/fixtures/mail");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let raw = std::fs::read(entry.unwrap().path()).unwrap();
        if let Ok(p) = parse(&raw) {
            let _ = extract(&p, &Checks::at(Utc::now()));
        }
        // Truncations are what broken transfers produce.
        for cut in [raw.len() / 2, raw.len() / 3, 17] {
            if let Ok(p) = parse(&raw[..cut.min(raw.len())]) {
                let _ = extract(&p, &Checks::at(Utc::now()));
            }
        }
        seen += 1;
    }
    assert!(seen >= 12, "fixtures missing: {seen}");
}
