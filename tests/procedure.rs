//! The procedure from first mail to completion notice, on the desk in process (the embedded
//! default's settings and database, mail in and out in memory): operators answer by mail
//! (every forged or replayed answer changes nothing), the CLI (the binary, on the same
//! database) does the same by hand, and reminders follow each pass's clock.

mod common;

use common::inproc::Desk;
use common::{fixture, message, token_in, Sent};

const OPERATOR: &str = "operator@egov.md";
const BENEFICIARY: &str = "ion.popescu@asp.gov.md";

/// A clock inside working hours of a plain working week (Tuesday 1 December 2026, 09:00 in
/// Chisinau), so tests never depend on the day they run.
const START: &str = "2026-12-01T07:00:00Z";

/// The newest mail written for `purpose` (the outbox files are named by id and purpose).
fn last_of(desk: &Desk, purpose: &str) -> Sent {
    let tag = format!("-{purpose}-");
    desk.sent()
        .into_iter()
        .rfind(|m| m.file.file_name().unwrap().to_string_lossy().contains(&tag))
        .unwrap_or_else(|| panic!("no {purpose} mail"))
}

/// An operator's reply to `to_mail`: `top` above the quoted original.
fn operator_reply(n: u32, to_mail: &Sent, top: &str, extra_headers: &str) -> Vec<u8> {
    let quoted: String = to_mail.text.lines().map(|l| format!("> {l}\r\n")).collect();
    message(
        OPERATOR,
        &format!("Re: {}", to_mail.subject),
        &format!("op-{n}@egov.md"),
        &format!("In-Reply-To: {}\r\n{extra_headers}", to_mail.message_id),
        &format!("{top}\r\n\r\nOn Tue, egov-desk wrote:\r\n{quoted}"),
    )
}

fn step_of(desk: &Desk, reference: &str) -> String {
    desk.case(reference)["step"].as_str().unwrap().to_string()
}

fn opened_mdocs_case(desk: &Desk) -> String {
    desk.deliver("1.eml", &fixture("mail/ro-mdocs-complete.eml"));
    desk.once_at(START);
    let reference = desk.cases()[0]["reference"].as_str().unwrap().to_string();
    assert_eq!(step_of(desk, &reference), "materials_review");
    reference
}

#[test]
fn an_mdocs_case_runs_from_first_mail_to_completion_notice_by_operator_replies() {
    let desk = Desk::new();
    let reference = opened_mdocs_case(&desk);
    let update = last_of(&desk, "operator_update");
    assert!(
        update.text.contains("Token: egov-token:"),
        "{}",
        update.text
    );
    assert!(update.text.contains("- CONFIRM"), "{}", update.text);

    // CONFIRM: items confirmed, the case moves to the contract, the beneficiary is told.
    desk.deliver("2.eml", &operator_reply(2, &update, "DA", ""));
    desk.once_at(START);
    let case = desk.case(&reference);
    assert_eq!(case["step"], "contract", "{case:#}");
    assert!(case["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["status"] == "confirmed"));
    let progress = last_of(&desk, "progress");
    assert!(
        progress.subject.contains(&reference),
        "{}",
        progress.subject
    );
    assert!(progress.text.contains("contract"), "{}", progress.text);
    let ack = last_of(&desk, "operator_ack");
    assert!(ack.text.contains("CONFIRM"), "{}", ack.text);

    // Each agency step is marked done by replying to the latest acknowledgement.
    let mut latest = ack;
    for (n, (command, after)) in [
        ("DONE contract", "staging"),
        ("DONE staging", "testing"),
        ("DONE testing", "activation"),
        ("DONE production", "completed"),
    ]
    .iter()
    .enumerate()
    {
        let n = u32::try_from(n).unwrap() + 3;
        desk.deliver(
            &format!("{n}.eml"),
            &operator_reply(n, &latest, command, ""),
        );
        desk.once_at(START);
        assert_eq!(step_of(&desk, &reference), *after, "after {command}");
        latest = last_of(&desk, "operator_ack");
        assert!(latest.text.contains(command), "{}", latest.text);
    }
    let completion = desk.mails("Finalizat", BENEFICIARY);
    assert_eq!(completion.len(), 1, "one completion notice");
    assert!(
        completion[0].text.contains("194.0.2.10"),
        "{}",
        completion[0].text
    );

    // The timeline tells who did what, and the evidence bundle holds it all.
    let case = desk.case(&reference);
    let kinds: Vec<&str> = case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"opened"));
    assert!(kinds.contains(&"item_confirmed"));
    assert_eq!(
        kinds.iter().filter(|k| **k == "step").count(),
        6,
        "{kinds:?}"
    );
    let operator_steps = case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "step" && e["actor"] == OPERATOR)
        .count();
    assert_eq!(operator_steps, 5);
    let bundle = desk.path("evidence.zip");
    desk.run(&[
        "case",
        "export",
        &reference,
        "--output",
        bundle.to_str().unwrap(),
    ]);
    let zip = zip::ZipArchive::new(std::fs::File::open(&bundle).unwrap()).unwrap();
    let names: Vec<&str> = zip.file_names().collect();
    for needed in [
        "case.json",
        "timeline.json",
        "tokens.json",
        "received/index.json",
        "sent/index.json",
    ] {
        assert!(names.contains(&needed), "{names:?}");
    }
    assert!(
        names
            .iter()
            .filter(|n| n.starts_with("received/") && n.ends_with(".eml"))
            .count()
            >= 6
    );
    assert!(names
        .iter()
        .any(|n| n.starts_with("sent/") && n.ends_with(".eml")));
}

#[test]
fn forged_replayed_altered_stale_and_quoted_commands_change_nothing() {
    let desk = Desk::new();
    let reference = opened_mdocs_case(&desk);
    let update = last_of(&desk, "operator_update");
    let token = token_in(&update.text);
    let refused = |desk: &Desk| desk.mails("REFUZAT", OPERATOR).len();

    // A command only inside quoted text.
    desk.deliver(
        "q.eml",
        &operator_reply(10, &update, "Mulțumesc, revin.", ""),
    );
    // The token forwarded to someone else, who answers with it.
    let mut forwarded = operator_reply(11, &update, "CONFIRM", "");
    forwarded = String::from_utf8(forwarded)
        .unwrap()
        .replacen(
            &format!("From: {OPERATOR}"),
            "From: colleague@partner.md",
            1,
        )
        .into_bytes();
    desk.deliver("f.eml", &forwarded);
    // An altered token.
    let mut altered = token.clone();
    let last = altered.pop().unwrap();
    altered.push(if last == '0' { '1' } else { '0' });
    let text = update.text.replace(&token, &altered);
    let altered_mail = Sent {
        text,
        ..update.clone()
    };
    desk.deliver("a.eml", &operator_reply(12, &altered_mail, "CONFIRM", ""));
    // No token at all.
    desk.deliver(
        "n.eml",
        &message(
            OPERATOR,
            &format!("[{reference}] confirm"),
            "op-13@egov.md",
            "",
            "CONFIRM",
        ),
    );
    desk.once_at(START);
    assert_eq!(step_of(&desk, &reference), "materials_review");
    assert_eq!(refused(&desk), 4, "each attempt is told to the operators");
    let case = desk.case(&reference);
    assert!(case["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["status"] == "parsed"));
    let reasons: Vec<String> = case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "command_refused")
        .map(|e| e["detail"]["reason"].as_str().unwrap().to_string())
        .collect();
    for reason in ["no_command", "wrong_sender"] {
        assert!(reasons.iter().any(|r| r == reason), "{reasons:?}");
    }

    // The real one works once; the same token again is a replay.
    desk.deliver("ok.eml", &operator_reply(14, &update, "CONFIRM", ""));
    desk.once_at(START);
    assert_eq!(step_of(&desk, &reference), "contract");
    desk.deliver(
        "replay.eml",
        &operator_reply(15, &update, "DONE contract", ""),
    );
    desk.once_at(START);
    assert_eq!(
        step_of(&desk, &reference),
        "contract",
        "a replayed token does nothing"
    );
    assert_eq!(refused(&desk), 5);

    // A token for an older version of the case: the beneficiary wrote since.
    let ack = last_of(&desk, "operator_ack");
    desk.deliver(
        "b.eml",
        &message(
            "Ion Popescu <ion.popescu@asp.gov.md>",
            &format!("Re: [{reference}] contract"),
            "b-1@asp.gov.md",
            "",
            "Adresa IP publică: 194.0.2.77",
        ),
    );
    desk.once_at(START);
    desk.deliver("stale.eml", &operator_reply(16, &ack, "DONE contract", ""));
    desk.once_at(START);
    assert_eq!(
        step_of(&desk, &reference),
        "contract",
        "a stale token does nothing"
    );
    assert_eq!(refused(&desk), 6);

    // An expired token: the newest update, answered four days later.
    let update = last_of(&desk, "operator_update");
    desk.deliver(
        "late.eml",
        &operator_reply(17, &update, "DONE contract", ""),
    );
    desk.once_at("2026-12-05T07:00:00Z");
    assert_eq!(
        step_of(&desk, &reference),
        "contract",
        "an expired token does nothing"
    );
    let reasons: Vec<String> = desk.case(&reference)["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "command_refused")
        .map(|e| e["detail"]["reason"].as_str().unwrap().to_string())
        .collect();
    for reason in [
        "no_command",
        "wrong_sender",
        "used_token",
        "stale_token",
        "expired_token",
    ] {
        assert!(
            reasons.iter().any(|r| r == reason),
            "{reason} not in {reasons:?}"
        );
    }
}

#[test]
fn with_an_authserv_id_only_mail_the_agency_server_vouched_for_counts() {
    let desk = Desk::with_config("", "", "authserv_id = \"mx.egov.md\"", "");
    let reference = opened_mdocs_case(&desk);
    let update = last_of(&desk, "operator_update");
    // No Authentication-Results, or one written lower down by someone else, or a failure.
    desk.deliver("1.eml", &operator_reply(1, &update, "CONFIRM", ""));
    desk.once_at(START);
    desk.deliver(
        "2.eml",
        &operator_reply(
            2,
            &update,
            "CONFIRM",
            "Authentication-Results: mx.egov.md; dkim=fail; dmarc=fail\r\n",
        ),
    );
    desk.once_at(START);
    assert_eq!(step_of(&desk, &reference), "materials_review");
    assert_eq!(desk.mails("REFUZAT", OPERATOR).len(), 2);
    let mut good =
        b"Authentication-Results: mx.egov.md; dkim=pass header.d=egov.md; dmarc=pass\r\n".to_vec();
    good.extend(operator_reply(3, &update, "CONFIRM", ""));
    desk.deliver("3.eml", &good);
    desk.once_at(START);
    assert_eq!(step_of(&desk, &reference), "contract");
}

/// The reasons noted on a case's timeline for refused commands, oldest first.
fn refusal_reasons(desk: &Desk, reference: &str) -> Vec<String> {
    desk.case(reference)["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "command_refused")
        .map(|e| e["detail"]["reason"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_pass_for_another_domain_or_a_mail_with_several_authors_never_commands() {
    let desk = Desk::with_config("", "", "authserv_id = \"mx.egov.md\"", "");
    let reference = opened_mdocs_case(&desk);
    let update = last_of(&desk, "operator_update");
    let before = desk.sent().len();
    let aligned =
        "Authentication-Results: mx.egov.md; dkim=pass header.d=egov.md; dmarc=pass header.from=egov.md\r\n";
    let stamped = |verdict: &str, mail: Vec<u8>| {
        let mut out = verdict.as_bytes().to_vec();
        out.extend(mail);
        out
    };
    // The agency's server vouched, but for the forger's own domain; DMARC failed.
    desk.deliver(
        "1.eml",
        &stamped(
            "Authentication-Results: mx.egov.md; dkim=pass header.d=evil.example; dmarc=fail\r\n",
            operator_reply(1, &update, "CONFIRM", ""),
        ),
    );
    // Two From headers: the operator's and the forger's, under an aligned verdict.
    desk.deliver(
        "2.eml",
        &stamped(
            aligned,
            operator_reply(2, &update, "CONFIRM", "From: mallory@evil.example\r\n"),
        ),
    );
    // One From header naming two authors.
    let quoted: String = update.text.lines().map(|l| format!("> {l}\r\n")).collect();
    desk.deliver(
        "3.eml",
        &stamped(
            aligned,
            message(
                &format!("{OPERATOR}, mallory@evil.example"),
                &format!("Re: {}", update.subject),
                "op-3@egov.md",
                &format!("In-Reply-To: {}\r\n", update.message_id),
                &format!("CONFIRM\r\n\r\n{quoted}"),
            ),
        ),
    );
    // The server's verdict on top is for the forger's domain; the aligned one below it
    // was written by the forger.
    desk.deliver(
        "5.eml",
        &stamped(
            "Authentication-Results: mx.egov.md; dkim=pass header.d=evil.example; dmarc=pass header.from=evil.example\r\n",
            operator_reply(5, &update, "CONFIRM", aligned),
        ),
    );
    desk.once_at(START);
    assert_eq!(step_of(&desk, &reference), "materials_review");
    let case = desk.case(&reference);
    assert!(case["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["status"] == "parsed"));
    let new: Vec<Sent> = desk.sent().into_iter().skip(before).collect();
    assert_eq!(new.len(), 4, "one refusal notice each, nothing else");
    assert!(
        new.iter()
            .all(|m| m.to == [OPERATOR] && m.subject.contains("REFUZAT")),
        "{:?}",
        new.iter().map(|m| (&m.to, &m.subject)).collect::<Vec<_>>()
    );
    assert!(new.iter().any(|m| m.text.contains("mai mulți autori")));
    assert_eq!(
        refusal_reasons(&desk, &reference),
        [
            "unauthenticated",
            "several_authors",
            "several_authors",
            "unauthenticated"
        ]
    );

    // The operator's own mail, vouched for the operator's domain, is obeyed.
    desk.deliver(
        "4.eml",
        &stamped(aligned, operator_reply(4, &update, "CONFIRM", "")),
    );
    desk.once_at(START);
    assert_eq!(step_of(&desk, &reference), "contract");

    // Without an authserv-id too, two authors never command.
    let desk = Desk::new();
    let reference = opened_mdocs_case(&desk);
    let update = last_of(&desk, "operator_update");
    desk.deliver(
        "1.eml",
        &operator_reply(1, &update, "CONFIRM", "From: mallory@evil.example\r\n"),
    );
    desk.once_at(START);
    assert_eq!(step_of(&desk, &reference), "materials_review");
    assert_eq!(refusal_reasons(&desk, &reference), ["several_authors"]);
}

#[test]
fn the_cli_confirms_corrects_rejects_and_completes_without_mail() {
    let desk = Desk::new();
    let reference = opened_mdocs_case(&desk);
    desk.run(&[
        "--clock",
        START,
        "case",
        "set",
        &reference,
        "public_ip",
        "194.0.2.99",
    ]);
    let case = desk.case(&reference);
    let ip = case["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["value"] == "194.0.2.99")
        .unwrap();
    assert_eq!(ip["status"], "confirmed");
    desk.run(&[
        "--clock",
        START,
        "case",
        "reject",
        &reference,
        "Certificatul",
        "nu",
        "este",
        "de",
        "la",
        "STISC",
    ]);
    assert_eq!(step_of(&desk, &reference), "awaiting_materials");
    desk.once_at(START);
    let rejection = last_of(&desk, "rejection");
    assert!(
        rejection.text.contains("Certificatul nu este de la STISC"),
        "{}",
        rejection.text
    );
    // A step that is not the case's own is refused with the reason.
    let out = desk
        .command(&["case", "done", &reference, "staging"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("awaiting_materials"));
    let timeline = desk.case(&reference)["timeline"].clone();
    assert!(timeline
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "materials_rejected"
            && e["actor"].as_str().unwrap().starts_with("cli:")));
}

#[test]
fn reminders_follow_working_days_and_are_never_sent_twice() {
    let desk = Desk::new();
    // Waits on the beneficiary: no document types yet.
    desk.deliver(
        "1.eml",
        &message(
            "Ion Popescu <ion.popescu@asp.gov.md>",
            "Conectare MDocs",
            "r-1@asp.gov.md",
            "",
            "Solicităm conectarea la MDocs.\r\nDenumirea sistemului: Registrul\r\nAdresa IP publică: 194.0.2.10",
        ),
    );
    desk.once_at(START);
    let reference = desk.cases()[0]["reference"].as_str().unwrap().to_string();
    let reminders = |desk: &Desk| desk.mails("Memento", BENEFICIARY).len();
    // Tue 1 Dec + 5 working days = Tue 8 Dec.
    desk.once_at("2026-12-07T10:00:00Z");
    assert_eq!(reminders(&desk), 0);
    desk.once_at("2026-12-08T10:00:00Z");
    desk.once_at("2026-12-08T11:00:00Z");
    assert_eq!(reminders(&desk), 1, "due once, sent once");
    let first = desk.mails("Memento", BENEFICIARY).remove(0);
    assert!(first.subject.contains(&reference));
    assert!(
        first.text.contains("certificat"),
        "names what is missing: {}",
        first.text
    );
    assert!(first.text.contains("Tipuri de documente"), "{}", first.text);
    desk.once_at("2026-12-15T10:00:00Z");
    assert_eq!(reminders(&desk), 2);
    // After two reminders the operators are told, once.
    desk.once_at("2026-12-22T10:00:00Z");
    desk.once_at("2026-12-23T10:00:00Z");
    assert_eq!(reminders(&desk), 2);
    let escalations: Vec<Sent> = desk
        .sent()
        .into_iter()
        .filter(|m| {
            m.to == [OPERATOR]
                && m.subject.contains(&reference)
                && m.subject.contains("Niciun răspuns")
        })
        .collect();
    assert_eq!(escalations.len(), 1, "one escalation");
    // A digest went out on each working day a pass ran after 08:00, never twice a day.
    let digests = desk
        .sent_with_digests()
        .into_iter()
        .filter(|m| m.to == [OPERATOR] && m.subject.contains("Rezumat"))
        .count();
    assert_eq!(digests, 6, "1, 7, 8, 15, 22 and 23 December");
}

#[test]
fn agency_steps_are_reminded_near_and_past_the_seven_working_days() {
    let desk = Desk::new();
    let reference = opened_mdocs_case(&desk);
    let sla = |desk: &Desk| {
        desk.sent()
            .into_iter()
            .filter(|m| {
                m.to == [OPERATOR]
                    && m.subject.contains(&reference)
                    && m.subject.to_lowercase().contains("termen")
            })
            .count()
    };
    // Complete on Tue 1 Dec; 7 working days end on Thu 10 Dec.
    desk.once_at("2026-12-07T10:00:00Z");
    assert_eq!(sla(&desk), 0);
    desk.once_at("2026-12-08T10:00:00Z");
    assert_eq!(sla(&desk), 1, "near the limit");
    desk.once_at("2026-12-10T10:00:00Z");
    assert_eq!(sla(&desk), 1);
    desk.once_at("2026-12-11T10:00:00Z");
    desk.once_at("2026-12-14T10:00:00Z");
    assert_eq!(sla(&desk), 2, "past the limit, once");
    let overdue = desk
        .sent()
        .into_iter()
        .rfind(|m| m.to == [OPERATOR] && m.subject.contains("DEPĂȘIT"))
        .unwrap();
    assert!(overdue.text.contains("2026-12-10"), "{}", overdue.text);
}

#[test]
fn holders_of_confirmed_certificates_are_told_before_expiry_with_a_renewal_case() {
    let desk = Desk::new();
    let reference = opened_mdocs_case(&desk);
    desk.run(&["--clock", START, "case", "confirm", &reference]);
    // The fixture certificate ends on 2036-11-19.
    desk.once_at("2036-09-25T10:00:00Z");
    desk.once_at("2036-09-26T10:00:00Z");
    desk.once_at("2036-10-25T10:00:00Z");
    let notices = desk.mails("4F3A001B22C0FFEE01", BENEFICIARY);
    assert_eq!(notices.len(), 2, "60 and 30 days before, each once");
    let cases = desk.cases();
    assert_eq!(cases.len(), 2, "one renewal case, opened once");
    let renewal = cases[1]["reference"].as_str().unwrap();
    assert_eq!(cases[1]["renews_serial"], "4F3A001B22C0FFEE01");
    assert!(notices.iter().all(|n| n.text.contains(renewal)));
}

/// The envelope sender a mail left with (the outbox file records it as `Return-Path`).
fn return_path_of(mail: &Sent) -> String {
    mail.headers
        .lines()
        .find_map(|l| l.strip_prefix("Return-Path: "))
        .expect("a Return-Path on the outbox file")
        .trim_matches(|c| c == '<' || c == '>')
        .to_string()
}

/// A delivery report as a receiving server writes it: from the null sender to `to`, about
/// the mail `message_id` to `BENEFICIARY`.
fn delivery_report(n: u32, to: &str, message_id: &str, subject: &str) -> Vec<u8> {
    format!(
        "Return-Path: <>\r\nFrom: MAILER-DAEMON@asp.gov.md (Mail Delivery System)\r\nTo: {to}\r\n\
         Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce-{n}@asp.gov.md>\r\n\
         Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\r\n\r\n\
         --R\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n\
         --R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.asp.gov.md\r\n\r\n\
         Final-Recipient: rfc822; {BENEFICIARY}\r\nAction: failed\r\nStatus: 5.2.2\r\n\
         Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\r\n\
         --R\r\nContent-Type: text/rfc822-headers\r\n\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n--R--\r\n"
    )
    .into_bytes()
}

fn bounced_mail(desk: &Desk, reference: &str) -> Vec<serde_json::Value> {
    desk.case(reference)["mail"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| !m["bounced_at"].is_null())
        .cloned()
        .collect()
}

#[test]
fn bounces_are_linked_to_our_mail_and_never_answered() {
    let desk = Desk::new();
    let reference = opened_mdocs_case(&desk);
    let ack = last_of(&desk, "acknowledgement");
    let return_path = return_path_of(&ack);
    assert!(
        return_path.starts_with("servicii+b-") && return_path.ends_with("@egov.md"),
        "{return_path}"
    );
    let report = delivery_report(1, &return_path, &ack.message_id, &ack.subject);
    let before = desk.sent().len();
    desk.deliver("bounce.eml", &report);
    desk.once_at(START);
    let new: Vec<Sent> = desk.sent().into_iter().skip(before).collect();
    assert_eq!(new.len(), 1, "only the operators hear of it");
    assert_eq!(new[0].to, [OPERATOR]);
    assert!(new[0].text.contains("5.2.2"), "{}", new[0].text);
    let case = desk.case(&reference);
    assert!(case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "bounce"));
    let bounced = bounced_mail(&desk, &reference);
    assert_eq!(bounced.len(), 1, "{bounced:?}");
    assert_eq!(bounced[0]["purpose"], "acknowledgement");
}

#[test]
fn forged_delivery_reports_are_not_linked_and_reach_the_operators_as_ordinary_mail() {
    let desk = Desk::new();
    let reference = opened_mdocs_case(&desk);
    let ack = last_of(&desk, "acknowledgement");
    let update = last_of(&desk, "operator_update");
    let genuine = return_path_of(&ack);
    // A wrong MAC: the last hex digit changed.
    let (head, mac) = genuine.split_once('@').unwrap().0.rsplit_once('-').unwrap();
    let mut wrong = mac.to_string();
    let last = wrong.pop().unwrap();
    wrong.push(if last == '0' { '1' } else { '0' });
    let wrong_mac = format!("{head}-{wrong}@egov.md");
    let before = desk.sent().len();
    for (n, to) in [
        // What a stranger knows: our address, the Message-ID, the recipient.
        (1, "servicii@egov.md".to_string()),
        (2, wrong_mac),
        // A genuine return path of another mail, naming the acknowledgement.
        (3, return_path_of(&update)),
    ] {
        desk.deliver(
            &format!("forged-{n}.eml"),
            &delivery_report(n, &to, &ack.message_id, &ack.subject),
        );
    }
    desk.once_at(START);
    assert!(bounced_mail(&desk, &reference).is_empty());
    let case = desk.case(&reference);
    assert!(
        !case["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "bounce"),
        "{case:#}"
    );
    let new: Vec<Sent> = desk.sent().into_iter().skip(before).collect();
    assert_eq!(new.len(), 3, "each is forwarded, nobody is answered");
    for forwarded in &new {
        assert_eq!(forwarded.to, [OPERATOR]);
        assert!(
            forwarded
                .file
                .to_string_lossy()
                .contains("-operator_forward-"),
            "{}",
            forwarded.file.display()
        );
    }
}

#[test]
fn without_return_paths_only_a_null_sender_report_about_a_recipient_of_ours_is_linked() {
    let desk = Desk::with_sections("", "verp_delimiter = \"\"\n");
    let reference = opened_mdocs_case(&desk);
    let ack = last_of(&desk, "acknowledgement");
    assert_eq!(return_path_of(&ack), "servicii@egov.md");
    let report = delivery_report(1, "servicii@egov.md", &ack.message_id, &ack.subject);
    let text = String::from_utf8(report).unwrap();
    // Not from the null sender; about someone the mail was not sent to.
    desk.deliver(
        "1.eml",
        text.replacen("Return-Path: <>", "Return-Path: <mallory@evil.example>", 1)
            .as_bytes(),
    );
    desk.deliver(
        "2.eml",
        text.replace("bounce-1@", "bounce-2@")
            .replacen(BENEFICIARY, "someone@evil.example", 1)
            .as_bytes(),
    );
    desk.once_at(START);
    assert!(bounced_mail(&desk, &reference).is_empty());
    desk.deliver("3.eml", text.replace("bounce-1@", "bounce-3@").as_bytes());
    desk.once_at(START);
    assert_eq!(bounced_mail(&desk, &reference).len(), 1);
    let bounces = desk.case(&reference)["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "bounce")
        .count();
    assert_eq!(bounces, 1);
}

#[test]
fn lists_bulk_mail_and_our_own_loop_are_never_answered_and_replies_are_rate_limited() {
    let desk = Desk::with_config("", "", "", "max_replies_per_day = 2\n");
    let mut n = 0;
    for headers in [
        "List-Unsubscribe: <mailto:x@lists.md>\r\n",
        "Precedence: bulk\r\n",
        "Return-Path: <>\r\n",
        "X-Loop: servicii@egov.md\r\n",
    ] {
        n += 1;
        desk.deliver(
            &format!("{n}.eml"),
            &message(
                "news@lists.md",
                "MDocs",
                &format!("l-{n}@lists.md"),
                headers,
                "MDocs",
            ),
        );
    }
    desk.once_at(START);
    assert!(desk.sent().iter().all(|m| m.to != ["news@lists.md"]));
    // The same sender writing five times gets two answers.
    for i in 0..5 {
        desk.deliver(
            &format!("r{i}.eml"),
            &message(
                "ana@mec.gov.md",
                "MPay",
                &format!("r-{i}@mec.gov.md"),
                "",
                "Vrem MPay",
            ),
        );
    }
    desk.once_at(START);
    assert_eq!(
        desk.sent()
            .iter()
            .filter(|m| m.to == ["ana@mec.gov.md"])
            .count(),
        2
    );
}

#[test]
fn a_serial_number_is_checked_against_confirmed_certificates_and_a_contract_means_annex_only() {
    let desk = Desk::new();
    let first = opened_mdocs_case(&desk);
    desk.run(&["--clock", START, "case", "confirm", &first]);
    desk.run(&["--clock", START, "case", "done", &first, "contract"]);
    assert_eq!(step_of(&desk, &first), "staging");
    // The same institution asks for MSign, giving the serial of the certificate the agency
    // confirmed for MDocs, and one it never saw.
    desk.deliver(
        "2.eml",
        &message(
            "Ana Popa <ana.popa@asp.gov.md>",
            "Conectare MSign",
            "msign-1@asp.gov.md",
            "",
            "Solicităm conectarea la MSign.\r\n\
             Denumirea sistemului informațional: Registrul Școlar\r\n\
             Adresa IP publică: 194.0.2.10\r\n\
             Numărul de serie al certificatului: 4F:3A:00:1B:22:C0:FF:EE:01\r\n\
             Nr. serie certificat vechi: 0A0B0C0D0E\r\n",
        ),
    );
    desk.once_at(START);
    let second = desk.cases()[1]["reference"].as_str().unwrap().to_string();
    let case = desk.case(&second);
    let lookup = |serial: &str| {
        case["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["value"] == serial)
            .unwrap_or_else(|| panic!("{serial} not filed: {case:#}"))["detail"]["lookup"]
            .clone()
    };
    assert_eq!(lookup("4F3A001B22C0FFEE01")["status"], "accepted");
    assert_eq!(
        lookup("4F3A001B22C0FFEE01")["found"]["case"],
        first.as_str()
    );
    assert_eq!(lookup("0A0B0C0D0E")["reason"], "unknown");
    let ack = last_of(&desk, "acknowledgement");
    assert!(
        ack.text.contains("0A0B0C0D0E"),
        "the questioned serial is named: {}",
        ack.text
    );
    // The unknown serial is rejected by a correction, the rest confirmed: contract step,
    // and only the annex is asked for, naming the earlier contract.
    desk.run(&["--clock", START, "case", "confirm", &second]);
    assert_eq!(step_of(&desk, &second), "contract");
    desk.once_at(START);
    let progress = last_of(&desk, "progress");
    assert!(progress.text.contains(&first), "{}", progress.text);
    assert!(progress.text.contains("anex"), "{}", progress.text);
}
