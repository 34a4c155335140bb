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
    /// A job still running this long after it was created is recorded as
    /// failed (`Export.JobTimedOut`) and no longer polled.
    pub job_timeout_seconds: u32,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            max_concurrent_jobs: 12,
            first_poll_seconds: 120,
            poll_interval_seconds: 30,
            job_timeout_seconds: 3600,
        }
    }
}

impl RunSettings {
    /// From `MAX_CONCURRENT_JOBS`, `FIRST_POLL_SECONDS`, `POLL_INTERVAL_SECONDS`
    /// and `JOB_TIMEOUT_SECONDS`; missing ones take the defaults.
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
        Ok(RunSettings {
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
                60,
                86_400,
            )?,
        })
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
