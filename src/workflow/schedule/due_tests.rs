use chrono::TimeZone;

use super::*;
use crate::domain::Service;
use crate::workflow::plan::Snapshot;
use crate::workflow::step::Step;

/// Monday 7 September 2026, 10:00 in Chișinău; no holiday for the three weeks after.
const SINCE: &str = "2026-09-07T07:00:00Z";

fn calendar() -> Calendar {
    Calendar::parse(
        include_str!("../../../config/holidays.toml"),
        chrono_tz::Europe::Chisinau,
    )
    .unwrap()
}

/// The embedded default's clock: remind after 5 working days, twice; 7 days for the
/// agency, warned 2 days before.
fn time() -> TimeSettings {
    TimeSettings {
        timezone: chrono_tz::Europe::Chisinau,
        holidays: "config/holidays.toml".into(),
        sla_working_days: 7,
        sla_warning_days: 2,
        reminder_after_days: 5,
        reminders: 2,
        digest_hour: 9,
        scheduler_interval_secs: 60,
    }
}

fn case_at(step: Step) -> Case {
    let mut case = Snapshot::sample(Service::MSign, step).case;
    case.step_since = SINCE.into();
    case
}

fn september(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, day, 12, 0, 0).unwrap()
}

/// What is due on `case` at noon on `day`, its beneficiary having last written `last_mail`.
fn due_on(case: &Case, last_mail: Option<&str>, day: u32) -> Option<Due> {
    let clock = Clock::of(
        case,
        last_mail.map(str::to_string),
        september(day),
        &calendar(),
    );
    due(case, &clock, &time(), &calendar())
}

#[test]
fn beneficiaries_are_reminded_every_five_working_days_twice_then_the_operators_are_told() {
    let case = case_at(Step::AwaitingMaterials);
    assert_eq!(due_on(&case, None, 11), None, "four working days");
    let first = due_on(&case, None, 14).unwrap();
    assert_eq!(first.reminder, Reminder::Beneficiary { number: 1 });
    assert_eq!(first.key, format!("remind:EGOV-2026-0001:{SINCE}:1"));
    assert_eq!(first.days, 5);
    let second = due_on(&case, None, 21).unwrap();
    assert_eq!(second.reminder, Reminder::Beneficiary { number: 2 });
    let escalation = due_on(&case, None, 28).unwrap();
    assert_eq!(escalation.reminder, Reminder::Escalation);
    assert_eq!(escalation.key, format!("escalate:EGOV-2026-0001:{SINCE}"));
}

#[test]
fn a_beneficiarys_mail_restarts_their_clock_but_not_the_agencys() {
    let mail = "2026-09-14T07:00:00Z";
    let waiting = case_at(Step::AwaitingMaterials);
    assert_eq!(due_on(&waiting, Some(mail), 14), None);
    let later = due_on(&waiting, Some(mail), 21).unwrap();
    assert_eq!(later.key, format!("remind:EGOV-2026-0001:{mail}:1"));
    let review = case_at(Step::MaterialsReview);
    let near = due_on(&review, Some(mail), 14).unwrap();
    assert!(near.key.ends_with(SINCE), "{}", near.key);
}

#[test]
fn agency_steps_are_reminded_near_and_past_their_deadline() {
    let case = case_at(Step::MaterialsReview);
    assert_eq!(due_on(&case, None, 11), None, "four of seven working days");
    let deadline = NaiveDate::from_ymd_opt(2026, 9, 16).unwrap();
    let near = due_on(&case, None, 14).unwrap();
    assert_eq!(
        near.reminder,
        Reminder::Deadline {
            state: Deadline::Near,
            due: deadline
        }
    );
    assert_eq!(
        near.key,
        format!("sla:near:EGOV-2026-0001:materials_review:{SINCE}")
    );
    assert_eq!(due_on(&case, None, 16).unwrap().key, near.key, "still near");
    let overdue = due_on(&case, None, 17).unwrap();
    assert_eq!(
        overdue.reminder,
        Reminder::Deadline {
            state: Deadline::Overdue,
            due: deadline
        }
    );
}

#[test]
fn a_case_waiting_on_nobody_is_never_reminded() {
    assert_eq!(due_on(&case_at(Step::Completed), None, 28), None);
}

#[test]
fn each_reminder_is_noted_on_the_timeline_without_changing_the_cases_data() {
    let case = case_at(Step::AwaitingMaterials);
    let event = due_on(&case, None, 14).unwrap().event();
    assert_eq!(
        event,
        Change::note(
            EventKind::Reminder,
            json!({ "number": 1, "working_days": 5 })
        )
    );
    let deadline = due_on(&case_at(Step::Staging), None, 17).unwrap().event();
    assert_eq!(
        deadline,
        Change::note(
            EventKind::DeadlineReminder,
            json!({ "state": "overdue", "due": "2026-09-16" })
        )
    );
}
