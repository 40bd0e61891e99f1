//! End to end on the embedded default: the real binary, its config, real mail files. What
//! the desk files and answers, without the binary, is `answers.rs`.

mod common;

use std::time::Duration;

use common::{fixture, wait_until, Desk};

#[test]
fn a_beneficiary_mail_opens_a_case_files_its_materials_and_is_answered() {
    let desk = Desk::new();
    desk.deliver("1.eml", &fixture("mail/ro-mdocs-complete.eml"));

    desk.run(&["once"]);

    let cases = desk.cases();
    assert_eq!(cases.len(), 1);
    let reference = cases[0]["reference"].as_str().unwrap().to_string();
    let case = desk.case(&reference);
    assert_eq!(case["service"], "mdocs");
    assert_eq!(case["contact"], "ion.popescu@asp.gov.md");
    assert_eq!(case["language"], "ro");
    assert_eq!(case["step"], "materials_review");
    assert_eq!(case["waiting_on"], "agency");
    let items: Vec<(String, String, String)> = case["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["kind"].as_str().unwrap().into(),
                i["value"].as_str().unwrap().into(),
                i["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        items,
        vec![
            (
                "certificate".into(),
                "4F3A001B22C0FFEE01".into(),
                "parsed".into()
            ),
            (
                "system_name".into(),
                "Registrul Școlar".into(),
                "parsed".into()
            ),
            ("public_ip".into(), "194.0.2.10".into(), "parsed".into()),
            ("document_type".into(), "contract".into(), "parsed".into()),
            (
                "document_type".into(),
                "act adițional".into(),
                "parsed".into()
            ),
        ]
    );

    let sent = desk.sent();
    let reply = sent
        .iter()
        .find(|m| m.to == ["ion.popescu@asp.gov.md"])
        .expect("a reply to the beneficiary");
    assert!(
        reply.subject.contains(&format!("[{reference}]")),
        "{}",
        reply.subject
    );
    assert_eq!(reply.in_reply_to, ["ro-mdocs-complete@fixtures.example.md"]);
    assert!(reply
        .references
        .contains(&"ro-mdocs-complete@fixtures.example.md".to_string()));
    assert!(
        reply.headers.contains("Auto-Submitted: auto-replied"),
        "{}",
        reply.headers
    );
    assert!(reply.text.contains("4F3A001B22C0FFEE01"), "{}", reply.text);
    assert!(reply.text.contains("7 zile lucrătoare"), "{}", reply.text);
    let ops = sent
        .iter()
        .find(|m| m.to == ["operator@egov.md"])
        .expect("a copy for the operators");
    assert!(ops.subject.contains(&reference));
    assert!(ops.text.contains("194.0.2.10"));

    assert!(desk.maildir_files("new").is_empty());
    assert_eq!(desk.maildir_files(".Processed/cur"), ["1.eml:2,S"]);
}

#[test]
fn a_message_delivered_twice_is_processed_and_answered_once() {
    let desk = Desk::new();
    let raw = fixture("mail/ru-msign.eml");
    desk.deliver("a.eml", &raw);
    desk.deliver("b.eml", &raw);
    desk.run(&["once"]);
    desk.deliver("c.eml", &raw);
    desk.run(&["once"]);

    assert_eq!(desk.cases().len(), 1);
    let replies: Vec<_> = desk
        .sent()
        .into_iter()
        .filter(|m| m.to == ["p.ivanov@cnas.gov.md"])
        .collect();
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert!(replies[0].text.contains("Здравствуйте"));
    assert!(desk.maildir_files("new").is_empty());
    assert_eq!(desk.maildir_files(".Processed/cur").len(), 3);
}

#[test]
fn unreadable_mail_is_quarantined_and_reported_not_lost() {
    let desk = Desk::new();
    desk.deliver("junk.eml", &fixture("mail/binary-junk.eml"));
    desk.deliver("nosender.eml", &fixture("mail/malformed-no-sender.eml"));
    desk.run(&["once"]);

    assert!(desk.cases().is_empty());
    assert_eq!(desk.maildir_files(".Quarantine/cur").len(), 2);
    let reports: Vec<_> = desk
        .sent()
        .into_iter()
        .filter(|m| m.to == ["operator@egov.md"])
        .collect();
    assert_eq!(reports.len(), 2);
    for r in &reports {
        assert!(r.text.contains("carantină"), "{}", r.text);
        assert!(
            r.raw.windows(12).any(|w| w == b"original.eml"),
            "the original is attached"
        );
    }
}

#[test]
fn case_open_refuses_mpay_and_bad_addresses() {
    let desk = Desk::new();
    let out = desk
        .command(&[
            "case",
            "open",
            "--service",
            "mpay",
            "--institution",
            "X",
            "--contact",
            "a@b.md",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("suport.mpay@gov.md"));
    let out = desk
        .command(&[
            "case",
            "open",
            "--service",
            "mdocs",
            "--institution",
            "X",
            "--contact",
            "nobody",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--contact"));
}

#[test]
fn a_bad_configuration_value_stops_start_up_naming_its_key() {
    let desk = Desk::new();
    let out = desk
        .command(&["check-config"])
        .env("EGOV_DESK__MAILBOX__KIND", "pop3")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mailbox.kind"), "{err}");
    let out = desk
        .command(&["check-config"])
        .env("EGOV_DESK__OUTBOUND__KIND", "smtp")
        .env("EGOV_DESK__OUTBOUND__HOST", "smtp.egov.md")
        .env("EGOV_DESK__OUTBOUND__PORT", "99999")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("outbound.port"));
    let out = desk
        .command(&["check-config"])
        .env("EGOV_DESK__AGENCY__OPERATORS", "ops@egov.md,broken")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("agency.operators[1]"));
}

#[test]
fn passwords_never_appear_in_the_output() {
    let desk = Desk::new();
    desk.deliver("1.eml", &fixture("mail/ro-mdocs-complete.eml"));
    for args in [&["check-config"][..], &["once"][..]] {
        let out = desk
            .command(args)
            .env("EGOV_DESK__MAILBOX__PASSWORD", "imap-pa55-word")
            .env("EGOV_DESK__OUTBOUND__PASSWORD", "smtp-pa55-word")
            .env("RUST_LOG", "trace")
            .output()
            .unwrap();
        assert!(out.status.success());
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains("pa55-word"), "a password leaked:\n{all}");
    }
}

#[test]
fn run_works_the_mailbox_until_told_to_stop() {
    let desk = Desk::new();
    let mut child = desk
        .command(&["run"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    desk.deliver("1.eml", &fixture("mail/en-mlog-pem.eml"));
    let answered = wait_until(Duration::from_secs(30), || {
        desk.sent().iter().any(|m| m.to == ["john@anrceti.md"])
    });
    // SIGTERM, as a service manager stops it.
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(answered, "no reply within 30 s:\n{err}");
    assert!(status.success(), "unclean stop: {status:?}\n{err}");
    assert!(err.contains("egov-desk stopped"), "{err}");
    let reply = desk
        .sent()
        .into_iter()
        .find(|m| m.to == ["john@anrceti.md"])
        .unwrap();
    assert!(
        reply.text.contains("10.0.0.5 is a private address"),
        "{}",
        reply.text
    );
}

use std::process::Command;

#[test]
fn outbound_hold_queues_every_reply_and_sends_them_once_lifted() {
    let desk = Desk::with_sections("", "hold = true\n");
    desk.deliver("a.eml", &fixture("mail/ro-mdocs-complete.eml"));
    desk.deliver("b.eml", &fixture("mail/ru-msign.eml"));
    desk.passes(2);
    assert_eq!(desk.cases().len(), 2, "the backlog is worked while held");
    assert!(desk.sent().is_empty(), "nothing leaves while held");
    assert!(desk.maildir_files("new").is_empty());

    let config = std::fs::read_to_string(desk.path("config.toml")).unwrap();
    std::fs::write(
        desk.path("config.toml"),
        config.replace("hold = true", "hold = false"),
    )
    .unwrap();
    desk.passes(2);
    let sent = desk.sent();
    let to_beneficiaries = sent
        .iter()
        .filter(|m| m.to == ["ion.popescu@asp.gov.md"] || m.to == ["p.ivanov@cnas.gov.md"])
        .count();
    assert_eq!(to_beneficiaries, 2, "{sent:?}");
    let count = sent.len();
    desk.passes(1);
    assert_eq!(desk.sent().len(), count, "nothing is sent twice");
}
