//! What the functions read and write: the export request a person stores
//! (`request`), the references the state machine carries between steps
//! (`run`, `job`: names and IDs only, never a tag or parameter value), and
//! the outcome recorded per recipient (`outcome`, `failure`), the run's
//! manifest (`manifest`) and the settings it carries (`settings`); `backup`
//! is the second job kind's request and records. Every record that crosses
//! a boundary (a state's payload, a stored object) is here, and this module
//! imports nothing of the crate but itself.

pub mod backup;
pub mod failure;
pub mod job;
pub mod manifest;
pub mod outcome;
pub mod request;
pub mod run;
pub mod settings;

pub use backup::*;
pub use failure::*;
pub use job::*;
pub use manifest::*;
pub use outcome::*;
pub use request::*;
pub use run::*;
pub use settings::*;
