//! The one error type that leaves the core, and how it becomes a Lambda
//! `Diagnostic` with a stable `errorType` from [`crate::error_name::ErrorName`].

use lambda_runtime::Diagnostic;

use crate::coordination::CoordinationError;
use crate::error_name::ErrorName;
use crate::events::EventsError;
use crate::executions::ExecutionsError;
use crate::quicksight::ApiError;
use crate::storage::StorageError;
use crate::validation::ValidationErrors;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0}")]
    InvalidRequest(ValidationErrors),
    #[error("the input is not a valid {expected}: {detail}")]
    MalformedInput {
        expected: &'static str,
        detail: String,
    },
    #[error("QuickSight {0}")]
    QuickSight(#[from] ApiError),
    #[error("unexpected response from QuickSight: {0}")]
    UnexpectedResponse(String),
    #[error("configuration error: {0}")]
    Configuration(String),
    #[error("{0}")]
    Storage(#[from] StorageError),
    #[error(
        "the stored request s3://{bucket}/{key} changed after it was validated; submit it again as a new run"
    )]
    RequestChanged { bucket: String, key: String },
    #[error(
        "run ID {run_id:?} is already used by execution {owner} (s3://{bucket}/{key}); start the run under another name"
    )]
    RunIdInUse {
        run_id: String,
        owner: String,
        bucket: String,
        key: String,
    },
    #[error("snapshot job {snapshot_job_id} exists with another spec: {detail}")]
    JobIdConflict {
        snapshot_job_id: String,
        detail: String,
    },
    #[error("{0}")]
    Coordination(#[from] CoordinationError),
    #[error("{0}")]
    Events(#[from] EventsError),
    #[error("{0}")]
    Executions(#[from] ExecutionsError),
    /// The recipient's deadline passed with work still to do.
    #[error("the recipient's deadline passed at {deadline}: {detail}")]
    DeadlinePassed { deadline: String, detail: String },
    #[error(
        "run {run_id:?}: {remaining} unfinished recipients are not recorded as cancelled yet; the next attempt goes on from there"
    )]
    CancellationIncomplete { run_id: String, remaining: usize },
}

impl ExportError {
    /// The stable name the state machine matches.
    pub fn error_name(&self) -> ErrorName {
        match self {
            ExportError::InvalidRequest(_) => ErrorName::InvalidRequest,
            ExportError::MalformedInput { .. } => ErrorName::MalformedInput,
            ExportError::QuickSight(api) => api.name,
            ExportError::UnexpectedResponse(_) => ErrorName::UnexpectedResponse,
            ExportError::Configuration(_) => ErrorName::Configuration,
            ExportError::Storage(StorageError::Unavailable { .. }) => ErrorName::StorageUnavailable,
            ExportError::Storage(_) => ErrorName::StorageRejected,
            ExportError::RequestChanged { .. } => ErrorName::RequestChanged,
            ExportError::RunIdInUse { .. } => ErrorName::RunIdInUse,
            ExportError::JobIdConflict { .. } => ErrorName::JobIdConflict,
            ExportError::Coordination(CoordinationError::Unavailable { .. }) => {
                ErrorName::CoordinationUnavailable
            }
            ExportError::Coordination(CoordinationError::Rejected { .. }) => {
                ErrorName::CoordinationRejected
            }
            ExportError::Events(EventsError::Unavailable { .. }) => ErrorName::EventsUnavailable,
            ExportError::Events(EventsError::Rejected { .. }) => ErrorName::EventsRejected,
            ExportError::Executions(ExecutionsError::Unavailable { .. }) => {
                ErrorName::ExecutionsUnavailable
            }
            ExportError::Executions(ExecutionsError::Rejected { .. }) => {
                ErrorName::ExecutionsRejected
            }
            ExportError::DeadlinePassed { .. } => ErrorName::JobTimedOut,
            ExportError::CancellationIncomplete { .. } => ErrorName::CancellationIncomplete,
        }
    }
}

impl From<ValidationErrors> for ExportError {
    fn from(errors: ValidationErrors) -> Self {
        ExportError::InvalidRequest(errors)
    }
}

impl From<ExportError> for Diagnostic {
    fn from(error: ExportError) -> Self {
        Diagnostic {
            error_type: error.error_name().as_str().to_string(),
            error_message: error.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_errors_become_diagnostics_named_after_the_exception() {
        let d: Diagnostic =
            ExportError::from(ApiError::from_code("ThrottlingException", "Rate exceeded")).into();
        assert_eq!(d.error_type, "QuickSight.ThrottlingException");
        assert!(d.error_message.contains("Rate exceeded"));

        let d: Diagnostic = ExportError::from(ApiError::from_code(
            "LimitExceededException",
            "too many jobs",
        ))
        .into();
        assert_eq!(d.error_type, "QuickSight.LimitExceededException");
    }

    #[test]
    fn resource_exists_and_limit_exceeded_share_a_status_but_not_a_name() {
        let exists = ApiError::from_code("ResourceExistsException", "");
        let limit = ApiError::from_code("LimitExceededException", "");
        assert_ne!(exists.name, limit.name);
    }

    #[test]
    fn unknown_codes_keep_the_code_in_the_message() {
        let d: Diagnostic =
            ExportError::from(ApiError::from_code("BrandNewException", "what")).into();
        assert_eq!(d.error_type, ErrorName::Unrecognized.as_str());
        assert!(d.error_message.contains("BrandNewException"));
    }

    #[test]
    fn own_errors_have_own_names() {
        let d: Diagnostic = ExportError::MalformedInput {
            expected: "job handle",
            detail: "missing field".into(),
        }
        .into();
        assert_eq!(d.error_type, ErrorName::MalformedInput.as_str());
        let d: Diagnostic = ExportError::InvalidRequest(ValidationErrors::default()).into();
        assert_eq!(d.error_type, ErrorName::InvalidRequest.as_str());
        let d: Diagnostic = ExportError::from(ApiError::transport("connection refused")).into();
        assert_eq!(d.error_type, ErrorName::Transport.as_str());
    }
}
