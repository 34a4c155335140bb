//! The core of the QuickSight export functions: the request model and its
//! validation, the error names the state machine matches, the QuickSight and
//! object-store ports with their real (SDK) and fake adapters, and the steps.
//!
//! The Lambda binaries in `functions/*` are thin wrappers over [`steps`].

pub mod api;
pub mod aws;
pub mod callbacks;
pub mod coordination;
pub mod delivery;
pub mod error;
pub mod error_name;
pub mod events;
pub mod executions;
pub mod handlers;
pub mod input;
pub mod job_id;
pub mod layout;
pub mod metrics;
pub mod model;
pub mod pacing;
pub mod planning;
pub mod quicksight;
pub mod redact;
pub mod request_store;
pub mod settings;
pub mod steps;
pub mod storage;
pub mod telemetry;
pub mod time;
pub mod validation;
pub mod wiring;

pub use error::ExportError;
pub use quicksight::ApiError;
