//! [`EventSink`] over `aws-sdk-eventbridge`. The endpoint comes from the
//! standard `AWS_ENDPOINT_URL_EVENTBRIDGE` when set.

use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use serde_json::Value;
use tracing::instrument;

use super::{EventSink, EventsError, SOURCE};

#[derive(Clone, Debug)]
pub struct EventBridgeEvents {
    client: Client,
    bus: String,
}

impl EventBridgeEvents {
    /// Retries (3 attempts): an event not published fails the step, which
    /// the state machine then retries as a whole.
    pub fn new(shared: &SdkConfig, bus: impl Into<String>) -> Self {
        Self::from_client(Client::from_conf(eventbridge_config(shared).build()), bus)
    }

    pub fn from_client(client: Client, bus: impl Into<String>) -> Self {
        EventBridgeEvents {
            client,
            bus: bus.into(),
        }
    }
}

/// The client's configuration before it is built, for tests to add to.
pub fn eventbridge_config(shared: &SdkConfig) -> aws_sdk_eventbridge::config::Builder {
    aws_sdk_eventbridge::config::Builder::from(shared)
        .retry_config(RetryConfig::standard().with_max_attempts(3))
}

impl EventSink for EventBridgeEvents {
    #[instrument(skip(self, detail), level = "debug")]
    async fn publish(&self, detail_type: &'static str, detail: Value) -> Result<(), EventsError> {
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(SOURCE)
            .detail_type(detail_type)
            .detail(detail.to_string())
            .build();
        let output = Box::pin(self.client.put_events().entries(entry).send())
            .await
            .map_err(|e| EventsError::from_service("PutEvents", crate::aws::classify(e)))?;
        // PutEvents answers 200 with per-entry failures.
        if output.failed_entry_count() > 0 {
            let entry = output.entries().first();
            return Err(EventsError::Unavailable {
                operation: "PutEvents",
                message: format!(
                    "the event was not accepted: {} {}",
                    entry.and_then(|e| e.error_code()).unwrap_or_default(),
                    entry.and_then(|e| e.error_message()).unwrap_or_default()
                ),
            });
        }
        Ok(())
    }
}
