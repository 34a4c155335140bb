//! Time helpers: RFC 3339 parsing and epoch seconds, via the SDK's own
//! `DateTime` so that what we accept is what the SDK can send.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

pub fn parse_rfc3339(value: &str) -> Option<DateTime> {
    DateTime::from_str(value, Format::DateTime).ok()
}

/// A timestamp as execution contexts carry it: RFC 3339 (AWS), or ISO 8601
/// in UTC with `+00:00` or no offset, or with a space for the `T` (the
/// local engine).
pub fn parse_utc_timestamp(value: &str) -> Option<DateTime> {
    let value = value.trim().replacen(' ', "T", 1);
    let value = value.as_str();
    parse_rfc3339(value)
        .or_else(|| parse_rfc3339(&format!("{}Z", value.strip_suffix("+00:00")?)))
        .or_else(|| parse_rfc3339(&format!("{value}Z")))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_timestamps_parse_with_z_an_offset_or_none() {
        for value in [
            "2026-12-01T10:00:00.250Z",
            "2026-12-01T10:00:00.250000+00:00",
            "2026-12-01T10:00:00.250000",
            "2026-12-01 10:00:00.250000+00:00",
        ] {
            let parsed = parse_utc_timestamp(value).unwrap_or_else(|| panic!("{value}"));
            assert_eq!(parsed.as_secs_f64(), 1_796_119_200.25, "{value}");
        }
        assert!(parse_utc_timestamp("yesterday").is_none());
    }
}
