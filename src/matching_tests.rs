//! Routing decisions, one per rule of [`route`](super::route).

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

#[test]
fn a_mail_naming_more_platforms_than_one_request_holds_goes_to_the_operators() {
    let f = Facts {
        services: [
            Service::MPass,
            Service::MSign,
            Service::MNotify,
            Service::MLog,
        ]
        .into_iter()
        .map(ServiceMention::Service)
        .collect(),
        ..Facts::default()
    };
    assert_eq!(route(&f), Route::Operators(Unmatched::ManyServices(4)));
}
