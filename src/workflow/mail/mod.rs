//! The mail the desk sends, typed: one context struct per template, carried by a [`Mail`]
//! variant named after its [`Purpose`] (which is also the template's name), and addressed by
//! one constructor per kind of recipient — the beneficiary ([`beneficiary`]) or the
//! operators ([`operators`]).
//!
//! Every context type builds its own sample values ([`Samples`]); [`samples`] gathers them
//! through a match over every purpose, so a purpose without a context and samples does not
//! compile, and the start-up check renders them all in every language, so a template that
//! reads a variable its context lacks stops the daemon before a beneficiary writes.
//!
//! To add a template: a `Purpose` variant, `templates/{ro,ru,en}/NAME.txt`, a context struct
//! with `impl Samples` in one of the context files, and its line in the `mails!` list below.

use serde::Serialize;

mod answers;
pub mod beneficiary;
mod casework;
mod incidents;
mod notices;
pub mod operators;
mod views;

pub use answers::{Acknowledgement, CaseAck, CaseShare, Receipt, Redirect, SeveralAck};
pub use casework::{
    Deadline, DigestCase, OperatorAck, OperatorDigest, OperatorEscalation, OperatorHeld,
    OperatorSla, OperatorUpdate, StepCount,
};
pub use incidents::{
    ForwardReason, OperatorBounce, OperatorDeliveryProblem, OperatorForward, OperatorQuarantine,
    OperatorRefused, OperatorReplyLimit, OperatorReusedId,
};
pub use notices::{CaseOpened, Completion, ExpiryNotice, Progress, Rejection, Reminder};
pub use views::{excerpt, original_subject, reply_language, CaseView, Found, ItemView};

use crate::outbox::{Content, Purpose};

/// A mail ready for the outbox: what it says, to whom, in which language.
pub type Draft = crate::outbox::Draft<Mail>;

/// A context type's own sample values, covering every branch its template takes.
pub trait Samples: Sized {
    /// The samples rendered by the start-up check.
    fn samples() -> Vec<Self>;
}

/// Declares [`Mail`], one variant per purpose, named like it, and the exhaustive match that
/// gathers every purpose's samples.
macro_rules! mails {
    ($($(#[$doc:meta])* $purpose:ident($context:ty),)*) => {
        /// What a mail says: the variables of the template its purpose names.
        #[derive(Debug, Clone, Serialize)]
        #[serde(untagged)]
        pub enum Mail {
            $($(#[$doc])* $purpose($context),)*
        }

        impl Content for Mail {
            fn purpose(&self) -> Purpose {
                match self {
                    $(Mail::$purpose(_) => Purpose::$purpose,)*
                }
            }
        }

        $(impl From<$context> for Mail {
            fn from(context: $context) -> Self {
                Mail::$purpose(context)
            }
        })*

        /// The samples of the template of `purpose`.
        fn samples_of(purpose: Purpose) -> Vec<Mail> {
            match purpose {
                $(Purpose::$purpose => <$context>::samples().into_iter().map(Mail::$purpose).collect(),)*
            }
        }
    };
}

mails! {
    /// To a beneficiary: what their mail brought and what is still missing.
    Acknowledgement(Acknowledgement),
    /// To a beneficiary: the first mail of a case opened by hand.
    CaseOpened(CaseOpened),
    /// To a beneficiary: another procedure handles their platform.
    Redirect(Redirect),
    /// To the operators: what was parsed on a case.
    OperatorUpdate(OperatorUpdate),
    /// To the operators: a mail the desk could not place.
    OperatorForward(OperatorForward),
    /// To the operators: a mail the desk could not read.
    OperatorQuarantine(OperatorQuarantine),
    /// To the operators: a mail of ours that could not be delivered.
    OperatorDeliveryProblem(OperatorDeliveryProblem),
    /// To a beneficiary: the case moved on.
    Progress(Progress),
    /// To a beneficiary: the operators rejected the materials.
    Rejection(Rejection),
    /// To a beneficiary: the service is active.
    Completion(Completion),
    /// To the operator who acted: what their command did.
    OperatorAck(OperatorAck),
    /// To the operators: a command refused.
    OperatorRefused(OperatorRefused),
    /// To a beneficiary: the case waits on them.
    Reminder(Reminder),
    /// To the operators: the reminders went unanswered.
    OperatorEscalation(OperatorEscalation),
    /// To the operators: a deadline nears or passed.
    OperatorSla(OperatorSla),
    /// To the operators: the daily digest.
    OperatorDigest(OperatorDigest),
    /// To a certificate's holder: it expires soon.
    ExpiryNotice(ExpiryNotice),
    /// To the operators: a delivery report about one of our mails.
    OperatorBounce(OperatorBounce),
    /// To an untrusted sender: their mail arrived.
    Receipt(Receipt),
    /// To the operators: a message held for their decision.
    OperatorHeld(OperatorHeld),
    /// To the operators: an address reached the daily limit of answers.
    OperatorReplyLimit(OperatorReplyLimit),
    /// To the operators: a message reuses another's Message-ID.
    OperatorReusedId(OperatorReusedId),
}

/// Sample mails of every purpose, covering every branch of every template: the start-up
/// check renders each in every language.
pub fn samples() -> Vec<Mail> {
    Purpose::ALL.into_iter().flat_map(samples_of).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::Renderer;

    #[test]
    fn every_purpose_has_samples_of_its_own_template() {
        for purpose in Purpose::ALL {
            let samples = samples_of(purpose);
            assert!(!samples.is_empty(), "{purpose:?}");
            assert!(
                samples.iter().all(|m| m.purpose() == purpose),
                "{purpose:?}"
            );
        }
    }

    #[test]
    fn every_template_on_disk_has_a_purpose() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/en");
        let mut on_disk: Vec<String> = std::fs::read_dir(root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter_map(|name| name.strip_suffix(".txt").map(String::from))
            .filter(|name| !name.starts_with('_'))
            .collect();
        on_disk.sort();
        let mut named: Vec<&str> = Purpose::ALL.iter().map(|p| p.as_str()).collect();
        named.sort_unstable();
        assert_eq!(on_disk, named);
    }

    #[test]
    fn every_template_renders_every_sample_in_every_language() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let renderer = Renderer::load(&root).unwrap();
        renderer.check(&samples()).unwrap();
    }
}
