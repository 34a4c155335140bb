//! The core of the QuickSight export functions: the request model and its
//! validation, the error names the state machine matches, the QuickSight and
//! object-store ports with their real (SDK) and fake adapters, and the steps.
//!
//! The Lambda binaries in `functions/*` are one line each over
//! [`wiring::serve`] and a [`handlers`] function; the API's over [`api`].

// Layers, bottom first: a module imports its own layer or those below
// (tests/layers.rs holds the list and checks every import against it).

// Foundations.
pub mod aws;
pub mod error_name;
pub mod job_id;
pub mod layout;
pub mod metrics;
pub mod telemetry;
pub mod time;

// Every record that crosses a boundary.
pub mod model;

// Rules over the records.
pub mod pacing;
pub mod redact;
pub mod validation;

// The ports, each with its real and fake adapters.
pub mod callbacks;
pub mod coordination;
pub mod events;
pub mod executions;
pub mod quicksight;
pub mod storage;

// The error that leaves the core; settings and stored requests.
pub mod error;
pub mod input;
pub mod planning;
pub mod request_store;
pub mod settings;

// The steps, and delivering what they record.
pub mod delivery;
pub mod steps;

// What the binaries call.
pub mod api;
pub mod handlers;

// The real ports, built from the environment.
pub mod wiring;

pub use error::ExportError;
pub use quicksight::ApiError;
