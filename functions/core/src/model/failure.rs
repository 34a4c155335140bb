//! What `record-failure` gets from a Catch: the failed step's error, and
//! which recipient, attempt and job it was.

use serde::{Deserialize, Serialize};

use super::job::JobHandle;
use super::run::{RecipientRef, RunRef};

/// A Catch's record of a failed step, as Step Functions writes it: `Error` is
/// the errorType, `Cause` the Lambda error payload as a JSON string (or text).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct StepFailure {
    #[serde(rename = "Error")]
    pub error: String,
    #[serde(rename = "Cause", default)]
    pub cause: Option<String>,
}

/// Input of `record-failure`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct RecordFailureInput {
    pub run: RunRef,
    pub recipient: RecipientRef,
    /// The attempt that failed (2 after QuickSight asked for a re-run).
    pub attempt: u32,
    /// The job of this attempt, when one was started before the failure.
    #[serde(default)]
    pub job: Option<JobHandle>,
    pub failure: StepFailure,
}
