//! The steps, as plain async functions over the [`SnapshotJobs`] port. The
//! Lambda binaries wrap these; tests call them directly.

use serde_json::Value;
use tracing::info;

use crate::error::{ApiError, ExportError};
use crate::error_name::ErrorName;
use crate::input;
use crate::job_id::snapshot_job_id;
use crate::model::{
    FileOutcome, JobCheck, JobHandle, JobProgress, OutcomeStatus, RecipientOutcome, StartJobInput,
};
use crate::quicksight::{JobRef, JobStatus, SnapshotJobSpec, SnapshotJobs};
use crate::validation::validate_job;

/// Starts one recipient's snapshot job. The job ID is derived from the run
/// and the recipient, so a retried call finds the job it already started.
pub async fn start_job<Q: SnapshotJobs>(
    quicksight: &Q,
    input: StartJobInput,
) -> Result<JobHandle, ExportError> {
    validate_job(&input.run_id, &input.export, &input.recipient)?;
    let target = &input.export;
    let destination = target
        .destination
        .as_ref()
        .expect("validate_job requires a destination");
    let job = JobRef {
        account_id: target.account_id.clone(),
        region: target.region.clone(),
        dashboard_id: target.dashboard_id.clone(),
        snapshot_job_id: snapshot_job_id(&input.run_id, &input.recipient.id),
    };
    let spec = SnapshotJobSpec {
        job: job.clone(),
        file_groups: &target.file_groups,
        bucket: &destination.bucket,
        bucket_prefix: destination.recipient_prefix(&input.run_id, &input.recipient.id),
        bucket_region: &destination.region,
        parameters: target.parameters.as_ref(),
        rls_tags: input.recipient.rls_tags.as_deref(),
    };
    let (arn, already_started) = match quicksight.start(&spec).await {
        Ok(started) => (started.arn, false),
        // Our IDs are ours alone: an existing job with this ID is the one a
        // previous attempt of this very call started.
        Err(e) if e.is(ErrorName::ResourceExists) => (None, true),
        Err(e) => return Err(e.into()),
    };
    info!(
        recipient_id = %input.recipient.id,
        snapshot_job_id = %job.snapshot_job_id,
        already_started,
        "snapshot job started"
    );
    Ok(JobHandle {
        recipient_id: input.recipient.id,
        account_id: job.account_id,
        region: job.region,
        dashboard_id: job.dashboard_id,
        snapshot_job_id: job.snapshot_job_id,
        arn,
        already_started,
    })
}

fn job_ref(handle: &JobHandle) -> JobRef {
    JobRef {
        account_id: handle.account_id.clone(),
        region: handle.region.clone(),
        dashboard_id: handle.dashboard_id.clone(),
        snapshot_job_id: handle.snapshot_job_id.clone(),
    }
}

/// Where the job stands: pending, completed or failed.
pub async fn check_job<Q: SnapshotJobs>(
    quicksight: &Q,
    handle: JobHandle,
) -> Result<JobCheck, ExportError> {
    let description = quicksight.describe(&job_ref(&handle)).await?;
    let status = match &description.status {
        JobStatus::Queued | JobStatus::Running => JobProgress::Pending,
        JobStatus::Completed => JobProgress::Completed,
        JobStatus::Failed => JobProgress::Failed,
        JobStatus::Other(other) => {
            return Err(ExportError::UnexpectedResponse(format!(
                "job {} has status {other:?}, which this version does not know",
                handle.snapshot_job_id
            )));
        }
    };
    let elapsed_seconds = description.created_at.map(|created| {
        (crate::time::now_epoch_seconds() - created)
            .max(0.0)
            .round()
    });
    info!(
        recipient_id = %handle.recipient_id,
        snapshot_job_id = %handle.snapshot_job_id,
        job_status = description.status.as_str(),
        "snapshot job checked"
    );
    Ok(JobCheck {
        status,
        job_status: description.status.as_str().to_string(),
        elapsed_seconds,
    })
}

/// Every S3 URI of every file group, per-file errors, and the job-level
/// error of a failed job. Before the job is terminal this fails with
/// `QuickSight.PreconditionNotMetException`, for the caller to wait and retry.
pub async fn fetch_result<Q: SnapshotJobs>(
    quicksight: &Q,
    handle: JobHandle,
) -> Result<RecipientOutcome, ExportError> {
    let result = quicksight.result(&job_ref(&handle)).await?;
    let status = match &result.status {
        JobStatus::Completed => OutcomeStatus::Completed,
        JobStatus::Failed => OutcomeStatus::Failed,
        // QuickSight answers PreconditionNotMet before a job is terminal; a
        // result that says otherwise is treated the same, so it is retried.
        JobStatus::Queued | JobStatus::Running => {
            return Err(ApiError::from_code(
                "PreconditionNotMetException",
                format!(
                    "job {} is {} and has no result yet",
                    handle.snapshot_job_id,
                    result.status.as_str()
                ),
            )
            .into());
        }
        JobStatus::Other(other) => {
            return Err(ExportError::UnexpectedResponse(format!(
                "job {} result has status {other:?}, which this version does not know",
                handle.snapshot_job_id
            )));
        }
    };
    let files: Vec<FileOutcome> = result
        .file_groups
        .into_iter()
        .map(|g| FileOutcome {
            format: g.format,
            sheet_ids: g.sheet_ids,
            s3_uris: g.s3_uris,
            errors: g.errors,
        })
        .collect();
    let error = match (status, result.error) {
        (OutcomeStatus::Failed, None) => Some(crate::model::ErrorDetail {
            error_type: "UNKNOWN".into(),
            message: "QuickSight reported the job as failed without error details".into(),
        }),
        (_, error) => error,
    };
    let outcome = RecipientOutcome {
        recipient_id: handle.recipient_id,
        snapshot_job_id: handle.snapshot_job_id,
        status,
        files,
        error,
    };
    info!(
        recipient_id = %outcome.recipient_id,
        snapshot_job_id = %outcome.snapshot_job_id,
        status = ?outcome.status,
        files = outcome.files.len(),
        file_errors = outcome.has_file_errors(),
        "snapshot job result fetched"
    );
    Ok(outcome)
}

/// The JSON faces of the handlers, for the Lambda binaries.
pub mod json {
    use super::*;

    fn to_value<T: serde::Serialize>(value: T) -> Result<Value, ExportError> {
        serde_json::to_value(value)
            .map_err(|e| ExportError::UnexpectedResponse(format!("cannot serialize output: {e}")))
    }

    pub async fn start_job<Q: SnapshotJobs>(
        quicksight: &Q,
        payload: Value,
    ) -> Result<Value, ExportError> {
        let input =
            input::parse::<StartJobInput>(payload, "start-job input (run_id, export, recipient)")?;
        to_value(super::start_job(quicksight, input).await?)
    }

    pub async fn check_job<Q: SnapshotJobs>(
        quicksight: &Q,
        payload: Value,
    ) -> Result<Value, ExportError> {
        let handle = input::parse::<JobHandle>(payload, "job handle (the output of start-job)")?;
        to_value(super::check_job(quicksight, handle).await?)
    }

    pub async fn fetch_result<Q: SnapshotJobs>(
        quicksight: &Q,
        payload: Value,
    ) -> Result<Value, ExportError> {
        let handle = input::parse::<JobHandle>(payload, "job handle (the output of start-job)")?;
        to_value(super::fetch_result(quicksight, handle).await?)
    }
}
