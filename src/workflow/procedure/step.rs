//! The steps of a case (docs/procedure.md, "The steps of a case"), who each waits on, and the one
//! function through which every change of step goes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a case stands. Stored by its stable name; `number` is the procedure's step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// 1: request received, the agency reviews it.
    RequestReceived,
    /// 4, first half: the beneficiary still owes materials.
    AwaitingMaterials,
    /// 4, second half: materials are complete, operators confirm what was parsed.
    MaterialsReview,
    /// 3: contract or annex being signed.
    Contract,
    /// 5: the agency configures the test environment.
    Staging,
    /// 6: the beneficiary integrates and tests.
    Testing,
    /// 7: the agency validates the integration.
    Validation,
    /// 8: the agency activates production.
    Activation,
    /// 9: the completion notice has been sent.
    Completed,
    /// Withdrawn or refused; nothing more happens.
    Closed,
}

/// Who a case is waiting on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitingOn {
    /// The institution that asked.
    Beneficiary,
    /// The agency's operators.
    Agency,
    /// Nobody: the case is over.
    Nobody,
}

/// What happened to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Materials were filed; `complete` says whether every required item is now present.
    MaterialsFiled {
        /// All required items present.
        complete: bool,
    },
    /// An operator confirmed the materials, and every required one is there.
    MaterialsConfirmed,
    /// An operator rejected the materials: the beneficiary must send them again.
    MaterialsRejected,
    /// This step is done (an operator says so).
    Done(Step),
}

/// A change the procedure does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a case at step '{step}' cannot take {event:?}")]
pub struct TransitionError {
    /// Where the case was.
    pub step: Step,
    /// What was attempted.
    pub event: Event,
}

impl Step {
    /// The step a new case starts at: the request is the first mail, so the daemon asks for
    /// materials at once (review and contract run in parallel with the operators).
    pub const INITIAL: Step = Step::AwaitingMaterials;

    /// Every step, in the procedure's order.
    pub const ALL: [Step; 10] = [
        Step::RequestReceived,
        Step::AwaitingMaterials,
        Step::MaterialsReview,
        Step::Contract,
        Step::Staging,
        Step::Testing,
        Step::Validation,
        Step::Activation,
        Step::Completed,
        Step::Closed,
    ];

    /// The steps a beneficiary hears about while their case is under way: every open step
    /// but the request's review, which a first mail skips.
    pub fn told() -> impl Iterator<Item = Step> {
        Step::ALL
            .into_iter()
            .filter(|s| s.is_open() && *s != Step::RequestReceived)
    }

    /// The stable name stored in the database and shown in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::RequestReceived => "request_received",
            Step::AwaitingMaterials => "awaiting_materials",
            Step::MaterialsReview => "materials_review",
            Step::Contract => "contract",
            Step::Staging => "staging",
            Step::Testing => "testing",
            Step::Validation => "validation",
            Step::Activation => "activation",
            Step::Completed => "completed",
            Step::Closed => "closed",
        }
    }

    /// Who must act next.
    pub fn waiting_on(self) -> WaitingOn {
        match self {
            Step::AwaitingMaterials | Step::Contract | Step::Testing => WaitingOn::Beneficiary,
            Step::RequestReceived
            | Step::MaterialsReview
            | Step::Staging
            | Step::Validation
            | Step::Activation => WaitingOn::Agency,
            Step::Completed | Step::Closed => WaitingOn::Nobody,
        }
    }

    /// False once nothing more can happen on the case.
    pub fn is_open(self) -> bool {
        !matches!(self, Step::Completed | Step::Closed)
    }
}

impl WaitingOn {
    /// The stable name shown in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            WaitingOn::Beneficiary => "beneficiary",
            WaitingOn::Agency => "agency",
            WaitingOn::Nobody => "nobody",
        }
    }
}

/// The step after `event` for a case whose service goes through `steps`, or why the event
/// does not fit the step.
pub fn next(step: Step, event: Event, steps: &[Step]) -> Result<Step, TransitionError> {
    let refuse = Err(TransitionError { step, event });
    let following = || {
        steps
            .iter()
            .position(|s| *s == step)
            .and_then(|i| steps.get(i + 1))
            .copied()
    };
    match (step, event) {
        (Step::Completed | Step::Closed, _) => refuse,
        (
            Step::AwaitingMaterials | Step::MaterialsReview | Step::RequestReceived,
            Event::MaterialsFiled { complete },
        ) => Ok(if complete {
            Step::MaterialsReview
        } else {
            Step::AwaitingMaterials
        }),
        // Later materials (a production certificate, a new IP) are filed without moving the case.
        (_, Event::MaterialsFiled { .. }) => Ok(step),
        (Step::MaterialsReview, Event::MaterialsConfirmed) => following().map_or(refuse, Ok),
        (Step::AwaitingMaterials | Step::MaterialsReview, Event::MaterialsRejected) => {
            Ok(Step::AwaitingMaterials)
        }
        (_, Event::Done(done))
            if done == step && !matches!(step, Step::AwaitingMaterials | Step::MaterialsReview) =>
        {
            following().map_or(refuse, Ok)
        }
        _ => refuse,
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Step {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Step::ALL
            .into_iter()
            .find(|step| step.as_str() == s)
            .ok_or_else(|| anyhow::anyhow!("unknown step '{s}'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEPS: [Step; 6] = [
        Step::AwaitingMaterials,
        Step::MaterialsReview,
        Step::Contract,
        Step::Staging,
        Step::Activation,
        Step::Completed,
    ];

    #[test]
    fn confirmation_and_done_follow_the_services_list() {
        assert_eq!(
            next(Step::MaterialsReview, Event::MaterialsConfirmed, &STEPS),
            Ok(Step::Contract)
        );
        assert_eq!(
            next(Step::Staging, Event::Done(Step::Staging), &STEPS),
            Ok(Step::Activation)
        );
        assert_eq!(
            next(Step::Activation, Event::Done(Step::Activation), &STEPS),
            Ok(Step::Completed)
        );
        // Only the step the case is at can be done, and materials only by confirmation.
        assert!(next(Step::Contract, Event::Done(Step::Staging), &STEPS).is_err());
        assert!(next(
            Step::MaterialsReview,
            Event::Done(Step::MaterialsReview),
            &STEPS
        )
        .is_err());
        assert!(next(Step::AwaitingMaterials, Event::MaterialsConfirmed, &STEPS).is_err());
        assert_eq!(
            next(Step::MaterialsReview, Event::MaterialsRejected, &STEPS),
            Ok(Step::AwaitingMaterials)
        );
    }

    #[test]
    fn complete_materials_hand_the_case_to_the_agency() {
        let s = next(
            Step::INITIAL,
            Event::MaterialsFiled { complete: true },
            &STEPS,
        )
        .unwrap();
        assert_eq!(s, Step::MaterialsReview);
        assert_eq!(s.waiting_on(), WaitingOn::Agency);
    }

    #[test]
    fn incomplete_materials_keep_waiting_on_the_beneficiary() {
        let s = next(
            Step::INITIAL,
            Event::MaterialsFiled { complete: false },
            &STEPS,
        )
        .unwrap();
        assert_eq!(s, Step::AwaitingMaterials);
        assert_eq!(s.waiting_on(), WaitingOn::Beneficiary);
    }

    #[test]
    fn a_completed_case_takes_no_more_materials() {
        assert!(next(
            Step::Completed,
            Event::MaterialsFiled { complete: true },
            &STEPS
        )
        .is_err());
    }

    #[test]
    fn later_steps_file_materials_without_moving() {
        assert_eq!(
            next(
                Step::Staging,
                Event::MaterialsFiled { complete: false },
                &STEPS
            )
            .unwrap(),
            Step::Staging
        );
    }

    #[test]
    fn names_read_back() {
        for s in ["awaiting_materials", "materials_review", "completed"] {
            assert_eq!(s.parse::<Step>().unwrap().as_str(), s);
        }
    }
}
