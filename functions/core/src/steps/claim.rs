//! What either kind's prepare does alike: reading the stored request from
//! the stack's bucket, refusing it at a field, claiming the run's prefix for
//! this execution, and writing the Map's items.

use crate::error::ExportError;
use crate::layout;
use crate::model::{ObjectRef, PreparedRun, RecipientRef, RunRecord, RunRef};
use crate::storage::{ObjectStore, PutMode, StorageError};
use crate::validation::{FieldError, ValidationErrors};

pub fn refused(path: &str, message: String) -> ExportError {
    ExportError::InvalidRequest(ValidationErrors(vec![FieldError {
        path: path.to_string(),
        message,
    }]))
}

/// The stored request's bytes and ETag, from the stack's bucket only.
pub async fn read_stored<S: ObjectStore>(
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

/// Writes the Map's item list (`index`, `id` of each item, in order) and
/// answers the prepared run: the last step of either kind's prepare.
pub async fn write_items<S: ObjectStore>(
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
pub async fn claim_run<S: ObjectStore>(
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
