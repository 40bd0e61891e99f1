//! Stage 4, match (pure): decides where a message belongs — an open case (by the reference
//! in the subject, by the thread, by the sender), a new case, one case per platform when a
//! first mail asks for several, a redirect, or the operators. The caller looks the
//! candidates up; this module only decides.
//!
//! A reference tag or a thread proves only that the sender saw a mail of the case (tags are
//! easy to guess; mail is forwarded), not who they are: mail matched that way from an
//! address the case does not trust is held for the operators, never filed.

use crate::domain::{CaseRef, Redirect, Service, ServiceMention};

/// A case the message might belong to, as looked up by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Case row id.
    pub id: i64,
    /// Its platform.
    pub service: Service,
    /// False once the case is completed or closed.
    pub open: bool,
    /// The sender is the case's contact or an address the operators accepted for it.
    pub trusted: bool,
}

/// What the caller knows about a message, for matching.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The sender is one of the agency's operators.
    pub from_operator: bool,
    /// The sender is the agency's own address.
    pub from_ourselves: bool,
    /// Why the message was written by a machine, if it was.
    pub automated: Option<String>,
    /// The case reference in the subject.
    pub subject_ref: Option<CaseRef>,
    /// The case that reference names, if it exists.
    pub by_reference: Option<Candidate>,
    /// The case of the mail this one replies to (In-Reply-To / References).
    pub by_thread: Option<Candidate>,
    /// The sender's cases.
    pub by_sender: Vec<Candidate>,
    /// Platforms the message names.
    pub services: Vec<ServiceMention>,
}

/// How a message was tied to its case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedBy {
    /// The reference tag in the subject.
    Reference,
    /// In-Reply-To / References to mail of the case.
    Thread,
    /// The sender's address.
    Sender,
    /// A first mail that opened the case.
    Opened,
    /// A request for several platforms, this case's among them.
    SeveralPlatforms,
    /// A held message an operator accepted.
    Accepted,
}

impl MatchedBy {
    /// Every way, for the templates' start-up check.
    pub const ALL: [MatchedBy; 6] = [
        MatchedBy::Reference,
        MatchedBy::Thread,
        MatchedBy::Sender,
        MatchedBy::Opened,
        MatchedBy::SeveralPlatforms,
        MatchedBy::Accepted,
    ];

    /// The stable name templates word in the operators' language.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchedBy::Reference => "reference",
            MatchedBy::Thread => "thread",
            MatchedBy::Sender => "sender",
            MatchedBy::Opened => "opened",
            MatchedBy::SeveralPlatforms => "several_platforms",
            MatchedBy::Accepted => "accepted",
        }
    }
}

/// Why the operators must look at a message themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmatched {
    /// A reference tag naming no case we have.
    UnknownReference(CaseRef),
    /// The case it belongs to is completed or closed.
    ClosedCase(i64),
    /// The sender has several open cases and the mail does not say which.
    Ambiguous,
    /// No case, and no platform named to open one for.
    NoService,
    /// More platforms named than one mail opens cases for.
    ManyServices(usize),
    /// Written by a machine (bounce, auto-reply, list).
    Automated(String),
}

/// One platform's case in a request for several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The sender's open case for the platform: the materials are filed on it.
    Case(i64),
    /// No open case for the platform yet: open one.
    New(Service),
}

/// Where a message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Matched to an open case by its tag or thread alone, from an address the case does
    /// not trust: recorded and held until an operator accepts or rejects it.
    Hold {
        /// Case row id.
        id: i64,
        /// How it was matched.
        by: MatchedBy,
    },
    /// Filed on an existing, open case.
    Case {
        /// Case row id.
        id: i64,
        /// How it was matched.
        by: MatchedBy,
    },
    /// A first mail: open a case for this platform.
    NewCase(Service),
    /// A request for several platforms: one case each, existing or new, one answer.
    Several(Vec<Target>),
    /// A platform with its own procedure: answer with a redirect, open nothing.
    Redirect(Redirect),
    /// Forwarded to the operators with a summary.
    Operators(Unmatched),
    /// Our own or an operator's mail: recorded, nothing automatic is done with it.
    Ignore(&'static str),
}

/// Decides where a message goes.
pub fn route(f: &Facts) -> Route {
    if f.from_ourselves {
        return Route::Ignore("sent from the agency's own address");
    }
    if f.from_operator {
        return Route::Ignore("sent by an operator");
    }
    // A machine's mail is never answered automatically: that is how mail loops start.
    if let Some(why) = &f.automated {
        return Route::Operators(Unmatched::Automated(why.clone()));
    }
    if let Some(reference) = &f.subject_ref {
        return match &f.by_reference {
            Some(c) => on_case(c, MatchedBy::Reference),
            None => Route::Operators(Unmatched::UnknownReference(reference.clone())),
        };
    }
    if let Some(c) = &f.by_thread {
        return on_case(c, MatchedBy::Thread);
    }
    let mut named: Vec<Service> = Vec::new();
    for mention in &f.services {
        if let ServiceMention::Service(s) = mention {
            if !named.contains(s) {
                named.push(*s);
            }
        }
    }
    if named.len() > 1 {
        return several(f, &named);
    }
    let open: Vec<&Candidate> = f.by_sender.iter().filter(|c| c.open).collect();
    // A sender with open cases who names a platform means the case for that platform;
    // naming none means their only open case, if they have just one.
    let fitting: Vec<&&Candidate> = if named.is_empty() {
        open.iter().collect()
    } else {
        open.iter().filter(|c| named.contains(&c.service)).collect()
    };
    match fitting.as_slice() {
        [one] => return on_case(one, MatchedBy::Sender),
        [_, _, ..] => return Route::Operators(Unmatched::Ambiguous),
        [] => {}
    }
    match (named.as_slice(), f.services.as_slice()) {
        ([one], _) => Route::NewCase(*one),
        ([], [ServiceMention::Redirect(r)]) => Route::Redirect(*r),
        ([], []) if !open.is_empty() => Route::Operators(Unmatched::Ambiguous),
        _ => Route::Operators(Unmatched::NoService),
    }
}

/// Most platforms one mail opens cases for ("MPass, MSign și MNotify" is a request; all
/// seven at once is not one the desk answers by itself). The operators' forward template
/// says "three" in words.
pub const MAX_PLATFORMS: usize = 3;

/// A mail naming several platforms ("MPass și MSign") asks for each: the sender's open case
/// for a platform takes its materials, a platform without one gets a new case. A platform
/// whose case is already completed is taken as context ("already on MPass"), not as a new
/// request.
fn several(f: &Facts, named: &[Service]) -> Route {
    // One mail opening a case for every platform is a flood, not a request: the operators
    // look at it.
    if named.len() > MAX_PLATFORMS {
        return Route::Operators(Unmatched::ManyServices(named.len()));
    }
    let mut targets = Vec::new();
    let mut completed = None;
    for service in named {
        let theirs: Vec<&Candidate> = f
            .by_sender
            .iter()
            .filter(|c| c.service == *service)
            .collect();
        let open: Vec<&&Candidate> = theirs.iter().filter(|c| c.open).collect();
        match open.as_slice() {
            [one] if !one.trusted => {
                return Route::Hold {
                    id: one.id,
                    by: MatchedBy::Sender,
                }
            }
            [one] => targets.push(Target::Case(one.id)),
            [_, _, ..] => return Route::Operators(Unmatched::Ambiguous),
            [] => match theirs.first() {
                Some(done) => {
                    completed.get_or_insert(done.id);
                }
                None => targets.push(Target::New(*service)),
            },
        }
    }
    match (targets.as_slice(), completed) {
        ([], Some(id)) => Route::Operators(Unmatched::ClosedCase(id)),
        ([], None) => Route::Operators(Unmatched::NoService),
        ([Target::Case(id)], _) => Route::Case {
            id: *id,
            by: MatchedBy::Sender,
        },
        ([Target::New(service)], _) => Route::NewCase(*service),
        _ => Route::Several(targets),
    }
}

fn on_case(c: &Candidate, by: MatchedBy) -> Route {
    match (c.open, c.trusted) {
        (true, true) => Route::Case { id: c.id, by },
        (true, false) => Route::Hold { id: c.id, by },
        (false, _) => Route::Operators(Unmatched::ClosedCase(c.id)),
    }
}

#[cfg(test)]
#[path = "matching_tests.rs"]
mod tests;
