//! `POST /exports/{id}/retry`: a new run of the failed recipients of a
//! finished run, from the same stored request.

use std::collections::HashSet;

use serde_json::json;

use super::submit::{accepted, made_up_run_id};
use super::{Api, ApiRequest, ApiResponse, Problem, check_run_id};
use crate::executions::Executions;
use crate::layout;
use crate::model::OutcomeStatus;
use crate::model::{Manifest, ManifestInput};
use crate::request_store::parse_request;
use crate::steps::Ports;
use crate::storage::ObjectStore;

impl<P: Ports> Api<P> {
    pub(super) async fn retry_run(
        &self,
        request: &ApiRequest,
        id: &str,
    ) -> Result<ApiResponse, Problem> {
        check_run_id(id, "run ID")?;
        let Some(execution) = self.executions.describe(id).await? else {
            return Err(Problem::run_not_found(id));
        };
        if execution.status == "RUNNING" {
            return Err(Problem::new(
                409,
                "RunStillRunning",
                format!("run {id:?} is still running; retry it once it has finished"),
            ));
        }
        let Some(place) = self.place_of(&execution).await? else {
            return Err(Problem::new(
                409,
                "NothingToRetry",
                format!("run {id:?} has no recipients"),
            ));
        };
        // The manifest as the outcomes say now (written again: cheap, and
        // right even for a run that stopped before writing it).
        let summary = self
            .steps
            .write_manifest(ManifestInput {
                bucket: place.bucket.clone(),
                run_prefix: place.run_prefix.clone(),
            })
            .await?;
        let object = self
            .steps
            .store
            .get(
                &place.bucket,
                &layout::manifest_key(&place.run_prefix),
                None,
            )
            .await?;
        let manifest: Manifest = serde_json::from_slice(&object.body)
            .map_err(|_| Problem::new(500, "InternalError", "the run's manifest cannot be read"))?;
        let failed: HashSet<&str> = manifest
            .recipients
            .iter()
            .filter(|e| e.status == OutcomeStatus::Failed)
            .map(|e| e.recipient_id.as_str())
            .collect();
        if failed.is_empty() {
            return Err(Problem::new(
                409,
                "NothingToRetry",
                format!(
                    "run {id:?} has no failed recipient ({} completed)",
                    summary.counts.completed
                ),
            ));
        }
        let stored = self
            .steps
            .store
            .get(&place.request.bucket, &place.request.key, None)
            .await?;
        if crate::request_store::request_kind(&stored.body).as_deref()
            == Some(crate::model::BACKUP_KIND)
        {
            return Err(Problem::new(
                409,
                "RetryNotSupported",
                format!("run {id:?} is an asset bundle backup; start the backup again instead"),
            ));
        }
        let mut retried = parse_request(&stored.body).map_err(|e| Problem::invalid_request(&e))?;
        retried
            .recipients
            .retain(|r| failed.contains(r.id.as_str()));
        let body = serde_json::to_vec_pretty(&retried).map_err(|_| {
            Problem::new(
                500,
                "InternalError",
                "the retried request cannot be written",
            )
        })?;

        let run_id = match request.header("idempotency-key").map(str::trim) {
            Some(key) => {
                check_run_id(key, "Idempotency-Key")?;
                key.to_string()
            }
            // A shorter base keeps the ID within 80 characters.
            None => made_up_run_id(&id.chars().take(36).collect::<String>()),
        };
        let (status, mut answer) = self.store_and_start(&run_id, &body).await?;
        answer["retry_of"] = json!(id);
        Ok(accepted(status, answer))
    }
}
