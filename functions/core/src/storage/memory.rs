//! An in-memory [`ObjectStore`] for unit tests: objects in a map, ETags from
//! a counter, and failures scripted per call.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use super::{DownloadLinks, KeyPage, ObjectStore, PutMode, StorageError, StoredObject};

#[derive(Default)]
struct State {
    /// `(bucket, key)` -> (body, etag).
    objects: BTreeMap<(String, String), (Vec<u8>, String)>,
    next_etag: u64,
    scripted_errors: VecDeque<StorageError>,
    puts: usize,
    /// Bytes of query added to every download link.
    link_padding: usize,
}

#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Download links as long as presigned ones: a real link signed with a
    /// role's session token is about 1.4 KB, most of it the token.
    pub fn with_link_padding(self, bytes: usize) -> Self {
        self.state.lock().unwrap().link_padding = bytes;
        self
    }

    /// The next call fails with `error` (queued: several may be scripted).
    pub fn fail_next(&self, error: StorageError) {
        self.state.lock().unwrap().scripted_errors.push_back(error);
    }

    /// Stores an object as a test's starting point.
    pub fn insert(&self, bucket: &str, key: &str, body: impl Into<Vec<u8>>) -> String {
        let mut state = self.state.lock().unwrap();
        state.next_etag += 1;
        let etag = format!("\"etag-{}\"", state.next_etag);
        state.objects.insert(
            (bucket.to_string(), key.to_string()),
            (body.into(), etag.clone()),
        );
        etag
    }

    pub fn object(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        self.state
            .lock()
            .unwrap()
            .objects
            .get(&(bucket.to_string(), key.to_string()))
            .map(|(body, _)| body.clone())
    }

    /// The object parsed as JSON; panics when absent (tests only).
    pub fn json(&self, bucket: &str, key: &str) -> serde_json::Value {
        let body = self
            .object(bucket, key)
            .unwrap_or_else(|| panic!("no object s3://{bucket}/{key}"));
        serde_json::from_slice(&body).expect("a JSON object")
    }

    /// Every `(bucket, key)` stored, in order.
    pub fn keys(&self) -> Vec<(String, String)> {
        self.state.lock().unwrap().objects.keys().cloned().collect()
    }

    /// Writes attempted, including refused ones.
    pub fn puts(&self) -> usize {
        self.state.lock().unwrap().puts
    }

    fn scripted(&self) -> Result<std::sync::MutexGuard<'_, State>, StorageError> {
        let mut state = self.state.lock().unwrap();
        match state.scripted_errors.pop_front() {
            Some(error) => Err(error),
            None => Ok(state),
        }
    }
}

impl ObjectStore for MemoryStore {
    async fn get(
        &self,
        bucket: &str,
        key: &str,
        if_match: Option<&str>,
    ) -> Result<StoredObject, StorageError> {
        let state = self.scripted()?;
        let (body, etag) = state
            .objects
            .get(&(bucket.to_string(), key.to_string()))
            .ok_or_else(|| StorageError::NotFound {
                bucket: bucket.into(),
                key: key.into(),
            })?;
        if if_match.is_some_and(|wanted| wanted != etag) {
            return Err(StorageError::ConditionFailed {
                operation: "GetObject",
                bucket: bucket.into(),
                key: key.into(),
            });
        }
        Ok(StoredObject {
            body: body.clone(),
            etag: Some(etag.clone()),
        })
    }

    async fn put_json(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        mode: PutMode,
    ) -> Result<(), StorageError> {
        self.state.lock().unwrap().puts += 1;
        let mut state = self.scripted()?;
        let slot = (bucket.to_string(), key.to_string());
        if mode == PutMode::CreateOnly && state.objects.contains_key(&slot) {
            return Err(StorageError::ConditionFailed {
                operation: "PutObject",
                bucket: bucket.into(),
                key: key.into(),
            });
        }
        state.next_etag += 1;
        let etag = format!("\"etag-{}\"", state.next_etag);
        state.objects.insert(slot, (body, etag));
        Ok(())
    }

    async fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<String>, StorageError> {
        let state = self.scripted()?;
        Ok(state
            .objects
            .keys()
            .filter(|(b, k)| b == bucket && k.starts_with(prefix))
            .map(|(_, k)| k.clone())
            .collect())
    }

    async fn list_page(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<KeyPage, StorageError> {
        let mut keys = self.list(bucket, prefix).await?;
        keys.retain(|k| start_after.is_none_or(|after| k.as_str() > after));
        let more = keys.len() > limit;
        keys.truncate(limit);
        Ok(KeyPage { keys, more })
    }
}

impl DownloadLinks for MemoryStore {
    /// A link that says what it points at and for how long, for tests.
    async fn link(
        &self,
        bucket: &str,
        key: &str,
        expires_in: std::time::Duration,
    ) -> Result<String, StorageError> {
        let padding = self.state.lock().unwrap().link_padding;
        let mut link = format!(
            "https://{bucket}.example/{key}?expires-in={}",
            expires_in.as_secs()
        );
        if padding > 0 {
            link.push_str("&X-Amz-Security-Token=");
            link.extend(std::iter::repeat_n('T', padding));
        }
        Ok(link)
    }
}
