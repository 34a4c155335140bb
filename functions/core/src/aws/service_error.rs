//! What an AWS SDK call's failure was, read once for every service: whether
//! the service answered (its status, its error code, its message), could
//! not be heard (a timeout, a refused or reset connection, an answer the SDK
//! could not read), or the request was never sent. Naming it is each port's
//! business: the same 409 is a conflict to S3 and nothing DynamoDB sends.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// An SDK call's failure, before any port names it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// The service answered with an error: an HTTP status and, mostly, an
    /// error code (`ThrottlingException`, `NoSuchKey`).
    #[error("HTTP {status} {}: {details}", code.as_deref().unwrap_or("without an error code"))]
    Answered {
        status: u16,
        code: Option<String>,
        /// The service's own message.
        message: String,
        /// Everything the SDK says about it, for logs and causes.
        details: String,
    },
    /// No answer: a timeout, or a connection refused or reset.
    #[error("no answer: {details}")]
    NoAnswer { details: String },
    /// An answer the SDK could not read.
    #[error("an unreadable answer: {details}")]
    Unreadable { details: String },
    /// The request could not be built or sent at all.
    #[error("the request was not sent: {details}")]
    NotSent { details: String },
}

/// Error codes that mean "not now" whatever the service.
const THROTTLING_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "SlowDown",
];

impl ServiceError {
    /// The service's error code, when it answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ServiceError::Answered { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ServiceError::Answered { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Worth another attempt later: no answer, a 5xx or 429, or a
    /// throttling code. A port may know more transient codes of its own.
    pub fn is_transient(&self) -> bool {
        match self {
            ServiceError::Answered { status, code, .. } => {
                *status >= 500
                    || *status == 429
                    || code
                        .as_deref()
                        .is_some_and(|c| THROTTLING_CODES.contains(&c))
            }
            ServiceError::NoAnswer { .. } | ServiceError::Unreadable { .. } => true,
            ServiceError::NotSent { .. } => false,
        }
    }

    /// The service's message when it answered, the SDK's details otherwise.
    pub fn message(&self) -> &str {
        match self {
            ServiceError::Answered { message, .. } => message,
            ServiceError::NoAnswer { details }
            | ServiceError::Unreadable { details }
            | ServiceError::NotSent { details } => details,
        }
    }

    /// Everything known, for a log line or a cause.
    pub fn details(&self) -> &str {
        match self {
            ServiceError::Answered { details, .. }
            | ServiceError::NoAnswer { details }
            | ServiceError::Unreadable { details }
            | ServiceError::NotSent { details } => details,
        }
    }
}

/// What a port without finer names makes of a failure: try again later,
/// or refused for good.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Transient { message: String },
    Refused { code: String, message: String },
}

impl ServiceError {
    /// Transient as [`ServiceError::is_transient`] says or with one of the
    /// port's own `also_transient` codes; otherwise refused, under the
    /// service's code (or the HTTP status, or `RequestNotBuilt`).
    pub fn verdict(self, also_transient: &[&str]) -> Verdict {
        let transient =
            self.is_transient() || self.code().is_some_and(|c| also_transient.contains(&c));
        match self {
            ServiceError::Answered {
                status,
                code,
                message,
                details,
            } => {
                if transient {
                    Verdict::Transient {
                        message: format!("HTTP {status} {}: {details}", code.unwrap_or_default()),
                    }
                } else {
                    Verdict::Refused {
                        code: code.unwrap_or_else(|| format!("HTTP {status}")),
                        message,
                    }
                }
            }
            ServiceError::NoAnswer { details } | ServiceError::Unreadable { details } => {
                Verdict::Transient { message: details }
            }
            ServiceError::NotSent { details } => Verdict::Refused {
                code: "RequestNotBuilt".into(),
                message: details,
            },
        }
    }
}

/// Reads any SDK client's failure.
pub fn classify<E>(error: SdkError<E, HttpResponse>) -> ServiceError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let details = DisplayErrorContext(&error).to_string();
    match &error {
        SdkError::ServiceError(service) => ServiceError::Answered {
            status: service.raw().status().as_u16(),
            code: service.err().code().map(str::to_string),
            message: service.err().message().unwrap_or_default().to_string(),
            details,
        },
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => {
            ServiceError::NoAnswer { details }
        }
        SdkError::ResponseError(_) => ServiceError::Unreadable { details },
        _ => ServiceError::NotSent { details },
    }
}
