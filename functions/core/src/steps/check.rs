//! `check-job`: where a job stands, and when to look again. Polling ends at
//! the recipient's deadline whatever QuickSight answers.

use tracing::info;

use crate::error::ExportError;
use crate::model::{JobCheck, JobHandle, JobProgress, JobStepInput};
use crate::quicksight::{JobRef, JobStatus, SnapshotJobs};
use crate::time::now_epoch_seconds;

pub fn job_ref(handle: &JobHandle) -> JobRef {
    JobRef {
        account_id: handle.account_id.clone(),
        region: handle.region.clone(),
        dashboard_id: handle.dashboard_id.clone(),
        snapshot_job_id: handle.snapshot_job_id.clone(),
    }
}

pub async fn check_job<Q: SnapshotJobs>(
    quicksight: &Q,
    input: JobStepInput,
) -> Result<JobCheck, ExportError> {
    check_job_at(quicksight, input, now_epoch_seconds() as u64).await
}

/// [`check_job`] at a given time (epoch seconds), for tests.
pub async fn check_job_at<Q: SnapshotJobs>(
    quicksight: &Q,
    input: JobStepInput,
    now: u64,
) -> Result<JobCheck, ExportError> {
    let job = &input.job;
    let description = quicksight.describe(&job_ref(job)).await?;
    let status = match &description.status {
        JobStatus::Queued | JobStatus::Running if now >= job.deadline => {
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
    // The next look: a poll interval, but never past the deadline (and at
    // least a second, as a Wait of 0 would spin).
    let remaining = job.deadline.saturating_sub(now);
    let check_in_seconds = u64::from(input.run.settings.poll_interval_seconds)
        .min(remaining)
        .max(1);
    info!(
        recipient_id = %job.recipient_id,
        snapshot_job_id = %job.snapshot_job_id,
        job_status = description.status.as_str(),
        seconds_to_deadline = remaining,
        "snapshot job checked"
    );
    Ok(JobCheck {
        status,
        job_status: description.status.as_str().to_string(),
        check_in_seconds,
    })
}
