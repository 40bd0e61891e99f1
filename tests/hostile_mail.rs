//! Hostile mail on the embedded default: nothing a sender writes reaches a header, the log,
//! the terminal or an operator's command unescaped (issue 11). On the desk in process, but
//! for the two tests that read the log, which drive the binary.

mod common;

use base64::Engine;
use common::inproc::Desk;
use common::{fixture, message, token_in, Sent};

const OPERATOR: &str = "operator@egov.md";
const BENEFICIARY: &str = "ion.popescu@asp.gov.md";
/// Inside working hours of a plain working week, after the test certificates begin.
const START: &str = "2026-12-01T07:00:00Z";
/// What a forged log line would start with, if a file name could break a line of the log.
const FORGED: &str = "2026-12-02T10:00:00.000000Z  INFO egov_desk: forged";

/// `text` as an RFC 2047 encoded-word, so it decodes to exactly these bytes.
fn encoded_word(text: &str) -> String {
    format!(
        "=?utf-8?b?{}?=",
        base64::engine::general_purpose::STANDARD.encode(text)
    )
}

/// The beneficiary's complete MDocs request (certificate, system, IP, document types) with
/// its Subject line replaced and `extra` lines added to the top of its text.
fn mdocs_request(subject: &str, extra: &str) -> Vec<u8> {
    let raw = String::from_utf8(fixture("mail/ro-mdocs-complete.eml")).unwrap();
    raw.replacen(
        "Subject: Solicitare conectare MDocs",
        &format!("Subject: {subject}"),
        1,
    )
    .replacen("Bună ziua,\n", &format!("Bună ziua,\n{extra}"), 1)
    .into_bytes()
}

fn step_of(desk: &Desk, reference: &str) -> String {
    desk.case(reference)["step"].as_str().unwrap().to_string()
}

/// The first update the operators were sent (the outbox files are named by purpose).
fn first_operator_update(desk: &Desk) -> Sent {
    desk.sent()
        .into_iter()
        .find(|m| m.file.to_string_lossy().contains("-operator_update-"))
        .expect("the operators' update")
}

fn to_beneficiary(desk: &Desk) -> Sent {
    desk.sent()
        .into_iter()
        .find(|m| m.to == [BENEFICIARY])
        .expect("a reply to the beneficiary")
}

#[test]
fn a_subject_of_several_lines_stays_one_line_and_never_becomes_the_reply_body() {
    let desk = Desk::new();
    let phishing = "Vă rugăm să trimiteți parola la http://evil.example";
    let subject = encoded_word(&format!("Conectare MDocs\n{phishing}"));
    desk.deliver("1.eml", &mdocs_request(&subject, ""));
    desk.once_at(START);
    desk.once_at(START);

    let reply = to_beneficiary(&desk);
    assert!(!reply.subject.contains(['\n', '\r']), "{:?}", reply.subject);
    assert!(reply.subject.contains("MDocs"), "{}", reply.subject);
    // The header block holds exactly one Subject field, and nothing of the sender's second
    // line starts a field of its own.
    let unfolded = reply.headers.replace("\r\n ", " ").replace("\r\n\t", " ");
    assert_eq!(
        unfolded
            .lines()
            .filter(|l| l.to_ascii_lowercase().starts_with("subject:"))
            .count(),
        1,
        "{}",
        reply.headers
    );
    assert!(!reply.text.contains("evil.example"), "{}", reply.text);
    assert!(!reply.text.contains("parola"), "{}", reply.text);
    assert!(reply.text.starts_with("Bună ziua,"), "{}", reply.text);
    for mail in desk.sent() {
        assert!(
            !mail
                .text
                .lines()
                .any(|l| l.trim_start().starts_with("Vă rugăm să trimiteți parola")),
            "{}",
            mail.text
        );
    }
}

#[test]
fn terminal_control_bytes_reach_no_mail_no_log_and_no_terminal() {
    let desk = common::Desk::new();
    let hostile = "\x1b[2J\x1b]0;pwned\x07\x1b[31m";
    let subject = encoded_word(&format!("Conectare MDocs {hostile}urgent\x1b[0m\x07"));
    let from = format!("{} <{BENEFICIARY}>", encoded_word("Ion \x1b[8mPopescu"));
    let raw = String::from_utf8(mdocs_request(
        &subject,
        &format!("Instituția: Agenția {hostile}Servicii Publice\x07\n"),
    ))
    .unwrap()
    .replacen(
        "From: Ion Popescu <ion.popescu@asp.gov.md>",
        &format!("From: {from}"),
        1,
    );
    desk.deliver("1.eml", raw.as_bytes());
    let mut log = desk.once_at(START);
    log.push_str(&desk.once_at(START));

    let clean = |what: &str, bytes: &[u8]| {
        assert!(
            !bytes.iter().any(|b| *b == 0x1b || *b == 0x07),
            "{what} carries a terminal control byte:\n{}",
            String::from_utf8_lossy(bytes)
        );
    };
    let sent = desk.sent();
    assert!(sent.len() >= 2, "{sent:?}");
    for mail in &sent {
        clean(&mail.file.display().to_string(), &mail.raw);
        clean("a decoded subject", mail.subject.as_bytes());
        clean("a decoded body", mail.text.as_bytes());
    }
    clean("the daemon's log", log.as_bytes());
    let reference = desk.cases()[0]["reference"].as_str().unwrap().to_string();
    assert!(
        desk.case(&reference)["institution"]
            .as_str()
            .unwrap()
            .contains("Servicii Publice"),
        "the institution is still read"
    );
    for args in [
        vec!["case", "list"],
        vec!["case", "show", &reference],
        vec!["case", "show", &reference, "--json"],
    ] {
        let out = desk.run(&args);
        clean(&args.join(" "), &out.stdout);
        clean(&args.join(" "), &out.stderr);
    }
}

/// A mail carrying one attachment named `disposition` (the Content-Disposition parameters).
fn with_attachment(id: &str, disposition: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Ion Popescu <{BENEFICIARY}>\r\nTo: servicii@egov.md\r\nSubject: Conectare MDocs\r\n\
         Message-ID: <{id}>\r\nDate: Tue, 1 Dec 2026 09:00:00 +0200\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"=_h_5678\"\r\n\r\n\
         --=_h_5678\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Bună ziua,\r\nDenumirea sistemului: Registrul Școlar\r\nAdresa IP publică: 194.0.2.10\r\n\
         Certificatul este atașat.\r\n\
         --=_h_5678\r\nContent-Type: {content_type}\r\nContent-Transfer-Encoding: base64\r\n\
         Content-Disposition: attachment; {disposition}\r\n\r\n{body}\r\n--=_h_5678--\r\n"
    )
    .into_bytes()
}

fn base64_lines(bytes: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    encoded
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\r\n")
}

#[test]
fn a_file_name_with_line_breaks_forges_no_log_line() {
    let desk = common::Desk::new();
    let cert = fixture("certs/system-test.cer");
    let percent: String = format!("sistem\r\n{FORGED}.cer")
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    // RFC 2231: a readable certificate, filed under that name.
    desk.deliver(
        "1.eml",
        &with_attachment(
            "n-1@asp.gov.md",
            &format!("filename*=utf-8''{percent}"),
            "application/pkix-cert",
            &base64_lines(&cert),
        ),
    );
    // An encoded-word name on a file too large to be a certificate: refused, and the refusal
    // (naming the file) is logged.
    let oversized = vec![b'A'; 300 * 1024];
    desk.deliver(
        "2.eml",
        &with_attachment(
            "n-2@asp.gov.md",
            &format!(
                "filename=\"{}\"",
                encoded_word(&format!("mare\r\n{FORGED}.cer"))
            ),
            "application/octet-stream",
            &base64_lines(&oversized),
        ),
    );
    let mut log = desk.once_at(START);
    log.push_str(&desk.once_at(START));

    assert!(log.contains("message quarantined"), "{log}");
    for line in log.lines() {
        assert!(!line.starts_with(FORGED), "a forged log line:\n{log}");
    }
    for mail in desk.sent() {
        assert!(
            !mail.text.lines().any(|l| l.starts_with(FORGED)),
            "{}",
            mail.text
        );
    }
    let reference = desk.cases()[0]["reference"].as_str().unwrap().to_string();
    let case = desk.case(&reference);
    assert!(
        case["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["value"] == "4F3A001B22C0FFEE01"),
        "the certificate is still filed: {case:#}"
    );
}

/// The operator update's text as an operator's mail client shows it in HTML. Clients that
/// draw plain-text quotes as styling drop their `> ` markers when they answer in HTML, so
/// the beneficiary's quoted "OK" comes back bare: only the HTML says it is quoted.
fn as_html(text: &str) -> String {
    text.lines()
        .map(|l| {
            let bare = l.strip_prefix('>').map_or(l, str::trim_start);
            let escaped = bare
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            if escaped.trim().is_empty() {
                "<div><br></div>".to_string()
            } else {
                format!("<div>{escaped}</div>")
            }
        })
        .collect()
}

/// An HTML-only operator reply to `update`: `body` is the whole HTML body.
fn html_reply(n: u32, update: &Sent, body: &str) -> Vec<u8> {
    format!(
        "From: {OPERATOR}\r\nTo: servicii@egov.md\r\nSubject: Re: {subject}\r\n\
         Message-ID: <html-{n}@egov.md>\r\nIn-Reply-To: {id}\r\n\
         Date: Tue, 1 Dec 2026 09:30:00 +0200\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
         <html><body>{body}</body></html>\r\n",
        subject = update.subject,
        id = update.message_id,
    )
    .into_bytes()
}

#[test]
fn quoted_html_and_a_pasted_update_never_command() {
    let desk = Desk::new();
    // The beneficiary's own text holds a line that reads like consent.
    desk.deliver(
        "1.eml",
        &mdocs_request("Solicitare conectare MDocs", "OK\n"),
    );
    desk.once_at(START);
    let reference = desk.cases()[0]["reference"].as_str().unwrap().to_string();
    assert_eq!(step_of(&desk, &reference), "materials_review");
    let update = first_operator_update(&desk);
    let token = token_in(&update.text);
    assert!(
        update.text.lines().any(|l| l.trim_end() == "> OK"),
        "the beneficiary's words are quoted in the update:\n{}",
        update.text
    );

    let remark = "<div>Mă uit mâine pe certificat.</div><div><br></div>";
    let quoted = as_html(&update.text);
    let replies = [
        // Thunderbird, Roundcube and most webmail.
        format!("{remark}<blockquote style=\"margin:0 0 0 .8ex;border-left:1px #ccc solid;padding-left:1ex\">{quoted}</blockquote>"),
        // Gmail, its attribution line deleted by the operator.
        format!("<div dir=\"ltr\">{remark}</div><br><div class=\"gmail_quote\">{quoted}</div>"),
        // Outlook on the web: the header block is in the client's language, whatever it is.
        format!(
            "{remark}<hr style=\"display:inline-block;width:98%\" tabindex=\"-1\"><div id=\"divRplyFwdMsg\" dir=\"ltr\">\
             <font face=\"Calibri, sans-serif\" style=\"font-size:11pt\" color=\"#000000\"><b>Von:</b> Agenția &lt;servicii@egov.md&gt;<br>\
             <b>Gesendet:</b> Dienstag, 1. Dezember 2026 09:00<br><b>Betreff:</b> {subject}</font><div>&nbsp;</div></div><div>{quoted}</div>",
            subject = update.subject
        ),
        // Outlook on the desktop: a bordered separator, then the original.
        format!(
            "<div class=\"WordSection1\"><p class=\"MsoNormal\">Mă uit mâine pe certificat.</p>\
             <div style=\"border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm\">\
             <p class=\"MsoNormal\"><b>De&nbsp;:</b> Agenția &lt;servicii@egov.md&gt;<br><b>Envoyé&nbsp;:</b> mardi 1 décembre 2026 09:00</p></div>\
             <p class=\"MsoNormal\">&nbsp;</p>{quoted}</div>"
        ),
        // Apple Mail.
        format!("{remark}<div><br><blockquote type=\"cite\"><div>{quoted}</div></blockquote></div>"),
    ];
    for (n, body) in replies.iter().enumerate() {
        let n = u32::try_from(n).unwrap() + 10;
        desk.deliver(&format!("{n}.eml"), &html_reply(n, &update, body));
        desk.once_at(START);
        assert_eq!(
            step_of(&desk, &reference),
            "materials_review",
            "quoted HTML commanded: {body}"
        );
    }
    // A plain-text client that pastes the whole update back unquoted under a remark.
    desk.deliver(
        "20.eml",
        &message(
            OPERATOR,
            &format!("Re: {}", update.subject),
            "pasted-20@egov.md",
            &format!("In-Reply-To: {}\r\n", update.message_id),
            &format!("Mă uit mâine.\r\n\r\n{}", update.text.replace('\n', "\r\n")),
        ),
    );
    desk.once_at(START);
    let case = desk.case(&reference);
    assert_eq!(case["step"], "materials_review", "{case:#}");
    assert!(case["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["status"] == "parsed"));

    // The token was good all along: the operator's own OK above the same quote works.
    desk.deliver(
        "21.eml",
        &html_reply(
            21,
            &update,
            &format!("<div>OK</div><blockquote type=\"cite\">{quoted}</blockquote>"),
        ),
    );
    desk.once_at(START);
    assert_eq!(step_of(&desk, &reference), "contract", "token {token}");
}

#[test]
fn a_token_written_by_the_beneficiary_never_shadows_the_operators_token() {
    let desk = Desk::new();
    // A token-like string in the subject (which the operators' mail repeats) and in a remark
    // (which is stored with its item and shown in every later mail of the case).
    let fake = "egov-token:1:00112233445566778899aabbccddeeff";
    desk.deliver(
        "1.eml",
        &mdocs_request(
            &format!("Solicitare conectare MDocs {fake}"),
            &format!("Tipuri de documente: act (Token: {fake})\n"),
        ),
    );
    desk.once_at(START);
    let reference = desk.cases()[0]["reference"].as_str().unwrap().to_string();
    assert_eq!(step_of(&desk, &reference), "materials_review");
    let update = first_operator_update(&desk);
    let quoted: String = update.text.lines().map(|l| format!("> {l}\r\n")).collect();
    desk.deliver(
        "2.eml",
        &message(
            OPERATOR,
            &format!("Re: {}", update.subject),
            "op-2@egov.md",
            &format!("In-Reply-To: {}\r\n", update.message_id),
            &format!("DA\r\n\r\nOn Tue, egov-desk wrote:\r\n{quoted}"),
        ),
    );
    desk.once_at(START);
    assert_eq!(step_of(&desk, &reference), "contract");
}

/// `count` distinct PEM certificates: the test certificate with its serial's last two bytes
/// changed (nothing checks the signature).
fn many_certificates(count: u16) -> String {
    let der = fixture("certs/system-test.cer");
    let serial = [0x4f, 0x3a, 0x00, 0x1b, 0x22, 0xc0, 0xff, 0xee, 0x01];
    let at = der
        .windows(serial.len())
        .position(|w| w == serial)
        .expect("the serial in the DER")
        + serial.len()
        - 2;
    (0..count)
        .map(|i| {
            let mut one = der.clone();
            one[at..at + 2].copy_from_slice(&i.to_be_bytes());
            let body = base64::engine::general_purpose::STANDARD.encode(&one);
            let lines: Vec<&str> = body
                .as_bytes()
                .chunks(64)
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect();
            format!(
                "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
                lines.join("\n")
            )
        })
        .collect()
}

#[test]
fn a_flood_of_certificates_files_at_most_the_cap_and_says_so() {
    let desk = Desk::new();
    let pem = many_certificates(400);
    desk.deliver(
        "1.eml",
        &with_attachment(
            "flood-1@asp.gov.md",
            "filename=\"certificate.txt\"",
            "text/plain",
            &base64_lines(pem.as_bytes()),
        ),
    );
    desk.once_at(START);
    desk.once_at(START);
    let reference = desk.cases()[0]["reference"].as_str().unwrap().to_string();
    let case = desk.case(&reference);
    let certificates = case["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "certificate")
        .count();
    assert_eq!(certificates, 10, "{case:#}");
    let reply = to_beneficiary(&desk);
    assert!(
        reply.raw.len() < 50_000,
        "a reply of {} bytes",
        reply.raw.len()
    );
    assert!(
        reply
            .text
            .contains("prea multe certificate (în total: 400); au fost citite doar primele 10"),
        "{}",
        reply.text
    );
    for mail in desk.sent() {
        assert!(mail.raw.len() < 50_000, "{} bytes", mail.raw.len());
    }
}

#[test]
fn an_auto_submitted_notification_is_never_answered() {
    let desk = Desk::new();
    desk.deliver(
        "1.eml",
        &message(
            &format!("Ion Popescu <{BENEFICIARY}>"),
            "Conectare MDocs",
            "auto-1@asp.gov.md",
            "Auto-Submitted: notification\r\n",
            "Solicităm conectarea la MDocs.\r\nAdresa IP publică: 194.0.2.10",
        ),
    );
    desk.deliver(
        "2.eml",
        &message(
            "Maria <maria@cnam.gov.md>",
            "Conectare MDocs",
            "auto-2@cnam.gov.md",
            "Precedence: junk (spam filter)\r\nX-Autoreply: yes\r\n",
            "Solicităm conectarea la MDocs.",
        ),
    );
    desk.once_at(START);
    desk.once_at(START);
    let sent = desk.sent();
    let recipients: Vec<&[String]> = sent.iter().map(|m| m.to.as_slice()).collect();
    assert!(
        recipients.iter().all(|to| *to == [OPERATOR]),
        "{recipients:?}"
    );
    assert!(desk.cases().is_empty());
    let forwarded: Vec<&Sent> = sent
        .iter()
        .filter(|m| m.file.to_string_lossy().contains("-operator_forward-"))
        .collect();
    assert_eq!(forwarded.len(), 2, "both are shown to the operators");
    assert!(forwarded
        .iter()
        .any(|m| m.text.contains("Auto-Submitted: notification")));
}
