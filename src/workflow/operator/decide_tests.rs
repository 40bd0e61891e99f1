use serde_json::json;

use super::*;

fn rules() -> Requirements {
    Requirements::parse(include_str!("../../../config/services.toml")).unwrap()
}

fn operator() -> Actor {
    Actor::Mail("operator@egov.md".into())
}

fn item(kind: ItemKind, value: &str, status: ItemStatus) -> Item {
    Item {
        id: 0,
        kind,
        value: value.into(),
        status,
        detail: json!({}),
        created_at: String::new(),
    }
}

/// An MSign case at `step` holding its three materials, each with `status`.
fn msign(step: Step, status: ItemStatus) -> Snapshot {
    let mut snapshot = Snapshot::sample(Service::MSign, step);
    snapshot.items = vec![
        item(ItemKind::Certificate, "4F3A01", status),
        item(ItemKind::SystemName, "Registru", status),
        item(ItemKind::PublicIp, "194.0.2.10", status),
    ];
    snapshot
}

/// The decision, and the case as its changes leave it.
fn decide_on(before: Snapshot, commands: &[Command]) -> Result<(Decided, Snapshot), Unfit> {
    let decided = decide(&rules(), before.clone(), commands, &operator())?;
    let after = before.with(&decided.changes);
    Ok((decided, after))
}

fn steps_of(decided: &Decided) -> Vec<(Step, Step)> {
    decided
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Step { from, to } => Some((*from, *to)),
            _ => None,
        })
        .collect()
}

#[test]
fn confirming_complete_materials_moves_the_case_out_of_review() {
    let (decided, after) = decide_on(
        msign(Step::MaterialsReview, ItemStatus::Parsed),
        &[Command::Confirm],
    )
    .unwrap();
    assert!(after
        .items
        .iter()
        .all(|i| i.status == ItemStatus::Confirmed));
    assert_eq!(
        steps_of(&decided),
        [(Step::MaterialsReview, Step::Contract)]
    );
    assert_eq!(after.case.version, 3 + 4, "three items and the step");
    match &decided.notices[..] {
        [Notice::Progress(case)] => {
            assert_eq!(case.step, Step::Contract);
            assert_eq!(case.version, 7, "the notice names the case as moved");
        }
        other => panic!("one progress notice expected, got {other:?}"),
    }
    assert_eq!(decided.done, ["CONFIRM"]);
}

#[test]
fn confirming_with_nothing_waiting_does_not_fit() {
    let unfit = decide_on(
        msign(Step::Contract, ItemStatus::Confirmed),
        &[Command::Confirm],
    )
    .unwrap_err();
    assert_eq!(
        unfit.0,
        "CONFIRM: nothing on EGOV-2026-0001 waits for confirmation"
    );
}

#[test]
fn a_rejection_sends_the_case_back_with_the_reason_and_no_progress_notice() {
    let reason = "Certificatul nu este emis de STISC";
    let (decided, after) = decide_on(
        msign(Step::MaterialsReview, ItemStatus::Parsed),
        &[Command::Reject(reason.into())],
    )
    .unwrap();
    assert!(after.items.iter().all(|i| i.status == ItemStatus::Rejected));
    assert_eq!(
        steps_of(&decided),
        [(Step::MaterialsReview, Step::AwaitingMaterials)]
    );
    match &decided.notices[..] {
        [Notice::Rejection {
            case,
            reason: told,
            missing,
        }] => {
            assert_eq!(case.step, Step::AwaitingMaterials);
            assert_eq!(told, reason);
            assert_eq!(missing.len(), 3, "every rejected item is needed again");
        }
        other => panic!("one rejection notice expected, got {other:?}"),
    }
}

#[test]
fn set_replaces_a_single_value_even_when_confirmed() {
    let mut before = msign(Step::Contract, ItemStatus::Confirmed);
    before.case.system_name = Some("Registru".into());
    let (decided, after) = decide_on(
        before,
        &[Command::Set(
            ItemKind::SystemName,
            " Registrul Școlar ".into(),
        )],
    )
    .unwrap();
    assert_eq!(
        after.item(ItemKind::SystemName, "Registru").unwrap().status,
        ItemStatus::Rejected
    );
    let new = after
        .item(ItemKind::SystemName, "Registrul Școlar")
        .unwrap();
    assert_eq!(new.status, ItemStatus::Confirmed);
    assert_eq!(new.detail, json!({ "set_by": "operator@egov.md" }));
    assert_eq!(after.case.system_name.as_deref(), Some("Registrul Școlar"));
    assert!(decided.notices.is_empty(), "the case did not move");
}

#[test]
fn a_set_that_completes_the_materials_moves_the_case_to_review() {
    let mut before = msign(Step::AwaitingMaterials, ItemStatus::Parsed);
    before.items.pop();
    let (decided, _) = decide_on(
        before,
        &[Command::Set(ItemKind::PublicIp, "194.0.2.10".into())],
    )
    .unwrap();
    assert_eq!(
        steps_of(&decided),
        [(Step::AwaitingMaterials, Step::MaterialsReview)]
    );
    assert!(matches!(&decided.notices[..], [Notice::Progress(_)]));
}

#[test]
fn done_fits_only_the_step_the_case_is_at_and_its_services_steps() {
    let contract = msign(Step::Contract, ItemStatus::Confirmed);
    let unfit = decide_on(contract.clone(), &[Command::Done(Step::Staging)]).unwrap_err();
    assert_eq!(
        unfit.0,
        "DONE staging: EGOV-2026-0001 is at step 'contract', not 'staging'"
    );
    let unfit = decide_on(contract, &[Command::Done(Step::Validation)]).unwrap_err();
    assert!(
        unfit
            .0
            .starts_with("DONE validation: MSign has no step 'validation'"),
        "{unfit}"
    );
}

#[test]
fn commands_apply_in_sequence_each_seeing_the_ones_before() {
    let (decided, _) = decide_on(
        msign(Step::MaterialsReview, ItemStatus::Parsed),
        &[
            Command::Confirm,
            Command::Done(Step::Contract),
            Command::Done(Step::Staging),
        ],
    )
    .unwrap();
    assert_eq!(
        steps_of(&decided),
        [
            (Step::MaterialsReview, Step::Contract),
            (Step::Contract, Step::Staging),
            (Step::Staging, Step::Testing),
        ]
    );
    let versions: Vec<i64> = decided
        .notices
        .iter()
        .map(|n| match n {
            Notice::Progress(case) => case.version,
            other => panic!("progress expected, got {other:?}"),
        })
        .collect();
    assert_eq!(
        versions,
        [7, 8, 9],
        "each notice is keyed by its own version"
    );
}

#[test]
fn one_command_that_does_not_fit_refuses_them_all() {
    let unfit = decide_on(
        msign(Step::MaterialsReview, ItemStatus::Parsed),
        &[Command::Confirm, Command::Done(Step::Testing)],
    )
    .unwrap_err();
    assert!(unfit.0.starts_with("DONE testing: "), "{unfit}");
}

#[test]
fn the_last_step_done_sends_the_completion_notice_and_closes_the_case_to_commands() {
    let activation = msign(Step::Activation, ItemStatus::Confirmed);
    let (decided, _) = decide_on(activation.clone(), &[Command::Done(Step::Activation)]).unwrap();
    match &decided.notices[..] {
        [Notice::Completion(case, items)] => {
            assert_eq!(case.step, Step::Completed);
            assert_eq!(items.len(), 3);
        }
        other => panic!("the completion notice expected, got {other:?}"),
    }
    let unfit = decide_on(
        activation,
        &[Command::Done(Step::Activation), Command::Confirm],
    )
    .unwrap_err();
    assert_eq!(
        unfit.0,
        "CONFIRM: EGOV-2026-0001 is completed; nothing more can change on it"
    );
}

#[test]
fn set_values_are_checked_by_kind() {
    let ok = |k, v| normalise(k, v, Service::MDocs).unwrap();
    assert_eq!(ok(ItemKind::PublicIp, " 194.0.2.10 "), "194.0.2.10");
    assert_eq!(ok(ItemKind::SerialNumber, "4f:3a:01"), "4F3A01");
    assert!(normalise(ItemKind::PublicIp, "not-an-ip", Service::MDocs).is_err());
    assert!(normalise(ItemKind::Url, "http://x.md", Service::MDocs).is_err());
    assert!(normalise(ItemKind::Mode, "api", Service::MDocs).is_err());
    assert_eq!(
        normalise(ItemKind::Mode, "agency", Service::MPower).unwrap(),
        "agency"
    );
}
