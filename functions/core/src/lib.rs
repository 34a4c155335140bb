//! The core of the QuickSight export functions: the request model and its
//! validation, the error names the state machine matches, the QuickSight port
//! with its real (SDK) and fake adapters, and the step handlers.
//!
//! The Lambda binaries in `functions/*` are thin wrappers over [`handlers`].

pub mod error;
pub mod error_name;
pub mod handlers;
pub mod input;
pub mod job_id;
pub mod manifest;
pub mod model;
pub mod quicksight;
pub mod run;
pub mod storage;
pub mod telemetry;
pub mod time;
pub mod validation;

pub use error::{ApiError, ExportError};
