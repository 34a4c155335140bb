//! Telling other systems what happened: one EventBridge event per recorded
//! outcome and one per written manifest, on the stack's bus. `eventbridge`
//! is the real adapter (`PutEvents`), `fake` records what was published.
//! Shapes: docs/delivery.md, "Events".

use std::future::Future;

use serde_json::Value;

use crate::coordination::CoordinationError;

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
    ) -> impl Future<Output = Result<(), CoordinationError>> + Send;
}
