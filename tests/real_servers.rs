//! The daemon against real Dovecot (IMAP) and Postfix (SMTP), started by
//! `scripts/mail-servers.sh` on loopback: mail goes in and out through the servers.

mod common;

use std::process::{Child, Stdio};
use std::time::Duration;

use common::servers::MailServers;
use common::{fixture, message, wait_until, Desk};

fn parsed(raw: &[u8]) -> mail_parser::Message<'_> {
    mail_parser::MessageParser::default().parse(raw).unwrap()
}

fn in_reply_to(raw: &[u8]) -> String {
    parsed(raw)
        .in_reply_to()
        .as_text()
        .unwrap_or_default()
        .to_string()
}

/// Subject and text of a mail, decoded (bodies may travel as base64 or quoted-printable).
fn readable(raw: &[u8]) -> String {
    let m = parsed(raw);
    format!(
        "{}\n{}",
        m.subject().unwrap_or_default(),
        m.body_text(0).unwrap_or_default()
    )
}

fn spawn_run(desk: &Desk) -> Child {
    desk.command(&["run"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn stop(mut child: Child) -> String {
    let _ = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(status.success(), "unclean stop {status:?}:\n{err}");
    err
}

#[test]
fn a_mail_through_postfix_is_processed_moved_and_answered_in_its_thread() {
    let Some(servers) = MailServers::start() else {
        return;
    };
    // Production-like: IMAP over TLS, SMTP with STARTTLS, both trusting the agency's CA.
    let ca = servers.ca_file();
    let desk = Desk::with_sections(
        &format!(
            "kind = \"imap\"\nhost = \"localhost\"\nport = {}\ntls = \"tls\"\nca_file = \"{}\"\n\
             username = \"servicii@egov.md\"\npassword = \"test\"\n",
            servers.imaps_port(),
            ca.display()
        ),
        &format!(
            "kind = \"smtp\"\nhost = \"localhost\"\nport = {}\ntls = \"starttls\"\nca_file = \"{}\"\n\
             username = \"servicii@egov.md\"\npassword = \"test\"\n",
            servers.smtp_port(),
            ca.display()
        ),
    );
    let child = spawn_run(&desk);
    let original = fixture("mail/ro-mdocs-complete.eml");
    servers.send("ion.popescu@asp.gov.md", &["servicii@egov.md"], &original);

    let answered = wait_until(Duration::from_secs(30), || {
        !servers.mailbox("ion.popescu@asp.gov.md", "").is_empty()
    });
    let log = stop(child);
    assert!(
        answered,
        "no reply reached the beneficiary's mailbox:\n{log}"
    );

    let replies = servers.mailbox("ion.popescu@asp.gov.md", "");
    assert_eq!(replies.len(), 1);
    let reply = parsed(&replies[0]);
    assert_eq!(
        in_reply_to(&replies[0]),
        "ro-mdocs-complete@fixtures.example.md"
    );
    let reference = desk.cases()[0]["reference"].as_str().unwrap().to_string();
    assert!(reply.subject().unwrap().contains(&format!("[{reference}]")));
    assert!(reply.body_text(0).unwrap().contains("4F3A001B22C0FFEE01"));
    assert_eq!(servers.mailbox("operator@egov.md", "").len(), 1);
    assert!(
        servers.mailbox("servicii@egov.md", "").is_empty(),
        "the message left the inbox"
    );
    assert_eq!(servers.mailbox("servicii@egov.md", "Processed").len(), 1);
    assert_eq!(desk.case(&reference)["step"], "materials_review");
}

#[test]
fn the_daemon_reconnects_when_dovecot_restarts_and_processes_what_arrived() {
    let Some(servers) = MailServers::start() else {
        return;
    };
    // STARTTLS and LOGIN this time, and IDLE re-issued every 3 s so that path runs too.
    let desk = Desk::with_sections(
        &format!(
            "kind = \"imap\"\nhost = \"localhost\"\nport = {}\ntls = \"starttls\"\nauth = \"login\"\n\
             ca_file = \"{}\"\nusername = \"servicii@egov.md\"\npassword = \"test\"\n\
             idle_secs = 3\ntimeout_secs = 10\n",
            servers.imap_port(),
            servers.ca_file().display()
        ),
        &servers.smtp_section(),
    );
    let child = desk
        .command(&["run"])
        .env("RUST_LOG", "egov_desk=debug")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    servers.mail_agency(
        "a@inst1.gov.md",
        "Conectare MDocs",
        "first@inst1.gov.md",
        "Denumirea sistemului: SIA Unu\r\n",
    );
    assert!(servers.wait_for("a@inst1.gov.md", "", 1, 30));

    servers.stop_dovecot();
    std::thread::sleep(Duration::from_secs(3));
    // Postfix queues this while Dovecot is down and delivers it when it is back.
    servers.mail_agency(
        "b@inst2.gov.md",
        "Conectare MLog",
        "second@inst2.gov.md",
        "Denumirea sistemului: SIA Doi\r\n",
    );
    std::thread::sleep(Duration::from_secs(2));
    servers.start_dovecot();

    let answered = wait_until(Duration::from_secs(90), || {
        servers.mailbox("b@inst2.gov.md", "").len() == 1
    });
    let log = stop(child);
    assert!(answered, "no reply after the restart:\n{log}");
    assert!(
        log.contains("backing off") || log.contains("reconnecting"),
        "the outage went unnoticed:\n{log}"
    );
    assert_eq!(
        servers.mailbox("a@inst1.gov.md", "").len(),
        1,
        "the first mail was answered twice"
    );
    assert!(
        log.matches("IDLE ended").count() >= 2,
        "IDLE was not re-issued:\n{log}"
    );
    assert!(
        log.matches("IMAP session open").count() >= 2,
        "no reconnection:\n{log}"
    );
    assert_eq!(desk.cases().len(), 2);
}

#[test]
fn sigkill_during_a_backlog_loses_no_message_and_delivers_no_reply_twice() {
    const BACKLOG: usize = 240;
    let Some(servers) = MailServers::start() else {
        return;
    };
    let desk = Desk::with_sections(&servers.imap_section(), &servers.smtp_section());
    let senders: Vec<String> = (0..BACKLOG)
        .map(|i| format!("b{i}@inst{i}.gov.md"))
        .collect();
    let messages: Vec<(String, Vec<u8>)> = senders
        .iter()
        .enumerate()
        .map(|(i, from)| {
            let body = format!(
                "Buna ziua,\r\nDenumirea sistemului: SIA {i}\r\nIP public: 85.121.{}.{}\r\n",
                i / 200,
                i % 200 + 1
            );
            (
                from.clone(),
                message(
                    from,
                    "Conectare MDocs",
                    &format!("k{i}@inst{i}.gov.md"),
                    "",
                    &body,
                ),
            )
        })
        .collect();
    servers.send_many(&messages);
    assert!(servers.wait_for("servicii@egov.md", "", BACKLOG, 60));

    for (round, delay_ms) in [400u64, 900, 250, 1300, 600, 1800, 350, 1100]
        .into_iter()
        .enumerate()
    {
        let mut child = desk
            .command(&["run"])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap();
        child.wait().unwrap();
        eprintln!(
            "round {round}: SIGKILL after {delay_ms} ms; {} left in the inbox",
            servers.mailbox("servicii@egov.md", "").len()
        );
    }
    desk.run(&["once"]);
    desk.run(&["once"]);

    assert_eq!(
        desk.cases().len(),
        BACKLOG,
        "every message in the ledger, once"
    );
    assert!(servers.mailbox("servicii@egov.md", "").is_empty());
    assert_eq!(
        servers.mailbox("servicii@egov.md", "Processed").len(),
        BACKLOG
    );
    // Let Postfix deliver everything it accepted: with several servers busy on two cores a
    // fixed pause was sometimes too short, so wait (bounded) until every sender has a reply
    // or a notice names them, then check exactly that.
    let uncertain = || -> Vec<String> {
        servers
            .mailbox("operator@egov.md", "")
            .iter()
            .map(|raw| readable(raw))
            .filter(|t| t.contains("livrare incert"))
            .collect()
    };
    wait_until(Duration::from_secs(60), || {
        let notices = uncertain();
        senders.iter().all(|from| {
            !servers.mailbox(from, "").is_empty()
                || notices.iter().any(|n| n.contains(from.as_str()))
        })
    });
    let notices = uncertain();
    let mut missing = 0;
    for from in &senders {
        let got = servers.mailbox(from, "").len();
        assert!(got <= 1, "{from} got {got} replies");
        if got == 0 {
            // Only a send cut off mid-transaction may be missing, and the operators were told.
            assert!(
                notices.iter().any(|n| n.contains(from.as_str())),
                "{from} got no reply and nobody was told"
            );
            missing += 1;
        }
    }
    eprintln!("{missing} replies of uncertain fate reported to the operators");
}

#[test]
fn a_temporary_smtp_refusal_is_retried_and_the_reply_sent_once() {
    let Some(servers) = MailServers::start() else {
        return;
    };
    servers.set_recipient_rules(&[("^later@", "450 4.7.1 Try again later")]);
    let desk = Desk::with_sections(
        &servers.imap_section(),
        &format!(
            "{}max_attempts = 20\nretry_base_secs = 1\n",
            servers.smtp_section()
        ),
    );
    let child = spawn_run(&desk);
    servers.mail_agency(
        "later@inst.gov.md",
        "Conectare MSign",
        "later-1@inst.gov.md",
        "Denumirea sistemului: SIA\r\n",
    );
    let refused = wait_until(Duration::from_secs(30), || {
        servers
            .maillog()
            .matches("<later@inst.gov.md>: Recipient address rejected")
            .count()
            >= 2
    });
    assert!(
        refused,
        "Postfix never refused the reply:\n{}",
        servers.maillog()
    );

    servers.set_recipient_rules(&[]);
    let delivered = wait_until(Duration::from_secs(60), || {
        servers.mailbox("later@inst.gov.md", "").len() == 1
    });
    std::thread::sleep(Duration::from_secs(3));
    let log = stop(child);
    assert!(
        delivered,
        "the reply was not retried into the mailbox:\n{log}"
    );
    assert_eq!(servers.mailbox("later@inst.gov.md", "").len(), 1);
    assert!(log.contains("will retry"), "{log}");
}

#[test]
fn a_permanent_smtp_refusal_is_reported_to_the_operators_and_not_retried() {
    let Some(servers) = MailServers::start() else {
        return;
    };
    servers.set_recipient_rules(&[("^refused@", "550 5.1.1 No such user here")]);
    let desk = Desk::with_sections(
        &servers.imap_section(),
        &format!("{}retry_base_secs = 1\n", servers.smtp_section()),
    );
    servers.mail_agency(
        "refused@inst.gov.md",
        "Conectare MSign",
        "refused-1@inst.gov.md",
        "Denumirea sistemului: SIA\r\n",
    );
    assert!(servers.wait_for("servicii@egov.md", "", 1, 30));

    desk.run(&["once"]);
    desk.run(&["once"]);
    std::thread::sleep(Duration::from_secs(2));
    desk.run(&["once"]);

    let rejections = servers
        .maillog()
        .matches("<refused@inst.gov.md>: Recipient address rejected")
        .count();
    assert_eq!(
        rejections,
        1,
        "a 5xx must not be retried:\n{}",
        servers.maillog()
    );
    assert!(servers.mailbox("refused@inst.gov.md", "").is_empty());
    let reference = desk.cases()[0]["reference"].as_str().unwrap().to_string();
    let mail = desk.case(&reference)["mail"].clone();
    let ack = mail
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["purpose"] == "acknowledgement")
        .unwrap();
    assert_eq!(ack["state"], "failed");
    let notices: Vec<String> = servers
        .mailbox("operator@egov.md", "")
        .iter()
        .map(|raw| readable(raw))
        .filter(|t| t.contains("nelivrat"))
        .collect();
    assert_eq!(notices.len(), 1, "the operators were not told");
    assert!(notices[0].contains("550"), "{}", notices[0]);
}

/// Puts a file straight into a Dovecot Maildir, as a restore from backup would.
fn drop_into_maildir(dir: &std::path::Path, name: &str, raw: &[u8]) {
    let path = dir.join("new").join(name);
    std::fs::write(&path, raw).unwrap();
    // Dovecot runs as `mail`; the file must be its own to move it later.
    let _ = std::process::Command::new("chown")
        .arg("mail:mail")
        .arg(&path)
        .status();
}

#[test]
fn oversize_and_unreadable_mail_is_quarantined_without_blocking_the_rest() {
    let Some(servers) = MailServers::start() else {
        return;
    };
    // "copy": the COPY + \Deleted + UID EXPUNGE fallback, against the same real server.
    let desk = Desk::with_sections(
        &format!(
            "{}max_message_bytes = 20000\nmove = \"copy\"\n",
            servers.imap_section()
        ),
        &servers.smtp_section(),
    );
    let big_body = "Denumirea sistemului: SIA Mare\r\n".to_string()
        + &"x"
            .repeat(76)
            .repeat(800)
            .chars()
            .collect::<Vec<_>>()
            .chunks(76)
            .map(|c| c.iter().collect::<String>() + "\r\n")
            .collect::<String>();
    let big = message(
        "big@inst.gov.md",
        "Conectare MDocs",
        "big-1@inst.gov.md",
        "",
        &big_body,
    );
    servers.send("big@inst.gov.md", &["servicii@egov.md"], &big);
    assert!(servers.wait_for("servicii@egov.md", "", 1, 30));
    // No From at all: Postfix would add one, so this arrives the way a broken import would.
    drop_into_maildir(
        &servers.maildir("servicii@egov.md"),
        "1700000000.junk.test",
        b"To: servicii@egov.md\r\nSubject: fara expeditor\r\n\r\nnimic\r\n",
    );
    servers.mail_agency(
        "good@inst.gov.md",
        "Conectare MSign",
        "good-1@inst.gov.md",
        "Denumirea sistemului: SIA Bun\r\n",
    );
    assert!(servers.wait_for("servicii@egov.md", "", 3, 30));

    let log = desk.passes(2);
    assert!(
        log.contains("move=false"),
        "the fallback was not used:\n{log}"
    );

    assert!(servers.wait_for("good@inst.gov.md", "", 1, 20));
    assert!(servers.mailbox("big@inst.gov.md", "").is_empty());
    assert!(
        servers.mailbox("servicii@egov.md", "").is_empty(),
        "everything left the inbox"
    );
    assert_eq!(servers.mailbox("servicii@egov.md", "Quarantine").len(), 2);
    assert_eq!(servers.mailbox("servicii@egov.md", "Processed").len(), 1);
    assert!(servers.wait_for("operator@egov.md", "", 3, 20));
    let reports: Vec<(usize, String)> = servers
        .mailbox("operator@egov.md", "")
        .iter()
        .map(|raw| (raw.len(), readable(raw)))
        .filter(|(_, t)| t.contains("carantină"))
        .collect();
    assert_eq!(reports.len(), 2);
    let oversize = reports
        .iter()
        .find(|(_, t)| t.contains("exceeds mailbox.max_message_bytes"))
        .expect("an oversize report");
    // Only the header was fetched and kept, so the report carries no 60 KB body.
    assert!(
        oversize.0 < 20_000,
        "the oversize message was downloaded whole ({} bytes)",
        oversize.0
    );
}

#[test]
fn a_changed_uidvalidity_rescans_without_a_single_duplicate() {
    let Some(servers) = MailServers::start() else {
        return;
    };
    let desk = Desk::with_sections(&servers.imap_section(), &servers.smtp_section());
    servers.mail_agency(
        "a@inst1.gov.md",
        "Conectare MDocs",
        "uv-1@inst1.gov.md",
        "Denumirea sistemului: SIA Unu\r\n",
    );
    assert!(servers.wait_for("servicii@egov.md", "", 1, 30));
    desk.run(&["once"]);
    assert!(servers.wait_for("a@inst1.gov.md", "", 1, 20));

    // The mailbox is restored from a backup: the handled message is back in the inbox, and
    // the folder was renumbered (Dovecot makes a new UIDVALIDITY without its uidlist).
    servers.stop_dovecot();
    let inbox = servers.maildir("servicii@egov.md");
    drop_into_maildir(
        &inbox,
        "1700000001.restored.test",
        &servers.mailbox("servicii@egov.md", "Processed")[0],
    );
    // Dovecot keeps UIDVALIDITY in its uidlist and in its index: both go.
    for entry in std::fs::read_dir(&inbox).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file()
            && path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("dovecot")
        {
            std::fs::remove_file(path).unwrap();
        }
    }
    std::thread::sleep(Duration::from_millis(1100));
    servers.start_dovecot();
    servers.mail_agency(
        "b@inst2.gov.md",
        "Conectare MLog",
        "uv-2@inst2.gov.md",
        "Denumirea sistemului: SIA Doi\r\n",
    );
    assert!(servers.wait_for("servicii@egov.md", "", 2, 30));

    let log = desk.passes(2);
    assert!(log.contains("UIDVALIDITY changed"), "{log}");
    assert!(servers.wait_for("b@inst2.gov.md", "", 1, 20));
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        servers.mailbox("a@inst1.gov.md", "").len(),
        1,
        "the restored copy was answered again"
    );
    assert_eq!(servers.mailbox("b@inst2.gov.md", "").len(), 1);
    assert_eq!(desk.cases().len(), 2);
    assert!(servers.mailbox("servicii@egov.md", "").is_empty());
}

#[test]
fn a_send_cut_off_mid_transaction_is_not_resent_and_the_operators_are_told() {
    let Some(servers) = MailServers::start() else {
        return;
    };
    // Postfix stalls at DATA, so the daemon is certainly mid-send when it is killed.
    servers.postconf("smtpd_data_restrictions = sleep 25");
    let desk = Desk::with_sections(&servers.imap_section(), &servers.smtp_section());
    servers.mail_agency(
        "cut@inst.gov.md",
        "Conectare MSign",
        "cut-1@inst.gov.md",
        "Denumirea sistemului: SIA\r\n",
    );
    assert!(servers.wait_for("servicii@egov.md", "", 1, 30));

    let mut child = desk
        .command(&["run"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let attempting = wait_until(Duration::from_secs(20), || {
        let cases = desk.cases();
        cases.first().is_some_and(|c| {
            let case = desk.case(c["reference"].as_str().unwrap());
            case["mail"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["state"] == "attempting")
        })
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(attempting, "the send never started");

    servers.postconf("smtpd_data_restrictions =");
    desk.run(&["once"]);
    desk.run(&["once"]);
    std::thread::sleep(Duration::from_secs(3));

    assert!(
        servers.mailbox("cut@inst.gov.md", "").is_empty(),
        "an interrupted send was blindly repeated"
    );
    let reference = desk.cases()[0]["reference"].as_str().unwrap().to_string();
    let mail = desk.case(&reference)["mail"].clone();
    let ack = mail
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["purpose"] == "acknowledgement")
        .unwrap()
        .clone();
    assert_eq!(ack["state"], "uncertain");
    let told = servers
        .mailbox("operator@egov.md", "")
        .iter()
        .map(|raw| readable(raw))
        .any(|t| t.contains("livrare incert") && t.contains("cut@inst.gov.md"));
    assert!(told, "the operators were not told");
}

#[test]
fn a_server_without_idle_uidplus_or_move_is_polled_and_expunged_plainly() {
    let Some(servers) = MailServers::start() else {
        return;
    };
    // The same Dovecot, advertising neither IDLE, UIDPLUS nor MOVE.
    servers.doveconf(
        "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE LITERAL+ NAMESPACE",
    );
    let desk = Desk::with_sections(&servers.imap_section(), &servers.smtp_section());
    let child = spawn_run(&desk);
    servers.mail_agency(
        "a@inst1.gov.md",
        "Conectare MDocs",
        "noidle-1@inst1.gov.md",
        "Denumirea sistemului: SIA Unu\r\n",
    );
    let first = servers.wait_for("a@inst1.gov.md", "", 1, 30);
    servers.mail_agency(
        "b@inst2.gov.md",
        "Conectare MDocs",
        "noidle-2@inst2.gov.md",
        "Denumirea sistemului: SIA Doi\r\n",
    );
    let second = servers.wait_for("b@inst2.gov.md", "", 1, 30);
    let log = stop(child);
    assert!(first && second, "mail was not picked up by polling:\n{log}");
    assert!(
        log.contains("idle=false") && log.contains("uidplus=false") && log.contains("move=false"),
        "{log}"
    );
    assert!(
        servers.mailbox("servicii@egov.md", "").is_empty(),
        "EXPUNGE left messages behind"
    );
    assert_eq!(servers.mailbox("servicii@egov.md", "Processed").len(), 2);
}
