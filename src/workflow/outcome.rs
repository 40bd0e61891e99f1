//! What handling one message came to, as the ledger keeps it (`messages.outcome`): a typed
//! value whose wording lives here alone, so the text people read in the ledger and the
//! export cannot drift between the places that decide it.

use std::fmt;

use super::mail::ForwardReason;
use super::step::Step;
use super::tokens::Refusal;
use crate::domain::{CaseRef, EmailAddress, Redirect};

/// What was done with one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// It could not be processed; the operators were sent it, with why.
    Quarantined(String),
    /// Its materials were filed on a case.
    Filed {
        /// The case.
        case: CaseRef,
        /// How many items it added.
        new_items: usize,
        /// How many the case still misses.
        missing: usize,
        /// Where the case then stands.
        step: Step,
        /// Whether its sender was answered (the daily limit may withhold it).
        replied: bool,
    },
    /// A first mail for several platforms, filed on one case per platform.
    Several {
        /// Each case, with how many items the mail added to it.
        filed: Vec<(CaseRef, usize)>,
        /// Whether its sender was answered.
        replied: bool,
    },
    /// It asked for a platform with its own procedure; the sender was pointed there.
    Redirected {
        /// The platform.
        target: Redirect,
        /// Whether its sender was answered.
        replied: bool,
    },
    /// Nothing automatic fits it: it went to the operators, with why.
    Forwarded(ForwardReason),
    /// Nothing to do with it (our own mail, an operator's plain mail).
    Ignored(&'static str),
    /// Sent from an address the case does not trust: held for the operators.
    Held {
        /// Who sent it.
        sender: EmailAddress,
        /// The case it named.
        case: CaseRef,
    },
    /// A delivery report on one of our mails.
    Bounce {
        /// The outbox row it reports on.
        outbox_id: i64,
        /// Its action, status and diagnostic.
        detail: String,
    },
    /// An operator's mail without a command.
    NoCommand,
    /// An operator's commands, applied.
    Commanded {
        /// The case.
        case: CaseRef,
        /// Each command, described.
        done: Vec<String>,
    },
    /// An operator's command refused; nothing changed.
    Refused(Refusal),
    /// An operator's decision on a held message.
    Decided {
        /// The case.
        case: CaseRef,
        /// The decision, described.
        done: String,
    },
}

/// Added to an outcome when its sender was not answered.
const REPLY_WITHHELD: &str = "; reply withheld: daily reply limit for this address reached";

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Quarantined(reason) => f.write_str(reason),
            Outcome::Filed {
                case,
                new_items,
                missing,
                step,
                replied,
            } => {
                write!(f, "filed on {case}: {new_items} new item(s), {missing} still missing, step {step}")?;
                withheld(f, *replied)
            }
            Outcome::Several { filed, replied } => {
                let filed: Vec<String> = filed
                    .iter()
                    .map(|(case, new)| format!("{case} ({new} new item(s))"))
                    .collect();
                write!(f, "several platforms, filed on {}", filed.join(", "))?;
                withheld(f, *replied)
            }
            Outcome::Redirected { target, replied } => {
                let name = target.display_name();
                write!(f, "redirected to the {name} procedure")?;
                withheld(f, *replied)
            }
            Outcome::Forwarded(why) => {
                write!(f, "forwarded to the operators: {}", why.as_str())
            }
            Outcome::Ignored(why) => f.write_str(why),
            Outcome::Held { sender, case } => {
                write!(
                    f,
                    "held for the operators: {sender} is not a contact of {case}"
                )
            }
            Outcome::Bounce { outbox_id, detail } => {
                write!(f, "delivery report on outbox #{outbox_id}: {detail}")
            }
            Outcome::NoCommand => f.write_str("sent by an operator; no command"),
            Outcome::Commanded { case, done } => {
                write!(f, "operator command on {case}: {}", done.join("; "))
            }
            Outcome::Refused(refusal) => {
                write!(f, "operator command refused: {}", refusal.as_str())
            }
            Outcome::Decided { case, done } => write!(f, "operator decision on {case}: {done}"),
        }
    }
}

fn withheld(f: &mut fmt::Formatter<'_>, replied: bool) -> fmt::Result {
    if replied {
        Ok(())
    } else {
        f.write_str(REPLY_WITHHELD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(s: &str) -> CaseRef {
        s.parse().unwrap()
    }

    #[test]
    fn a_filed_message_reads_as_the_ledger_has_always_shown_it() {
        let filed = Outcome::Filed {
            case: case("EGOV-2026-0001-K7QX"),
            new_items: 2,
            missing: 1,
            step: Step::MaterialsReview,
            replied: true,
        };
        assert_eq!(
            filed.to_string(),
            "filed on EGOV-2026-0001-K7QX: 2 new item(s), 1 still missing, step materials_review"
        );
    }

    #[test]
    fn a_withheld_reply_is_said_after_what_was_done() {
        let several = Outcome::Several {
            filed: vec![(case("EGOV-2026-0001"), 1), (case("EGOV-2026-0002"), 0)],
            replied: false,
        };
        assert_eq!(
            several.to_string(),
            "several platforms, filed on EGOV-2026-0001 (1 new item(s)), EGOV-2026-0002 (0 new item(s)); reply withheld: daily reply limit for this address reached"
        );
    }

    #[test]
    fn operator_outcomes_name_the_case_and_what_was_done() {
        let done = Outcome::Commanded {
            case: case("EGOV-2026-0003"),
            done: vec!["CONFIRM".into(), "STEP contract".into()],
        };
        assert_eq!(
            done.to_string(),
            "operator command on EGOV-2026-0003: CONFIRM; STEP contract"
        );
        assert_eq!(
            Outcome::Refused(Refusal::Stale).to_string(),
            "operator command refused: stale_token"
        );
        assert_eq!(
            Outcome::Forwarded(ForwardReason::NoService).to_string(),
            "forwarded to the operators: no_service"
        );
    }
}
