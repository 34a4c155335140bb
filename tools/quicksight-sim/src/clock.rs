//! Wall-clock time as QuickSight shows it: epoch seconds on the wire and
//! ISO 8601 UTC in the files. Its own module, not the functions' `time.rs`:
//! the simulator stands in for AWS, and sharing code with the code under test
//! would hide the very bugs the tests are there to catch.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// Seconds since 1970-01-01T00:00:00Z, as a float.
pub fn now_epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}

/// Epoch seconds with millisecond precision, as QuickSight sends them.
pub fn epoch_json(t: f64) -> Value {
    json!((t * 1000.0).round() / 1000.0)
}

/// `YYYY-MM-DDThh:mm:ssZ`, to the second.
pub fn iso8601_utc(t: f64) -> String {
    let secs = t as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_formats_as_utc() {
        assert_eq!(iso8601_utc(0.0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601_utc(1_795_968_000.0), "2026-11-29T16:00:00Z");
        assert_eq!(iso8601_utc(951_782_400.0), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn json_timestamps_keep_milliseconds() {
        assert_eq!(epoch_json(1_795_968_000.123_456), json!(1_795_968_000.123));
    }
}
