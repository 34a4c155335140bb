//! `prepare-run`: the first step of a run. Reads the stored request,
//! validates it in full (every problem at once, before any job starts),
//! claims the run's prefix for this execution, and writes the Map's items.

use serde::{Deserialize, Serialize};
use tracing::info;

use crate::error::ExportError;
use crate::job_id::readable;
use crate::layout;
use crate::model::BACKUP_KIND;
use crate::model::{
    DashboardRef, ExecutionRef, JobKind, ObjectRef, PinnedObject, PreparedRun, RecipientRef,
    RunRecord, RunRef,
};
use crate::quicksight::bundles::AssetBundles;
use crate::request_store::{parse_request, request_kind};
use crate::settings::{RunSettings, StackPlace};
use crate::storage::{ObjectStore, PutMode, StorageError};
use crate::time::{format_rfc3339, now_epoch_seconds};
use crate::validation::{
    FieldError, MAX_RUN_ID_CHARS, ValidationErrors, validate_request, validate_run_id,
};

/// What the state machine passes to the prepare step.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PrepareRunInput {
    /// Where the request is stored: the execution's input.
    pub request: ObjectRef,
    pub execution: ExecutionRef,
}

pub(super) fn refused(path: &str, message: String) -> ExportError {
    ExportError::InvalidRequest(ValidationErrors(vec![FieldError {
        path: path.to_string(),
        message,
    }]))
}

/// Prepares a run of either kind: an export request (dashboard snapshots)
/// or a backup request (`"kind": "asset_bundle_backup"`), told apart by
/// the stored request's `kind`.
pub async fn prepare_any<S: ObjectStore, Q: AssetBundles>(
    store: &S,
    quicksight: &Q,
    input: PrepareRunInput,
    settings: &RunSettings,
    stack: &StackPlace,
) -> Result<PreparedRun, ExportError> {
    let (body, etag) = read_stored(store, &input.request, &stack.export_bucket).await?;
    if request_kind(&body).as_deref() == Some(BACKUP_KIND) {
        return super::backup::prepare_backup(
            store, quicksight, &input, &body, etag, settings, stack,
        )
        .await;
    }
    prepare_export(store, input, &body, etag, settings, stack).await
}

/// Prepares a run of an export request.
pub async fn prepare_run<S: ObjectStore>(
    store: &S,
    input: PrepareRunInput,
    settings: &RunSettings,
    stack: &StackPlace,
) -> Result<PreparedRun, ExportError> {
    let (body, etag) = read_stored(store, &input.request, &stack.export_bucket).await?;
    prepare_export(store, input, &body, etag, settings, stack).await
}

/// The stored request's bytes and ETag, from the stack's bucket only.
pub(super) async fn read_stored<S: ObjectStore>(
    store: &S,
    location: &ObjectRef,
    export_bucket: &str,
) -> Result<(Vec<u8>, String), ExportError> {
    if location.bucket != export_bucket {
        return Err(refused(
            "(execution input) request.bucket",
            format!(
                "requests are read from the stack's export bucket {export_bucket:?}, got {:?}",
                location.bucket
            ),
        ));
    }
    let object = store
        .get(&location.bucket, &location.key, None)
        .await
        .map_err(|e| match e {
            StorageError::NotFound { bucket, key } => refused(
                "(execution input) request",
                format!("s3://{bucket}/{key} does not exist"),
            ),
            other => other.into(),
        })?;
    let etag = object.etag.clone().ok_or_else(|| {
        ExportError::UnexpectedResponse(format!(
            "S3 returned s3://{}/{} without an ETag",
            location.bucket, location.key
        ))
    })?;
    Ok((object.body, etag))
}

async fn prepare_export<S: ObjectStore>(
    store: &S,
    input: PrepareRunInput,
    body: &[u8],
    etag: String,
    settings: &RunSettings,
    stack: &StackPlace,
) -> Result<PreparedRun, ExportError> {
    let location = &input.request;
    let request = parse_request(body)?;
    validate_request(&request, stack.deployment())?;

    // Execution names may hold characters keys and job IDs may not.
    let run_id = readable(&input.execution.name, MAX_RUN_ID_CHARS);
    validate_run_id(&run_id)?;
    let destination = request
        .destination
        .as_ref()
        .expect("validate_request requires a destination");
    let run_prefix = layout::run_prefix(&destination.prefix, &run_id);
    let run = RunRef {
        kind: JobKind::DashboardSnapshot,
        run_id: run_id.clone(),
        execution_id: input.execution.id.clone(),
        bucket: stack.export_bucket.clone(),
        run_prefix: run_prefix.clone(),
        request: PinnedObject {
            bucket: location.bucket.clone(),
            key: location.key.clone(),
            etag,
        },
        recipients: request.recipients.len(),
        settings: settings.clone(),
    };
    let record = RunRecord {
        kind: JobKind::DashboardSnapshot,
        run_id: run_id.clone(),
        execution_id: run.execution_id.clone(),
        started_at: input
            .execution
            .started_at
            .clone()
            .unwrap_or_else(|| format_rfc3339(now_epoch_seconds())),
        description: request.description.clone(),
        dashboard: DashboardRef {
            account_id: request.account_id.clone(),
            region: request.region.clone(),
            dashboard_id: request.dashboard_id.clone(),
        },
        request: run.request.clone(),
        recipients: run.recipients,
        settings: settings.clone(),
    };
    claim_run(store, &run, &record).await?;

    let prepared = write_items(store, run, request.recipients.iter().map(|r| r.id.clone())).await?;
    info!(
        run_id = %run_id,
        dashboard_id = %request.dashboard_id,
        recipients = prepared.run.recipients,
        file_groups = request.file_groups.len(),
        "export request accepted"
    );
    Ok(prepared)
}

/// Writes the Map's item list (`index`, `id` of each item, in order) and
/// answers the prepared run: the last step of either kind's prepare.
pub(super) async fn write_items<S: ObjectStore>(
    store: &S,
    run: RunRef,
    ids: impl Iterator<Item = String>,
) -> Result<PreparedRun, ExportError> {
    let items: Vec<RecipientRef> = ids
        .enumerate()
        .map(|(index, id)| RecipientRef { index, id })
        .collect();
    let items_key = layout::items_key(&run.run_prefix);
    store
        .put_json(
            &run.bucket,
            &items_key,
            serde_json::to_vec(&items).expect("items serialize"),
            PutMode::Overwrite,
        )
        .await?;
    Ok(PreparedRun {
        items: ObjectRef {
            bucket: run.bucket.clone(),
            key: items_key,
        },
        map_results_prefix: layout::MAP_RESULTS_PREFIX.to_string(),
        run,
    })
}

/// Writes the run record once. Found there already: ours (a retried step)
/// is fine; another execution's means the run ID is taken.
pub(super) async fn claim_run<S: ObjectStore>(
    store: &S,
    run: &RunRef,
    record: &RunRecord,
) -> Result<(), ExportError> {
    let key = layout::run_record_key(&run.run_prefix);
    let body = serde_json::to_vec_pretty(record).expect("a run record serializes");
    match store
        .put_json(&run.bucket, &key, body, PutMode::CreateOnly)
        .await
    {
        Ok(()) => Ok(()),
        Err(StorageError::ConditionFailed { .. }) => {
            let existing = store.get(&run.bucket, &key, None).await?;
            let owner = serde_json::from_slice::<RunRecord>(&existing.body)
                .map(|r| r.execution_id)
                .unwrap_or_else(|_| "(unreadable run record)".to_string());
            if owner == run.execution_id {
                Ok(())
            } else {
                Err(ExportError::RunIdInUse {
                    run_id: run.run_id.clone(),
                    owner,
                    bucket: run.bucket.clone(),
                    key,
                })
            }
        }
        Err(e) => Err(e.into()),
    }
}
