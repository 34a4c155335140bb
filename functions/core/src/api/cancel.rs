//! `DELETE /exports/{id}`: stops the run. The outcomes recorded so far are
//! kept (they are written create-only), every recipient without one is
//! recorded as cancelled, the run's slots go back at once (the EventBridge
//! reaper would free them too), and the manifest is written.

use std::time::Duration;

use serde_json::json;
use tracing::info;

use super::{Api, ApiResponse, Problem, check_run_id};
use crate::callbacks::TaskCallbacks;
use crate::coordination::SlotTable;
use crate::error_name::ErrorName;
use crate::events::EventSink;
use crate::executions::Executions;
use crate::layout;
use crate::model::{ErrorDetail, OutcomeStatus, RecipientOutcome, RecipientRef};
use crate::steps::manifest::{ManifestInput, write_manifest};
use crate::steps::record::record_outcome_at;
use crate::storage::{DownloadLinks, ObjectStore, StorageError};
use crate::time::{format_rfc3339, now_epoch_ms, now_epoch_seconds};

/// How long a cancel waits for the execution to stop before it records.
const STOP_WAIT: Duration = Duration::from_secs(10);

impl<E, S, T, C, V> Api<E, S, T, C, V>
where
    E: Executions,
    S: ObjectStore + DownloadLinks,
    T: SlotTable,
    C: TaskCallbacks,
    V: EventSink,
{
    pub(super) async fn cancel_run(&self, id: &str) -> Result<ApiResponse, Problem> {
        check_run_id(id, "run ID")?;
        let Some(execution) = self.executions.describe(id).await? else {
            return Err(Problem::run_not_found(id));
        };
        if execution.status != "RUNNING" {
            return Err(Problem::new(
                409,
                "RunNotRunning",
                format!("run {id:?} is {} already", execution.status),
            ));
        }
        self.executions
            .stop(
                id,
                ErrorName::Cancelled.as_str(),
                "cancelled through the API",
            )
            .await?;
        // Its steps stop with it; an outcome being written as it stops is
        // kept, as the ones written after cannot replace it.
        let began = std::time::Instant::now();
        let mut status = "RUNNING".to_string();
        while began.elapsed() < STOP_WAIT {
            status = self
                .executions
                .describe(id)
                .await?
                .map_or_else(|| "ABORTED".to_string(), |e| e.status);
            if status != "RUNNING" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let reaped = self.slots.reap(&execution.arn, now_epoch_ms()).await?;

        let mut body = json!({ "run_id": id, "status": status, "slots_released": reaped.leases });
        let Some(place) = self.place_of(&execution).await? else {
            return Ok(ApiResponse::json(200, body));
        };
        let items: Vec<RecipientRef> = match self
            .store
            .get(&place.bucket, &layout::items_key(&place.run_prefix), None)
            .await
        {
            Ok(object) => serde_json::from_slice(&object.body).unwrap_or_default(),
            // Stopped before it listed its recipients: none was reached.
            Err(StorageError::NotFound { .. }) => return Ok(ApiResponse::json(200, body)),
            Err(e) => return Err(e.into()),
        };
        let recorded: std::collections::HashSet<String> = self
            .store
            .list(&place.bucket, &layout::outcomes_prefix(&place.run_prefix))
            .await?
            .iter()
            .filter_map(|k| layout::recipient_of_outcome_key(&place.run_prefix, k))
            .map(str::to_string)
            .collect();
        let mut cancelled = 0;
        for item in items.iter().filter(|i| !recorded.contains(&i.id)) {
            let outcome = RecipientOutcome {
                recipient_id: item.id.clone(),
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
            };
            record_outcome_at(
                &self.store,
                &self.announcer,
                &place.bucket,
                &place.run_prefix,
                id,
                &outcome,
            )
            .await?;
            cancelled += 1;
        }
        let summary = write_manifest(
            &self.store,
            &self.announcer,
            ManifestInput {
                bucket: place.bucket.clone(),
                run_prefix: place.run_prefix.clone(),
            },
        )
        .await?;
        info!(run_id = id, cancelled, "run cancelled");
        body["cancelled"] = json!(cancelled);
        body["counts"] = json!(summary.counts);
        body["manifest"] = json!({ "uri": summary.manifest_uri });
        Ok(ApiResponse::json(200, body))
    }
}
