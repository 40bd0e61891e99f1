//! Serial numbers written in the text, next to the words for them in three languages.

use std::sync::LazyLock;

use regex::Regex;

use super::environment::{environment_of, Environment};
use super::text::labelled;
use crate::domain::CertSerial;

/// A serial number written in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundSerial {
    /// The serial.
    pub serial: CertSerial,
    /// TEST or PROD, when its line says so.
    pub environment: Option<Environment>,
}

static LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
          serial\s*(?:number|no\.?|nr\.?)?
        | \bs/?n\b
        | num[a-z]*\s+de\s+serie
        | \bnr\.?\s*(?:de\s+)?serie
        | seria\s+certificatului
        | серийн\w*\s+номер\w*
        | серийн\w*\s*№
        | номер\s+сертификата",
    )
    .expect("static regex is valid")
});

static VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
          (?:^|[^0-9a-z])
          (
            (?:0x)?[0-9a-f]{2}(?:[:\-\x20][0-9a-f]{2}){2,}
          | (?:0x)?[0-9a-f]{6,}
          )
          (?:$|[^0-9a-z])",
    )
    .expect("static regex is valid")
});

/// Serial numbers written after a label such as "Serial number:", "nr. serie", "серийный номер".
pub fn serials_in(text: &str) -> Vec<FoundSerial> {
    let mut found: Vec<FoundSerial> = Vec::new();
    for l in labelled(text, &LABEL) {
        let Some(serial) = first_serial(&l.value) else {
            continue;
        };
        if !found.iter().any(|f| f.serial == serial) {
            found.push(FoundSerial {
                serial,
                environment: environment_of(&l.line),
            });
        }
    }
    found
}

fn first_serial(text: &str) -> Option<CertSerial> {
    VALUE
        .captures_iter(text)
        .filter_map(|c| c.get(1))
        .map(|m| m.as_str())
        .filter(|token| token.chars().any(|c| c.is_ascii_digit()))
        .find_map(read_token)
}

fn read_token(token: &str) -> Option<CertSerial> {
    let plain_digits = token.chars().all(|c| c.is_ascii_digit());
    // A run of digits without separators is a decimal serial (as Windows shows some);
    // anything with letters, separators or 0x is hex.
    if plain_digits {
        CertSerial::from_decimal(token)
    } else {
        CertSerial::from_hex(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<String> {
        serials_in(text)
            .iter()
            .map(|s| s.serial.to_string())
            .collect()
    }

    #[test]
    fn serials_are_read_in_every_written_form() {
        assert_eq!(hex("Serial number: 4F:3A:00:1B:22"), vec!["4F3A001B22"]);
        assert_eq!(
            hex("Numărul de serie al certificatului: 4f 3a 00 1b 22."),
            vec!["4F3A001B22"]
        );
        assert_eq!(hex("nr. serie 0x4F3A001B22"), vec!["4F3A001B22"]);
        assert_eq!(
            hex("Серийный номер сертификата: 4f3a001b22"),
            vec!["4F3A001B22"]
        );
        assert_eq!(hex("S/N: 1329201179"), vec!["4F3A001B"]);
        assert_eq!(
            hex("Seria certificatului:\n  01-02-03-04\n"),
            vec!["01020304"]
        );
    }

    #[test]
    fn the_line_of_a_serial_says_its_environment() {
        let found = serials_in("Nr. serie certificat PROD: 4F3A001B22\nSerial (test): 01:02:03:04");
        assert_eq!(found[0].environment, Some(Environment::Prod));
        assert_eq!(found[1].environment, Some(Environment::Test));
    }

    #[test]
    fn text_without_a_label_yields_nothing() {
        assert!(serials_in("Telefon: 022 123 456 789, cod 4F3A001B22").is_empty());
        assert!(serials_in("serial number: unknown yet").is_empty());
    }
}
