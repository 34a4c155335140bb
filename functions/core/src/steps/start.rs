//! `start-job`: reads one recipient's tags and the parameters from the
//! stored request and starts its snapshot job, under an ID that belongs to
//! this submission alone.

use crate::steps::{Ports, Steps};
use serde_json::json;
use tracing::{info, warn};

use super::deadline::{ensure_before, refusal_until};
use crate::coordination::{DurationLog, dashboard_key};
use crate::error::ExportError;
use crate::error_name::ErrorName;
use crate::job_id::{JobBinding, snapshot_job_id};
use crate::layout;
use crate::model::{JobHandle, Recipient, StartJobInput};
use crate::pacing::{RECENT_JOBS, expected_seconds, first_check_seconds};
use crate::quicksight::ApiError;
use crate::quicksight::{JobRef, SnapshotJobSpec, SnapshotJobs};
use crate::redact::SecretValues;
use crate::settings::MAX_JOB_ATTEMPTS;
use crate::time::now_epoch_seconds;
use crate::validation::validate_job;

impl<P: Ports> Steps<P> {
    /// Starts one recipient's job. A retried call finds the job it already
    /// started (same ID) and adopts it after checking it is the same job. The
    /// first check is timed from how long recent jobs of the dashboard took.
    pub async fn start_snapshot_job(&self, input: StartJobInput) -> Result<JobHandle, ExportError> {
        let (quicksight, store, requests, durations) = (
            &self.quicksight,
            &self.store,
            &self.requests,
            &self.durations,
        );
        if !(1..=MAX_JOB_ATTEMPTS).contains(&input.attempt) {
            return Err(ExportError::MalformedInput {
                expected: "start-job input",
                detail: format!(
                    "attempt must be 1-{MAX_JOB_ATTEMPTS}, got {}",
                    input.attempt
                ),
            });
        }
        let run = &input.run;
        let settings = &run.settings;
        let deadline = input.slot.granted_at + u64::from(settings.job_timeout_seconds);
        ensure_before(deadline, now_epoch_seconds() as u64, "the job's start")?;
        let stored = requests.read(store, &run.request).await?;
        let request = &stored.request;
        let recipient = recipient_at(
            &request.recipients,
            &input.recipient.id,
            input.recipient.index,
        )?;
        validate_job(request, recipient)?;
        let destination = request
            .destination
            .as_ref()
            .expect("validate_job requires a destination");

        let mut spec = SnapshotJobSpec {
            job: JobRef {
                account_id: request.account_id.clone(),
                region: request.region.clone(),
                dashboard_id: request.dashboard_id.clone(),
                snapshot_job_id: String::new(),
            },
            file_groups: &request.file_groups,
            bucket: &destination.bucket,
            bucket_prefix: layout::files_prefix(&run.run_prefix, &recipient.id),
            bucket_region: &destination.region,
            parameters: request.parameters.as_ref(),
            rls_tags: recipient.rls_tags.as_deref(),
        };
        spec.job.snapshot_job_id = snapshot_job_id(
            &run.run_id,
            &recipient.id,
            &JobBinding {
                execution_id: &run.execution_id,
                attempt: input.attempt,
                request_digest: &stored.digest,
                spec: &spec_bytes(&spec),
            },
        );

        let secrets = SecretValues::of_job(request.parameters.as_ref(), recipient);
        let already_started = match quicksight.start(&spec).await {
            Ok(_) => false,
            Err(e) if e.is(ErrorName::ResourceExists) => {
                adopt(quicksight, &spec).await?;
                true
            }
            // QuickSight's message may quote a value it refused.
            Err(e) => {
                return Err(refusal_until(
                    deadline,
                    now_epoch_seconds() as u64,
                    redacted(e, &secrets),
                ));
            }
        };
        let now = now_epoch_seconds() as u64;
        let dashboard = dashboard_key(
            &spec.job.account_id,
            &spec.job.region,
            &spec.job.dashboard_id,
        );
        let expected = expected_duration(durations, &dashboard).await;
        info!(
            run_id = %run.run_id,
            recipient_id = %recipient.id,
            snapshot_job_id = %spec.job.snapshot_job_id,
            attempt = input.attempt,
            already_started,
            "snapshot job started"
        );
        Ok(JobHandle {
            recipient_id: recipient.id.clone(),
            recipient_index: input.recipient.index,
            account_id: spec.job.account_id,
            region: spec.job.region,
            dashboard_id: spec.job.dashboard_id,
            snapshot_job_id: spec.job.snapshot_job_id,
            attempt: input.attempt,
            started_at: now,
            deadline,
            check_in_seconds: first_check_seconds(expected, settings, deadline.saturating_sub(now)),
            already_started,
        })
    }
}

/// How long recent jobs of the dashboard took, when the log can say: a
/// log that cannot answer costs the estimate, never the job.
pub async fn expected_duration<D: DurationLog>(durations: &D, dashboard: &str) -> Option<f64> {
    match durations.recent(dashboard, RECENT_JOBS).await {
        Ok(recent) => expected_seconds(&recent),
        Err(e) => {
            warn!(error = %e, "recent job durations unavailable; polling at the run's settings");
            None
        }
    }
}

/// The recipient the Map item names: at its index, with its ID.
fn recipient_at<'a>(
    recipients: &'a [Recipient],
    id: &str,
    index: usize,
) -> Result<&'a Recipient, ExportError> {
    recipients
        .get(index)
        .filter(|r| r.id == id)
        .ok_or_else(|| ExportError::MalformedInput {
            expected: "start-job input",
            detail: format!("the stored request has no recipient {id:?} at index {index}"),
        })
}

/// The job's spec as bytes, values included, for the job ID's binding.
/// serde_json's maps are sorted, so the bytes are stable.
fn spec_bytes(spec: &SnapshotJobSpec<'_>) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "account_id": spec.job.account_id,
        "region": spec.job.region,
        "dashboard_id": spec.job.dashboard_id,
        "file_groups": spec.file_groups,
        "bucket": spec.bucket,
        "bucket_prefix": spec.bucket_prefix,
        "bucket_region": spec.bucket_region,
        "parameters": spec.parameters,
        "rls_tags": spec.rls_tags,
    }))
    .expect("a JSON value serializes")
}

/// A job with our ID exists: ours from an earlier attempt of this very call,
/// unless QuickSight describes another job (then it is never adopted).
async fn adopt<Q: SnapshotJobs>(
    quicksight: &Q,
    spec: &SnapshotJobSpec<'_>,
) -> Result<(), ExportError> {
    let description = quicksight.describe(&spec.job).await?;
    let expected = spec.configuration_summary();
    match description.configuration {
        Some(found) if found == expected => Ok(()),
        found => Err(ExportError::JobIdConflict {
            snapshot_job_id: spec.job.snapshot_job_id.clone(),
            detail: format!("expected {expected:?}, QuickSight describes {found:?}"),
        }),
    }
}

fn redacted(error: ApiError, secrets: &SecretValues) -> ApiError {
    ApiError {
        message: secrets.redact(&error.message),
        ..error
    }
}
