//! QuickSight's errors (and failures to reach it), classified once into
//! the stable names the state machine matches.

use crate::error_name::ErrorName;

/// An error from QuickSight (or from reaching it), already classified.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// The stable name the state machine matches.
    pub name: ErrorName,
    /// The exception name QuickSight sent (`ThrottlingException`), or a short
    /// description of a transport failure.
    pub code: String,
    pub message: String,
}

impl ApiError {
    /// An error as QuickSight names it, for example `LimitExceededException`.
    pub fn from_code(code: &str, message: impl Into<String>) -> Self {
        ApiError {
            name: ErrorName::for_quicksight_code(code),
            code: code.to_string(),
            message: message.into(),
        }
    }

    pub fn transport(message: impl Into<String>) -> Self {
        ApiError {
            name: ErrorName::Transport,
            code: "TransportError".into(),
            message: message.into(),
        }
    }

    pub fn is(&self, name: ErrorName) -> bool {
        self.name == name
    }
}
