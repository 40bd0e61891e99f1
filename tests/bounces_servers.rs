//! Delivery reports against real Dovecot and Postfix: the daemon's reply leaves with its own
//! return path (`servicii+b-<id>-<mac>@egov.md`), Postfix cannot deliver it and sends its own
//! DSN there, Dovecot files that in servicii's inbox (recipient_delimiter), and the daemon
//! links it to the reply. A report forged through the public listener, naming the same
//! Message-ID, is not linked.

mod common;

use std::process::Child;
use std::time::Duration;

use common::servers::MailServers;
use common::{message, wait_until, Desk};

const OPERATOR: &str = "operator@egov.md";
/// A beneficiary whose address Postfix takes at RCPT but cannot deliver to.
const NOBODY: &str = "ana.rusu@nobox.test";

fn start(servers: &MailServers) -> (Desk, Child) {
    let desk = Desk::with_config(
        &format!("{}idle_secs = 5\n", servers.imap_section()),
        &servers.smtp_section(),
        "",
        "",
    );
    let child = desk.spawn_run();
    (desk, child)
}

fn subjects(servers: &MailServers, user: &str) -> Vec<String> {
    servers
        .mailbox(user, "")
        .iter()
        .map(|raw| {
            mail_parser::MessageParser::default()
                .parse(raw)
                .and_then(|m| m.subject().map(str::to_string))
                .unwrap_or_default()
        })
        .collect()
}

fn timeline_kinds(desk: &Desk, reference: &str) -> Vec<String> {
    desk.case(reference)["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

/// Hands `raw` to Postfix's public listener from the null sender, as a report arrives.
fn send_from_null_sender(servers: &MailServers, raw: &[u8]) {
    use lettre::address::Envelope;
    use lettre::Transport;
    let smtp = lettre::SmtpTransport::builder_dangerous("127.0.0.1")
        .port(servers.smtp_port())
        .build();
    let envelope = Envelope::new(None, vec!["servicii@egov.md".parse().unwrap()]).unwrap();
    smtp.send_raw(&envelope, raw).unwrap();
}

#[test]
fn a_dsn_from_the_real_server_is_linked_by_its_return_path_and_a_forged_one_is_not() {
    let Some(servers) = MailServers::start() else {
        return;
    };
    let transport = servers.path().join("postfix/transport");
    std::fs::write(&transport, "nobox.test error:5.1.1 mailbox unavailable\n").unwrap();
    servers.postconf(&format!(
        "transport_maps = texthash:{}",
        transport.display()
    ));
    // Otherwise smtpd refuses at RCPT what only the error transport would refuse later.
    servers.postconf("smtpd_reject_unlisted_recipient = no");
    let (desk, child) = start(&servers);
    servers.send(
        NOBODY,
        &["servicii@egov.md"],
        &message(
            &format!("Ana Rusu <{NOBODY}>"),
            "Conectare MDocs",
            "nobox-1@nobox.test",
            "",
            "Solicităm conectarea la MDocs.\r\nDenumirea sistemului: Registrul\r\n\
             Adresa IP publică: 194.0.2.10\r\n",
        ),
    );

    // The acknowledgement bounces; Postfix's DSN comes back, and is linked.
    let linked = wait_until(Duration::from_secs(60), || {
        desk.cases().first().is_some_and(|c| {
            timeline_kinds(&desk, c["reference"].as_str().unwrap()).contains(&"bounce".into())
        })
    });
    let log = std::fs::read_to_string(desk.path("run.log")).unwrap_or_default();
    assert!(linked, "no bounce linked:\n{log}\n{}", servers.maillog());
    let reference = desk.cases()[0]["reference"].as_str().unwrap().to_string();
    let case = desk.case(&reference);
    let mail = case["mail"].as_array().unwrap();
    let to_nobody: Vec<&serde_json::Value> = mail.iter().filter(|m| m["to"][0] == NOBODY).collect();
    assert_eq!(to_nobody.len(), 1, "one reply to the beneficiary: {mail:?}");
    assert_eq!(to_nobody[0]["purpose"], "acknowledgement");
    assert!(!to_nobody[0]["bounced_at"].is_null(), "{mail:?}");
    let bounce = case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "bounce")
        .unwrap()
        .clone();
    assert_eq!(bounce["detail"]["status"], "5.1.1", "{bounce}");
    assert!(
        wait_until(Duration::from_secs(30), || subjects(&servers, OPERATOR)
            .iter()
            .any(|s| s.starts_with("Nelivrat:") && s.contains(&reference))),
        "the operators get the bounce notice: {:?}",
        subjects(&servers, OPERATOR)
    );
    // The report came to a return path of ours, and it was Postfix's own, from <>.
    let processed = servers.mailbox("servicii@egov.md", "Processed");
    let dsn = processed
        .iter()
        .map(|raw| egov_desk::parse::parse(raw).unwrap())
        .find(|p| p.report.is_some())
        .expect("the DSN in Processed");
    assert_eq!(dsn.return_path.as_deref(), Some(""));
    assert!(
        dsn.delivered_to
            .iter()
            .any(|a| a.starts_with("servicii+b-") && a.ends_with("@egov.md")),
        "{:?}",
        dsn.delivered_to
    );
    let original = dsn.report.unwrap().original_message_id.unwrap();

    // A forger who knows the Message-ID and the recipient writes a report of their own.
    let seen = subjects(&servers, OPERATOR).len();
    let forged = format!(
        "From: MAILER-DAEMON@nobox.test (Mail Delivery System)\r\nTo: servicii@egov.md\r\n\
         Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <forged-1@nobox.test>\r\n\
         Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"F\"\r\n\r\n\
         --F\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n\
         --F\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; nobox.test\r\n\r\n\
         Final-Recipient: rfc822; {NOBODY}\r\nAction: failed\r\nStatus: 5.7.1\r\n\
         Diagnostic-Code: smtp; 550 5.7.1 forged\r\n\
         --F\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <{original}>\r\n--F--\r\n"
    );
    send_from_null_sender(&servers, forged.as_bytes());
    assert!(
        wait_until(Duration::from_secs(30), || subjects(&servers, OPERATOR)
            .iter()
            .skip(seen)
            .any(|s| s.starts_with("De verificat:"))),
        "the forged report reaches the operators as ordinary mail: {:?}",
        subjects(&servers, OPERATOR)
    );
    // And a plain beneficiary mail after it, so nothing is still in flight when we look.
    servers.send(
        "ion@asp.gov.md",
        &["servicii@egov.md"],
        &message("ion@asp.gov.md", "Salut", "late-1@asp.gov.md", "", "Salut"),
    );
    assert!(servers.wait_for("servicii@egov.md", "Processed", processed.len() + 2, 30));
    desk.stop_run(child);
    let kinds = timeline_kinds(&desk, &reference);
    assert_eq!(
        kinds.iter().filter(|k| *k == "bounce").count(),
        1,
        "{kinds:?}"
    );
    let case = desk.case(&reference);
    let statuses: Vec<&serde_json::Value> = case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "bounce")
        .map(|e| &e["detail"]["status"])
        .collect();
    assert_eq!(statuses, ["5.1.1"]);
    // Nobody was answered: no reply to the report's senders, one mail only to the beneficiary.
    assert!(servers
        .mailbox("mailer-daemon@mx.test.egov.md", "")
        .is_empty());
    assert!(servers.mailbox("mailer-daemon@nobox.test", "").is_empty());
    let to_nobody = case["mail"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["to"][0] == NOBODY)
        .count();
    assert_eq!(to_nobody, 1);
}
