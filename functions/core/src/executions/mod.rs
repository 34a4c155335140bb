//! The state machine's executions, as the API starts, inspects, lists and
//! stops them: one narrow port, the real adapter over `aws-sdk-sfn`
//! (`sfn`) and an in-memory fake (`fake`).

use std::future::Future;

use crate::aws::{ServiceError, Verdict};

pub mod fake;
pub mod sfn;

pub use sfn::SfnExecutions;

/// One execution, as DescribeExecution tells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecutionInfo {
    pub arn: String,
    pub name: String,
    /// RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE.
    pub status: String,
    /// The execution's input: the stored request's location.
    pub input: Option<String>,
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    /// RFC 3339.
    pub started_at: Option<String>,
    pub stopped_at: Option<String>,
}

/// One execution in a listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecutionSummary {
    pub name: String,
    pub status: String,
    pub started_at: Option<String>,
    pub stopped_at: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecutionPage {
    /// Newest first.
    pub executions: Vec<ExecutionSummary>,
    pub next_token: Option<String>,
}

/// What a start did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Started {
    New {
        arn: String,
    },
    /// An execution of this name exists already (a repeated submission).
    AlreadyExists,
}

/// The execution statuses Step Functions lists by.
pub const STATUSES: &[&str] = &[
    "RUNNING",
    "SUCCEEDED",
    "FAILED",
    "TIMED_OUT",
    "ABORTED",
    "PENDING_REDRIVE",
];

pub trait Executions: Send + Sync {
    fn start(
        &self,
        name: &str,
        input: String,
    ) -> impl Future<Output = Result<Started, ExecutionsError>> + Send;

    /// `None` for an execution that does not exist.
    fn describe(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<ExecutionInfo>, ExecutionsError>> + Send;

    /// Newest first; `status` one of [`STATUSES`].
    fn list(
        &self,
        status: Option<&str>,
        next_token: Option<&str>,
        limit: u32,
    ) -> impl Future<Output = Result<ExecutionPage, ExecutionsError>> + Send;

    fn stop(
        &self,
        name: &str,
        error: &str,
        cause: &str,
    ) -> impl Future<Output = Result<(), ExecutionsError>> + Send;
}

/// Step Functions did not do what the API asked of the state machine.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExecutionsError {
    /// No answer, a 5xx or throttling: the caller may try again
    /// (`Export.ExecutionsUnavailable`, the API's 503).
    #[error("Step Functions could not serve {operation} now: {message}")]
    Unavailable {
        operation: &'static str,
        message: String,
    },
    /// Refused for good (access denied, no such state machine):
    /// `Export.ExecutionsRejected`, the API's 500.
    #[error("Step Functions refused {operation}: {code}: {message}")]
    Rejected {
        operation: &'static str,
        code: String,
        message: String,
    },
}

impl ExecutionsError {
    pub fn from_service(operation: &'static str, error: ServiceError) -> Self {
        match error.verdict(&[]) {
            Verdict::Transient { message } => ExecutionsError::Unavailable { operation, message },
            Verdict::Refused { code, message } => ExecutionsError::Rejected {
                operation,
                code,
                message,
            },
        }
    }
}
