//! Which reminder the clock makes due on a case, decided in pure code from the case, where it
//! stands against the clock and the settings. Each is keyed by the moment the case's wait
//! began, so a restart neither loses nor repeats one: the outbox refuses a key it holds.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use super::calendar::Calendar;
use crate::db::parse_stamp;
use crate::settings::TimeSettings;
use crate::workflow::audit::EventKind;
use crate::workflow::cases::Case;
use crate::workflow::mail::Deadline;
use crate::workflow::plan::Change;
use crate::workflow::step::WaitingOn;

/// Where a case stands against the clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock {
    /// The moment the current wait began, as stored.
    pub anchor: String,
    /// The same moment as a time (now, when the stamp cannot be read).
    pub from: DateTime<Utc>,
    /// Working days since.
    pub days: u32,
}

impl Clock {
    /// Where `case` stands at `now`. Its wait began when it entered its step, or, when it
    /// waits on the beneficiary, at their `last_mail` if that came later: any mail they send
    /// on the case restarts their clock.
    pub fn of(
        case: &Case,
        last_mail: Option<String>,
        now: DateTime<Utc>,
        calendar: &Calendar,
    ) -> Self {
        let mut anchor = case.step_since.clone();
        if case.step.waiting_on() == WaitingOn::Beneficiary {
            if let Some(last) = last_mail {
                anchor = anchor.max(last);
            }
        }
        let from = parse_stamp(&anchor).unwrap_or(now);
        let days = calendar.working_days_between(from, now);
        Clock { anchor, from, days }
    }
}

/// What is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reminder {
    /// The beneficiary's `number`th reminder of what the case still needs.
    Beneficiary {
        /// Which one (from 1).
        number: u32,
    },
    /// The reminders are spent: the operators are told.
    Escalation,
    /// The operators are reminded of an agency-side step's deadline, `due` that day.
    Deadline {
        /// Near or past.
        state: Deadline,
        /// The deadline.
        due: NaiveDate,
    },
}

/// A reminder due on a case, with the key it is queued under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// Which.
    pub reminder: Reminder,
    /// Its outbox key: once queued, never queued again.
    pub key: String,
    /// Working days the case has waited.
    pub days: u32,
}

impl Due {
    /// The timeline entry that notes it was sent (it changes nothing of the case's data).
    pub fn event(&self) -> Change {
        match &self.reminder {
            Reminder::Beneficiary { number } => Change::note(
                EventKind::Reminder,
                json!({ "number": number, "working_days": self.days }),
            ),
            Reminder::Escalation => {
                Change::note(EventKind::Escalated, json!({ "working_days": self.days }))
            }
            Reminder::Deadline { state, due } => Change::note(
                EventKind::DeadlineReminder,
                json!({ "state": state.as_str(), "due": due.to_string() }),
            ),
        }
    }
}

/// The reminder due on `case`, standing at `clock`, if any.
pub fn due(case: &Case, clock: &Clock, time: &TimeSettings, calendar: &Calendar) -> Option<Due> {
    let reference = &case.reference;
    let anchor = &clock.anchor;
    let (reminder, key) = match case.step.waiting_on() {
        WaitingOn::Beneficiary => match clock.days / time.reminder_after_days {
            0 => return None,
            number if number <= time.reminders => (
                Reminder::Beneficiary { number },
                format!("remind:{reference}:{anchor}:{number}"),
            ),
            _ => (
                Reminder::Escalation,
                format!("escalate:{reference}:{anchor}"),
            ),
        },
        WaitingOn::Agency => {
            let limit = time.sla_working_days;
            let state = if clock.days > limit {
                Deadline::Overdue
            } else if clock.days >= limit - time.sla_warning_days {
                Deadline::Near
            } else {
                return None;
            };
            let step = case.step;
            let key = format!("sla:{}:{reference}:{step}:{anchor}", state.as_str());
            let due = calendar.add_working_days(clock.from, limit);
            (Reminder::Deadline { state, due }, key)
        }
        WaitingOn::Nobody => return None,
    };
    Some(Due {
        reminder,
        key,
        days: clock.days,
    })
}

#[cfg(test)]
#[path = "due_tests.rs"]
mod tests;
