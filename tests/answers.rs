//! What the desk files and answers for a beneficiary's mail and its follow-ups, and what it
//! never keeps, on the desk in process (the embedded default's settings and database, mail
//! in and out in memory). The same flow through the binary, the Maildir and the outbox
//! folder is `embedded_loop.rs`.

mod common;

use common::inproc::Desk;
use common::{fixture, message};

#[test]
fn missing_items_are_named_and_a_tagged_reply_completes_the_case() {
    let desk = Desk::new();
    desk.deliver("1.eml", &fixture("mail/ro-mpass-partial.eml"));
    desk.passes(1);
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
    desk.passes(1);

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
fn a_corrupt_certificate_gets_a_reply_saying_it_could_not_be_read() {
    let desk = Desk::new();
    desk.deliver("1.eml", &fixture("mail/ro-corrupt-cert.eml"));
    desk.passes(1);
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
    desk.passes(1);

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
    desk.passes(1);
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
    desk.passes(1);
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

    desk.passes(1);
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
    desk.passes(1);
    let case = desk.case(&reference);
    assert_eq!(case["step"], "materials_review", "{case:#}");
}

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
    desk.passes(1);
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
    desk.passes(1);

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
    desk.passes(1);
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
