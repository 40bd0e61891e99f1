//! Tests of parse: headers, limits, and sender text cleaned where it enters.

use super::*;

const SIMPLE: &[u8] = b"From: Ion Popescu <Ion@ASP.gov.md>\r\n\
To: servicii@egov.md\r\n\
Subject: Re: [EGOV-2026-0001] MPass\r\n\
Message-ID: <abc@asp.gov.md>\r\n\
In-Reply-To: <x1@egov.md>\r\n\
References: <x0@egov.md> <x1@egov.md>\r\n\
\r\n\
Buna ziua\r\n";

#[test]
fn headers_and_text_are_read() {
    let p = parse(SIMPLE).unwrap();
    assert_eq!(p.message_id.as_deref(), Some("abc@asp.gov.md"));
    assert_eq!(p.from.unwrap().as_str(), "ion@asp.gov.md");
    assert_eq!(p.from_name.as_deref(), Some("Ion Popescu"));
    assert_eq!(p.subject, "Re: [EGOV-2026-0001] MPass");
    assert_eq!(p.in_reply_to, vec!["x1@egov.md"]);
    assert_eq!(p.references, vec!["x0@egov.md", "x1@egov.md"]);
    assert!(p.text.contains("Buna ziua"));
    assert!(p.automated.is_none());
    assert_eq!(p.authors, 1);
}

#[test]
fn every_author_is_counted() {
    let two = b"From: a@b.md, c@d.md\r\n\r\nhi\r\n";
    assert_eq!(parse(two).unwrap().authors, 2);
    let twice = b"From: a@b.md\r\nFrom: c@d.md\r\n\r\nhi\r\n";
    assert_eq!(parse(twice).unwrap().authors, 2);
}

#[test]
fn a_message_without_sender_is_refused() {
    let raw = b"To: servicii@egov.md\r\nSubject: x\r\n\r\nbody\r\n";
    assert_eq!(parse(raw).unwrap_err(), ParseError::NoSender);
}

#[test]
fn binary_junk_is_not_a_message() {
    assert!(parse(&[0u8, 159, 146, 150, 0, 1, 2]).is_err());
    assert!(parse(b"").is_err());
}

#[test]
fn auto_replies_and_bounces_are_marked_automated() {
    let raw = b"From: a@b.md\r\nAuto-Submitted: auto-replied\r\n\r\nout of office\r\n";
    assert!(parse(raw).unwrap().automated.is_some());
    let raw = b"From: MAILER-DAEMON@b.md\r\n\r\nundeliverable\r\n";
    assert!(parse(raw).unwrap().automated.is_some());
    let raw = b"From: a@b.md\r\nAuto-Submitted: no\r\n\r\nhi\r\n";
    assert!(parse(raw).unwrap().automated.is_none());
}

#[test]
fn hostile_structures_are_refused_whole() {
    let mut deep = String::from("From: a@b.md\r\n");
    for i in 0..12 {
        deep.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}xx\"\r\n\r\n--b{i}xx\r\n"
        ));
    }
    deep.push_str("Content-Type: text/plain\r\n\r\nhi\r\n");
    assert_eq!(parse(deep.as_bytes()).unwrap_err(), ParseError::TooDeep);

    let mut many =
        String::from("From: a@b.md\r\nContent-Type: multipart/mixed; boundary=\"sep-sep\"\r\n\r\n");
    for _ in 0..120 {
        many.push_str("--sep-sep\r\nContent-Type: text/plain\r\n\r\nx\r\n");
    }
    many.push_str("--sep-sep--\r\n");
    assert!(matches!(
        parse(many.as_bytes()),
        Err(ParseError::TooManyParts(_))
    ));

    let huge = format!(
        "From: a@b.md\r\nX-Filler: {}\r\n\r\nbody\r\n",
        "a".repeat(70_000)
    );
    assert!(matches!(
        parse(huge.as_bytes()),
        Err(ParseError::HeaderTooLarge(_))
    ));
}

#[test]
fn an_oversized_certificate_file_refuses_the_message() {
    let raw = format!(
        "From: a@b.md\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"=_x_1\"\r\n\r\n\
         --=_x_1\r\nContent-Type: text/plain\r\n\r\nhi\r\n--=_x_1\r\n\
         Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"big.cer\"\r\n\r\n{}\r\n--=_x_1--\r\n",
        "A".repeat(2000)
    );
    let tight = Limits {
        max_certificate_bytes: 1000,
        ..Limits::default()
    };
    assert!(matches!(
        parse_within(raw.as_bytes(), &tight),
        Err(ParseError::CertificateTooLarge(..))
    ));
    assert!(parse(raw.as_bytes()).is_ok());
}

#[test]
fn message_id_is_read_from_headers_alone() {
    assert_eq!(message_id_of(SIMPLE).as_deref(), Some("abc@asp.gov.md"));
    assert_eq!(message_id_of(b"From: a@b.md\r\n\r\n"), None);
}

#[test]
fn a_subject_of_several_lines_is_read_as_one() {
    // "Conectare MDocs\nVă rugăm să trimiteți parola" as one encoded-word.
    let raw = b"From: a@b.md\r\nSubject: =?utf-8?b?Q29uZWN0YXJlIE1Eb2NzClbEgyBydWfEg20gc8SDIHRyaW1pdGXIm2kgcGFyb2xh?=\r\n\r\nhi\r\n";
    assert_eq!(
        parse(raw).unwrap().subject,
        "Conectare MDocs Vă rugăm să trimiteți parola"
    );
}

#[test]
fn terminal_controls_never_leave_parse() {
    let raw = "From: =?utf-8?b?SW9uIBtbOG1Qb3Blc2N1?= <a@b.md>\r\n\
        Subject: =?utf-8?b?TURvY3MgG10wO3RpdGx1BxtbMzFtcm/ImXU=?=\r\n\
        Message-ID: <id\u{1b}[2J@b.md>\r\n\
        In-Reply-To: <x\u{7}@egov.md>\r\n\
        X-Loop: Servicii@Egov.md\u{7}\r\n\
        Authentication-Results: mx.egov.md;\r\n\tdkim=pass\u{1b}[0m\r\n\
        MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
        --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
        Instituția: ASP\u{1b}]0;x\u{7}\r\n\u{202e}rândul doi\u{2028}trei\r\n\
        --b\r\nContent-Type: application/octet-stream\r\n\
        Content-Disposition: attachment; filename*=utf-8''a%0D%0Ab%1B%07.cer\r\n\r\nabc\r\n--b--\r\n";
    let p = parse(raw.as_bytes()).unwrap();
    assert_eq!(p.from_name.as_deref(), Some("Ion [8mPopescu"));
    assert_eq!(p.subject, "MDocs ]0;titlu[31mroșu");
    assert_eq!(p.message_id.as_deref(), Some("id[2J@b.md"));
    assert_eq!(p.in_reply_to, ["x@egov.md"]);
    assert_eq!(p.loop_marks, ["servicii@egov.md"]);
    assert_eq!(
        p.authentication_results.as_deref(),
        Some("mx.egov.md; dkim=pass[0m")
    );
    assert_eq!(p.text, "Instituția: ASP]0;x\nrândul doi\ntrei");
    assert_eq!(p.attachments[0].name.as_deref(), Some("a b.cer"));
}

#[test]
fn entities_in_html_decode_to_controls_that_are_then_removed() {
    let raw = b"From: a@b.md\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
        <div>Institutia: ASP&#27;]0;x&#7; &#x1b;[2J</div><div>doi&#x202E;</div>\r\n";
    assert_eq!(parse(raw).unwrap().text, "Institutia: ASP]0;x [2J\ndoi\n");
}

#[test]
fn a_delivery_report_is_cleaned_like_any_sender_text() {
    let raw = b"From: MAILER-DAEMON@b.md\r\nMIME-Version: 1.0\r\n\
        Content-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n\
        --r\r\nContent-Type: text/plain\r\n\r\nnot delivered\r\n\
        --r\r\nContent-Type: message/delivery-status\r\n\r\n\
        Reporting-MTA: dns; mx.b.md\r\n\r\nFinal-Recipient: rfc822; x\x1b[2J@b.md\r\n\
        Action: failed\x07\r\nStatus: 5.1.1\r\n\
        Diagnostic-Code: smtp; 550 no\x1b]0;such\x07 user\r\n\r\n\
        --r\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <ours\x07@egov.md>\r\n\r\n--r--\r\n";
    let report = parse(raw).unwrap().report.expect("a report");
    assert_eq!(report.original_message_id.as_deref(), Some("ours@egov.md"));
    assert_eq!(report.recipient.as_deref(), Some("x[2J@b.md"));
    assert_eq!(report.action.as_deref(), Some("failed"));
    assert_eq!(report.diagnostic.as_deref(), Some("550 no]0;such user"));
}
