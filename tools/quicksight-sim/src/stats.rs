//! The counters served at `GET /_sim/stats`. Scripts and the Node tests read
//! this JSON: its field names are part of the simulator's interface.

use serde::Serialize;

use crate::state::Sim;
use crate::wire::{ApiError, ErrorKind};

/// Counters a test or a progress display can read at `GET /_sim/stats`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Stats {
    pub calls: u64,
    pub throttled: u64,
    pub limit_exceeded: u64,
    pub resource_exists: u64,
    pub precondition_not_met: u64,
    pub not_found: u64,
    pub invalid_parameter: u64,
    pub jobs_started: u64,
    pub jobs_completed: u64,
    pub jobs_failed: u64,
    /// Snapshot jobs QUEUED or RUNNING now, in all accounts.
    pub running_now: u64,
    /// The most snapshot jobs ever QUEUED or RUNNING at once in one account.
    pub max_running: u64,
    pub files_written: u64,
    pub file_write_errors: u64,
    pub bundle_exports_started: u64,
    /// The most asset bundle exports ever in flight at once in one account.
    pub bundle_exports_max_running: u64,
    /// Bundles served at their DownloadUrl, and URLs refused as expired.
    pub bundle_downloads: u64,
    pub bundle_urls_expired: u64,
    /// Faults of the `--faults` profile met by calls.
    pub faults_injected: u64,
}

impl Stats {
    /// Counts an error answer. Throttling is counted where it is decided, and
    /// the other kinds have no counter.
    fn count_error(&mut self, kind: ErrorKind) {
        match kind {
            ErrorKind::LimitExceeded => self.limit_exceeded += 1,
            ErrorKind::ResourceExists => self.resource_exists += 1,
            ErrorKind::PreconditionNotMet => self.precondition_not_met += 1,
            ErrorKind::ResourceNotFound => self.not_found += 1,
            ErrorKind::InvalidParameterValue => self.invalid_parameter += 1,
            _ => {}
        }
    }
}

impl Sim {
    pub fn stats(&self) -> Stats {
        let state = self.state();
        let mut stats = state.stats.clone();
        stats.running_now = state
            .accounts
            .values()
            .map(|a| a.active_snapshot_jobs() as u64)
            .sum();
        stats
    }

    pub(crate) fn count_fault(&self) {
        self.state().stats.faults_injected += 1;
    }

    pub(crate) fn count_error(&self, error: &ApiError) {
        self.state().stats.count_error(error.kind);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_shape_is_stable() {
        let value = serde_json::to_value(Stats::default()).unwrap();
        let mut keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "bundle_downloads",
                "bundle_exports_max_running",
                "bundle_exports_started",
                "bundle_urls_expired",
                "calls",
                "faults_injected",
                "file_write_errors",
                "files_written",
                "invalid_parameter",
                "jobs_completed",
                "jobs_failed",
                "jobs_started",
                "limit_exceeded",
                "max_running",
                "not_found",
                "precondition_not_met",
                "resource_exists",
                "running_now",
                "throttled"
            ]
        );
    }
}
