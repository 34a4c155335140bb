//! When to look at a job: the first check lands near the duration recent
//! jobs of the same dashboard took, later ones follow what is left of that
//! estimate, so a job costs about three QuickSight calls (start, one check,
//! the result) instead of a poll every interval. Without history, the run's
//! settings (`FirstPollSeconds`, `PollIntervalSeconds`) apply.

use crate::model::RunSettings;

/// Recent jobs the estimate is taken from.
pub const RECENT_JOBS: usize = 20;

/// The duration most recent jobs stayed within: the 90th percentile
/// (nearest rank), so that the first check usually finds the job done.
pub fn expected_seconds(recent: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = recent
        .iter()
        .copied()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let rank = (sorted.len() * 9).div_ceil(10).max(1);
    Some(sorted[rank - 1])
}

/// The wait before the first check, never past the deadline (`remaining`
/// seconds away) and at least a second.
pub fn first_check_seconds(expected: Option<f64>, settings: &RunSettings, remaining: u64) -> u64 {
    let wait = match expected {
        Some(e) => e.ceil() as u64,
        None => u64::from(settings.first_poll_seconds),
    };
    wait.min(remaining).max(1)
}

/// The wait before the next check of a job still pending `elapsed` seconds
/// after it started: what is left of the estimate, or a tenth of the
/// estimate once past it; never more than the poll interval, never past the
/// deadline, at least a second.
pub fn next_check_seconds(
    expected: Option<f64>,
    elapsed: f64,
    settings: &RunSettings,
    remaining: u64,
) -> u64 {
    let interval = u64::from(settings.poll_interval_seconds);
    let wait = match expected {
        Some(e) if elapsed < e => (e - elapsed).ceil() as u64,
        Some(e) => (e / 10.0).ceil() as u64,
        None => interval,
    };
    wait.min(interval).min(remaining).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_is_the_90th_percentile_of_recent_jobs() {
        assert_eq!(expected_seconds(&[]), None);
        assert_eq!(expected_seconds(&[12.0]), Some(12.0));
        let recent: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(expected_seconds(&recent), Some(9.0));
        assert_eq!(expected_seconds(&[5.0, f64::NAN, 7.0]), Some(7.0));
    }

    #[test]
    fn checks_follow_the_estimate_and_never_pass_the_deadline() {
        let settings = RunSettings::default(); // first poll 120 s, interval 30 s
        assert_eq!(first_check_seconds(None, &settings, 3600), 120);
        assert_eq!(first_check_seconds(Some(61.2), &settings, 3600), 62);
        assert_eq!(first_check_seconds(Some(61.2), &settings, 40), 40);
        assert_eq!(first_check_seconds(Some(0.0), &settings, 40), 1);
        // Pending before the estimate: what is left of it, at most an interval.
        assert_eq!(next_check_seconds(Some(300.0), 290.5, &settings, 3000), 10);
        assert_eq!(next_check_seconds(Some(300.0), 100.0, &settings, 3000), 30);
        // Past it: a tenth of the estimate.
        assert_eq!(next_check_seconds(Some(60.0), 65.0, &settings, 3000), 6);
        assert_eq!(next_check_seconds(None, 65.0, &settings, 3000), 30);
        assert_eq!(next_check_seconds(None, 65.0, &settings, 4), 4);
        assert_eq!(next_check_seconds(Some(3.0), 5.0, &settings, 0), 1);
    }
}
