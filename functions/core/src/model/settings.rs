//! The settings a run carries in its state (`run.settings`), so that the
//! definition's Wait and Map read them with `SecondsPath` and
//! `MaxConcurrencyPath`. Reading them from the environment, and what they
//! cost in history events, is `crate::settings`'.

use serde::{Deserialize, Serialize};

/// How the state machine paces one run. Read from the prepare function's
/// environment (the SAM template's parameters) and passed along in the state,
/// so that Wait and Map read them with `SecondsPath` / `MaxConcurrencyPath`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct RunSettings {
    /// Map concurrency: snapshot jobs this run keeps running at once.
    /// QuickSight allows 12 per account; lower it when other workloads share them.
    pub max_concurrent_jobs: u32,
    /// Wait between Start and the first status check. Set it near the
    /// expected job duration: every extra poll costs Step Functions transitions.
    pub first_poll_seconds: u32,
    /// Wait between later status checks.
    pub poll_interval_seconds: u32,
    /// A job still running this long after it was started is recorded as
    /// failed (`Export.JobTimedOut`) and no longer polled: the recipient's
    /// deadline.
    pub job_timeout_seconds: u32,
    /// The Distributed Map's `ToleratedFailurePercentagePath`. A child
    /// execution fails only when even its failure could not be recorded; at
    /// 100 such a child never fails the run (the manifest lists it as
    /// `Export.OutcomeMissing`), lower values make the run fail past that
    /// share, after the manifest is written.
    pub tolerated_failure_percentage: u32,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            max_concurrent_jobs: 12,
            first_poll_seconds: 120,
            poll_interval_seconds: 30,
            job_timeout_seconds: 3600,
            tolerated_failure_percentage: 100,
        }
    }
}
