//! `start-job`: reads one recipient's tags and the parameters from the
//! stored request and starts its snapshot job, under an ID that belongs to
//! this submission alone.

use serde_json::json;
use tracing::info;

use crate::error::{ApiError, ExportError};
use crate::error_name::ErrorName;
use crate::job_id::{JobBinding, snapshot_job_id};
use crate::layout;
use crate::model::{JobHandle, Recipient, StartJobInput};
use crate::quicksight::{JobRef, SnapshotJobSpec, SnapshotJobs};
use crate::redact::SecretValues;
use crate::request_store::RequestReader;
use crate::settings::MAX_JOB_ATTEMPTS;
use crate::storage::ObjectStore;
use crate::time::now_epoch_seconds;
use crate::validation::validate_job;

/// Starts one recipient's job. A retried call finds the job it already
/// started (same ID) and adopts it after checking it is the same job.
pub async fn start_job<Q: SnapshotJobs, S: ObjectStore>(
    quicksight: &Q,
    store: &S,
    requests: &RequestReader,
    input: StartJobInput,
) -> Result<JobHandle, ExportError> {
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
        Err(e) => return Err(redacted(e, &secrets).into()),
    };
    let now = now_epoch_seconds() as u64;
    let settings = &run.settings;
    let timeout = u64::from(settings.job_timeout_seconds);
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
        deadline: now + timeout,
        check_in_seconds: u64::from(settings.first_poll_seconds).min(timeout),
        already_started,
    })
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
