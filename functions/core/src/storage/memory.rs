//! An in-memory [`ObjectStore`] for unit tests: objects in a map, and
//! failures scripted per call.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use super::ObjectStore;
use crate::error::ExportError;

#[derive(Default)]
struct State {
    /// `(bucket, key)` -> body.
    objects: BTreeMap<(String, String), Vec<u8>>,
    scripted_errors: VecDeque<ExportError>,
}

#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// The next call fails with `error` (queued: several may be scripted).
    pub fn fail_next(&self, error: ExportError) {
        self.state.lock().unwrap().scripted_errors.push_back(error);
    }

    pub fn object(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        self.state
            .lock()
            .unwrap()
            .objects
            .get(&(bucket.to_string(), key.to_string()))
            .cloned()
    }

    /// Every `(bucket, key)` stored, in order.
    pub fn keys(&self) -> Vec<(String, String)> {
        self.state.lock().unwrap().objects.keys().cloned().collect()
    }
}

impl ObjectStore for MemoryStore {
    async fn put_json(
        &self,
        bucket: &str,
        _region: &str,
        key: &str,
        body: Vec<u8>,
    ) -> Result<(), ExportError> {
        let mut state = self.state.lock().unwrap();
        if let Some(error) = state.scripted_errors.pop_front() {
            return Err(error);
        }
        state
            .objects
            .insert((bucket.to_string(), key.to_string()), body);
        Ok(())
    }
}
