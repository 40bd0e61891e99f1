//! The words people write for MNotify's channels and MPass's standard attributes, and the
//! canonical names they are filed under. Words are compared by [`key`]: folded, letters and
//! digits only, so "E-mail", "e-mail" and "email" are one word.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::values::key;

/// MPass's standard attribute names (docs/procedure.md), in their canonical spelling.
pub const STANDARD_ATTRIBUTES: [&str; 13] = [
    "NameIdentifier",
    "IsResident",
    "FirstName",
    "LastName",
    "BirthDate",
    "Gender",
    "EmailAddress",
    "MobilePhone",
    "HomePhone",
    "Language",
    "AdministeredLegalEntity",
    "IDNO",
    "CompanyName",
];

/// Canonical channel names and what people write for them.
#[rustfmt::skip]
const CHANNELS: &[(&str, &[&str])] = &[
    ("email", &["email", "mail", "emailuri", "e-mail-uri", "poștă electronică", "posta electronica",
        "prin email", "notificare prin email", "notificări prin email", "notificari email",
        "electronic mail", "email notification", "email notifications",
        "электронная почта", "эл. почта", "эл почта", "по электронной почте", "почта",
        "email-уведомления", "e-mail-уведомления", "email-уведомление", "уведомления по email"]),
    ("sms", &["sms", "sms-uri", "smsuri", "mesaj sms", "mesaje sms", "mesaj text", "mesaje text",
        "notificare sms", "notificări sms", "prin sms",
        "text message", "text messages", "sms message", "sms messages", "sms notifications",
        "смс", "смс-сообщения", "смс-сообщение", "sms-сообщения", "sms-сообщение",
        "sms-уведомления", "смс-уведомления"]),
    ("push", &["push", "notificări push", "notificari push", "notificare push", "push-notificări",
        "push notification", "push notifications",
        "push-уведомления", "push-уведомление", "пуш", "пуш-уведомления"]),
    ("cabinet", &["cabinet", "notificare în cabinet", "notificări în cabinet",
        "notificare în cabinetul personal", "notificări în cabinetul personal",
        "cabinetul personal", "cabinet personal", "în cabinetul personal",
        "personal cabinet", "personal account", "notification in the personal cabinet",
        "личный кабинет", "уведомление в кабинете", "уведомления в кабинете",
        "уведомление в личном кабинете", "уведомления в личном кабинете", "в личном кабинете"]),
];

/// Common words for standard attributes, read only inside an attribute list.
#[rustfmt::skip]
const ATTRIBUTES: &[(&str, &[&str])] = &[
    ("FirstName", &["prenume", "prenumele", "имя", "first name", "given name"]),
    ("LastName", &["nume de familie", "numele de familie", "nume", "numele", "фамилия",
        "last name", "surname", "family name"]),
    ("BirthDate", &["data nașterii", "data de naștere", "дата рождения", "date of birth",
        "birth date"]),
    ("EmailAddress", &["email", "e-mail", "adresa de e-mail", "adresa de email", "adresa email",
        "adresa electronică", "poștă electronică", "email address", "e-mail address",
        "электронная почта", "адрес электронной почты", "эл. почта"]),
    ("MobilePhone", &["telefon mobil", "numărul de telefon mobil", "nr. telefon mobil",
        "мобильный телефон", "номер мобильного телефона", "mobile phone", "mobile phone number",
        "mobile"]),
    ("HomePhone", &["telefon fix", "домашний телефон", "home phone"]),
    ("Gender", &["sex", "sexul", "gen", "genul", "пол", "gender"]),
    ("Language", &["limba", "limbă", "язык", "language"]),
    ("CompanyName", &["denumirea companiei", "denumirea persoanei juridice",
        "название компании", "наименование организации", "company name"]),
];

fn index(
    table: &'static [(&str, &[&str])],
    canonical: &[&'static str],
) -> HashMap<String, &'static str> {
    let mut map: HashMap<String, &'static str> =
        canonical.iter().map(|name| (key(name), *name)).collect();
    for (name, words) in table {
        for word in *words {
            map.entry(key(word)).or_insert(name);
        }
    }
    map
}

static CHANNEL_INDEX: LazyLock<HashMap<String, &'static str>> =
    LazyLock::new(|| index(CHANNELS, &["email", "sms", "push", "cabinet"]));

static ATTRIBUTE_INDEX: LazyLock<HashMap<String, &'static str>> =
    LazyLock::new(|| index(ATTRIBUTES, &STANDARD_ATTRIBUTES));

/// The canonical channel `written` stands for, if it is one of the known four.
pub fn channel(written: &str) -> Option<&'static str> {
    CHANNEL_INDEX.get(&key(written)).copied()
}

/// The standard attribute `written` stands for: its name in any case or spacing, or a
/// common word for it.
pub fn standard_attribute(written: &str) -> Option<&'static str> {
    ATTRIBUTE_INDEX.get(&key(written)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_written_channel_has_its_name() {
        for (name, words) in CHANNELS {
            for word in *words {
                assert_eq!(channel(word), Some(*name), "{word}");
                assert_eq!(channel(&word.to_uppercase()), Some(*name), "{word}");
            }
        }
        assert_eq!(channel("E-mail"), Some("email"));
        assert_eq!(channel("SMS-сообщения"), Some("sms"));
        assert_eq!(channel("Viber"), None);
    }

    #[test]
    fn every_common_word_has_its_attribute() {
        for (name, words) in ATTRIBUTES {
            for word in *words {
                assert_eq!(standard_attribute(word), Some(*name), "{word}");
            }
        }
        for name in STANDARD_ATTRIBUTES {
            assert_eq!(standard_attribute(&name.to_lowercase()), Some(name));
        }
        assert_eq!(standard_attribute("Data nasterii"), Some("BirthDate"));
        assert_eq!(standard_attribute("first_name"), Some("FirstName"));
        assert_eq!(standard_attribute("Patronimic"), None);
    }
}
