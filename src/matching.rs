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

/// A mail naming several platforms ("MPass și MSign") asks for each: the sender's open case
/// for a platform takes its materials, a platform without one gets a new case. A platform
/// whose case is already completed is taken as context ("already on MPass"), not as a new
/// request.
fn several(f: &Facts, named: &[Service]) -> Route {
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
mod tests {
    use super::*;

    fn case(id: i64, service: Service) -> Candidate {
        Candidate {
            id,
            service,
            open: true,
            trusted: true,
        }
    }

    fn strangers(id: i64, service: Service) -> Candidate {
        Candidate {
            trusted: false,
            ..case(id, service)
        }
    }

    #[test]
    fn a_stranger_using_a_cases_tag_is_held_not_filed() {
        let f = Facts {
            subject_ref: Some(CaseRef::new(2026, 1)),
            by_reference: Some(strangers(1, Service::MDocs)),
            ..Facts::default()
        };
        assert_eq!(
            route(&f),
            Route::Hold {
                id: 1,
                by: MatchedBy::Reference
            }
        );
    }

    #[test]
    fn a_stranger_replying_in_a_cases_thread_is_held_not_filed() {
        let f = Facts {
            by_thread: Some(strangers(2, Service::MPass)),
            ..Facts::default()
        };
        assert_eq!(
            route(&f),
            Route::Hold {
                id: 2,
                by: MatchedBy::Thread
            }
        );
    }

    #[test]
    fn the_reference_in_the_subject_wins_over_everything_else() {
        let f = Facts {
            subject_ref: Some(CaseRef::new(2026, 1)),
            by_reference: Some(case(1, Service::MPass)),
            by_thread: Some(case(2, Service::MDocs)),
            by_sender: vec![case(3, Service::MLog)],
            ..Facts::default()
        };
        assert_eq!(
            route(&f),
            Route::Case {
                id: 1,
                by: MatchedBy::Reference
            }
        );
    }

    #[test]
    fn an_unknown_reference_goes_to_the_operators() {
        let f = Facts {
            subject_ref: Some(CaseRef::new(2026, 99)),
            by_sender: vec![case(3, Service::MLog)],
            ..Facts::default()
        };
        assert!(matches!(
            route(&f),
            Route::Operators(Unmatched::UnknownReference(_))
        ));
    }

    #[test]
    fn a_reply_in_the_thread_finds_its_case() {
        let f = Facts {
            by_thread: Some(case(2, Service::MDocs)),
            ..Facts::default()
        };
        assert_eq!(
            route(&f),
            Route::Case {
                id: 2,
                by: MatchedBy::Thread
            }
        );
    }

    #[test]
    fn the_sender_finds_their_only_open_case() {
        let f = Facts {
            by_sender: vec![case(3, Service::MLog)],
            ..Facts::default()
        };
        assert_eq!(
            route(&f),
            Route::Case {
                id: 3,
                by: MatchedBy::Sender
            }
        );
    }

    #[test]
    fn a_sender_naming_another_platform_opens_a_new_case() {
        let f = Facts {
            by_sender: vec![case(3, Service::MLog)],
            services: vec![ServiceMention::Service(Service::MSign)],
            ..Facts::default()
        };
        assert_eq!(route(&f), Route::NewCase(Service::MSign));
    }

    #[test]
    fn two_open_cases_and_no_hint_go_to_the_operators() {
        let f = Facts {
            by_sender: vec![case(3, Service::MLog), case(4, Service::MDocs)],
            ..Facts::default()
        };
        assert_eq!(route(&f), Route::Operators(Unmatched::Ambiguous));
    }

    #[test]
    fn first_mail_naming_one_platform_opens_a_case() {
        let f = Facts {
            services: vec![ServiceMention::Service(Service::MDocs)],
            ..Facts::default()
        };
        assert_eq!(route(&f), Route::NewCase(Service::MDocs));
    }

    #[test]
    fn mpay_is_redirected_and_opens_nothing() {
        let f = Facts {
            services: vec![ServiceMention::Redirect(Redirect::MPay)],
            ..Facts::default()
        };
        assert_eq!(route(&f), Route::Redirect(Redirect::MPay));
    }

    #[test]
    fn mail_naming_nothing_goes_to_the_operators() {
        assert_eq!(
            route(&Facts::default()),
            Route::Operators(Unmatched::NoService)
        );
    }

    #[test]
    fn auto_replies_are_never_routed_to_a_case() {
        let f = Facts {
            automated: Some("Auto-Submitted: auto-replied".into()),
            by_sender: vec![case(3, Service::MLog)],
            ..Facts::default()
        };
        assert!(matches!(
            route(&f),
            Route::Operators(Unmatched::Automated(_))
        ));
    }

    #[test]
    fn a_request_for_several_platforms_opens_one_case_each() {
        let f = Facts {
            services: vec![
                ServiceMention::Service(Service::MPass),
                ServiceMention::Service(Service::MSign),
                ServiceMention::Service(Service::MPass),
            ],
            ..Facts::default()
        };
        assert_eq!(
            route(&f),
            Route::Several(vec![
                Target::New(Service::MPass),
                Target::New(Service::MSign)
            ])
        );
    }

    #[test]
    fn several_platforms_use_the_open_case_the_sender_has_for_one() {
        let f = Facts {
            by_sender: vec![case(7, Service::MSign), case(8, Service::MLog)],
            services: vec![
                ServiceMention::Service(Service::MPass),
                ServiceMention::Service(Service::MSign),
            ],
            ..Facts::default()
        };
        assert_eq!(
            route(&f),
            Route::Several(vec![Target::New(Service::MPass), Target::Case(7)])
        );
    }

    #[test]
    fn a_platform_already_completed_is_context_not_a_request() {
        let mut done = case(3, Service::MPass);
        done.open = false;
        let f = Facts {
            by_sender: vec![done],
            services: vec![
                ServiceMention::Service(Service::MPass),
                ServiceMention::Service(Service::MSign),
            ],
            ..Facts::default()
        };
        assert_eq!(route(&f), Route::NewCase(Service::MSign));
        let f = Facts {
            services: vec![ServiceMention::Service(Service::MPass)],
            ..f
        };
        assert_eq!(route(&f), Route::NewCase(Service::MPass));
    }

    #[test]
    fn several_platforms_and_two_open_cases_for_one_go_to_the_operators() {
        let f = Facts {
            by_sender: vec![case(3, Service::MSign), case(4, Service::MSign)],
            services: vec![
                ServiceMention::Service(Service::MPass),
                ServiceMention::Service(Service::MSign),
            ],
            ..Facts::default()
        };
        assert_eq!(route(&f), Route::Operators(Unmatched::Ambiguous));
    }

    #[test]
    fn mail_on_a_closed_case_goes_to_the_operators() {
        let mut c = case(5, Service::MPass);
        c.open = false;
        let f = Facts {
            by_thread: Some(c),
            ..Facts::default()
        };
        assert_eq!(route(&f), Route::Operators(Unmatched::ClosedCase(5)));
    }
}
