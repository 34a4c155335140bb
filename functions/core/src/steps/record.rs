//! Recording a recipient's outcome: one object per recipient, written once.
//!
//! Writes are create-only, so the first outcome known for a recipient is the
//! one kept: a retried step that finds its outcome already there succeeds
//! without changing it, and a failure recorded after a lost reply can never
//! replace a completed export.

use crate::steps::{Ports, Steps};
use serde_json::Value;
use tracing::{info, warn};

use crate::coordination::semaphore::holder_of;
use crate::delivery::Announcer;
use crate::error::ExportError;
use crate::events::EventSink;
use crate::layout;
use crate::model::{ErrorDetail, OutcomeStatus, RecipientOutcome, RecordFailureInput, RunRef};
use crate::storage::DownloadLinks;
use crate::storage::{ObjectStore, PutMode, StorageError};
use crate::time::{format_rfc3339, now_epoch_ms, now_epoch_seconds};

/// Whether this call wrote the outcome, or found one there already.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recorded {
    Written,
    AlreadyRecorded,
}

pub async fn record_outcome<S: ObjectStore + DownloadLinks, V: EventSink>(
    store: &S,
    announcer: &Announcer<V>,
    run: &RunRef,
    outcome: &RecipientOutcome,
) -> Result<Recorded, ExportError> {
    record_outcome_at(
        store,
        announcer,
        &run.bucket,
        &run.run_prefix,
        &run.run_id,
        outcome,
    )
    .await
}

/// [`record_outcome`] by the run's place rather than its reference. The
/// outcome kept (this one, or the one found there) is announced.
pub async fn record_outcome_at<S: ObjectStore + DownloadLinks, V: EventSink>(
    store: &S,
    announcer: &Announcer<V>,
    bucket: &str,
    run_prefix: &str,
    run_id: &str,
    outcome: &RecipientOutcome,
) -> Result<Recorded, ExportError> {
    let key = layout::outcome_key(run_prefix, &outcome.recipient_id);
    let body = serde_json::to_vec_pretty(outcome).expect("an outcome serializes");
    let recorded = match store
        .put_json(bucket, &key, body, PutMode::CreateOnly)
        .await
    {
        Ok(()) => {
            info!(
                run_id,
                recipient_id = %outcome.recipient_id,
                status = ?outcome.status,
                "outcome recorded"
            );
            Recorded::Written
        }
        Err(StorageError::ConditionFailed { .. }) => {
            warn!(
                run_id,
                recipient_id = %outcome.recipient_id,
                status = ?outcome.status,
                "an outcome was already recorded for this recipient; it is kept"
            );
            Recorded::AlreadyRecorded
        }
        Err(e) => return Err(e.into()),
    };
    // Announced every time (at least once): a retried step whose first try
    // wrote the outcome but failed to announce it announces it now.
    let kept = match recorded {
        Recorded::Written => outcome.clone(),
        Recorded::AlreadyRecorded => {
            let stored = store.get(bucket, &key, None).await?;
            serde_json::from_slice(&stored.body).map_err(|e| ExportError::MalformedInput {
                expected: "recorded outcome",
                detail: format!("s3://{bucket}/{key}: {e}"),
            })?
        }
    };
    announcer.outcome(store, bucket, run_id, &kept).await?;
    Ok(recorded)
}

impl<P: Ports> Steps<P> {
    /// `record-failure`: the state machine caught a failed step (or stopped
    /// polling at the deadline) and records the recipient as failed, with the
    /// job's ID when one was started; then its slot, if it had one, goes back.
    pub async fn record_failure(&self, input: RecordFailureInput) -> Result<Recorded, ExportError> {
        let (store, slots, announcer) = (&self.store, &self.slots, &self.announcer);
        let outcome = RecipientOutcome {
            recipient_id: input.recipient.id.clone(),
            status: OutcomeStatus::Failed,
            snapshot_job_id: input.job.as_ref().map(|j| j.snapshot_job_id.clone()),
            // Jobs started: this attempt's, if it got that far.
            attempts: if input.job.is_some() {
                input.attempt
            } else {
                input.attempt.saturating_sub(1)
            },
            files: Vec::new(),
            error: Some(ErrorDetail {
                error_type: input.failure.error.clone(),
                message: message_of_cause(input.failure.cause.as_deref().unwrap_or_default()),
            }),
            job_seconds: None,
            bundle: None,
            issues: Vec::new(),
            recorded_at: format_rfc3339(now_epoch_seconds()),
        };
        let recorded = record_outcome(store, announcer, &input.run, &outcome).await?;
        slots
            .release_kind(
                crate::coordination::SlotKind::of(input.run.kind),
                &holder_of(&input.run.execution_id, &input.recipient.id),
                now_epoch_ms(),
            )
            .await?;
        Ok(recorded)
    }
}

/// A Lambda error's Cause is its error payload as JSON; keep its message.
fn message_of_cause(cause: &str) -> String {
    serde_json::from_str::<Value>(cause)
        .ok()
        .and_then(|v| {
            v.get("errorMessage")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| cause.to_string())
}
