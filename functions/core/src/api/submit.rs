//! `POST /exports`: validate, store, start. The run's ID is the
//! `Idempotency-Key` (or one made up): the same submission twice starts one
//! run and answers it both times; the same key with another body is a 409.

use serde_json::{Value, json};
use tracing::info;

use super::{Api, ApiRequest, ApiResponse, Problem, check_run_id};
use crate::executions::{Executions, Started};
use crate::request_store::parse_request;
use crate::steps::Ports;
use crate::storage::{ObjectStore, PutMode, StorageError};
use crate::validation::validate_request;

/// Where the API stores what it is sent: one object per run ID.
pub fn request_key(run_id: &str) -> String {
    format!("requests/api/{run_id}.json")
}

/// A run ID for a submission without an Idempotency-Key.
pub fn made_up_run_id(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

impl<P: Ports> Api<P> {
    pub(super) async fn submit(&self, request: &ApiRequest) -> Result<ApiResponse, Problem> {
        let run_id = match request.header("idempotency-key").map(str::trim) {
            Some(key) => {
                check_run_id(key, "Idempotency-Key")?;
                key.to_string()
            }
            None => made_up_run_id("api"),
        };
        if request.body.len() > super::MAX_API_BODY_BYTES {
            return Err(Problem::new(
                413,
                "RequestTooLarge",
                format!(
                    "the request is {} bytes; POST /exports takes at most {} (what fits Lambda's 6 MB event whatever the body holds). Store a larger request, up to {} bytes, in the export bucket and start an execution with its location",
                    request.body.len(),
                    super::MAX_API_BODY_BYTES,
                    crate::validation::MAX_REQUEST_BYTES
                ),
            ));
        }
        let (status, body) = self.store_and_start(&run_id, &request.body).await?;
        Ok(accepted(status, body))
    }

    /// Validates `body` as an export request, stores it under the run's
    /// ID (once: a repeat must be the same request) and starts the run.
    pub(super) async fn store_and_start(
        &self,
        run_id: &str,
        body: &[u8],
    ) -> Result<(u16, Value), Problem> {
        let request = parse_request(body).map_err(|e| Problem::invalid_request(&e))?;
        validate_request(&request, self.stack.deployment())
            .map_err(|e| Problem::invalid_request(&e))?;

        let key = request_key(run_id);
        let conflict = || {
            Problem::new(
                409,
                "IdempotencyConflict",
                format!("run {run_id:?} was submitted with another request"),
            )
        };
        let stored_before = match self
            .steps
            .store
            .put_json(
                &self.stack.export_bucket,
                &key,
                body.to_vec(),
                PutMode::CreateOnly,
            )
            .await
        {
            Ok(()) => false,
            Err(StorageError::ConditionFailed { .. }) => {
                let stored = self
                    .steps
                    .store
                    .get(&self.stack.export_bucket, &key, None)
                    .await?;
                let same = serde_json::from_slice::<Value>(&stored.body).ok()
                    == serde_json::from_slice::<Value>(body).ok();
                if !same {
                    return Err(conflict());
                }
                true
            }
            Err(e) => return Err(e.into()),
        };

        let input = json!({ "bucket": self.stack.export_bucket, "key": key }).to_string();
        // Step Functions answers a start of a running execution with the
        // same name and input as it answered the first (no error), and one
        // that has finished with ExecutionAlreadyExists.
        let replayed = match self.executions.start(run_id, input.clone()).await? {
            Started::New { .. } => stored_before,
            Started::AlreadyExists => {
                // Ours, from an earlier call with this key, or someone else's.
                let existing = self.executions.describe(run_id).await?;
                let ours = existing
                    .as_ref()
                    .and_then(|e| e.input.as_deref())
                    .and_then(|i| serde_json::from_str::<Value>(i).ok())
                    == serde_json::from_str::<Value>(&input).ok();
                if !ours {
                    return Err(conflict());
                }
                true
            }
        };
        let status = match self.executions.describe(run_id).await? {
            Some(e) => e.status,
            None => "RUNNING".to_string(),
        };
        info!(
            run_id,
            recipients = request.recipients.len(),
            replayed,
            "export submitted"
        );
        Ok((
            202,
            json!({
                "run_id": run_id,
                "status": status,
                "recipients": request.recipients.len(),
                "replayed": replayed,
                "status_url": format!("/exports/{run_id}"),
            }),
        ))
    }
}

pub(super) fn accepted(status: u16, body: Value) -> ApiResponse {
    let mut response = ApiResponse::json(status, body);
    if let Some(url) = response.body["status_url"].as_str() {
        response.headers.push(("location".into(), url.to_string()));
    }
    response
}
