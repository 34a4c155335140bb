//! What the functions read and write: the export request a person stores
//! (`request`), the references the state machine carries between steps
//! (`run`, `job`: names and IDs only, never a tag or parameter value), and
//! the outcome recorded per recipient (`outcome`); `backup` is the second
//! job kind's request and records.

pub mod backup;
pub mod job;
pub mod outcome;
pub mod request;
pub mod run;

pub use backup::*;
pub use job::*;
pub use outcome::*;
pub use request::*;
pub use run::*;
