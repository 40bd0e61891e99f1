//! What an operator can tell the daemon, by reply or at the command line: confirm what was
//! parsed, reject it with a reason, correct an item, or mark an agency-side step done.
//! Only the unquoted top of a reply is read; quoted text never commands anything.

use crate::domain::ItemKind;
use crate::workflow::step::Step;

/// One operator command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// The parsed materials are right.
    Confirm,
    /// The parsed materials are wrong; the beneficiary is told why.
    Reject(String),
    /// A correction: this item, with this value, confirmed.
    Set(ItemKind, String),
    /// An agency-side (or beneficiary-reported) step is done.
    Done(Step),
}

impl Command {
    /// How the command is written, for acknowledgements and the audit trail.
    pub fn describe(&self) -> String {
        match self {
            Command::Confirm => "CONFIRM".into(),
            Command::Reject(reason) => format!("REJECT {reason}"),
            Command::Set(kind, value) => format!("SET {} {value}", kind.as_str()),
            // Operators say "production" for the activation step.
            Command::Done(Step::Activation) => "DONE production".into(),
            Command::Done(step) => format!("DONE {step}"),
        }
    }
}

/// Reads the commands in the unquoted top of a reply, one per line. Lines that are not
/// commands (greetings, signatures) are skipped; a line that starts like a command but
/// cannot be read is an error, so a typo never passes for consent.
pub fn parse(top: &str) -> Result<Vec<Command>, String> {
    let mut out = Vec::new();
    for line in top.lines() {
        let line = line.trim();
        if line == "--" || line.starts_with('>') {
            break;
        }
        if let Some(command) = parse_line(line)? {
            out.push(command);
        }
    }
    Ok(out)
}

/// An operator's decision on a message held because its sender is not a contact of the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Add the sender as a contact of the case and file what the message carried.
    Accept,
    /// File nothing; the sender is told nothing more. The reason is for the timeline.
    Reject(String),
}

/// Reads the decision in the unquoted top of a reply to a held message: `ACCEPT` or
/// `REJECT [reason]`, alone on their line. A bare confirmation is an error: it would not say
/// which of the two was meant.
pub fn parse_decision(top: &str) -> Result<Option<Decision>, String> {
    for line in top.lines() {
        let line = line.trim();
        if line == "--" || line.starts_with('>') {
            break;
        }
        let bare = line.trim_end_matches(['.', '!']).trim();
        let (word, rest) = match bare.split_once(char::is_whitespace) {
            Some((w, r)) => (w, r.trim()),
            None => (bare, ""),
        };
        match word.to_uppercase().as_str() {
            "ACCEPT" | "ACCEPTĂ" | "ACCEPTA" | "ПРИНЯТЬ" if rest.is_empty() => {
                return Ok(Some(Decision::Accept))
            }
            "REJECT" | "RESPINGE" | "ОТКЛОНИТЬ" => {
                return Ok(Some(Decision::Reject(rest.to_string())))
            }
            "CONFIRM" | "CONFIRMAT" | "DA" | "ДА" | "OK" | "ПОДТВЕРЖДАЮ" if rest.is_empty() => {
                return Err(format!(
                    "'{line}': this message is held; answer ACCEPT (file it and trust the sender) or REJECT"
                ))
            }
            _ => {}
        }
    }
    Ok(None)
}

fn parse_line(line: &str) -> Result<Option<Command>, String> {
    let bare = line.trim_end_matches(['.', '!']).trim();
    let (word, rest) = match bare.split_once(char::is_whitespace) {
        Some((w, r)) => (w, r.trim()),
        None => (bare, ""),
    };
    let word = word.to_uppercase();
    match word.as_str() {
        // A confirmation is the whole line: "OK, I will look" is not consent.
        "CONFIRM" | "CONFIRMAT" | "DA" | "ДА" | "OK" | "ПОДТВЕРЖДАЮ" if rest.is_empty() => {
            Ok(Some(Command::Confirm))
        }
        "REJECT" | "RESPINGE" | "ОТКЛОНИТЬ" => {
            let reason = line.split_once(char::is_whitespace).map(|(_, r)| r.trim());
            match reason {
                Some(r) if !r.is_empty() => Ok(Some(Command::Reject(r.to_string()))),
                _ => Err(format!(
                    "'{line}': REJECT needs a reason for the beneficiary"
                )),
            }
        }
        "SET" => {
            let (kind, value) = rest
                .split_once(char::is_whitespace)
                .ok_or_else(|| format!("'{line}': SET needs an item and a value"))?;
            let kind = kind.to_lowercase().parse::<ItemKind>().map_err(|_| {
                format!(
                    "'{line}': '{kind}' is not an item (one of {})",
                    ItemKind::ALL.map(ItemKind::as_str).join(", ")
                )
            })?;
            Ok(Some(Command::Set(kind, value.trim().to_string())))
        }
        "DONE" => {
            let step = match rest.to_lowercase().as_str() {
                "contract" | "annex" => Step::Contract,
                "staging" | "test" => Step::Staging,
                "testing" | "tests" => Step::Testing,
                "validation" => Step::Validation,
                "production" | "prod" | "activation" => Step::Activation,
                other => return Err(format!("'{line}': '{other}' is not a step that can be done (contract, staging, testing, validation, production)")),
            };
            Ok(Some(Command::Done(step)))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirmations_in_three_languages() {
        for word in ["CONFIRM", "confirm.", "DA", "Да", "OK", "ok!"] {
            assert_eq!(parse(word).unwrap(), [Command::Confirm], "{word}");
        }
    }

    #[test]
    fn a_sentence_starting_with_ok_is_not_consent() {
        assert!(parse("OK, I will look tomorrow").unwrap().is_empty());
        assert!(parse("Da, revin mâine").unwrap().is_empty());
    }

    #[test]
    fn reject_keeps_the_reason_as_written() {
        assert_eq!(
            parse("REJECT Certificatul nu este emis de STISC").unwrap(),
            [Command::Reject("Certificatul nu este emis de STISC".into())]
        );
        assert!(parse("REJECT").is_err());
    }

    #[test]
    fn set_and_done_name_items_and_steps() {
        assert_eq!(
            parse("Bună ziua,\nSET public_ip 194.0.2.10\nDONE staging\n\nIon").unwrap(),
            [
                Command::Set(ItemKind::PublicIp, "194.0.2.10".into()),
                Command::Done(Step::Staging)
            ]
        );
        assert_eq!(
            parse("DONE production").unwrap(),
            [Command::Done(Step::Activation)]
        );
        assert!(parse("SET colour blue").is_err());
        assert!(parse("DONE lunch").is_err());
    }

    #[test]
    fn a_held_message_is_accepted_or_rejected_alone_on_a_line() {
        assert_eq!(parse_decision("ACCEPT").unwrap(), Some(Decision::Accept));
        assert_eq!(
            parse_decision("Bună,\nacceptă.\n").unwrap(),
            Some(Decision::Accept)
        );
        assert_eq!(
            parse_decision("REJECT not from the institution").unwrap(),
            Some(Decision::Reject("not from the institution".into()))
        );
        assert_eq!(
            parse_decision("REJECT").unwrap(),
            Some(Decision::Reject(String::new()))
        );
        assert_eq!(
            parse_decision("Accept it later, I need to check").unwrap(),
            None
        );
        assert_eq!(parse_decision("Thanks\n> ACCEPT").unwrap(), None);
        assert!(parse_decision("DA").is_err());
    }

    #[test]
    fn quoted_text_commands_nothing() {
        assert!(parse("Thanks\n> CONFIRM\n").unwrap().is_empty());
        assert!(parse("Thanks\n--\nCONFIRM").unwrap().is_empty());
    }

    #[test]
    fn text_quoted_in_html_commands_nothing() {
        for quote in [
            "<blockquote>",
            "<blockquote type=\"cite\">",
            "<div class=\"gmail_quote\">",
            "<div id=\"divRplyFwdMsg\" dir=\"ltr\">",
            "<div style=\"border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm\">",
            "<div class=\"yahoo_quoted\">",
        ] {
            let raw = format!(
                "From: operator@egov.md\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
                 <div>Mă uit mâine.</div>{quote}<div>OK</div><div>DONE contract</div></div>\r\n"
            );
            let text = crate::parse::parse(raw.as_bytes()).unwrap().text;
            assert!(parse(&text).unwrap().is_empty(), "{quote}: {text}");
            let top = crate::extract::new_text_of(&text);
            assert!(parse(&top).unwrap().is_empty(), "{quote}: {top}");
        }
    }

    #[test]
    fn the_beneficiarys_words_quoted_in_our_update_command_nothing() {
        let pasted = "Mă uit mâine.\n\nSolicitare: EGOV-2026-0001 (MDocs)\nTextul mesajului:\n> Bună ziua,\n> OK\n\nToken: egov-token:1:ab";
        assert!(parse(pasted).unwrap().is_empty());
    }
}
