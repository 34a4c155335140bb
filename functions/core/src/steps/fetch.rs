//! `fetch-result`: a finished job's files and errors, recorded as the
//! recipient's outcome, or a request to run the job once more when
//! QuickSight says the data's security changed under it.

use crate::steps::{Ports, Steps};
use tracing::info;

use super::check::job_ref;
use super::deadline::refusal_until;
use super::record::record_outcome;
use crate::coordination::semaphore::holder_of;
use crate::error::ExportError;
use crate::model::{
    ErrorDetail, FetchedResult, FileOutcome, JobStepInput, OutcomeStatus, RecipientOutcome,
};
use crate::quicksight::ApiError;
use crate::quicksight::{JobStatus, SnapshotJobs};
use crate::settings::MAX_JOB_ATTEMPTS;
use crate::time::{format_rfc3339, now_epoch_ms, now_epoch_seconds};

/// Error types after which QuickSight's guidance is to run the job again:
/// row- or column-level security changed while it ran.
const RUN_AGAIN_ERRORS: &[&str] = &["RLS_CHANGED", "CLS_CHANGED"];

impl<P: Ports> Steps<P> {
    /// Before the job is terminal this fails with
    /// `QuickSight.PreconditionNotMetException`, for the caller to wait and retry.
    /// Once the outcome is recorded, the recipient's slot goes back to the
    /// semaphore (and on to whoever waits).
    pub async fn fetch_snapshot_result(
        &self,
        input: JobStepInput,
    ) -> Result<FetchedResult, ExportError> {
        let (quicksight, store, slots, announcer) =
            (&self.quicksight, &self.store, &self.slots, &self.announcer);
        let job = &input.job;
        let result = quicksight
            .result(&job_ref(job))
            .await
            .map_err(|e| refusal_until(job.deadline, now_epoch_seconds() as u64, e))?;
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
                        job.snapshot_job_id,
                        result.status.as_str()
                    ),
                )
                .into());
            }
            JobStatus::Other(other) => {
                return Err(ExportError::UnexpectedResponse(format!(
                    "job {} result has status {other:?}, which this version does not know",
                    job.snapshot_job_id
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
            (OutcomeStatus::Failed, None) => Some(ErrorDetail {
                error_type: "UNKNOWN".into(),
                message: "QuickSight reported the job as failed without error details".into(),
            }),
            (_, error) => error,
        };

        let asks_to_run_again = error
            .iter()
            .chain(files.iter().flat_map(|f| &f.errors))
            .any(|e| RUN_AGAIN_ERRORS.contains(&e.error_type.as_str()));
        if asks_to_run_again && job.attempt < MAX_JOB_ATTEMPTS {
            info!(
                recipient_id = %job.recipient_id,
                snapshot_job_id = %job.snapshot_job_id,
                "QuickSight asks for the job to be run again"
            );
            return Ok(FetchedResult {
                recipient_id: job.recipient_id.clone(),
                run_again: true,
                status: None,
                files: 0,
            });
        }

        let outcome = RecipientOutcome {
            recipient_id: job.recipient_id.clone(),
            status,
            snapshot_job_id: Some(job.snapshot_job_id.clone()),
            attempts: job.attempt,
            files,
            error,
            job_seconds: Some((now_epoch_seconds() as u64).saturating_sub(job.started_at)),
            bundle: None,
            issues: Vec::new(),
            recorded_at: format_rfc3339(now_epoch_seconds()),
        };
        record_outcome(store, announcer, &input.run, &outcome).await?;
        slots
            .release(
                &holder_of(&input.run.execution_id, &job.recipient_id),
                now_epoch_ms(),
            )
            .await?;
        info!(
            recipient_id = %outcome.recipient_id,
            snapshot_job_id = %job.snapshot_job_id,
            status = ?outcome.status,
            files = outcome.files.len(),
            file_errors = outcome.has_file_errors(),
            "snapshot job result fetched"
        );
        Ok(FetchedResult {
            recipient_id: outcome.recipient_id,
            run_again: false,
            status: Some(outcome.status),
            files: outcome.files.iter().map(|f| f.s3_uris.len()).sum(),
        })
    }
}
