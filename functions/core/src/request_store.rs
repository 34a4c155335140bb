//! The stored export request: read from the export bucket, parsed with field
//! paths, and pinned to the content that was validated.
//!
//! Every `start-job` reads its recipient's tags and the parameters from here,
//! so no value ever travels through the state machine. A warm function keeps
//! the last few requests it read, keyed by bucket, key and ETag: a run of
//! thousands reads its request once per function instance, not once per
//! recipient.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::error::ExportError;
use crate::input::parse_at_path;
use crate::job_id;
use crate::model::{ExportRequest, PinnedObject};
use crate::storage::{ObjectStore, StorageError};
use crate::validation::{FieldError, MAX_REQUEST_BYTES, ValidationErrors};

/// A request as stored, parsed, with the digest of its bytes.
#[derive(Debug)]
pub struct StoredRequest {
    pub request: ExportRequest,
    /// SHA-256 of the stored bytes: job IDs are bound to it.
    pub digest: [u8; 32],
}

/// The `kind` a stored request names, when it names one (a backup request
/// does; an export request need not).
pub fn request_kind(bytes: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(bytes).ok()?;
    value.get("kind")?.as_str().map(str::to_string)
}

/// Parses stored bytes as an export request. A problem is reported the way
/// validation reports one: at its field path, without any sensitive value.
pub fn parse_request(bytes: &[u8]) -> Result<ExportRequest, ValidationErrors> {
    parse_stored(bytes)
}

/// A stored backup request, parsed with the same size limit and field-path
/// errors as [`parse_request`].
pub fn parse_backup_request(bytes: &[u8]) -> Result<crate::model::BackupRequest, ValidationErrors> {
    parse_stored(bytes)
}

fn parse_stored<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ValidationErrors> {
    let refuse = |path: &str, message: String| {
        ValidationErrors(vec![FieldError {
            path: path.to_string(),
            message,
        }])
    };
    if bytes.len() > MAX_REQUEST_BYTES {
        return Err(refuse(
            "(request)",
            format!(
                "is {} bytes; a request is at most {MAX_REQUEST_BYTES} bytes",
                bytes.len()
            ),
        ));
    }
    // serde_json's syntax errors give a line and column, never the text.
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| refuse("(request)", format!("is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(refuse("(request)", "must be a JSON object".to_string()));
    }
    parse_at_path::<T>(value)
        .map_err(|(path, message)| refuse(path.as_deref().unwrap_or("(request)"), message))
}

/// How many parsed requests one function instance keeps.
const CACHED_REQUESTS: usize = 4;

/// Reads stored requests through a small per-instance cache.
#[derive(Default)]
pub struct RequestReader {
    cache: Mutex<VecDeque<(PinnedObject, Arc<StoredRequest>)>>,
}

impl RequestReader {
    pub fn new() -> Self {
        Self::default()
    }

    /// The request at `pinned`, only if its content is still the validated
    /// one (`If-Match` on the ETag): `Export.RequestChanged` otherwise.
    pub async fn read<S: ObjectStore>(
        &self,
        store: &S,
        pinned: &PinnedObject,
    ) -> Result<Arc<StoredRequest>, ExportError> {
        if let Some(found) = self.cached(pinned) {
            return Ok(found);
        }
        let object = store
            .get(&pinned.bucket, &pinned.key, Some(&pinned.etag))
            .await
            .map_err(|e| match e {
                StorageError::ConditionFailed { bucket, key, .. } => {
                    ExportError::RequestChanged { bucket, key }
                }
                other => ExportError::Storage(other),
            })?;
        let request = parse_request(&object.body).map_err(ExportError::InvalidRequest)?;
        let stored = Arc::new(StoredRequest {
            request,
            digest: job_id::digest(&object.body),
        });
        let mut cache = self.cache.lock().unwrap();
        if cache.len() == CACHED_REQUESTS {
            cache.pop_front();
        }
        cache.push_back((pinned.clone(), stored.clone()));
        Ok(stored)
    }

    fn cached(&self, pinned: &PinnedObject) -> Option<Arc<StoredRequest>> {
        let cache = self.cache.lock().unwrap();
        cache
            .iter()
            .find(|(p, _)| p == pinned)
            .map(|(_, r)| r.clone())
    }
}
