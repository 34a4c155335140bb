//! `check-job`: where a job stands, and when to look again. Polling ends at
//! the recipient's deadline whatever QuickSight answers. A job seen
//! finished leaves its duration in the log, for the next jobs' first check,
//! and gives its slot back at once: QuickSight's slot is free as soon as the
//! job is, so the next recipient's job starts while this one's result is
//! still being fetched.

use crate::steps::{Ports, Steps};
use tracing::{info, warn};

use super::deadline::refusal_until;
use super::start::expected_duration;
use crate::coordination::semaphore::holder_of;
use crate::coordination::{DurationLog, dashboard_key};
use crate::error::ExportError;
use crate::model::{JobCheck, JobHandle, JobProgress, JobStepInput};
use crate::pacing::next_check_seconds;
use crate::quicksight::{JobDescription, JobRef, JobStatus};
use crate::time::now_epoch_seconds;

pub fn job_ref(handle: &JobHandle) -> JobRef {
    JobRef {
        account_id: handle.account_id.clone(),
        region: handle.region.clone(),
        dashboard_id: handle.dashboard_id.clone(),
        snapshot_job_id: handle.snapshot_job_id.clone(),
    }
}

fn dashboard_of(job: &JobHandle) -> String {
    dashboard_key(&job.account_id, &job.region, &job.dashboard_id)
}

impl<P: Ports> Steps<P> {
    pub async fn check_job(&self, input: JobStepInput) -> Result<JobCheck, ExportError> {
        let (_quicksight, _durations, _slots) = (&self.quicksight, &self.durations, &self.slots);
        self.check_job_at(input, now_epoch_seconds()).await
    }
}

impl<P: Ports> Steps<P> {
    /// [`check_job`] at a given time (epoch seconds), for tests.
    pub async fn check_job_at(
        &self,
        input: JobStepInput,
        now: f64,
    ) -> Result<JobCheck, ExportError> {
        let (_quicksight, durations, slots) = (&self.quicksight, &self.durations, &self.slots);
        let job = &input.job;
        let now_secs = now as u64;
        let description = self
            .describe_job(input.run.kind, job)
            .await
            .map_err(|e| refusal_until(job.deadline, now_secs, e))?;
        let status = match &description.status {
            JobStatus::Queued | JobStatus::Running if now_secs >= job.deadline => {
                JobProgress::DeadlinePassed
            }
            JobStatus::Queued | JobStatus::Running => JobProgress::Pending,
            JobStatus::Completed => JobProgress::Completed,
            JobStatus::Failed => JobProgress::Failed,
            JobStatus::Other(other) => {
                return Err(ExportError::UnexpectedResponse(format!(
                    "job {} has status {other:?}, which this version does not know",
                    job.snapshot_job_id
                )));
            }
        };
        let remaining = job.deadline.saturating_sub(now_secs);
        let check_in_seconds = match status {
            JobProgress::Pending => {
                let expected = expected_duration(durations, &dashboard_of(job)).await;
                let elapsed = now - job.started_at as f64;
                next_check_seconds(expected, elapsed, &input.run.settings, remaining)
            }
            _ => 1,
        };
        if matches!(status, JobProgress::Completed | JobProgress::Failed) {
            // First, as the next job waits for it. Best effort: fetch-result and
            // record-failure give it back too.
            let holder = holder_of(&input.run.execution_id, &job.recipient_id);
            let kind = crate::coordination::SlotKind::of(input.run.kind);
            if let Err(e) = slots
                .release_kind(kind, &holder, (now * 1000.0) as u64)
                .await
            {
                warn!(error = %e, "the slot could not be given back yet; the fetch will");
            }
        }
        if status == JobProgress::Completed {
            record_duration(durations, job, &description, now).await;
        }
        info!(
            recipient_id = %job.recipient_id,
            snapshot_job_id = %job.snapshot_job_id,
            job_status = description.status.as_str(),
            seconds_to_deadline = remaining,
            check_in_seconds,
            "snapshot job checked"
        );
        Ok(JobCheck {
            status,
            job_status: description.status.as_str().to_string(),
            check_in_seconds,
        })
    }
}

/// How long a finished job took, by QuickSight's own times when it gives
/// them (so the polls' timing does not inflate it), else by ours. A log
/// that cannot take it costs the estimate, never the check.
async fn record_duration<D: DurationLog>(
    durations: &D,
    job: &JobHandle,
    description: &JobDescription,
    now: f64,
) {
    let (started, finished) = match (description.created_at, description.updated_at) {
        (Some(created), Some(updated)) if updated >= created => (created, updated),
        _ => (job.started_at as f64, now),
    };
    let finished_ms = (finished * 1000.0) as u64;
    if let Err(e) = durations
        .record(
            &dashboard_of(job),
            &job.snapshot_job_id,
            finished_ms,
            finished - started,
        )
        .await
    {
        warn!(error = %e, "a job duration could not be recorded");
    }
}
