//! End to end on the embedded default: the real binary, its config, real mail files.

mod common;

use std::time::Duration;

use common::{fixture, message, wait_until, Desk};

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
fn missing_items_are_named_and_a_tagged_reply_completes_the_case() {
    let desk = Desk::new();
    desk.deliver("1.eml", &fixture("mail/ro-mpass-partial.eml"));
    desk.run(&["once"]);
    let reference = desk.cases()[0]["reference"].as_str().unwrap().to_string();
    let case = desk.case(&reference);
    assert_eq!(case["service"], "mpass");
    assert_eq!(case["step"], "awaiting_materials");
    assert_eq!(case["waiting_on"], "beneficiary");
    let first = desk
        .sent()
        .into_iter()
        .find(|m| m.to == ["maria.rusu@mec.gov.md"])
        .unwrap();
    // MPass needs a second, different certificate and the logout URLs: both are named.
    assert!(first.text.contains("PRODUCȚIE"), "{}", first.text);
    assert!(first.text.contains("LogoutRequest"), "{}", first.text);
    assert!(
        first.text.contains("atributelor de autentificare"),
        "{}",
        first.text
    );

    let reply = message(
        "Maria Rusu <maria.rusu@mec.gov.md>",
        &format!("Re: [{reference}] Conectare la MPass"),
        "reply-1@mec.gov.md",
        "",
        "Buna ziua,\r\n\r\nNr. serie certificat PROD: 4F3A001B22C0FFEE02\r\n\
         LogoutRequest URL: https://sime.mec.gov.md/saml/logout\r\n\
         LogoutResponse URL: https://sime.mec.gov.md/saml/logout-response\r\n\
         Atribute: NameIdentifier, FirstName, LastName\r\n\r\n\
         > Pentru a continua, va rugam sa ne transmiteti:\r\n> Numarul de serie: 01:02:03:04\r\n",
    );
    desk.deliver("2.eml", &reply);
    desk.run(&["once"]);

    let case = desk.case(&reference);
    assert_eq!(case["step"], "materials_review", "{case:#}");
    let values: Vec<&str> = case["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["value"].as_str().unwrap())
        .collect();
    assert!(values.contains(&"4F3A001B22C0FFEE02"));
    assert!(values.contains(&"https://sime.mec.gov.md/saml/logout"));
    assert!(values.contains(&"NameIdentifier"), "{values:?}");
    // Quoted text is our own earlier mail: nothing in it is filed.
    assert!(!values.contains(&"01020304"), "{values:?}");
    assert_eq!(
        desk.cases().len(),
        1,
        "the reply must not open a second case"
    );
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
fn a_corrupt_certificate_gets_a_reply_saying_it_could_not_be_read() {
    let desk = Desk::new();
    desk.deliver("1.eml", &fixture("mail/ro-corrupt-cert.eml"));
    desk.run(&["once"]);
    let reply = desk
        .sent()
        .into_iter()
        .find(|m| m.to == ["ana@cnam.gov.md"])
        .unwrap();
    assert!(
        reply.text.contains("„cnam.cer” nu a putut fi citit"),
        "{}",
        reply.text
    );
    let reference = desk.cases()[0]["reference"].as_str().unwrap().to_string();
    let kinds: Vec<String> = desk.case(&reference)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap().to_string())
        .collect();
    assert!(!kinds.contains(&"certificate".to_string()));
}

#[test]
fn a_private_key_is_never_stored_and_the_sender_is_warned() {
    let desk = Desk::new();
    let raw = fixture("mail/ro-private-key.eml");
    desk.deliver("1.eml", &raw);
    desk.run(&["once"]);

    let pfx = fixture("certs/test-only-bundle.pfx");
    assert!(!desk.database_contains(&pfx[..32]), "pfx bytes stored");
    let encoded_line = common::first_encoded_line(&raw, "ance.pfx");
    assert!(
        !desk.database_contains(encoded_line.as_bytes()),
        "encoded key stored"
    );
    let reply = desk
        .sent()
        .into_iter()
        .find(|m| m.to == ["vasile@ance.gov.md"])
        .unwrap();
    assert!(reply.text.contains("CHEIE PRIVATĂ"), "{}", reply.text);
    let ops = desk
        .sent()
        .into_iter()
        .find(|m| m.to == ["operator@egov.md"])
        .unwrap();
    assert!(ops.subject.contains("CHEIE PRIVATĂ"), "{}", ops.subject);
}

#[test]
fn mail_for_mpay_is_redirected_and_opens_no_case() {
    let desk = Desk::new();
    desk.deliver("1.eml", &fixture("mail/ro-mpay.eml"));
    desk.run(&["once"]);
    assert!(desk.cases().is_empty());
    let sent = desk.sent();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].text.contains("suport.mpay@gov.md"));
}

#[test]
fn unmatched_mail_and_auto_replies_go_to_the_operators_unanswered() {
    let desk = Desk::new();
    desk.deliver("1.eml", &fixture("mail/ro-no-service.eml"));
    desk.deliver("2.eml", &fixture("mail/en-out-of-office.eml"));
    desk.run(&["once"]);
    let sent = desk.sent();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent.iter().all(|m| m.to == ["operator@egov.md"]));
    assert!(sent
        .iter()
        .any(|m| m.text.contains("nu menționează niciun serviciu")));
    assert!(sent.iter().any(|m| m.text.contains("mesaj automat")));
}

#[test]
fn an_operator_opens_a_case_by_hand_and_the_beneficiary_is_asked_for_materials() {
    let desk = Desk::new();
    let out = desk.run(&[
        "case",
        "open",
        "--service",
        "msign",
        "--institution",
        "Casa Națională de Asigurări Sociale",
        "--contact",
        "IT@cnas.gov.md",
        "--system",
        "SI Pensii",
        "--language",
        "en",
    ]);
    let reference = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(reference.starts_with("EGOV-"), "{reference}");
    let case = desk.case(&reference);
    assert_eq!(case["contact"], "it@cnas.gov.md");
    assert_eq!(case["language"], "en");
    assert_eq!(case["system_name"], "SI Pensii");
    assert_eq!(case["step"], "awaiting_materials");

    desk.run(&["once"]);
    let sent = desk.sent();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].subject.starts_with(&format!("[{reference}]")));
    assert!(
        sent[0].text.contains("public IP address"),
        "{}",
        sent[0].text
    );

    // The beneficiary answers from another mail client, without the tag but in the thread.
    let answer = message(
        "it@cnas.gov.md",
        "Re: materials",
        "answer@cnas.gov.md",
        &format!("In-Reply-To: <{}>\r\n", sent[0].message_id),
        "Public IP: 85.120.33.8\r\nSerial number: 0x4F3A001B22C0FFEE03\r\n",
    );
    desk.deliver("a.eml", &answer);
    desk.run(&["once"]);
    let case = desk.case(&reference);
    assert_eq!(case["step"], "materials_review", "{case:#}");
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
fn a_self_signed_certificate_is_questioned_for_mdocs_but_not_for_mpass() {
    let desk = Desk::new();
    let pem = String::from_utf8(fixture("certs/stisc-test-ca.pem")).unwrap();
    let with_cert = |from: &str, service: &str, id: &str| {
        format!(
            "From: {from}\r\nTo: servicii@egov.md\r\nSubject: Conectare {service}\r\nMessage-ID: <{id}>\r\n\
             MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"=_b_1234\"\r\n\r\n\
             --=_b_1234\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBuna ziua, certificatul este atasat.\r\n\
             --=_b_1234\r\nContent-Type: application/x-pem-file\r\nContent-Disposition: attachment; filename=\"sistem.pem\"\r\n\r\n\
             {pem}\r\n--=_b_1234--\r\n"
        )
        .into_bytes()
    };
    desk.deliver(
        "1.eml",
        &with_cert("a@inst1.gov.md", "MDocs", "ss-1@inst1.gov.md"),
    );
    desk.deliver(
        "2.eml",
        &with_cert("b@inst2.gov.md", "MPass", "ss-2@inst2.gov.md"),
    );
    desk.run(&["once"]);
    let sent = desk.sent();
    let mdocs = sent.iter().find(|m| m.to == ["a@inst1.gov.md"]).unwrap();
    let mpass = sent.iter().find(|m| m.to == ["b@inst2.gov.md"]).unwrap();
    assert!(
        mdocs
            .text
            .contains("nu este acceptat pentru acest serviciu"),
        "{}",
        mdocs.text
    );
    assert!(!mpass.text.contains("nu este acceptat"), "{}", mpass.text);
}

#[test]
fn a_private_key_inside_a_zip_is_never_stored_either() {
    let desk = Desk::new();
    let raw = fixture("corpus/ro-zip-cert-and-private-key.eml");
    desk.deliver("1.eml", &raw);
    desk.run(&["once"]);

    let encoded_line = common::first_encoded_line(&raw, "mpass-certificat.zip");
    assert!(
        !desk.database_contains(encoded_line.as_bytes()),
        "zip with key stored"
    );
    let reply = desk
        .sent()
        .into_iter()
        .find(|m| !m.to.contains(&"operator@egov.md".to_string()))
        .unwrap();
    assert!(reply.text.contains("CHEIE PRIVATĂ"), "{}", reply.text);
}

#[test]
fn custom_mpass_attributes_are_kept_and_flagged_to_the_operators() {
    let desk = Desk::new();
    let mail = message(
        "it@asp.gov.md",
        "Conectare MPass",
        "attrs-1@asp.gov.md",
        "",
        "Buna ziua,\r\nAtribute: NameIdentifier, IDNO, Patronimic\r\n",
    );
    desk.deliver("1.eml", &mail);
    desk.run(&["once"]);
    let ops = desk
        .sent()
        .into_iter()
        .find(|m| m.to == ["operator@egov.md"])
        .unwrap();
    assert!(
        ops.text.contains("Patronimic (nestandard: de verificat)"),
        "{}",
        ops.text
    );
    assert!(!ops.text.contains("IDNO (nestandard"), "{}", ops.text);
}

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
