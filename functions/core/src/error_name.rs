//! The error names that leave a function as a Lambda `errorType`.
//!
//! The state machine matches these in `Retry` and `Catch`, so they are a
//! public contract: never rename one without changing `statemachine/` too.
//! The list of every name is derived from the enum ([`ErrorName::all`]), so
//! the test that checks the ASL's `ErrorEquals` against the code cannot
//! drift from it.

use strum::{EnumIter, EnumString, IntoEnumIterator, IntoStaticStr};

/// One stable `errorType`. `as_str()` is the name Step Functions sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, EnumString, IntoStaticStr)]
pub enum ErrorName {
    /// QuickSight answered with too many calls per second (HTTP 429).
    #[strum(serialize = "QuickSight.ThrottlingException")]
    Throttling,
    /// The account already runs as many snapshot jobs as it may (12).
    #[strum(serialize = "QuickSight.LimitExceededException")]
    LimitExceeded,
    /// A job with this ID exists already (a retried Start).
    #[strum(serialize = "QuickSight.ResourceExistsException")]
    ResourceExists,
    #[strum(serialize = "QuickSight.ResourceNotFoundException")]
    ResourceNotFound,
    #[strum(serialize = "QuickSight.AccessDeniedException")]
    AccessDenied,
    #[strum(serialize = "QuickSight.InvalidParameterValueException")]
    InvalidParameterValue,
    /// The result was asked for before the job reached a terminal state.
    #[strum(serialize = "QuickSight.PreconditionNotMetException")]
    PreconditionNotMet,
    /// InternalFailureException, or any 5xx answer under an exception name
    /// this project does not know: retried.
    #[strum(serialize = "QuickSight.InternalFailureException")]
    InternalFailure,
    #[strum(serialize = "QuickSight.UnsupportedUserEditionException")]
    UnsupportedUserEdition,
    #[strum(serialize = "QuickSight.UnsupportedPricingPlanException")]
    UnsupportedPricingPlan,
    #[strum(serialize = "QuickSight.ConflictException")]
    Conflict,
    /// QuickSight answered with an error code this project does not know; the
    /// message carries the code as it came.
    #[strum(serialize = "QuickSight.UnrecognizedException")]
    Unrecognized,
    /// No answer from QuickSight: connection refused or reset, or a timeout.
    #[strum(serialize = "QuickSight.TransportError")]
    Transport,

    /// The export request breaks one or more constraints; the message lists them all.
    #[strum(serialize = "Export.InvalidRequest")]
    InvalidRequest,
    /// A step got input it cannot read (not the shape the previous step returns).
    #[strum(serialize = "Export.MalformedInput")]
    MalformedInput,
    /// QuickSight answered with something this project cannot interpret
    /// (a missing field or a status it does not know).
    #[strum(serialize = "Export.UnexpectedResponse")]
    UnexpectedResponse,
    /// The function's own settings are wrong (read at init).
    #[strum(serialize = "Export.ConfigurationError")]
    Configuration,
    /// S3 refused a read or write for good (access denied, no such bucket,
    /// a missing object): the message names bucket and key. Not retried.
    #[strum(serialize = "Export.StorageRejected")]
    StorageRejected,
    /// S3 could not answer now (5xx, slow down, timeout): retried.
    #[strum(serialize = "Export.StorageUnavailable")]
    StorageUnavailable,
    /// The stored request was overwritten after it was validated: the run
    /// does not use content nobody validated.
    #[strum(serialize = "Export.RequestChanged")]
    RequestChanged,
    /// Another execution already owns this run ID's objects (two execution
    /// names that read alike once made safe for keys).
    #[strum(serialize = "Export.RunIdInUse")]
    RunIdInUse,
    /// QuickSight has a job with this ID whose spec is not this job's.
    #[strum(serialize = "Export.JobIdConflict")]
    JobIdConflict,
    /// The recipient's deadline passed: recorded when a job was still
    /// running then, raised when QuickSight kept refusing a call until then
    /// (throttled, or the job cap taken by other work). Not retried.
    #[strum(serialize = "Export.JobTimedOut")]
    JobTimedOut,
    /// The coordination table (or Step Functions' callbacks) could not
    /// answer now: retried.
    #[strum(serialize = "Export.CoordinationUnavailable")]
    CoordinationUnavailable,
    /// The coordination table refused for good (no such table, access
    /// denied): not retried.
    #[strum(serialize = "Export.CoordinationRejected")]
    CoordinationRejected,
    /// The event bus could not take an event now (no answer, throttled, an
    /// entry it could not take): retried.
    #[strum(serialize = "Export.EventsUnavailable")]
    EventsUnavailable,
    /// The event bus refused for good (no such bus, access denied).
    #[strum(serialize = "Export.EventsRejected")]
    EventsRejected,
    /// Step Functions could not start, describe, list or stop a run now
    /// (the API and finish-cancel only; no state matches it).
    #[strum(serialize = "Export.ExecutionsUnavailable")]
    ExecutionsUnavailable,
    /// Step Functions refused such a call for good.
    #[strum(serialize = "Export.ExecutionsRejected")]
    ExecutionsRejected,
    /// Recorded, not raised: no outcome was written for a recipient (the run
    /// was stopped or failed first, or recording failed); the manifest says so
    /// rather than dropping the recipient.
    #[strum(serialize = "Export.OutcomeMissing")]
    OutcomeMissing,
    /// Recorded, not raised: the run was cancelled before this recipient
    /// had an outcome.
    #[strum(serialize = "Export.Cancelled")]
    Cancelled,
    /// The execution's own failure when the recipients' Map failed (more
    /// children failed than tolerated); the manifest is written first.
    #[strum(serialize = "Export.RunFailed")]
    RunFailed,
    /// A cancelled run's unfinished recipients were not all recorded in the
    /// time one invocation had: Lambda's retry of the event, or another
    /// `DELETE /exports/{id}`, goes on where it stopped.
    #[strum(serialize = "Export.CancellationIncomplete")]
    CancellationIncomplete,
}

impl ErrorName {
    /// The `errorType` string.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Every name, in declaration order.
    pub fn all() -> impl Iterator<Item = ErrorName> {
        ErrorName::iter()
    }

    /// The QuickSight service error with this exception name
    /// (`ThrottlingException`). Unknown names map to [`ErrorName::Unrecognized`].
    pub fn for_quicksight_code(code: &str) -> ErrorName {
        match code {
            "ThrottlingException" => ErrorName::Throttling,
            "LimitExceededException" => ErrorName::LimitExceeded,
            "ResourceExistsException" => ErrorName::ResourceExists,
            "ResourceNotFoundException" => ErrorName::ResourceNotFound,
            "AccessDeniedException" => ErrorName::AccessDenied,
            "InvalidParameterValueException" => ErrorName::InvalidParameterValue,
            "PreconditionNotMetException" => ErrorName::PreconditionNotMet,
            "InternalFailureException" => ErrorName::InternalFailure,
            "UnsupportedUserEditionException" => ErrorName::UnsupportedUserEdition,
            "UnsupportedPricingPlanException" => ErrorName::UnsupportedPricingPlan,
            "ConflictException" => ErrorName::Conflict,
            _ => ErrorName::Unrecognized,
        }
    }
}

impl std::fmt::Display for ErrorName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for ErrorName {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ErrorName {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn names_are_unique_and_matchable_by_step_functions() {
        let mut seen = std::collections::HashSet::new();
        for name in ErrorName::all() {
            let name = name.as_str();
            assert!(seen.insert(name), "{name} listed twice");
            // Step Functions reserves the States. prefix.
            assert!(!name.starts_with("States."), "{name}");
            assert!(name.contains('.'), "{name} should be namespaced");
        }
    }

    #[test]
    fn every_name_parses_back_to_itself() {
        for name in ErrorName::all() {
            assert_eq!(ErrorName::from_str(name.as_str()), Ok(name));
        }
        assert!(ErrorName::from_str("States.ALL").is_err());
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
            assert_eq!(
                ErrorName::for_quicksight_code(code).as_str(),
                format!("QuickSight.{code}")
            );
        }
        assert_eq!(
            ErrorName::for_quicksight_code("SomethingNewException"),
            ErrorName::Unrecognized
        );
    }
}
