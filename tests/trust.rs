//! Who may change a case, and who the desk writes to: a stranger who knows a case's tag or
//! answers in its thread is held for the operators and learns nothing; forged mail cannot
//! make the desk write to a victim over and over; a message that reuses another's
//! Message-ID is a message of its own. On the desk in process, but for the two tests that
//! look at the Maildir and the log, which drive the binary.

mod common;

use common::inproc::Desk;
use common::{fixture, message, token_in, Sent, Words};

const OPERATOR: &str = "operator@egov.md";
const BENEFICIARY: &str = "ion.popescu@asp.gov.md";
const STRANGER: &str = "eve@evil.example";

/// Tuesday 1 December 2026, 09:00 in Chisinau: tests never depend on the day they run.
const START: &str = "2026-12-01T07:00:00Z";
const LATER: &str = "2026-12-01T08:00:00Z";
const LATER_STILL: &str = "2026-12-01T09:00:00Z";

/// The mails written for `purpose` (the outbox files are named by id and purpose).
fn of_purpose(desk: &impl Words, purpose: &str) -> Vec<Sent> {
    let tag = format!("-{purpose}-");
    desk.sent()
        .into_iter()
        .filter(|m| m.file.file_name().unwrap().to_string_lossy().contains(&tag))
        .collect()
}

fn to(desk: &impl Words, address: &str) -> Vec<Sent> {
    desk.sent()
        .into_iter()
        .filter(|m| m.to == [address])
        .collect()
}

fn opened_mdocs_case(desk: &impl Words) -> String {
    desk.deliver("1.eml", &fixture("mail/ro-mdocs-complete.eml"));
    desk.once_at(START);
    desk.cases()[0]["reference"].as_str().unwrap().to_string()
}

fn values(case: &serde_json::Value) -> Vec<String> {
    case["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["value"].as_str().unwrap().to_string())
        .collect()
}

fn event_kinds(case: &serde_json::Value) -> Vec<String> {
    case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

/// An operator's answer to `to_mail`, the original quoted below.
fn operator_reply(n: u32, to_mail: &Sent, top: &str) -> Vec<u8> {
    let quoted: String = to_mail.text.lines().map(|l| format!("> {l}\r\n")).collect();
    message(
        OPERATOR,
        &format!("Re: {}", to_mail.subject),
        &format!("op-{n}@egov.md"),
        &format!("In-Reply-To: {}\r\n", to_mail.message_id),
        &format!("{top}\r\n\r\nOn Tue, egov-desk wrote:\r\n{quoted}"),
    )
}

fn strangers_materials(reference: &str, n: u32) -> Vec<u8> {
    message(
        STRANGER,
        &format!("Re: [{reference}] MDocs"),
        &format!("eve-{n}@evil.example"),
        "",
        "Bună ziua,\r\n\r\nDenumirea sistemului informațional: Sistem Fals\r\nAdresa IP publică: 194.0.2.66\r\n",
    )
}

#[test]
fn a_stranger_using_a_cases_tag_is_held_told_nothing_and_filed_only_when_an_operator_accepts() {
    let desk = Desk::new();
    let reference = opened_mdocs_case(&desk);
    let before = desk.case(&reference);

    desk.deliver("2.eml", &strangers_materials(&reference, 1));
    desk.once_at(LATER);

    let held = desk.case(&reference);
    assert_eq!(values(&held), values(&before), "nothing filed");
    assert_eq!(held["step"], before["step"]);
    assert_eq!(
        held["version"], before["version"],
        "operators' tokens stay good"
    );
    assert!(event_kinds(&held).contains(&"held".to_string()));
    assert_eq!(held["held"][0]["sender"], STRANGER);

    // The stranger hears that the mail arrived, and nothing of the case.
    let receipts = to(&desk, STRANGER);
    assert_eq!(receipts.len(), 1, "{receipts:?}");
    let receipt = &receipts[0];
    for secret in [
        reference.as_str(),
        "MDocs",
        "Agenția Servicii Publice",
        "asp.gov.md",
        "Registrul",
        "194.0.2.10",
        "194.0.2.66",
    ] {
        assert!(
            !receipt.subject.contains(secret) && !receipt.text.contains(secret),
            "the receipt names {secret}:\n{}\n{}",
            receipt.subject,
            receipt.text
        );
    }
    assert_eq!(receipt.in_reply_to, ["eve-1@evil.example"]);

    // The operators are asked, clearly.
    let notices = of_purpose(&desk, "operator_held");
    assert_eq!(notices.len(), 1);
    let notice = &notices[0];
    assert!(
        notice.subject.contains("EXPEDITOR NECUNOSCUT"),
        "{}",
        notice.subject
    );
    assert!(notice.text.contains(STRANGER) && notice.text.contains("194.0.2.66"));
    assert!(notice.raw.windows(12).any(|w| w == b"original.eml"));

    desk.deliver("3.eml", &operator_reply(1, notice, "ACCEPT"));
    desk.once_at(LATER_STILL);

    let accepted = desk.case(&reference);
    assert!(values(&accepted).contains(&"194.0.2.66".to_string()));
    assert_eq!(accepted["contacts"], serde_json::json!([STRANGER]));
    assert!(accepted["held"].as_array().unwrap().is_empty());
    assert!(event_kinds(&accepted).contains(&"contact_added".to_string()));
    let answered = to(&desk, STRANGER);
    assert_eq!(answered.len(), 2, "the receipt, then the acknowledgement");
    assert!(
        answered[1].subject.contains(&reference),
        "{}",
        answered[1].subject
    );

    // Accepted once, trusted from then on: the next mail is filed directly.
    desk.deliver(
        "4.eml",
        &message(
            STRANGER,
            &format!("Re: [{reference}] MDocs"),
            "eve-2@evil.example",
            "",
            "Adresa IP publică: 194.0.2.67\r\n",
        ),
    );
    desk.once_at("2026-12-01T10:00:00Z");
    assert!(values(&desk.case(&reference)).contains(&"194.0.2.67".to_string()));
    assert_eq!(
        of_purpose(&desk, "operator_held").len(),
        1,
        "not held again"
    );
}

#[test]
fn a_stranger_answering_in_a_cases_thread_is_held_and_a_rejection_files_nothing() {
    let desk = Desk::new();
    let reference = opened_mdocs_case(&desk);
    let before = values(&desk.case(&reference));
    let ack = to(&desk, BENEFICIARY).remove(0);

    // Forwarded the desk's answer, or guessed its Message-ID: it proves nothing of who writes.
    desk.deliver(
        "2.eml",
        &message(
            STRANGER,
            "Re: Solicitare conectare MDocs",
            "eve-1@evil.example",
            &format!(
                "In-Reply-To: {}\r\nReferences: {}\r\n",
                ack.message_id, ack.message_id
            ),
            "Adresa IP publică: 194.0.2.66\r\n",
        ),
    );
    desk.once_at(LATER);
    assert_eq!(values(&desk.case(&reference)), before);
    let notice = of_purpose(&desk, "operator_held").remove(0);
    assert!(
        notice
            .text
            .contains("un răspuns la un mesaj al solicitării"),
        "{}",
        notice.text
    );

    // A confirmation does not say which decision was meant: refused, nothing changes.
    desk.deliver("3.eml", &operator_reply(1, &notice, "DA"));
    desk.once_at(LATER);
    assert_eq!(desk.case(&reference)["held"].as_array().unwrap().len(), 1);

    desk.deliver(
        "4.eml",
        &operator_reply(2, &notice, "REJECT nu este din instituție"),
    );
    desk.once_at(LATER_STILL);
    let case = desk.case(&reference);
    assert_eq!(values(&case), before);
    assert!(case["held"].as_array().unwrap().is_empty());
    assert!(case["contacts"].as_array().unwrap().is_empty());
    assert!(event_kinds(&case).contains(&"hold_rejected".to_string()));
    assert_eq!(to(&desk, STRANGER).len(), 1, "the receipt only");

    // The token was spent: replaying the decision changes nothing either.
    desk.deliver("5.eml", &operator_reply(3, &notice, "ACCEPT"));
    desk.once_at("2026-12-01T10:00:00Z");
    let case = desk.case(&reference);
    assert_eq!(values(&case), before);
    assert!(case["contacts"].as_array().unwrap().is_empty());
}

#[test]
fn a_colleague_at_the_contacts_domain_is_held_too_with_the_domain_named() {
    let desk = Desk::new();
    let reference = opened_mdocs_case(&desk);
    let before = values(&desk.case(&reference));
    desk.deliver(
        "2.eml",
        &message(
            "maria.rusu@asp.gov.md",
            &format!("Re: [{reference}] MDocs"),
            "maria-1@asp.gov.md",
            "",
            "Adresa IP publică: 194.0.2.11\r\n",
        ),
    );
    desk.once_at(LATER);
    assert_eq!(values(&desk.case(&reference)), before);
    let notice = of_purpose(&desk, "operator_held").remove(0);
    assert!(
        notice
            .text
            .contains("același domeniu ca persoana de contact"),
        "{}",
        notice.text
    );
    assert!(token_in(&notice.text).starts_with("egov-token:"));

    // Mail down, or the token expired: the same decision at the command line.
    let held = desk.case(&reference)["held"][0]["message"].to_string();
    let out = desk.run(&["--clock", LATER_STILL, "case", "accept", &reference, &held]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("ACCEPT maria.rusu@asp.gov.md"));
    let case = desk.case(&reference);
    assert!(values(&case).contains(&"194.0.2.11".to_string()));
    assert_eq!(
        case["contacts"],
        serde_json::json!(["maria.rusu@asp.gov.md"])
    );
    let actor = case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "contact_added")
        .map(|e| e["actor"].as_str().unwrap().to_string())
        .unwrap();
    assert!(actor.starts_with("cli:"), "{actor}");
    let refused = desk
        .command(&["case", "dismiss", &reference, &held])
        .output()
        .unwrap();
    assert!(!refused.status.success(), "decided once");
}

#[test]
fn forged_mail_makes_at_most_the_daily_limit_of_answers_to_a_victim_and_one_notice() {
    let desk = common::Desk::new();
    let victim = "victim@example.md";
    for n in 0..50 {
        desk.deliver(
            &format!("{n}.eml"),
            &message(
                victim,
                "cheia",
                &format!("forged-{n}@evil.example"),
                "",
                "-----BEGIN PRIVATE KEY-----\r\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEA\r\n-----END PRIVATE KEY-----\r\n",
            ),
        );
    }
    desk.once_at(START);
    desk.once_at(START);

    let warnings = to(&desk, victim);
    assert_eq!(warnings.len(), 10, "workflow.max_replies_per_day");
    assert_eq!(
        of_purpose(&desk, "operator_reply_limit").len(),
        1,
        "told once"
    );
    let notice = &of_purpose(&desk, "operator_reply_limit")[0];
    assert!(notice.text.contains(victim));
    // Nothing was lost: every message was recorded, handled and moved.
    assert_eq!(desk.maildir_files(".Processed/cur").len(), 50);
    assert!(desk.maildir_files("new").is_empty());

    // Receipts to strangers count as well: a stranger flooding a case's tag is capped too.
    let reference = opened_mdocs_case(&desk);
    for n in 0..15 {
        desk.deliver(&format!("eve-{n}.eml"), &strangers_materials(&reference, n));
    }
    desk.once_at(LATER);
    assert_eq!(to(&desk, STRANGER).len(), 10);
    assert_eq!(of_purpose(&desk, "operator_reply_limit").len(), 2);
}

#[test]
fn a_different_message_reusing_a_message_id_is_recorded_processed_and_reported() {
    let desk = common::Desk::new();
    let original = fixture("mail/ro-mdocs-complete.eml");
    desk.deliver("1.eml", &original);
    desk.once_at(START);
    assert_eq!(desk.cases().len(), 1);

    // Someone who learnt the Message-ID sends another message under it.
    desk.deliver(
        "2.eml",
        &message(
            STRANGER,
            "Conectare MSign",
            "ro-mdocs-complete@fixtures.example.md",
            "",
            "Vă rugăm să conectați sistemul la MSign.\r\nDenumirea sistemului: Portal Fals\r\nAdresa IP: 203.0.113.9\r\n",
        ),
    );
    desk.once_at(LATER);
    let cases = desk.cases();
    assert_eq!(
        cases.len(),
        2,
        "the second message was processed: {cases:?}"
    );
    assert_eq!(to(&desk, STRANGER).len(), 1, "and answered");
    let reports = of_purpose(&desk, "operator_reused_id");
    assert_eq!(reports.len(), 1);
    assert!(reports[0].text.contains(STRANGER), "{}", reports[0].text);
    assert_eq!(desk.maildir_files(".Processed/cur").len(), 2);

    // The first message delivered again by another route (new trace headers) is the same
    // message: recognised, moved away, never answered twice.
    let mut again = b"Received: from relay.asp.gov.md by mx.egov.md; Tue, 1 Dec 2026 09:00:00 +0200\r\nDelivered-To: servicii@egov.md\r\n".to_vec();
    again.extend_from_slice(&original);
    desk.deliver("3.eml", &again);
    let log = desk.once_at(LATER_STILL);
    assert!(log.contains("copy of a message already handled"), "{log}");
    assert_eq!(to(&desk, BENEFICIARY).len(), 1);
    assert_eq!(of_purpose(&desk, "operator_reused_id").len(), 1);
}

#[test]
fn a_reference_guessed_by_counting_names_no_case() {
    let desk = Desk::new();
    let reference = opened_mdocs_case(&desk);
    // EGOV-2026-0001-XXXX: the year and number are easy to guess, the suffix is not.
    let counted = &reference[..reference.rfind('-').unwrap()];
    assert_eq!(counted, "EGOV-2026-0001");
    let before = values(&desk.case(&reference));
    desk.deliver(
        "2.eml",
        &message(
            STRANGER,
            &format!("Re: [{counted}] MDocs"),
            "eve-1@evil.example",
            "",
            "Adresa IP publică: 194.0.2.66\r\n",
        ),
    );
    desk.once_at(LATER);
    assert_eq!(values(&desk.case(&reference)), before);
    assert!(of_purpose(&desk, "operator_held").is_empty());
    let forwarded = of_purpose(&desk, "operator_forward");
    assert_eq!(forwarded.len(), 1);
    assert!(forwarded[0].text.contains(counted), "{}", forwarded[0].text);
}

#[test]
fn mail_our_server_says_the_contacts_domain_did_not_send_is_held_not_filed() {
    let desk = Desk::with_config("", "", "authserv_id = \"mx.egov.md\"", "");
    let reference = opened_mdocs_case(&desk);
    let before = values(&desk.case(&reference));
    desk.deliver(
        "2.eml",
        &message(
            BENEFICIARY,
            &format!("Re: [{reference}] MDocs"),
            "forged-1@evil.example",
            "Authentication-Results: mx.egov.md; spf=fail; dmarc=fail header.from=asp.gov.md\r\n",
            "Adresa IP publică: 194.0.2.66\r\n",
        ),
    );
    desk.once_at(LATER);
    assert_eq!(values(&desk.case(&reference)), before, "nothing filed");
    let notice = of_purpose(&desk, "operator_held").remove(0);
    assert!(notice.text.contains("DMARC"), "{}", notice.text);

    // The same contact, vouched for (or not judged) by the server, is filed as always.
    desk.deliver(
        "3.eml",
        &message(
            BENEFICIARY,
            &format!("Re: [{reference}] MDocs"),
            "real-1@asp.gov.md",
            "Authentication-Results: mx.egov.md; dmarc=pass header.from=asp.gov.md\r\n",
            "Adresa IP publică: 194.0.2.67\r\n",
        ),
    );
    desk.once_at(LATER_STILL);
    assert!(values(&desk.case(&reference)).contains(&"194.0.2.67".to_string()));
    assert_eq!(of_purpose(&desk, "operator_held").len(), 1);
}

#[test]
fn sub_addresses_of_one_mailbox_share_its_daily_limit_and_our_own_are_never_answered() {
    let desk = Desk::new();
    for n in 0..20 {
        desk.deliver(
            &format!("{n}.eml"),
            &message(
                &format!("victim+{n}@example.md"),
                "Conectare MPay",
                &format!("mpay-{n}@evil.example"),
                "",
                "Dorim conectarea la MPay.\r\n",
            ),
        );
    }
    // Our own return paths are our mailbox: answering them would talk to ourselves.
    desk.deliver(
        "own.eml",
        &message(
            "servicii+b-1-00ff@egov.md",
            "Conectare MDocs",
            "own-1@egov.md",
            "",
            "Dorim conectarea la MDocs.\r\n",
        ),
    );
    desk.once_at(START);
    let answers = desk
        .sent()
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t.ends_with("@example.md")))
        .count();
    assert_eq!(
        answers, 10,
        "workflow.max_replies_per_day for victim@example.md"
    );
    assert_eq!(of_purpose(&desk, "operator_reply_limit").len(), 1);
    assert!(
        desk.cases().is_empty(),
        "nothing opened for our own address"
    );
    assert!(to(&desk, "servicii+b-1-00ff@egov.md").is_empty());
}

#[test]
fn mail_naming_several_authors_is_nobodys_as_a_contact() {
    let desk = Desk::new();
    let reference = opened_mdocs_case(&desk);
    let before = values(&desk.case(&reference));
    // mail-parser reads the last From; a first one naming someone else must not hide.
    let raw = format!(
        "From: {STRANGER}\r\n{}",
        String::from_utf8(message(
            BENEFICIARY,
            &format!("Re: [{reference}] MDocs"),
            "two-1@evil.example",
            "",
            "Adresa IP publică: 194.0.2.77\r\n",
        ))
        .unwrap()
    );
    desk.deliver("2.eml", raw.as_bytes());
    desk.deliver(
        "3.eml",
        &message(
            &format!("{BENEFICIARY}, {STRANGER}"),
            &format!("Re: [{reference}] MDocs"),
            "two-2@evil.example",
            "",
            "Adresa IP publică: 194.0.2.78\r\n",
        ),
    );
    desk.once_at(LATER);
    assert_eq!(values(&desk.case(&reference)), before, "nothing filed");
    assert_eq!(of_purpose(&desk, "operator_held").len(), 2);
}

/// An operator's reply with a plain-text and an HTML version (`multipart/alternative`).
fn alternative_reply(n: u32, to_mail: &Sent, plain: &str, html: &str) -> Vec<u8> {
    format!(
        "From: {OPERATOR}\r\nTo: servicii@egov.md\r\nSubject: Re: {subject}\r\n\
         Message-ID: <alt-{n}@egov.md>\r\nIn-Reply-To: {id}\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n\
         --alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{plain}\r\n\
         --alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--alt--\r\n",
        subject = to_mail.subject,
        id = to_mail.message_id,
    )
    .into_bytes()
}

#[test]
fn a_command_bare_in_one_version_of_a_reply_and_quoted_or_forwarded_in_the_other_commands_nothing()
{
    let desk = Desk::new();
    let reference = opened_mdocs_case(&desk);
    let step = desk.case(&reference)["step"].clone();
    let update = of_purpose(&desk, "operator_update").remove(0);
    let token = token_in(&update.text);

    // Plain text says OK bare; the HTML the operator saw has it quoted.
    desk.deliver(
        "2.eml",
        &alternative_reply(
            1,
            &update,
            &format!("Mă uit mâine.\r\nOK\r\nToken: {token}"),
            &format!("<div>Mă uit mâine.</div><blockquote><div>OK</div><div>Token: {token}</div></blockquote>"),
        ),
    );
    // A forward is someone else's words, even shown inside a quote block.
    desk.deliver(
        "3.eml",
        &message(
            OPERATOR,
            &format!("Fwd: {}", update.subject),
            "fwd-1@egov.md",
            &format!("In-Reply-To: {}\r\n", update.message_id),
            &format!("Vezi mai jos.\r\n---------- Forwarded message ---------\r\nDA\r\nToken: {token}\r\n"),
        ),
    );
    desk.once_at(LATER);
    assert_eq!(desk.case(&reference)["step"], step, "nothing confirmed");
    assert_eq!(of_purpose(&desk, "operator_refused").len(), 2);

    // Both versions saying DA is the operator's command.
    desk.deliver(
        "4.eml",
        &alternative_reply(
            2,
            &update,
            &format!("DA\r\n\r\nOn Tue, egov-desk wrote:\r\n> Token: {token}"),
            &format!("<div>DA</div><div class=\"gmail_quote\"><blockquote><div>Token: {token}</div></blockquote></div>"),
        ),
    );
    desk.once_at(LATER_STILL);
    assert_ne!(desk.case(&reference)["step"], step, "confirmed");
}
