//! The error names that leave a function as a Lambda `errorType`.
//!
//! The state machine matches these in `Retry` and `Catch`, so they are a
//! public contract: never rename one without changing `statemachine/` too
//! (a test checks that the ASL uses only names from [`ALL`]).

/// QuickSight answered with too many calls per second (HTTP 429).
pub const THROTTLING: &str = "QuickSight.ThrottlingException";
/// The account already runs as many snapshot jobs as it may (12).
pub const LIMIT_EXCEEDED: &str = "QuickSight.LimitExceededException";
/// A job with this ID exists already (a retried Start).
pub const RESOURCE_EXISTS: &str = "QuickSight.ResourceExistsException";
pub const RESOURCE_NOT_FOUND: &str = "QuickSight.ResourceNotFoundException";
pub const ACCESS_DENIED: &str = "QuickSight.AccessDeniedException";
pub const INVALID_PARAMETER_VALUE: &str = "QuickSight.InvalidParameterValueException";
/// The result was asked for before the job reached a terminal state.
pub const PRECONDITION_NOT_MET: &str = "QuickSight.PreconditionNotMetException";
pub const INTERNAL_FAILURE: &str = "QuickSight.InternalFailureException";
pub const UNSUPPORTED_USER_EDITION: &str = "QuickSight.UnsupportedUserEditionException";
pub const UNSUPPORTED_PRICING_PLAN: &str = "QuickSight.UnsupportedPricingPlanException";
pub const CONFLICT: &str = "QuickSight.ConflictException";
/// QuickSight answered with an error code this project does not know; the
/// message carries the code as it came.
pub const UNRECOGNIZED: &str = "QuickSight.UnrecognizedException";
/// No answer from QuickSight: connection refused or reset, or a timeout.
pub const TRANSPORT: &str = "QuickSight.TransportError";

/// The export request breaks one or more constraints; the message lists them all.
pub const INVALID_REQUEST: &str = "Export.InvalidRequest";
/// A step got input it cannot read (not the shape the previous step returns).
pub const MALFORMED_INPUT: &str = "Export.MalformedInput";
/// QuickSight answered with something this project cannot interpret
/// (a missing field or a status it does not know).
pub const UNEXPECTED_RESPONSE: &str = "Export.UnexpectedResponse";
/// The function's own settings are wrong (read at init).
pub const CONFIGURATION: &str = "Export.ConfigurationError";
/// Writing the run manifest to S3 failed.
pub const MANIFEST_WRITE: &str = "Export.ManifestWriteFailed";
/// Recorded, not raised: the job was still running after the run's job
/// timeout, so the state machine stopped polling it.
pub const JOB_TIMED_OUT: &str = "Export.JobTimedOut";
/// Recorded, not raised: the state machine produced no outcome for a
/// recipient (a defect; the manifest says so rather than dropping it).
pub const OUTCOME_MISSING: &str = "Export.OutcomeMissing";

/// Every name above. The ASL test checks `ErrorEquals` against this list.
pub const ALL: &[&str] = &[
    THROTTLING,
    LIMIT_EXCEEDED,
    RESOURCE_EXISTS,
    RESOURCE_NOT_FOUND,
    ACCESS_DENIED,
    INVALID_PARAMETER_VALUE,
    PRECONDITION_NOT_MET,
    INTERNAL_FAILURE,
    UNSUPPORTED_USER_EDITION,
    UNSUPPORTED_PRICING_PLAN,
    CONFLICT,
    UNRECOGNIZED,
    TRANSPORT,
    INVALID_REQUEST,
    MALFORMED_INPUT,
    UNEXPECTED_RESPONSE,
    CONFIGURATION,
    MANIFEST_WRITE,
    JOB_TIMED_OUT,
    OUTCOME_MISSING,
];

/// The QuickSight service error with this exception name, as an `errorType`.
/// Unknown names map to [`UNRECOGNIZED`].
pub fn for_quicksight_code(code: &str) -> &'static str {
    match code {
        "ThrottlingException" => THROTTLING,
        "LimitExceededException" => LIMIT_EXCEEDED,
        "ResourceExistsException" => RESOURCE_EXISTS,
        "ResourceNotFoundException" => RESOURCE_NOT_FOUND,
        "AccessDeniedException" => ACCESS_DENIED,
        "InvalidParameterValueException" => INVALID_PARAMETER_VALUE,
        "PreconditionNotMetException" => PRECONDITION_NOT_MET,
        "InternalFailureException" => INTERNAL_FAILURE,
        "UnsupportedUserEditionException" => UNSUPPORTED_USER_EDITION,
        "UnsupportedPricingPlanException" => UNSUPPORTED_PRICING_PLAN,
        "ConflictException" => CONFLICT,
        _ => UNRECOGNIZED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_matchable_by_step_functions() {
        let mut seen = std::collections::HashSet::new();
        for name in ALL {
            assert!(seen.insert(name), "{name} listed twice");
            // Step Functions reserves the States. prefix.
            assert!(!name.starts_with("States."), "{name}");
            assert!(name.contains('.'), "{name} should be namespaced");
        }
    }

    #[test]
    fn every_documented_quicksight_exception_has_its_own_name() {
        for code in [
            "ThrottlingException",
            "LimitExceededException",
            "ResourceExistsException",
            "ResourceNotFoundException",
            "AccessDeniedException",
            "InvalidParameterValueException",
            "PreconditionNotMetException",
            "InternalFailureException",
            "UnsupportedUserEditionException",
            "UnsupportedPricingPlanException",
            "ConflictException",
        ] {
            assert_eq!(for_quicksight_code(code), format!("QuickSight.{code}"));
        }
        assert_eq!(for_quicksight_code("SomethingNewException"), UNRECOGNIZED);
    }
}
