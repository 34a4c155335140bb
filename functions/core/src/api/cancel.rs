//! `DELETE /exports/{id}`: cancels a run, at any size.
//!
//! The answer comes at once: the cancel is written down
//! (`<run>/cancellation.json`), the execution stopped, and its slots given
//! back (the EventBridge reaper would free them too). Recording every
//! recipient without an outcome as cancelled and writing the manifest is
//! slower (10,000 outcomes), so it happens outside the API's 29 seconds:
//! the execution's ABORTED event reaches `finish-cancel`, which does it
//! many writes at a time ([`Api::finish_cancellation`]). It can be resumed
//! at any point: outcomes are written create-only, so an outcome recorded
//! before the stop is kept and one recorded twice is one. A `DELETE` on a
//! cancelled run whose cancellation is not finished finishes it (as much as
//! fits in its own time) instead of answering 409, and so does Lambda's
//! retry of the event.

use std::time::{Duration, Instant};

use futures_util::{StreamExt, stream};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tracing::info;

use super::{Api, ApiResponse, Problem, check_run_id};
use crate::error::ExportError;
use crate::error_name::ErrorName;
use crate::executions::{ExecutionInfo, Executions};
use crate::layout;
use crate::model::{Counts, ManifestInput};
use crate::model::{ErrorDetail, OutcomeStatus, RecipientOutcome, RecipientRef};
use crate::steps::Ports;
use crate::steps::record::record_outcome_at;
use crate::storage::{ObjectStore, PutMode, StorageError};
use crate::time::{format_rfc3339, now_epoch_ms, now_epoch_seconds};

/// Outcomes written at once while finishing a cancellation.
const CONCURRENT_WRITES: usize = 32;

/// How long a `DELETE` spends finishing a cancellation before it answers
/// (API Gateway gives up at 29 s).
const DELETE_BUDGET: Duration = Duration::from_secs(20);

/// `<run>/cancellation.json`: a cancel through the API, and when it was
/// finished (every recipient recorded, the manifest written).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct Cancellation {
    pub requested_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
}

/// Where a cancellation stands after one attempt at finishing it.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct CancelProgress {
    /// Recipients this attempt recorded as cancelled.
    pub cancelled: usize,
    /// Recipients still without an outcome (0 once finished).
    pub remaining: usize,
    /// The manifest, once every recipient has an outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<Counts>,
}

impl CancelProgress {
    pub fn finished(&self) -> bool {
        self.remaining == 0 && self.manifest_uri.is_some()
    }
}

fn cancelled_outcome(recipient_id: &str) -> RecipientOutcome {
    RecipientOutcome {
        recipient_id: recipient_id.to_string(),
        status: OutcomeStatus::Cancelled,
        snapshot_job_id: None,
        attempts: 0,
        files: Vec::new(),
        error: Some(ErrorDetail {
            error_type: ErrorName::Cancelled.as_str().to_string(),
            message: "the run was cancelled before this recipient had an outcome".into(),
        }),
        job_seconds: None,
        bundle: None,
        issues: Vec::new(),
        recorded_at: format_rfc3339(now_epoch_seconds()),
    }
}

impl<P: Ports> Api<P> {
    pub(super) async fn cancel_run(&self, id: &str) -> Result<ApiResponse, Problem> {
        check_run_id(id, "run ID")?;
        let Some(execution) = self.executions.describe(id).await? else {
            return Err(Problem::run_not_found(id));
        };
        if execution.status == "RUNNING" {
            return self.stop_run(id, &execution).await;
        }
        // Stopped by a cancel whose recording is not finished: finish it.
        if let Some(place) = self.place_of(&execution).await?
            && let Some(cancellation) = self.cancellation(&place.bucket, &place.run_prefix).await?
            && cancellation.finished_at.is_none()
        {
            let progress = self
                .finish_at(
                    id,
                    &place.bucket,
                    &place.run_prefix,
                    Instant::now() + DELETE_BUDGET,
                )
                .await?;
            let status = if progress.finished() { 200 } else { 202 };
            let body = json!({
                "run_id": id,
                "status": execution.status,
                "cancellation": if progress.finished() { "finished" } else { "in_progress" },
                "progress": progress,
                "status_url": format!("/exports/{id}"),
            });
            return Ok(ApiResponse::json(status, body));
        }
        Err(Problem::new(
            409,
            "RunNotRunning",
            format!("run {id:?} is {} already", execution.status),
        ))
    }

    /// Writes the cancel down, stops the execution, frees its slots, and
    /// answers: the rest happens outside this call.
    async fn stop_run(&self, id: &str, execution: &ExecutionInfo) -> Result<ApiResponse, Problem> {
        let place = self.place_of(execution).await?;
        if let Some(place) = &place {
            let record = Cancellation {
                requested_at: format_rfc3339(now_epoch_seconds()),
                finished_at: None,
            };
            // Create-only: a second DELETE while the stop takes effect
            // keeps the first record, and with it a cancellation already
            // finished.
            match self
                .steps
                .store
                .put_json(
                    &place.bucket,
                    &layout::cancellation_key(&place.run_prefix),
                    serde_json::to_vec(&record).expect("a cancellation serializes"),
                    PutMode::CreateOnly,
                )
                .await
            {
                Ok(()) | Err(StorageError::ConditionFailed { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        self.executions
            .stop(
                id,
                ErrorName::Cancelled.as_str(),
                "cancelled through the API",
            )
            .await?;
        let reaped = self
            .steps
            .slots
            .reap(&execution.arn, now_epoch_ms())
            .await?;
        info!(
            run_id = id,
            slots = reaped.leases,
            "run stopped by a cancel"
        );
        let body = json!({
            "run_id": id,
            "status": "ABORTED",
            "slots_released": reaped.leases,
            // Nothing to record for a run stopped before its work began.
            "cancellation": if place.is_some() { "in_progress" } else { "finished" },
            "status_url": format!("/exports/{id}"),
        });
        Ok(ApiResponse::json(202, body))
    }

    async fn cancellation(
        &self,
        bucket: &str,
        run_prefix: &str,
    ) -> Result<Option<Cancellation>, StorageError> {
        match self
            .steps
            .store
            .get(bucket, &layout::cancellation_key(run_prefix), None)
            .await
        {
            Ok(object) => Ok(serde_json::from_slice(&object.body).ok()),
            Err(StorageError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `finish-cancel`'s input: the EventBridge event of an execution's
    /// status change (the template's rule passes ABORTED ones only).
    pub async fn on_execution_stopped(
        &self,
        payload: serde_json::Value,
        deadline: Instant,
    ) -> Result<serde_json::Value, ExportError> {
        let event: crate::model::ExecutionStatusChange = crate::input::parse(
            payload,
            "Step Functions Execution Status Change event (detail.executionArn, detail.status)",
        )?;
        // `arn:...:execution:<state machine>:<name>`: the name is the run ID.
        let run_id = event
            .detail
            .execution_arn
            .rsplit(':')
            .next()
            .unwrap_or_default()
            .to_string();
        if event.detail.status != "ABORTED" {
            return Ok(json!({ "run_id": run_id, "skipped": "not stopped" }));
        }
        Ok(match self.finish_cancellation(&run_id, deadline).await? {
            Some(progress) => json!({ "run_id": run_id, "finished": progress }),
            None => {
                json!({ "run_id": run_id, "skipped": "not cancelled through the API, or finished already" })
            }
        })
    }

    /// Finishes the cancellation of the run named `run_id` as far as
    /// `deadline` allows: what `finish-cancel` runs on the execution's
    /// ABORTED event. A run not cancelled through the API (stopped in the
    /// console, failed) is left as it is: `Ok(None)`. Unfinished at the
    /// deadline, the error says how many are left, and the next attempt
    /// goes on from there.
    pub async fn finish_cancellation(
        &self,
        run_id: &str,
        deadline: Instant,
    ) -> Result<Option<CancelProgress>, ExportError> {
        let Some(execution) = self.executions.describe(run_id).await? else {
            return Ok(None);
        };
        let Some(place) = self.place_of(&execution).await? else {
            return Ok(None);
        };
        if self
            .cancellation(&place.bucket, &place.run_prefix)
            .await?
            .is_none_or(|c| c.finished_at.is_some())
        {
            return Ok(None);
        }
        let progress = self
            .finish_at(run_id, &place.bucket, &place.run_prefix, deadline)
            .await?;
        if !progress.finished() {
            return Err(ExportError::CancellationIncomplete {
                run_id: run_id.to_string(),
                remaining: progress.remaining,
            });
        }
        Ok(Some(progress))
    }

    /// Records every recipient without an outcome as cancelled, many at a
    /// time, until `deadline`; then, with none left, writes the manifest
    /// and marks the cancellation finished.
    async fn finish_at(
        &self,
        run_id: &str,
        bucket: &str,
        run_prefix: &str,
        deadline: Instant,
    ) -> Result<CancelProgress, ExportError> {
        let items: Vec<RecipientRef> = match self
            .steps
            .store
            .get(bucket, &layout::items_key(run_prefix), None)
            .await
        {
            Ok(object) => serde_json::from_slice(&object.body).unwrap_or_default(),
            // Stopped before it listed its recipients: none was reached.
            Err(StorageError::NotFound { .. }) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        let recorded: std::collections::HashSet<String> = self
            .steps
            .store
            .list(bucket, &layout::outcomes_prefix(run_prefix))
            .await?
            .iter()
            .filter_map(|k| layout::recipient_of_outcome_key(run_prefix, k))
            .map(str::to_string)
            .collect();
        // Owned IDs: see `steps::manifest` (rust#102211).
        let unfinished: Vec<String> = items
            .into_iter()
            .map(|i| i.id)
            .filter(|id| !recorded.contains(id))
            .collect();
        let mut progress = CancelProgress {
            remaining: unfinished.len(),
            ..CancelProgress::default()
        };
        // New writes start until the deadline (the first batch always);
        // the ones started then all finish, so that no outcome is left
        // written but unannounced.
        let started = stream::iter(unfinished.into_iter().enumerate())
            .take_while(|(i, _)| {
                std::future::ready(*i < CONCURRENT_WRITES || Instant::now() < deadline)
            })
            .map(|(_, recipient_id)| async move {
                let outcome = cancelled_outcome(&recipient_id);
                record_outcome_at(
                    &self.steps.store,
                    &self.steps.announcer,
                    bucket,
                    run_prefix,
                    run_id,
                    &outcome,
                )
                .await
            });
        let mut writes = started.buffer_unordered(CONCURRENT_WRITES);
        while let Some(written) = writes.next().await {
            written?;
            progress.cancelled += 1;
            progress.remaining -= 1;
        }
        drop(writes);
        if progress.remaining > 0 {
            info!(
                run_id,
                remaining = progress.remaining,
                "cancellation goes on later"
            );
            return Ok(progress);
        }
        let summary = self
            .steps
            .write_manifest(ManifestInput {
                bucket: bucket.to_string(),
                run_prefix: run_prefix.to_string(),
            })
            .await?;
        if let Some(mut record) = self.cancellation(bucket, run_prefix).await? {
            record.finished_at = Some(format_rfc3339(now_epoch_seconds()));
            self.steps
                .store
                .put_json(
                    bucket,
                    &layout::cancellation_key(run_prefix),
                    serde_json::to_vec(&record).expect("a cancellation serializes"),
                    PutMode::Overwrite,
                )
                .await?;
        }
        info!(
            run_id,
            cancelled = progress.cancelled,
            "cancellation finished"
        );
        progress.manifest_uri = Some(summary.manifest_uri);
        progress.counts = Some(summary.counts);
        Ok(progress)
    }
}
