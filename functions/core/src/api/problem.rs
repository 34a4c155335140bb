//! The API's errors: JSON with a stable `code` and a message for people,
//! never a stack trace or an SDK's dump (those go to the logs).

use serde_json::{Value, json};
use tracing::error;

use super::ApiResponse;
use crate::coordination::CoordinationError;
use crate::error::ExportError;
use crate::events::EventsError;
use crate::executions::ExecutionsError;
use crate::storage::StorageError;
use crate::validation::ValidationErrors;

#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    /// Every field error of an invalid request.
    pub errors: Option<Value>,
}

impl Problem {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Problem {
            status,
            code,
            message: message.into(),
            errors: None,
        }
    }

    pub fn invalid_request(errors: &ValidationErrors) -> Self {
        Problem {
            status: 400,
            code: "InvalidRequest",
            message: format!(
                "the export request has {} problem(s); nothing was started",
                errors.0.len()
            ),
            errors: Some(json!(errors.0)),
        }
    }

    pub fn run_not_found(id: &str) -> Self {
        Problem::new(404, "RunNotFound", format!("no run {id:?}"))
    }

    pub fn into_response(self) -> ApiResponse {
        let mut body = json!({ "code": self.code, "message": self.message });
        if let Some(errors) = self.errors {
            body["errors"] = errors;
        }
        ApiResponse::json(self.status, body)
    }
}

impl Problem {
    /// A call to a service the API depends on failed: 503 when trying
    /// again may help, 500 otherwise. The details go to the log only.
    fn service_failed(error: &dyn std::fmt::Display, transient: bool) -> Self {
        error!(%error, "a call the API depends on failed");
        if transient {
            Problem::new(
                503,
                "ServiceUnavailable",
                "a service the API depends on did not answer; try again",
            )
        } else {
            Problem::new(500, "InternalError", "the API could not complete the call")
        }
    }
}

impl From<CoordinationError> for Problem {
    fn from(error: CoordinationError) -> Self {
        let transient = matches!(error, CoordinationError::Unavailable { .. });
        Problem::service_failed(&error, transient)
    }
}

impl From<EventsError> for Problem {
    fn from(error: EventsError) -> Self {
        let transient = matches!(error, EventsError::Unavailable { .. });
        Problem::service_failed(&error, transient)
    }
}

impl From<ExecutionsError> for Problem {
    fn from(error: ExecutionsError) -> Self {
        let transient = matches!(error, ExecutionsError::Unavailable { .. });
        Problem::service_failed(&error, transient)
    }
}

impl From<StorageError> for Problem {
    fn from(error: StorageError) -> Self {
        error!(%error, "an S3 call the API depends on failed");
        match error {
            StorageError::Unavailable { .. } => Problem::new(
                503,
                "ServiceUnavailable",
                "the export bucket did not answer; try again",
            ),
            _ => Problem::new(500, "InternalError", "the API could not complete the call"),
        }
    }
}

impl From<ExportError> for Problem {
    fn from(error: ExportError) -> Self {
        match error {
            ExportError::InvalidRequest(errors) => Problem::invalid_request(&errors),
            ExportError::Storage(e) => e.into(),
            ExportError::Coordination(e) => e.into(),
            ExportError::Events(e) => e.into(),
            ExportError::Executions(e) => e.into(),
            other => {
                error!(error = %other, "the API could not complete the call");
                Problem::new(500, "InternalError", "the API could not complete the call")
            }
        }
    }
}
