//! Mail as people write it, on the desk in process (the embedded default's settings and
//! database, mail in and out in memory): a request for several platforms opens one case each
//! and is answered once; a case speaks the language its beneficiary last wrote in.

mod common;

use common::inproc::Desk;
use common::{message, Sent};

const BENEFICIARY: &str = "ion.popescu@asp.gov.md";

/// Tuesday 1 December 2026, 09:00 in Chisinau: tests never depend on the day they run.
const START: &str = "2026-12-01T07:00:00Z";

/// The kinds and values filed on a case.
fn items(desk: &Desk, reference: &str) -> Vec<(String, String)> {
    desk.case(reference)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["kind"].as_str().unwrap().to_string(),
                i["value"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn reference_of(desk: &Desk, service: &str) -> String {
    let cases = desk.cases();
    let case = cases
        .iter()
        .find(|c| c["service"] == service)
        .unwrap_or_else(|| panic!("no {service} case in {cases:#?}"));
    case["reference"].as_str().unwrap().to_string()
}

const TWO_PLATFORMS: &str = "Bună ziua,\r\n\r\n\
    Dorim să conectăm sistemul nostru la MPass și MSign.\r\n\r\n\
    Denumirea sistemului: Registrul Actelor Locale\r\n\
    Adresa IP publică: 194.0.2.10\r\n\
    Numărul de serie al certificatului: 4F:3A:00:1B:22:C0:FF:EE:03\r\n\
    Atribute: NameIdentifier, FirstName, LastName\r\n\r\n\
    Cu stimă,\r\nIon Popescu";

#[test]
fn a_request_for_two_platforms_opens_a_case_for_each_and_is_answered_once() {
    let desk = Desk::new();
    desk.deliver(
        "1.eml",
        &message(
            BENEFICIARY,
            "Conectare MPass și MSign",
            "two-1@asp.gov.md",
            "",
            TWO_PLATFORMS,
        ),
    );
    desk.once_at(START);

    assert_eq!(desk.cases().len(), 2, "{:#?}", desk.cases());
    let mpass = reference_of(&desk, "mpass");
    let msign = reference_of(&desk, "msign");
    // Each platform is given what it asks for: MSign no attributes, MPass no IP address.
    let filed = items(&desk, &msign);
    assert!(
        filed.contains(&("public_ip".into(), "194.0.2.10".into())),
        "{filed:?}"
    );
    assert!(
        filed.contains(&("serial_number".into(), "4F3A001B22C0FFEE03".into())),
        "{filed:?}"
    );
    assert!(!filed.iter().any(|(k, _)| k == "attribute"), "{filed:?}");
    let filed = items(&desk, &mpass);
    assert!(
        filed.contains(&("attribute".into(), "FirstName".into())),
        "{filed:?}"
    );
    assert!(
        filed.contains(&("system_name".into(), "Registrul Actelor Locale".into())),
        "{filed:?}"
    );
    assert!(!filed.iter().any(|(k, _)| k == "public_ip"), "{filed:?}");

    // One answer, naming both references and what each still needs.
    let answers: Vec<Sent> = desk
        .sent()
        .into_iter()
        .filter(|m| m.to == [BENEFICIARY])
        .collect();
    assert_eq!(answers.len(), 1, "{answers:#?}");
    let text = &answers[0].text;
    assert!(text.contains(&mpass) && text.contains(&msign), "{text}");
    assert!(
        text.contains("LogoutRequest"),
        "MPass still needs its URLs: {text}"
    );
    // The operators get one update per case, each with its own token.
    let updates: Vec<Sent> = desk
        .sent()
        .into_iter()
        .filter(|m| m.to == ["operator@egov.md"])
        .collect();
    assert_eq!(updates.len(), 2, "{updates:#?}");
    // How the mail reached each case, in the operators' language.
    assert!(
        updates
            .iter()
            .all(|m| m.text.contains("o cerere pentru mai multe servicii")),
        "{updates:#?}"
    );
    assert!(updates.iter().any(|m| m.subject.contains(&mpass)));
    assert!(updates.iter().any(|m| m.subject.contains(&msign)));
}

#[test]
fn an_open_case_for_one_of_the_platforms_takes_the_materials_instead_of_a_second_case() {
    let desk = Desk::new();
    desk.deliver(
        "1.eml",
        &message(
            BENEFICIARY,
            "Conectare MSign",
            "one-1@asp.gov.md",
            "",
            "Bună ziua,\r\nDorim conectarea la MSign.\r\nDenumirea sistemului: Registrul Actelor Locale\r\n",
        ),
    );
    desk.once_at(START);
    let msign = reference_of(&desk, "msign");
    desk.deliver(
        "2.eml",
        &message(
            BENEFICIARY,
            "MPass și MSign",
            "two-2@asp.gov.md",
            "",
            TWO_PLATFORMS,
        ),
    );
    desk.once_at(START);

    assert_eq!(desk.cases().len(), 2, "{:#?}", desk.cases());
    assert_eq!(reference_of(&desk, "msign"), msign);
    let mpass = reference_of(&desk, "mpass");
    assert!(items(&desk, &msign).contains(&("public_ip".into(), "194.0.2.10".into())));
    let answers: Vec<Sent> = desk
        .sent()
        .into_iter()
        .filter(|m| m.to == [BENEFICIARY])
        .collect();
    assert_eq!(answers.len(), 2, "one answer per mail: {answers:#?}");
    let text = &answers[1].text;
    assert!(text.contains(&mpass) && text.contains(&msign), "{text}");

    // A later reply naming one platform goes to that platform's case.
    desk.deliver(
        "3.eml",
        &message(
            BENEFICIARY,
            "Re: MPass și MSign",
            "two-3@asp.gov.md",
            &format!("In-Reply-To: {}\r\n", answers[1].message_id),
            "Pentru MPass: LogoutRequest https://acte.gov.md/saml/logout",
        ),
    );
    desk.once_at(START);
    assert!(
        items(&desk, &mpass).iter().any(|(k, _)| k == "url"),
        "{:?}",
        items(&desk, &mpass)
    );
    assert!(!items(&desk, &msign).iter().any(|(k, _)| k == "url"));
}

#[test]
fn a_request_for_several_platforms_restarts_the_reminder_clock_of_the_case_it_reaches() {
    let desk = Desk::new();
    desk.deliver(
        "1.eml",
        &message(
            BENEFICIARY,
            "Conectare MSign",
            "clock-1@asp.gov.md",
            "",
            "Bună ziua,\r\nDorim conectarea la MSign.\r\nDenumirea sistemului: Registrul Actelor Locale\r\n",
        ),
    );
    desk.once_at(START);
    let msign = reference_of(&desk, "msign");
    // Monday 7 December: a mail for MPass and MSign reaches the open MSign case (it carries
    // nothing MSign asks for, so the case still waits on the beneficiary).
    desk.deliver(
        "2.eml",
        &message(
            BENEFICIARY,
            "MPass și MSign",
            "clock-2@asp.gov.md",
            "",
            "Bună ziua,\r\nDorim conectarea la MPass și MSign.\r\nAtribute: FirstName, LastName\r\n",
        ),
    );
    desk.once_at("2026-12-07T08:00:00Z");
    let reminders = |desk: &Desk| -> usize {
        desk.mails("Memento", BENEFICIARY)
            .iter()
            .filter(|m| m.subject.contains(&msign))
            .count()
    };
    // Five working days after the first mail, but one after the last: no reminder yet.
    desk.once_at("2026-12-08T10:00:00Z");
    assert_eq!(reminders(&desk), 0);
    // Five working days after the last mail.
    desk.once_at("2026-12-14T10:00:00Z");
    assert_eq!(reminders(&desk), 1);
}

#[test]
fn the_case_speaks_the_language_its_beneficiary_last_wrote_in() {
    let desk = Desk::new();
    // Opened by an operator without --language: none until they write (mail sent before that
    // uses agency.default_language).
    let out = desk.run(&[
        "--clock",
        START,
        "case",
        "open",
        "--service",
        "mdocs",
        "--institution",
        "Public Services Agency",
        "--contact",
        BENEFICIARY,
    ]);
    let reference = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(desk.case(&reference)["language"].is_null());
    desk.deliver(
        "1.eml",
        &message(
            BENEFICIARY,
            &format!("Re: [{reference}] MDocs connection"),
            "lang-1@asp.gov.md",
            "",
            "Hello,\r\n\r\nPlease find below the details of our system.\r\n\
             System name: School Register\r\nPublic IP address: 194.0.2.10\r\n\r\n\
             Kind regards,\r\nIon Popescu",
        ),
    );
    desk.once_at(START);
    let case = desk.case(&reference);
    assert_eq!(case["language"], "en");
    assert!(case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "language" && e["detail"]["to"] == "en"));
    // Tue 1 Dec + 5 working days: the reminder is in the language they wrote in.
    desk.once_at("2026-12-08T10:00:00Z");
    let reminder = desk.mails("Reminder", BENEFICIARY);
    assert_eq!(
        reminder.len(),
        1,
        "{:?}",
        desk.sent().iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    assert!(
        reminder[0].text.contains("certificate"),
        "{}",
        reminder[0].text
    );

    // They write again in Russian: from then on, Russian.
    desk.deliver(
        "2.eml",
        &message(
            BENEFICIARY,
            &format!("Re: [{reference}] MDocs"),
            "lang-2@asp.gov.md",
            "",
            "Здравствуйте,\r\n\r\nТипы документов: договор, акт\r\n\r\nС уважением,\r\nИон Попеску",
        ),
    );
    desk.once_at("2026-12-08T11:00:00Z");
    assert_eq!(desk.case(&reference)["language"], "ru");
    desk.once_at("2026-12-15T11:00:00Z");
    assert_eq!(desk.mails("Напоминание", BENEFICIARY).len(), 1);
}
