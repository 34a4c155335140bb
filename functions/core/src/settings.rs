//! The settings of a deployment, read once at init from the functions'
//! environment (the SAM template's parameters).

use serde::{Deserialize, Serialize};

use crate::error::ExportError;

/// How the state machine paces one run. Read from the prepare function's
/// environment (the SAM template's parameters) and passed along in the state,
/// so that Wait and Map read them with `SecondsPath` / `MaxConcurrencyPath`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct RunSettings {
    /// Map concurrency: snapshot jobs this run keeps running at once.
    /// QuickSight allows 12 per account; lower it when other workloads share them.
    pub max_concurrent_jobs: u32,
    /// Wait between Start and the first status check. Set it near the
    /// expected job duration: every extra poll costs Step Functions transitions.
    pub first_poll_seconds: u32,
    /// Wait between later status checks.
    pub poll_interval_seconds: u32,
    /// A job still running this long after it was started is recorded as
    /// failed (`Export.JobTimedOut`) and no longer polled: the recipient's
    /// deadline.
    pub job_timeout_seconds: u32,
    /// The Distributed Map's `ToleratedFailurePercentagePath`. A child
    /// execution fails only when even its failure could not be recorded; at
    /// 100 such a child never fails the run (the manifest lists it as
    /// `Export.OutcomeMissing`), lower values make the run fail past that
    /// share, after the manifest is written.
    pub tolerated_failure_percentage: u32,
}

/// History events one status check costs a child execution: a Wait (2), a
/// Lambda Task (5) and a Choice (2).
pub const HISTORY_EVENTS_PER_CHECK: u32 = 9;
/// History events of a child beyond its checks, with room for retries:
/// measured at 20-40 for a child with no retry (README, "How big a run can
/// be"); 500 leaves room for dozens of retried calls.
pub const HISTORY_EVENTS_BESIDE_CHECKS: u32 = 500;
/// Step Functions' cap on one execution's history.
pub const HISTORY_EVENT_LIMIT: u32 = 25_000;
/// Jobs one recipient may start: QuickSight may ask for one re-run
/// (RLS_CHANGED, CLS_CHANGED), then the recipient is recorded with the error.
pub const MAX_JOB_ATTEMPTS: u32 = 2;

impl RunSettings {
    /// The most status checks one child can make: every attempt polled
    /// from its first check to its deadline.
    pub fn max_checks_per_recipient(&self) -> u32 {
        let after_first = self
            .job_timeout_seconds
            .saturating_sub(self.first_poll_seconds.min(self.job_timeout_seconds));
        MAX_JOB_ATTEMPTS * (1 + after_first.div_ceil(self.poll_interval_seconds) + 1)
    }

    /// The largest history a child execution can write at these settings.
    pub fn max_history_events_per_recipient(&self) -> u32 {
        HISTORY_EVENTS_PER_CHECK * self.max_checks_per_recipient() + HISTORY_EVENTS_BESIDE_CHECKS
    }
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            max_concurrent_jobs: 12,
            first_poll_seconds: 120,
            poll_interval_seconds: 30,
            job_timeout_seconds: 3600,
            tolerated_failure_percentage: 100,
        }
    }
}

impl RunSettings {
    /// From `MAX_CONCURRENT_JOBS`, `FIRST_POLL_SECONDS`, `POLL_INTERVAL_SECONDS`,
    /// `JOB_TIMEOUT_SECONDS` and `TOLERATED_FAILURE_PERCENTAGE`; missing ones
    /// take the defaults. Settings whose polling could outgrow a child
    /// execution's history are refused.
    pub fn from_env() -> Result<Self, ExportError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ExportError> {
        let defaults = RunSettings::default();
        let read = |name: &str, default: u32, min: u32, max: u32| -> Result<u32, ExportError> {
            match lookup(name).filter(|v| !v.trim().is_empty()) {
                None => Ok(default),
                Some(raw) => raw
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|v| (min..=max).contains(v))
                    .ok_or_else(|| {
                        ExportError::Configuration(format!(
                            "{name} must be a whole number from {min} to {max}, got {raw:?}"
                        ))
                    }),
            }
        };
        let settings = RunSettings {
            max_concurrent_jobs: read("MAX_CONCURRENT_JOBS", defaults.max_concurrent_jobs, 1, 12)?,
            first_poll_seconds: read("FIRST_POLL_SECONDS", defaults.first_poll_seconds, 1, 3600)?,
            poll_interval_seconds: read(
                "POLL_INTERVAL_SECONDS",
                defaults.poll_interval_seconds,
                1,
                3600,
            )?,
            job_timeout_seconds: read(
                "JOB_TIMEOUT_SECONDS",
                defaults.job_timeout_seconds,
                10,
                86_400,
            )?,
            tolerated_failure_percentage: read(
                "TOLERATED_FAILURE_PERCENTAGE",
                defaults.tolerated_failure_percentage,
                0,
                100,
            )?,
        };
        let events = settings.max_history_events_per_recipient();
        if events > HISTORY_EVENT_LIMIT {
            return Err(ExportError::Configuration(format!(
                "JOB_TIMEOUT_SECONDS {} polled every POLL_INTERVAL_SECONDS {} could write {events} \
                 history events for one recipient, past Step Functions' {HISTORY_EVENT_LIMIT}: \
                 raise the interval or lower the timeout",
                settings.job_timeout_seconds, settings.poll_interval_seconds
            )));
        }
        Ok(settings)
    }
}

/// The stack's export bucket (`EXPORT_BUCKET`): requests are read from it
/// and every destination must be it.
pub fn export_bucket_from_env() -> Result<String, ExportError> {
    export_bucket_from_lookup(|name| std::env::var(name).ok())
}

pub fn export_bucket_from_lookup(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<String, ExportError> {
    lookup("EXPORT_BUCKET")
        .map(|b| b.trim().to_string())
        .filter(|b| !b.is_empty())
        .ok_or_else(|| {
            ExportError::Configuration(
                "EXPORT_BUCKET must name the stack's export bucket".to_string(),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(pairs: &[(&str, &str)]) -> Result<RunSettings, ExportError> {
        RunSettings::from_lookup(|name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn defaults_fit_a_child_history_many_times_over() {
        let settings = from(&[]).unwrap();
        assert_eq!(settings, RunSettings::default());
        // 2 attempts x (1 + 3480/30 + 1) checks = 236 checks, 2,624 events.
        assert_eq!(settings.max_checks_per_recipient(), 236);
        assert_eq!(settings.max_history_events_per_recipient(), 2_624);
    }

    #[test]
    fn polling_that_could_outgrow_the_history_is_refused() {
        // A day polled every 5 s: 34,560 checks.
        let error = from(&[
            ("JOB_TIMEOUT_SECONDS", "86400"),
            ("POLL_INTERVAL_SECONDS", "5"),
        ])
        .unwrap_err();
        assert!(error.to_string().contains("history events"), "{error}");
        // Every 60 s: 2 x (1 + 1438 + 1) = 2,880 checks, 26,420 events.
        assert!(
            from(&[
                ("JOB_TIMEOUT_SECONDS", "86400"),
                ("POLL_INTERVAL_SECONDS", "60")
            ])
            .is_err()
        );
        // Every 120 s: 1,442 checks, 13,478 events.
        let day = from(&[
            ("JOB_TIMEOUT_SECONDS", "86400"),
            ("POLL_INTERVAL_SECONDS", "120"),
        ])
        .unwrap();
        assert_eq!(day.max_history_events_per_recipient(), 13_478);
    }

    #[test]
    fn out_of_range_values_name_the_setting() {
        let error = from(&[("MAX_CONCURRENT_JOBS", "13")]).unwrap_err();
        assert!(error.to_string().contains("MAX_CONCURRENT_JOBS"), "{error}");
        let error = from(&[("TOLERATED_FAILURE_PERCENTAGE", "101")]).unwrap_err();
        assert!(
            error.to_string().contains("TOLERATED_FAILURE_PERCENTAGE"),
            "{error}"
        );
    }
}
