//! Caps on the jobs an account may have in flight: one more Start than the
//! cap allows gets `LimitExceededException`, naming the kind of job.

use crate::wire::{ApiError, ErrorKind};

/// A per-account limit on jobs of one kind in flight at once.
#[derive(Clone, Copy, Debug)]
pub(crate) struct JobCap {
    pub limit: usize,
    /// The `ResourceType` the error names.
    pub resource_type: &'static str,
    /// How the error message names the jobs.
    pub jobs: &'static str,
}

impl JobCap {
    /// QuickSight's cap on QUEUED or RUNNING snapshot jobs (12 by default).
    pub fn snapshot_jobs(limit: usize) -> Self {
        JobCap {
            limit,
            resource_type: "DASHBOARD_SNAPSHOT_JOB",
            jobs: "concurrent snapshot jobs",
        }
    }

    /// QuickSight's cap on asset bundle export jobs in flight (5).
    pub fn bundle_exports(limit: usize) -> Self {
        JobCap {
            limit,
            resource_type: "ASSET_BUNDLE_EXPORT_JOB",
            jobs: "concurrent asset bundle export jobs",
        }
    }

    /// Refuses one more job when `in_flight` have already reached the cap.
    pub fn check(&self, in_flight: usize) -> Result<(), ApiError> {
        if in_flight < self.limit {
            return Ok(());
        }
        Err(ApiError::new(
            ErrorKind::LimitExceeded,
            format!(
                "The account has reached its limit of {} {}",
                self.limit, self.jobs
            ),
        )
        .with_resource_type(self.resource_type))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_job_over_the_cap_is_limit_exceeded() {
        let cap = JobCap::snapshot_jobs(12);
        assert!(cap.check(11).is_ok());
        let error = cap.check(12).unwrap_err();
        assert_eq!(error.kind, ErrorKind::LimitExceeded);
        assert_eq!(error.resource_type, Some("DASHBOARD_SNAPSHOT_JOB"));
        assert_eq!(
            error.message,
            "The account has reached its limit of 12 concurrent snapshot jobs"
        );
    }
}
