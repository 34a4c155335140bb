//! An [`EventSink`] for unit tests: keeps every event published.

use std::sync::Mutex;

use serde_json::Value;

use super::{EventSink, EventsError};

#[derive(Default)]
pub struct FakeEvents {
    published: Mutex<Vec<(String, Value)>>,
}

impl FakeEvents {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every `(detail-type, detail)`, in order.
    pub fn published(&self) -> Vec<(String, Value)> {
        self.published.lock().unwrap().clone()
    }
}

impl EventSink for FakeEvents {
    async fn publish(&self, detail_type: &'static str, detail: Value) -> Result<(), EventsError> {
        self.published
            .lock()
            .unwrap()
            .push((detail_type.to_string(), detail));
        Ok(())
    }
}
