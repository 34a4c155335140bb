//! A snapshot job's life: QUEUED for `--queued-ms`, RUNNING until
//! `--job-duration-ms` after Start, then its files are written and it is
//! COMPLETED, or FAILED when a `--fail-job` rule matches.

use std::sync::{Arc, MutexGuard};

use tracing::info;

use crate::clock::now_epoch;
use crate::config::Rule;
use crate::snapshot_jobs::SnapshotJob;
use crate::state::{Sim, SimState};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JobStatus {
    Queued,
    Running,
    Completed,
    Failed,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "QUEUED",
            JobStatus::Running => "RUNNING",
            JobStatus::Completed => "COMPLETED",
            JobStatus::Failed => "FAILED",
        }
    }

    /// Not yet terminal: counts against the running-job cap, and has no
    /// result to describe.
    pub fn is_active(self) -> bool {
        matches!(self, JobStatus::Queued | JobStatus::Running)
    }
}

impl Sim {
    /// Moves a started job through its states; spawned by Start.
    pub(crate) async fn run_snapshot_job(self: Arc<Self>, account_id: String, job_id: String) {
        let queued_for = self.config.queued_for();
        tokio::time::sleep(queued_for).await;
        drop(self.update_job(&account_id, &job_id, |job| {
            job.status = JobStatus::Running;
        }));
        tokio::time::sleep(self.config.job_duration().saturating_sub(queued_for)).await;

        if let Some(rule) = Rule::find(&self.config.fail_jobs, &job_id) {
            let message = format!("The snapshot job failed: {}", rule.error_type);
            self.update_job(&account_id, &job_id, |job| {
                job.status = JobStatus::Failed;
                job.error = Some((rule.error_type.clone(), message));
            })
            .stats
            .jobs_failed += 1;
            info!(%account_id, %job_id, "snapshot job failed (injected)");
            return;
        }
        let file_groups = self.produce_files(&account_id, &job_id).await;
        self.update_job(&account_id, &job_id, |job| {
            job.status = JobStatus::Completed;
            job.file_groups = file_groups;
        })
        .stats
        .jobs_completed += 1;
        info!(%account_id, %job_id, "snapshot job completed");
    }

    /// Applies `change` to the job and stamps its LastUpdatedTime. Returns the
    /// state still locked, so that the counters move in the same step.
    fn update_job(
        &self,
        account_id: &str,
        job_id: &str,
        change: impl FnOnce(&mut SnapshotJob),
    ) -> MutexGuard<'_, SimState> {
        let mut state = self.state();
        if let Some(job) = state
            .accounts
            .get_mut(account_id)
            .and_then(|a| a.snapshot_jobs.get_mut(job_id))
        {
            change(job);
            job.updated = now_epoch();
        }
        state
    }
}
