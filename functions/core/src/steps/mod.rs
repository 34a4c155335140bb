//! The steps of a run, one module each, as plain async functions over the
//! ports (`quicksight::SnapshotJobs`, `storage::ObjectStore`). The Lambda
//! binaries wrap these through [`json`]; tests call them directly.
//!
//! ```text
//! prepare   prepare-run     read and validate the stored request, claim the run, write the Map's items
//! start     start-job       one recipient's job, its ID bound to the submission
//! check     check-job       pending / completed / failed / deadline passed, and when to look again
//! fetch     fetch-result    the result, recorded as the recipient's outcome (or run again once)
//! record    record-failure  a caught failure, recorded as the recipient's outcome
//! manifest  write-manifest  the manifest, from the outcome objects
//! backup    (the second job kind: asset bundle exports, through the same steps)
//! ```
//!
//! [`json`] dispatches start and fetch on the run's job kind; prepare and
//! check handle both kinds themselves.

pub mod backup;
pub mod check;
pub mod deadline;
pub mod fetch;
pub mod manifest;
pub mod prepare;
pub mod record;
pub mod start;

pub use check::check_job;
pub use fetch::fetch_result;
pub use manifest::write_manifest;
pub use prepare::prepare_run;
pub use record::{record_failure, record_outcome};
pub use start::start_job;
