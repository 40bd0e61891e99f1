//! Mail to the beneficiary: the two ways to address it — an answer to the sender of a
//! message, threaded to it, or a notice to a case's contact in the case's language — and the
//! mail built on them.

use super::views::{original_subject, reply_language, CaseView, ItemView};
use super::{
    Acknowledgement, CaseAck, CaseOpened, CaseShare, Completion, Draft, ExpiryNotice, Mail,
    Progress, Receipt, Redirect, Rejection, Reminder, SeveralAck,
};
use crate::domain::{Language, Redirect as Platform};
use crate::extract::{Extraction, Problem};
use crate::ledger::LedgerMessage;
use crate::outbox::Thread;
use crate::parse::ParsedMessage;
use crate::settings::AgencySettings;
use crate::workflow::cases::{Case, Item, ItemStatus};
use crate::workflow::filing::Filing;
use crate::workflow::requirements::Missing;
use crate::workflow::Workflow;

/// An answer to the sender of `parsed`, threaded to it and keyed `{key}:{ledger id}`.
pub fn answer(
    key: &str,
    message: &LedgerMessage,
    parsed: &ParsedMessage,
    language: Language,
    case: Option<&Case>,
    mail: impl Into<Mail>,
) -> Draft {
    Draft {
        content: mail.into(),
        key: format!("{key}:{}", message.id),
        case: case.map(|c| (c.id, c.reference.clone())),
        cause_message: Some(message.id),
        to: parsed.from.iter().cloned().collect(),
        language,
        thread: parsed.message_id.as_ref().map(|id| Thread {
            in_reply_to: id.clone(),
            references: parsed.references.clone(),
        }),
        attach_message: None,
    }
}

/// A notice to the contact of `case`, in the case's language.
pub fn to_contact(
    agency: &AgencySettings,
    key: String,
    case: &Case,
    mail: impl Into<Mail>,
) -> Draft {
    Draft {
        content: mail.into(),
        key,
        case: Some((case.id, case.reference.clone())),
        cause_message: None,
        to: vec![case.contact.clone()],
        language: case.speaks(agency.default_language),
        thread: None,
        attach_message: None,
    }
}

/// What the service of `case` needs besides items.
fn also_needed(wf: &Workflow, case: &Case) -> Vec<String> {
    wf.requirements.of(case.service).also_needed.clone()
}

/// The acknowledgement of a message filed on one case.
pub(crate) fn acknowledgement(
    wf: &Workflow,
    message: &LedgerMessage,
    parsed: &ParsedMessage,
    ex: &Extraction,
    filing: &Filing,
) -> Draft {
    let ack = CaseAck {
        case: Some(CaseView::of(&filing.case)),
        new_case: filing.new_case,
        new_items: ItemView::all(&filing.new_items),
        items: ItemView::all(&filing.items),
        missing: filing.missing.clone(),
        also_needed: also_needed(wf, &filing.case),
        complete: filing.missing.is_empty(),
        problems: filing.problems.clone(),
        private_key: ex.has_private_key(),
        original_subject: original_subject(parsed),
    };
    let language = reply_language(wf, ex, Some(&filing.case));
    let case = Some(&filing.case);
    answer(
        "ack",
        message,
        parsed,
        language,
        case,
        Acknowledgement::Case(ack),
    )
}

/// One answer to a request for several platforms: every case it opened or reached, what
/// each took from the mail and what each still needs; the problems once.
pub(crate) fn acknowledgement_several(
    wf: &Workflow,
    message: &LedgerMessage,
    parsed: &ParsedMessage,
    ex: &Extraction,
    filings: &[Filing],
) -> Draft {
    let mut problems: Vec<Problem> = Vec::new();
    for p in filings.iter().flat_map(|f| &f.problems) {
        if !problems.contains(p) {
            problems.push(p.clone());
        }
    }
    let cases = filings
        .iter()
        .map(|f| CaseShare {
            case: CaseView::of(&f.case),
            new_case: f.new_case,
            new_items: ItemView::all(&f.new_items),
            missing: f.missing.clone(),
            also_needed: also_needed(wf, &f.case),
            complete: f.missing.is_empty(),
        })
        .collect();
    let ack = SeveralAck {
        cases,
        problems,
        private_key: ex.has_private_key(),
        original_subject: original_subject(parsed),
    };
    let language = reply_language(wf, ex, None);
    answer(
        "ack",
        message,
        parsed,
        language,
        None,
        Acknowledgement::Several(ack),
    )
}

/// The warning a sender gets at once when they mailed a private key outside any case.
pub(crate) fn private_key_warning(
    wf: &Workflow,
    message: &LedgerMessage,
    parsed: &ParsedMessage,
    ex: &Extraction,
) -> Draft {
    let warning = CaseAck {
        case: None,
        new_case: false,
        new_items: vec![],
        items: vec![],
        missing: vec![],
        also_needed: vec![],
        complete: false,
        problems: ex.problems.clone(),
        private_key: true,
        original_subject: original_subject(parsed),
    };
    let language = reply_language(wf, ex, None);
    let ack = Acknowledgement::Case(warning);
    answer("key-warning", message, parsed, language, None, ack)
}

/// The polite redirect for platforms with their own procedure.
pub(crate) fn redirect(
    wf: &Workflow,
    message: &LedgerMessage,
    parsed: &ParsedMessage,
    ex: &Extraction,
    target: Platform,
) -> Draft {
    let language = reply_language(wf, ex, None);
    let mail = Redirect::to(target, original_subject(parsed));
    answer("redirect", message, parsed, language, None, mail)
}

/// The receipt a held message's sender gets: it names no case, service, institution or item.
pub(crate) fn receipt(
    wf: &Workflow,
    message: &LedgerMessage,
    parsed: &ParsedMessage,
    ex: &Extraction,
) -> Draft {
    let mail = Receipt {
        private_key: ex.has_private_key(),
    };
    // The sender's language, never the case's: the receipt tells a stranger nothing of it.
    let language = ex.language.unwrap_or(wf.settings.agency.default_language);
    answer("receipt", message, parsed, language, None, mail)
}

/// The first mail of a case opened by hand: what the beneficiary should send.
pub(crate) fn case_opened(wf: &Workflow, case: &Case, missing: &[Missing]) -> Draft {
    let mail = CaseOpened {
        case: CaseView::of(case),
        missing: missing.to_vec(),
        also_needed: also_needed(wf, case),
    };
    let key = format!("opened:{}", case.reference);
    to_contact(&wf.settings.agency, key, case, mail)
}

/// The case moved on: what happens now, and what (if anything) the beneficiary does next.
pub(crate) fn progress(wf: &Workflow, case: &Case, contract: Option<&Case>) -> Draft {
    let mail = Progress {
        case: CaseView::of(case),
        annex_only: contract.is_some(),
        contract_case: contract.map(|c| c.reference.to_string()),
        also_needed: also_needed(wf, case),
    };
    let key = format!("progress:{}:{}", case.reference, case.version);
    to_contact(&wf.settings.agency, key, case, mail)
}

/// The operators rejected the materials: the reason, in the beneficiary's language around it.
pub(crate) fn rejection(wf: &Workflow, case: &Case, reason: &str, missing: &[Missing]) -> Draft {
    let mail = Rejection {
        case: CaseView::of(case),
        reason: reason.to_string(),
        missing: missing.to_vec(),
        also_needed: also_needed(wf, case),
    };
    let key = format!("rejection:{}:{}", case.reference, case.version);
    to_contact(&wf.settings.agency, key, case, mail)
}

/// The completion notice: the service is active in production.
pub(crate) fn completion(wf: &Workflow, case: &Case, items: &[Item]) -> Draft {
    let confirmed: Vec<Item> = items
        .iter()
        .filter(|i| i.status == ItemStatus::Confirmed)
        .cloned()
        .collect();
    let mail = Completion {
        case: CaseView::of(case),
        items: ItemView::all(&confirmed),
    };
    let key = format!("completion:{}", case.reference);
    to_contact(&wf.settings.agency, key, case, mail)
}

/// The case has waited on the beneficiary: reminder `number`, what exactly is missing.
pub(crate) fn reminder(
    wf: &Workflow,
    key: String,
    case: &Case,
    number: u32,
    days: u32,
    missing: &[Missing],
) -> Draft {
    let mail = Reminder {
        case: CaseView::of(case),
        number,
        of: wf.settings.time.reminders,
        days,
        missing: missing.to_vec(),
        also_needed: also_needed(wf, case),
    };
    to_contact(&wf.settings.agency, key, case, mail)
}

/// To a certificate's holder: it expires in `days_left` days; `renewal` is the case opened
/// for the new one.
pub(crate) fn expiry(
    wf: &Workflow,
    key: String,
    holder: &Case,
    renewal: &Case,
    certificate: &Item,
    days_left: i64,
) -> Draft {
    let detail = |field: &str| certificate.detail[field].as_str().map(String::from);
    let mail = ExpiryNotice {
        case: CaseView::of(renewal),
        previous: CaseView::of(holder),
        serial: certificate.value.clone(),
        not_after: detail("not_after").map(|s| s.chars().take(10).collect()),
        subject: detail("subject"),
        days_left,
    };
    to_contact(&wf.settings.agency, key, renewal, mail)
}
