//! Time helpers: RFC 3339 parsing and epoch seconds, via the SDK's own
//! `DateTime` so that what we accept is what the SDK can send.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

pub fn parse_rfc3339(value: &str) -> Option<DateTime> {
    DateTime::from_str(value, Format::DateTime).ok()
}

pub fn now_epoch_seconds() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

pub fn now_epoch_ms() -> u64 {
    (now_epoch_seconds() * 1000.0) as u64
}

/// `2026-11-24T14:00:00Z`, for manifests and logs.
pub fn format_rfc3339(epoch_seconds: f64) -> String {
    DateTime::from_secs_f64(epoch_seconds)
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| epoch_seconds.to_string())
}
