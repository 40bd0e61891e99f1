//! The procedure against real Dovecot + Postfix: an MDocs and an MPass case walked from first
//! mail to completion notice by `egov-desk run`, with the operators answering by real mail
//! submitted through Postfix. Postfix plays the agency's mail server: it stamps an
//! Authentication-Results header on mail an operator submitted with a login, and strips any
//! header claiming its name that arrives from outside, so a forged operator mail carries no
//! pass and changes nothing.

mod common;

use std::process::Child;
use std::time::Duration;

use base64::Engine;
use common::servers::MailServers;
use common::{fixture, message, repo, token_in, Desk};

const OPERATOR: &str = "operator@egov.md";
const AUTHSERV: &str = "mx.test.egov.md";

struct Mail {
    subject: String,
    text: String,
    message_id: String,
}

fn read(raw: &[u8]) -> Mail {
    let m = mail_parser::MessageParser::default().parse(raw).unwrap();
    Mail {
        subject: m.subject().unwrap_or_default().to_string(),
        text: m.body_text(0).unwrap_or_default().into_owned(),
        message_id: m.message_id().unwrap_or_default().to_string(),
    }
}

fn inbox(servers: &MailServers, user: &str) -> Vec<Mail> {
    servers.mailbox(user, "").iter().map(|r| read(r)).collect()
}

/// Waits until `user` has more than `seen` mails, and returns the newest one whose subject
/// contains `needle`.
fn next_mail(servers: &MailServers, user: &str, seen: &mut usize, needle: &str) -> Mail {
    let found = common::wait_until(Duration::from_secs(30), || {
        inbox(servers, user)
            .iter()
            .skip(*seen)
            .any(|m| m.subject.contains(needle))
    });
    assert!(found, "no mail with '{needle}' for {user}");
    let all = inbox(servers, user);
    *seen = all.len();
    // Maildir file names do not sort by arrival within a second; the newest token (ids
    // only grow) marks the newest mail; one without a token is taken only if no other fits.
    all.into_iter()
        .filter(|m| m.subject.contains(needle))
        .max_by_key(|m| token_id(&m.text))
        .unwrap()
}

fn token_id(text: &str) -> i64 {
    text.find("egov-token:")
        .and_then(|at| text[at + 11..].split(':').next()?.parse().ok())
        .unwrap_or(-1)
}

/// Makes the test Postfix behave as the agency's own mail server: mail from outside (the
/// SMTP port) loses any Authentication-Results header claiming the agency's name; users
/// submit on a separate port with their login, and that mail gets the agency's verdict for
/// the login's own domain (any user may log in: every address exists).
/// Returns the submission port.
fn agency_server(servers: &MailServers) -> u16 {
    let pf = servers.path().join("postfix");
    std::fs::write(
        pf.join("sasl_access"),
        // Every login gets the verdict for its own domain, as a DKIM signer would give it.
        format!("/^[^@]+@(.+)$/ PREPEND Authentication-Results: {AUTHSERV}; dkim=pass header.d=$1; dmarc=pass header.from=$1\n"),
    )
    .unwrap();
    std::fs::write(
        pf.join("header_checks"),
        "/^Authentication-Results:[[:space:]]*mx\\.test\\.egov\\.md/ IGNORE\n",
    )
    .unwrap();
    servers.postconf(&format!(
        "header_checks = regexp:{}/header_checks",
        pf.display()
    ));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let pf_dir = pf.display().to_string();
    for service in [
        format!(
            "127.0.0.1:{port}/inet=127.0.0.1:{port} inet n - n - - smtpd -o cleanup_service_name=cleanup_submission \
             -o smtpd_sasl_auth_enable=yes -o smtpd_sender_restrictions=check_sasl_access,pcre:{pf_dir}/sasl_access,permit"
        ),
        "cleanup_submission/unix=cleanup_submission unix n - n - 0 cleanup -o header_checks=".to_string(),
    ] {
        let ok = std::process::Command::new("postconf")
            .args(["-c", &pf_dir, "-M", &service])
            .status()
            .unwrap()
            .success();
        assert!(ok, "postconf -M {service}");
    }
    servers.postconf("smtpd_delay_reject = yes");
    port
}

fn start(servers: &MailServers) -> (Desk, Child) {
    let desk = Desk::with_config(
        &format!("{}idle_secs = 5\n", servers.imap_section()),
        &servers.smtp_section(),
        &format!("authserv_id = \"{AUTHSERV}\""),
        "",
    );
    let child = desk.spawn_run();
    (desk, child)
}

/// An operator's answer to `to`, with `top` above the quoted original.
fn answer(n: u32, to: &Mail, top: &str) -> Vec<u8> {
    let quoted: String = to.text.lines().map(|l| format!("> {l}\r\n")).collect();
    message(
        OPERATOR,
        &format!("Re: {}", to.subject),
        &format!("op-{n}@egov.md"),
        &format!("In-Reply-To: <{}>\r\n", to.message_id),
        &format!("{top}\r\n\r\n{quoted}"),
    )
}

fn case_step(desk: &Desk, reference: &str) -> String {
    desk.case(reference)["step"].as_str().unwrap().to_string()
}

fn wait_step(desk: &Desk, reference: &str, step: &str) {
    let reached = common::wait_until(Duration::from_secs(30), || {
        case_step(desk, reference) == step
    });
    let log = std::fs::read_to_string(desk.path("run.log")).unwrap_or_default();
    let notes: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("refused") || l.contains("ERROR"))
        .collect();
    assert!(
        reached,
        "{reference} did not reach {step}: {}\n{}",
        case_step(desk, reference),
        notes.join("\n")
    );
}

/// Walks the agency steps by answering each acknowledgement, and checks the completion.
#[allow(clippy::too_many_arguments)]
fn walk(
    servers: &MailServers,
    port: u16,
    desk: &Desk,
    reference: &str,
    steps: &[(&str, &str)],
    mut latest: Mail,
    seen: &mut usize,
    n: &mut u32,
) {
    for (command, after) in steps {
        *n += 1;
        servers.send_authenticated(
            port,
            OPERATOR,
            &["servicii@egov.md"],
            &answer(*n, &latest, command),
        );
        wait_step(desk, reference, after);
        if *after != "completed" {
            latest = next_mail(servers, OPERATOR, seen, reference);
            assert!(latest.text.contains("egov-token:"), "{}", latest.text);
        }
    }
}

#[test]
fn an_mdocs_case_walks_to_completion_by_real_mail_and_forgeries_change_nothing() {
    let Some(servers) = MailServers::start() else {
        return;
    };
    let port = agency_server(&servers);
    let (desk, child) = start(&servers);
    let beneficiary = "ion.popescu@asp.gov.md";
    servers.send(
        beneficiary,
        &["servicii@egov.md"],
        &fixture("mail/ro-mdocs-complete.eml"),
    );
    let mut seen_ops = 0;
    let update = next_mail(&servers, OPERATOR, &mut seen_ops, "MDocs");
    let reference = desk.cases()[0]["reference"].as_str().unwrap().to_string();
    let token = token_in(&update.text);

    // A forger outside the agency: the operator's address, a copied token, even a
    // hand-written pass verdict — submitted without the operator's login.
    let mut forged =
        format!("Authentication-Results: {AUTHSERV}; dkim=pass; dmarc=pass\r\n").into_bytes();
    forged.extend(answer(1, &update, "CONFIRM"));
    servers.send(OPERATOR, &["servicii@egov.md"], &forged);
    let refused = next_mail(&servers, OPERATOR, &mut seen_ops, "REFUZAT");
    assert!(refused.text.contains("DKIM"), "{}", refused.text);
    assert_eq!(case_step(&desk, &reference), "materials_review");

    // The operator, logged in, but: the token altered; the command only in quoted text.
    let mut altered = token.clone();
    let last = altered.pop().unwrap();
    altered.push(if last == '0' { '1' } else { '0' });
    let altered_update = Mail {
        subject: update.subject.clone(),
        text: update.text.replace(&token, &altered),
        message_id: update.message_id.clone(),
    };
    servers.send_authenticated(
        port,
        OPERATOR,
        &["servicii@egov.md"],
        &answer(4, &altered_update, "CONFIRM"),
    );
    next_mail(&servers, OPERATOR, &mut seen_ops, "REFUZAT");
    servers.send_authenticated(
        port,
        OPERATOR,
        &["servicii@egov.md"],
        &answer(5, &update, "Revin imediat."),
    );
    next_mail(&servers, OPERATOR, &mut seen_ops, "REFUZAT");
    // The update forwarded to a colleague outside, who answers it.
    let mut forwarded = String::from_utf8(answer(6, &update, "CONFIRM")).unwrap();
    forwarded = forwarded.replacen(
        &format!("From: {OPERATOR}"),
        "From: colleague@partner.md",
        1,
    );
    servers.send(
        "colleague@partner.md",
        &["servicii@egov.md"],
        forwarded.as_bytes(),
    );
    next_mail(&servers, OPERATOR, &mut seen_ops, "REFUZAT");
    assert_eq!(case_step(&desk, &reference), "materials_review");

    // The operator, logged in: applied.
    servers.send_authenticated(
        port,
        OPERATOR,
        &["servicii@egov.md"],
        &answer(2, &update, "CONFIRM"),
    );
    wait_step(&desk, &reference, "contract");
    let ack = next_mail(&servers, OPERATOR, &mut seen_ops, &reference);
    assert!(ack.text.contains("CONFIRM"), "{}", ack.text);
    // The same reply again, and the same token from another login: nothing.
    servers.send_authenticated(
        port,
        OPERATOR,
        &["servicii@egov.md"],
        &answer(3, &update, "DONE contract"),
    );
    next_mail(&servers, OPERATOR, &mut seen_ops, "REFUZAT");
    assert_eq!(case_step(&desk, &reference), "contract");
    assert!(token_in(&ack.text) != token);

    let mut n = 10;
    walk(
        &servers,
        port,
        &desk,
        &reference,
        &[
            ("DONE contract", "staging"),
            ("DONE staging", "testing"),
            ("DONE testing", "activation"),
            ("DONE production", "completed"),
        ],
        ack,
        &mut seen_ops,
        &mut n,
    );
    let mut seen = 0;
    let completion = next_mail(&servers, beneficiary, &mut seen, "Finalizat");
    assert!(completion.subject.contains(&reference));
    let to_beneficiary = inbox(&servers, beneficiary);
    assert_eq!(
        to_beneficiary
            .iter()
            .filter(|m| m.subject.contains("Finalizat"))
            .count(),
        1
    );
    desk.stop_run(child);
    let timeline = desk.case(&reference)["timeline"].clone();
    let refusals: Vec<&str> = timeline
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "command_refused")
        .map(|e| e["detail"]["reason"].as_str().unwrap())
        .collect();
    // The altered token names no case it can be trusted for: logged and told, not noted.
    assert_eq!(
        refusals,
        [
            "unauthenticated",
            "no_command",
            "unauthenticated",
            "used_token"
        ]
    );
}

#[test]
fn a_login_vouches_only_for_its_own_domain_and_a_mail_with_two_authors_never_commands() {
    let Some(servers) = MailServers::start() else {
        return;
    };
    let port = agency_server(&servers);
    let (desk, child) = start(&servers);
    let beneficiary = "ion.popescu@asp.gov.md";
    servers.send(
        beneficiary,
        &["servicii@egov.md"],
        &fixture("mail/ro-mdocs-complete.eml"),
    );
    let mut seen_ops = 0;
    let update = next_mail(&servers, OPERATOR, &mut seen_ops, "MDocs");
    let reference = desk.cases()[0]["reference"].as_str().unwrap().to_string();
    let mut seen_beneficiary = 0;
    next_mail(&servers, beneficiary, &mut seen_beneficiary, &reference);

    // The beneficiary logs in with their own account and writes as the operator, with the
    // operator's token copied and a verdict of their own below the server's: the server
    // vouches for asp.gov.md, not for egov.md.
    let mut impersonation = format!(
        "Authentication-Results: {AUTHSERV}; dkim=pass header.d=egov.md; dmarc=pass header.from=egov.md\r\n"
    )
    .into_bytes();
    impersonation.extend(answer(1, &update, "CONFIRM"));
    servers.send_authenticated(port, beneficiary, &["servicii@egov.md"], &impersonation);
    let refused = next_mail(&servers, OPERATOR, &mut seen_ops, "REFUZAT");
    assert!(
        refused.text.contains("header.d=asp.gov.md"),
        "{}",
        refused.text
    );
    // The operator, logged in, sends a reply with a second From header.
    let two_authors = String::from_utf8(answer(2, &update, "CONFIRM"))
        .unwrap()
        .replacen(
            &format!("From: {OPERATOR}\r\n"),
            &format!("From: {OPERATOR}\r\nFrom: {beneficiary}\r\n"),
            1,
        );
    servers.send_authenticated(
        port,
        OPERATOR,
        &["servicii@egov.md"],
        two_authors.as_bytes(),
    );
    let refused = next_mail(&servers, OPERATOR, &mut seen_ops, "REFUZAT");
    assert!(
        refused.text.contains("mai mulți autori"),
        "{}",
        refused.text
    );
    assert_eq!(case_step(&desk, &reference), "materials_review");
    let case = desk.case(&reference);
    assert!(case["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["status"] == "parsed"));
    assert_eq!(
        inbox(&servers, beneficiary).len(),
        seen_beneficiary,
        "the beneficiary is told nothing"
    );

    // The genuine operator still commands.
    servers.send_authenticated(
        port,
        OPERATOR,
        &["servicii@egov.md"],
        &answer(3, &update, "CONFIRM"),
    );
    wait_step(&desk, &reference, "contract");
    desk.stop_run(child);
    let refusals: Vec<String> = desk.case(&reference)["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "command_refused")
        .map(|e| e["detail"]["reason"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(refusals, ["unauthenticated", "several_authors"]);
}

fn with_certificate(
    from: &str,
    subject: &str,
    id: &str,
    body: &str,
    file: &str,
    der: &[u8],
) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let wrapped: String = b64
        .as_bytes()
        .chunks(76)
        .map(|c| format!("{}\r\n", String::from_utf8_lossy(c)))
        .collect();
    format!(
        "From: {from}\r\nTo: servicii@egov.md\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"xyzzy-boundary\"\r\n\r\n\
         --xyzzy-boundary\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n\
         --xyzzy-boundary\r\nContent-Type: application/pkix-cert\r\nContent-Transfer-Encoding: base64\r\n\
         Content-Disposition: attachment; filename=\"{file}\"\r\n\r\n{wrapped}--xyzzy-boundary--\r\n"
    )
    .into_bytes()
}

#[test]
fn an_mpass_case_needs_two_certificates_and_walks_through_validation_to_completion() {
    let Some(servers) = MailServers::start() else {
        return;
    };
    let port = agency_server(&servers);
    let (desk, child) = start(&servers);
    let maria = "maria.rusu@mec.gov.md";
    let test_cert = std::fs::read(repo().join("tests/fixtures/certs/system-test.cer")).unwrap();
    servers.send(maria, &["servicii@egov.md"], &with_certificate(
        &format!("Maria Rusu <{maria}>"),
        "Conectare la MPass",
        "mpass-1@mec.gov.md",
        "Bună ziua,\r\n\r\nSolicităm conectarea la MPass.\r\nDenumirea sistemului informațional: SIME\r\n\
         Atribute: NameIdentifier, FirstName, LastName\r\n",
        "sime-test.cer",
        &test_cert,
    ));
    let mut seen_maria = 0;
    let first = next_mail(&servers, maria, &mut seen_maria, "EGOV-");
    let reference = desk.cases()[0]["reference"].as_str().unwrap().to_string();
    assert_eq!(case_step(&desk, &reference), "awaiting_materials");
    assert!(
        first.text.contains("PRODUC"),
        "asks for the production certificate: {}",
        first.text
    );

    let pem = std::fs::read_to_string(repo().join("tests/fixtures/certs/system-prod.pem")).unwrap();
    let prod_der = base64::engine::general_purpose::STANDARD
        .decode(
            pem.lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>(),
        )
        .unwrap();
    servers.send(
        maria,
        &["servicii@egov.md"],
        &with_certificate(
            &format!("Maria Rusu <{maria}>"),
            &format!("Re: [{reference}] Conectare la MPass"),
            "mpass-2@mec.gov.md",
            "LogoutRequest URL: https://sime.mec.gov.md/saml/logout\r\n\
         LogoutResponse URL: https://sime.mec.gov.md/saml/logout-response\r\n",
            "sime-prod.cer",
            &prod_der,
        ),
    );
    wait_step(&desk, &reference, "materials_review");
    // The update that names both certificates carries the newest token.
    let found = common::wait_until(Duration::from_secs(30), || {
        inbox(&servers, OPERATOR)
            .iter()
            .any(|m| m.text.contains("4F3A001B22C0FFEE02"))
    });
    assert!(found, "no operator update with both certificates");
    let update = inbox(&servers, OPERATOR)
        .into_iter()
        .filter(|m| m.text.contains("egov-token:"))
        .max_by_key(|m| token_id(&m.text))
        .unwrap();
    let mut seen_ops = inbox(&servers, OPERATOR).len();
    let mut n = 0;
    walk(
        &servers,
        port,
        &desk,
        &reference,
        &[
            ("CONFIRM", "contract"),
            ("DONE contract", "staging"),
            ("DONE staging", "testing"),
            ("DONE testing", "validation"),
            ("DONE validation", "activation"),
            ("DONE production", "completed"),
        ],
        update,
        &mut seen_ops,
        &mut n,
    );
    next_mail(&servers, maria, &mut seen_maria, "Finalizat");
    desk.stop_run(child);
    let case = desk.case(&reference);
    let certs: Vec<&str> = case["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "certificate" && i["status"] == "confirmed")
        .map(|i| i["value"].as_str().unwrap())
        .collect();
    assert_eq!(certs, ["4F3A001B22C0FFEE01", "4F3A001B22C0FFEE02"]);
}
