//! Lists as people write them: labels, separators, synonyms, remarks.

use super::*;

fn attributes_in(text: &str) -> Attributes {
    attributes(&Doc::new(text)).values
}

fn event_types_in(text: &str) -> Vec<String> {
    event_types(&Doc::new(text)).values
}

fn document_types_in(text: &str) -> Vec<String> {
    document_types(&Doc::new(text)).values
}

fn channels_in(text: &str) -> Vec<String> {
    channels(&Doc::new(text)).values
}

/// The notes of a list, as (value, written, remark).
fn notes_of(found: Vec<(Position, Note)>) -> Vec<(String, Option<String>, Option<String>)> {
    found
        .into_iter()
        .map(|(_, n)| (n.value, n.written, n.remark))
        .collect()
}

fn s(text: &str) -> Option<String> {
    Some(text.to_string())
}

#[test]
fn standard_and_custom_attributes_are_told_apart() {
    let text =
        "Atributele necesare: NameIdentifier, firstname, LastName, Patronimic.\nIDNO este necesar.";
    let a = attributes_in(text);
    assert_eq!(
        a.standard,
        ["NameIdentifier", "FirstName", "LastName", "IDNO"]
    );
    assert_eq!(a.custom, ["Patronimic"]);
}

#[test]
fn a_remark_after_an_attribute_becomes_its_note() {
    let found = attributes(&Doc::new(
        "Atribute: IDNO și NumarCadastral (atribut nestandard)",
    ));
    assert_eq!(found.values.standard, ["IDNO"]);
    assert_eq!(found.values.custom, ["NumarCadastral"]);
    assert_eq!(
        notes_of(found.notes),
        [("NumarCadastral".into(), None, s("atribut nestandard"))]
    );
    let found = attributes(&Doc::new(
        "Attributes: FirstName, StudentCardNumber (custom)",
    ));
    assert_eq!(found.values.custom, ["StudentCardNumber"]);
    assert_eq!(
        notes_of(found.notes),
        [("StudentCardNumber".into(), None, s("custom"))]
    );
}

#[test]
fn common_words_in_an_attribute_list_are_standard_names_with_a_note() {
    let found = attributes(&Doc::new(
        "Atribute: Prenume, Nume de familie, Data nașterii, e-mail\nАтрибуты: фамилия и пол",
    ));
    assert_eq!(
        found.values.standard,
        [
            "FirstName",
            "LastName",
            "BirthDate",
            "EmailAddress",
            "Gender"
        ]
    );
    assert!(found.values.custom.is_empty());
    let written: Vec<_> = notes_of(found.notes).into_iter().map(|n| n.1).collect();
    assert_eq!(
        written,
        [
            s("Prenume"),
            s("Nume de familie"),
            s("Data nașterii"),
            s("e-mail"),
            s("пол")
        ]
    );
    // Outside a list the words are only words.
    assert!(attributes_in("Prenume: Ion").standard.is_empty());
    // A standard name anywhere counts, in order of appearance.
    assert_eq!(
        attributes_in("Avem nevoie de IDNO.\nAttributes: first name").standard,
        ["IDNO", "FirstName"]
    );
}

#[test]
fn a_bulleted_list_ends_at_the_blank_line() {
    let text = "Tipurile de evenimente:\n- autentificare\n- semnare document\n\n- nu face parte";
    assert_eq!(event_types_in(text), ["autentificare", "semnare document"]);
    let text = "Event types\n1) login\nb) logout\n• export;\nThanks";
    assert_eq!(event_types_in(text), ["login", "logout", "export"]);
}

#[test]
fn plain_lines_below_a_label_and_colon_are_a_list() {
    let text = "Atribute:\nNameIdentifier\nCod cadastral\n\nAltceva";
    assert_eq!(attributes_in(text).custom, ["Cod cadastral"]);
    // ... up to a line that is another label.
    let text = "Tipuri de documente:\ncontract\nIP public: 194.0.2.10";
    assert_eq!(document_types_in(text), ["contract"]);
    // Without the colon a label ending its line needs bullets.
    assert!(event_types_in("Vom trimite tipurile de evenimente\nmâine").is_empty());
}

#[test]
fn a_list_goes_on_while_its_line_ends_with_a_comma() {
    let text = "Evenimente: login,\nlogout, export\nMulțumim";
    assert_eq!(event_types_in(text), ["login", "logout", "export"]);
}

#[test]
fn channels_are_canonical_names() {
    assert_eq!(
        channels_in("Каналы уведомлений: Email; SMS"),
        ["email", "sms"]
    );
    assert_eq!(
        channels_in("Notification channels:\n1. E-mail\n2) Push"),
        ["email", "push"]
    );
    let found = channels(&Doc::new(
        "Canale de notificare: email, SMS și notificare în cabinet",
    ));
    assert_eq!(found.values, ["email", "sms", "cabinet"]);
    assert_eq!(
        notes_of(found.notes),
        [("cabinet".into(), s("notificare în cabinet"), None)]
    );
    assert_eq!(
        channels_in("Canale: poștă electronică și sms"),
        ["email", "sms"]
    );
    assert_eq!(channels_in("Channels: e-mail and SMS"), ["email", "sms"]);
    assert_eq!(channels_in("Каналы: email и SMS"), ["email", "sms"]);
    assert_eq!(
        channels_in("Channels: email, SMS, as well as push notifications"),
        ["email", "sms", "push"]
    );
    assert_eq!(channels_in("Canalul: Viber sau SMS"), ["viber", "sms"]);
    assert_eq!(
        channels_in("Канал уведомлений — личный кабинет"),
        ["cabinet"]
    );
    assert_eq!(
        channels_in("Canal de notificare: email, precum și push"),
        ["email", "push"]
    );
    assert_eq!(channels_in("Canale: email, и SMS"), ["email", "sms"]);
    assert_eq!(channels_in("Канал: СМС-сообщения или пуш"), ["sms", "push"]);
    // An unknown channel is lower-cased with no note; its remark is noted.
    let found = channels(&Doc::new("Channels: Viber (only for tests)"));
    assert_eq!(found.values, ["viber"]);
    assert_eq!(
        notes_of(found.notes),
        [("viber".into(), None, s("only for tests"))]
    );
    // One value, one note: the first spelling wins.
    let found = channels(&Doc::new("Canale: email, poștă electronică"));
    assert_eq!(found.values, ["email"]);
    assert!(found.notes.is_empty());
}

#[test]
fn document_types_are_read_as_written() {
    assert_eq!(
        document_types_in("Tipurile de documente: contract, act adițional"),
        ["contract", "act adițional"]
    );
    assert_eq!(
        document_types_in("Тип документа: договор и акт"),
        ["договор", "акт"]
    );
    assert_eq!(
        document_types_in("Document types: „Contract”; invoice (PDF)."),
        ["Contract", "invoice"]
    );
}

#[test]
fn text_without_a_label_has_no_lists() {
    assert!(event_types_in("We log everything, email us").is_empty());
    assert!(attributes_in("nimic aici").custom.is_empty());
    assert!(channels_in("Canalul nostru de comunicare este email").is_empty());
    assert!(event_types_in("Evenimentele de azi au fost: multe").is_empty());
}

#[test]
fn hostile_lists_stay_bounded() {
    let text = "Evenimente: ".to_string() + &"x, ".repeat(50_000);
    assert_eq!(event_types_in(&text).len(), 1);
    let text = "- lista de evenimente\n".repeat(5_000);
    assert!(event_types_in(&text).len() <= MAX_ITEMS);
}
