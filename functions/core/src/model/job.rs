//! One recipient's job as it moves through start, check and fetch.

use serde::{Deserialize, Serialize};

use super::run::{RecipientRef, RunRef};

/// Input of `take-slot`: the recipient asks for one of the account's job
/// slots and waits, with its task token, until it is given one.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TakeSlotInput {
    pub run: RunRef,
    pub recipient: RecipientRef,
    /// `$$.Task.Token` of the waiting task. Not logged.
    pub task_token: String,
}

/// What a waiting "Take a slot" task resumes with.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct SlotGrant {
    /// Epoch seconds. The recipient's deadline is `JobTimeoutSeconds` later.
    pub granted_at: u64,
}

/// Input of `start-job`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StartJobInput {
    pub run: RunRef,
    pub recipient: RecipientRef,
    /// The recipient's slot: its deadline counts from the grant.
    pub slot: SlotGrant,
    /// 1, or 2 when QuickSight asked for the job to be run again
    /// (RLS_CHANGED, CLS_CHANGED).
    #[serde(default = "first_attempt")]
    pub attempt: u32,
}

fn first_attempt() -> u32 {
    1
}

/// A started job: the output of `start-job`. Names and IDs only.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct JobHandle {
    pub recipient_id: String,
    pub recipient_index: usize,
    pub account_id: String,
    pub region: String,
    pub dashboard_id: String,
    pub snapshot_job_id: String,
    pub attempt: u32,
    /// Epoch seconds: when the job was started.
    pub started_at: u64,
    /// Epoch seconds after which the job is no longer polled and the
    /// recipient is recorded as `Export.JobTimedOut`: `JobTimeoutSeconds`
    /// after its slot was granted.
    pub deadline: u64,
    /// How long the state machine waits before the first check.
    pub check_in_seconds: u64,
    /// True when QuickSight already had this job (a retried Start).
    #[serde(default)]
    pub already_started: bool,
}

/// Input of `check-job` and `fetch-result`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct JobStepInput {
    pub run: RunRef,
    pub job: JobHandle,
}

/// Where a job stands, as the state machine's Choice reads it.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum JobProgress {
    /// QUEUED or RUNNING: wait `check_in_seconds` and check again.
    Pending,
    Completed,
    Failed,
    /// Still QUEUED or RUNNING at its deadline: stop polling.
    DeadlinePassed,
}

/// The output of `check-job`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct JobCheck {
    pub status: JobProgress,
    /// QuickSight's own status, as it came (QUEUED, RUNNING, COMPLETED, FAILED).
    pub job_status: String,
    /// When pending: the wait before the next check (never past the deadline).
    pub check_in_seconds: u64,
}

/// The output of `fetch-result`: whether the outcome was recorded, or the job
/// is to be run once more.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct FetchedResult {
    pub recipient_id: String,
    /// QuickSight asked for the job to be run again (RLS_CHANGED or
    /// CLS_CHANGED) and this was the first attempt: nothing is recorded yet.
    pub run_again: bool,
    /// What was recorded, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<super::outcome::OutcomeStatus>,
    pub files: usize,
}
