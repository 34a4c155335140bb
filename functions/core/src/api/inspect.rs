//! `GET /exports/{id}` and `GET /exports`: what a run is doing and what it
//! has recorded, read from the execution and the outcome objects, with
//! download links made for this answer.

use futures_util::{StreamExt, TryStreamExt, stream};
use serde_json::{Value, json};

use super::{
    Api, ApiRequest, ApiResponse, MAX_RESPONSE_BODY_BYTES, Problem, check_run_id, enveloped_len,
    limit_of,
};
use crate::delivery::{link_for, outcome_with_links};
use crate::error::ExportError;
use crate::executions::{ExecutionInfo, Executions, STATUSES};
use crate::job_id::readable;
use crate::layout;
use crate::model::{ObjectRef, RecipientOutcome};
use crate::request_store::parse_request;
use crate::steps::Ports;
use crate::storage::{ObjectStore, StorageError};
use crate::validation::MAX_RUN_ID_CHARS;

/// Outcome objects read at once for one page.
const CONCURRENT_READS: usize = 16;

/// Where a run's objects are: the stored request names the prefix.
pub(super) struct RunPlace {
    pub bucket: String,
    pub run_prefix: String,
    pub request: ObjectRef,
    pub recipients: usize,
}

impl<P: Ports> Api<P> {
    /// The run's place from its execution's input, or `None` when the input
    /// is not a stored request's location (the run never started its work).
    pub(super) async fn place_of(
        &self,
        execution: &ExecutionInfo,
    ) -> Result<Option<RunPlace>, ExportError> {
        let Some(request) = execution
            .input
            .as_deref()
            .and_then(|i| serde_json::from_str::<ObjectRef>(i).ok())
        else {
            return Ok(None);
        };
        let stored = match self
            .steps
            .store
            .get(&request.bucket, &request.key, None)
            .await
        {
            Ok(stored) => stored,
            Err(StorageError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let Ok(parsed) = parse_request(&stored.body) else {
            return Ok(None);
        };
        let Some(destination) = parsed.destination.as_ref() else {
            return Ok(None);
        };
        Ok(Some(RunPlace {
            bucket: self.stack.export_bucket.clone(),
            run_prefix: layout::run_prefix(
                &destination.prefix,
                &readable(&execution.name, MAX_RUN_ID_CHARS),
            ),
            recipients: parsed.recipients.len(),
            request,
        }))
    }

    /// A download link for an `s3://` URI in the export bucket.
    pub(super) async fn link(&self, uri: &str) -> Result<Option<String>, Problem> {
        Ok(link_for(
            &self.steps.store,
            &self.stack.export_bucket,
            uri,
            self.steps.announcer.link_expiry,
        )
        .await?)
    }

    pub(super) async fn inspect_run(
        &self,
        request: &ApiRequest,
        id: &str,
    ) -> Result<ApiResponse, Problem> {
        check_run_id(id, "run ID")?;
        let limit = limit_of(request, 100, 1000)?;
        let Some(execution) = self.executions.describe(id).await? else {
            return Err(Problem::run_not_found(id));
        };
        let mut body = json!({
            "run_id": id,
            "status": execution.status,
            "started_at": execution.started_at,
            "stopped_at": execution.stopped_at,
        });
        if let Some(error) = &execution.error {
            body["error"] = json!({ "type": error, "message": execution.cause });
        }
        let Some(place) = self.place_of(&execution).await? else {
            body["recipients"] = json!([]);
            return Ok(ApiResponse::json(200, body));
        };
        let outcomes_prefix = layout::outcomes_prefix(&place.run_prefix);
        let recorded = self
            .steps
            .store
            .list(&place.bucket, &outcomes_prefix)
            .await?
            .len();
        let after = request
            .query("next_token")
            .map(|recipient| layout::outcome_key(&place.run_prefix, recipient));
        let page = self
            .steps
            .store
            .list_page(&place.bucket, &outcomes_prefix, after.as_deref(), limit)
            .await?;
        // Owned keys: see `steps::manifest` (rust#102211).
        let outcomes: Vec<RecipientOutcome> =
            stream::iter(page.keys.clone().into_iter().map(|key| {
                let bucket = &place.bucket;
                async move {
                    let object = self.steps.store.get(bucket, &key, None).await?;
                    serde_json::from_slice::<RecipientOutcome>(&object.body).map_err(|e| {
                        tracing::error!(%key, error = %e, "an outcome object cannot be read");
                        Problem::new(
                            500,
                            "InternalError",
                            "an outcome of this run cannot be read",
                        )
                    })
                }
            }))
            .buffered(CONCURRENT_READS)
            .try_collect()
            .await?;
        body["counts"] = json!({ "recipients": place.recipients, "recorded": recorded });
        let manifest_key = layout::manifest_key(&place.run_prefix);
        match self
            .steps
            .store
            .get(&place.bucket, &manifest_key, None)
            .await
        {
            Ok(object) => {
                if let Ok(manifest) = serde_json::from_slice::<Value>(&object.body) {
                    body["counts"] = manifest["counts"].clone();
                    body["counts"]["recorded"] = json!(recorded);
                }
                let uri = format!("s3://{}/{manifest_key}", place.bucket);
                body["manifest"] = json!({ "uri": uri, "download_url": self.link(&uri).await? });
            }
            Err(StorageError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        // The page ends where the answer would outgrow Lambda's response:
        // seven files of presigned links each, 1,000 recipients are ~10 MB.
        body["recipients"] = json!([]);
        body["next_token"] = json!("");
        let mut used = enveloped_len(&body);
        let mut recipients = Vec::with_capacity(outcomes.len());
        let mut cut_short = false;
        for outcome in &outcomes {
            let entry = outcome_with_links(
                &self.steps.store,
                &self.stack.export_bucket,
                outcome,
                self.steps.announcer.link_expiry,
            )
            .await?;
            // The entry, a comma, and the recipient ID in next_token.
            let size = enveloped_len(&entry) + 1 + outcome.recipient_id.len();
            if used + size > MAX_RESPONSE_BODY_BYTES && !recipients.is_empty() {
                cut_short = true;
                break;
            }
            used += size;
            recipients.push((outcome.recipient_id.clone(), entry));
        }
        let last = recipients.last().map(|(id, _)| id.clone());
        body["recipients"] = json!(recipients.into_iter().map(|(_, e)| e).collect::<Vec<_>>());
        match last {
            Some(last) if page.more || cut_short => body["next_token"] = json!(last),
            _ => {
                body.as_object_mut().map(|b| b.remove("next_token"));
            }
        }
        Ok(ApiResponse::json(200, body))
    }

    pub(super) async fn list_runs(&self, request: &ApiRequest) -> Result<ApiResponse, Problem> {
        let limit = limit_of(request, 20, 100)?;
        let status = match request.query("status") {
            None => None,
            Some(s) => {
                let upper = s.to_ascii_uppercase();
                if !STATUSES.contains(&upper.as_str()) {
                    return Err(Problem::new(
                        400,
                        "InvalidQuery",
                        format!("status must be one of {}", STATUSES.join(", ")),
                    ));
                }
                Some(upper)
            }
        };
        let page = self
            .executions
            .list(status.as_deref(), request.query("next_token"), limit as u32)
            .await?;
        let runs: Vec<Value> = page
            .executions
            .iter()
            .map(|e| {
                json!({
                    "run_id": e.name,
                    "status": e.status,
                    "started_at": e.started_at,
                    "stopped_at": e.stopped_at,
                    "status_url": format!("/exports/{}", e.name),
                })
            })
            .collect();
        let mut body = json!({ "runs": runs });
        if let Some(token) = page.next_token {
            body["next_token"] = json!(token);
        }
        Ok(ApiResponse::json(200, body))
    }
}
