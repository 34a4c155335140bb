//! Telling other systems what happened: one EventBridge event per recorded
//! outcome and one per written manifest, on the stack's bus. `eventbridge`
//! is the real adapter (`PutEvents`), `fake` records what was published.
//! Shapes: docs/delivery.md, "Events".

use std::future::Future;

use serde_json::Value;

use crate::aws::{ServiceError, Verdict};

pub mod eventbridge;
pub mod fake;

pub use eventbridge::EventBridgeEvents;

/// The events' `source`.
pub const SOURCE: &str = "quicksight-export";
/// A recipient's outcome was recorded.
pub const RECIPIENT_OUTCOME: &str = "Export Recipient Outcome";
/// A run's manifest was written (at the end of a run, or again).
pub const RUN_FINISHED: &str = "Export Run Finished";

pub trait EventSink: Send + Sync {
    fn publish(
        &self,
        detail_type: &'static str,
        detail: Value,
    ) -> impl Future<Output = Result<(), EventsError>> + Send;
}

/// The bus did not take an event.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EventsError {
    /// No answer, a 5xx, throttling, or an entry EventBridge could not take
    /// now: the step is retried (`Export.EventsUnavailable`).
    #[error("the event bus could not take {operation} now: {message}")]
    Unavailable {
        operation: &'static str,
        message: String,
    },
    /// Refused for good (no such bus, access denied): `Export.EventsRejected`.
    #[error("the event bus refused {operation}: {code}: {message}")]
    Rejected {
        operation: &'static str,
        code: String,
        message: String,
    },
}

impl EventsError {
    pub fn from_service(operation: &'static str, error: ServiceError) -> Self {
        match error.verdict(&[]) {
            Verdict::Transient { message } => EventsError::Unavailable { operation, message },
            Verdict::Refused { code, message } => EventsError::Rejected {
                operation,
                code,
                message,
            },
        }
    }
}
