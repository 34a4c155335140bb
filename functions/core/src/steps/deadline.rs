//! Deadlines, not attempt counts: a recipient whose calls QuickSight keeps
//! refusing for lack of room (throttled, or its job cap taken by work
//! outside this project) is tried again until its deadline, however many
//! times that takes; past the deadline the refusal becomes
//! `Export.JobTimedOut`, which is recorded, not retried.

use crate::error::ExportError;
use crate::error_name::ErrorName;
use crate::quicksight::ApiError;
use crate::time::format_rfc3339;

/// Refuses to make a call past the deadline.
pub fn ensure_before(deadline: u64, now: u64, what: &str) -> Result<(), ExportError> {
    if now >= deadline {
        return Err(ExportError::DeadlinePassed {
            deadline: format_rfc3339(deadline as f64),
            detail: format!("{what} was still to do"),
        });
    }
    Ok(())
}

/// A refusal for lack of room stays retryable until the deadline.
pub fn refusal_until(deadline: u64, now: u64, error: ApiError) -> ExportError {
    let for_lack_of_room = error.is(ErrorName::Throttling) || error.is(ErrorName::LimitExceeded);
    if for_lack_of_room && now >= deadline {
        ExportError::DeadlinePassed {
            deadline: format_rfc3339(deadline as f64),
            detail: format!("QuickSight kept refusing: {error}"),
        }
    } else {
        error.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_for_lack_of_room_is_retried_until_the_deadline_then_times_out() {
        let throttled = || ApiError::from_code("ThrottlingException", "Rate exceeded");
        assert_eq!(
            refusal_until(100, 99, throttled()).error_name(),
            ErrorName::Throttling
        );
        assert_eq!(
            refusal_until(100, 100, throttled()).error_name(),
            ErrorName::JobTimedOut
        );
        let limit = ApiError::from_code("LimitExceededException", "12 running");
        assert_eq!(
            refusal_until(100, 101, limit).error_name(),
            ErrorName::JobTimedOut
        );
        // Anything else keeps its own name.
        let denied = ApiError::from_code("AccessDeniedException", "no");
        assert_eq!(
            refusal_until(100, 101, denied).error_name(),
            ErrorName::AccessDenied
        );
        assert!(ensure_before(100, 99, "the start").is_ok());
        let late = ensure_before(100, 100, "the start").unwrap_err();
        assert_eq!(late.error_name(), ErrorName::JobTimedOut);
    }
}
