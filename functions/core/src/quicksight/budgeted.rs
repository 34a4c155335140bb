//! [`SnapshotJobs`] within the account's call budget: every call first
//! reserves its time (`coordination::CallBudget`), shared by every run and
//! every function instance, and waits for it. Calls are then spaced evenly,
//! so QuickSight's 10 calls per second are not exceeded and throttles stay
//! rare, however many runs share the account.

use std::time::Duration;

use tracing::debug;

use super::{JobDescription, JobRef, JobResult, SnapshotJobSpec, SnapshotJobs, StartedJob};
use crate::coordination::{CallBudget, CoordinationError};
use crate::error::ApiError;
use crate::error_name::ErrorName;
use crate::time::now_epoch_ms;

/// A reservation further away than this is not waited for: the call fails
/// as throttled, and the state machine backs off instead of a Lambda idling.
pub const MAX_BUDGET_WAIT: Duration = Duration::from_secs(20);

pub struct Budgeted<Q, B> {
    inner: Q,
    budget: B,
    spacing_ms: u64,
}

impl<Q, B> Budgeted<Q, B> {
    pub fn new(inner: Q, budget: B, spacing_ms: u64) -> Self {
        Budgeted {
            inner,
            budget,
            spacing_ms,
        }
    }

    pub fn inner(&self) -> &Q {
        &self.inner
    }
}

/// A coordination failure met on the way to QuickSight, named for the
/// state machine.
pub fn coordination_error(error: CoordinationError) -> ApiError {
    let name = match &error {
        CoordinationError::Unavailable { .. } => ErrorName::CoordinationUnavailable,
        CoordinationError::Rejected { .. } => ErrorName::CoordinationRejected,
    };
    ApiError {
        name,
        code: name.as_str().to_string(),
        message: error.to_string(),
    }
}

impl<Q: SnapshotJobs, B: CallBudget> Budgeted<Q, B> {
    async fn wait_for_turn(&self) -> Result<(), ApiError> {
        let now = now_epoch_ms();
        let at = self
            .budget
            .reserve(self.spacing_ms, now)
            .await
            .map_err(coordination_error)?;
        let wait = Duration::from_millis(at.saturating_sub(now));
        if wait > MAX_BUDGET_WAIT {
            return Err(ApiError::from_code(
                "ThrottlingException",
                format!(
                    "the account's QuickSight call budget is booked {} s ahead",
                    wait.as_secs()
                ),
            ));
        }
        if !wait.is_zero() {
            debug!(
                wait_ms = wait.as_millis() as u64,
                "waiting for the call budget"
            );
            tokio::time::sleep(wait).await;
        }
        Ok(())
    }
}

impl<Q: SnapshotJobs, B: CallBudget> SnapshotJobs for Budgeted<Q, B> {
    async fn start(&self, spec: &SnapshotJobSpec<'_>) -> Result<StartedJob, ApiError> {
        self.wait_for_turn().await?;
        self.inner.start(spec).await
    }

    async fn describe(&self, job: &JobRef) -> Result<JobDescription, ApiError> {
        self.wait_for_turn().await?;
        self.inner.describe(job).await
    }

    async fn result(&self, job: &JobRef) -> Result<JobResult, ApiError> {
        self.wait_for_turn().await?;
        self.inner.result(job).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coordination::memory::MemoryCoordination;
    use crate::quicksight::fake::{Call, FakeSnapshotJobs};

    fn job() -> JobRef {
        JobRef {
            account_id: "123456789012".into(),
            region: "us-east-1".into(),
            dashboard_id: "d".into(),
            snapshot_job_id: "j".into(),
        }
    }

    #[tokio::test]
    async fn calls_are_spaced_by_the_budget() {
        let budgeted = Budgeted::new(FakeSnapshotJobs::new(), MemoryCoordination::new(), 50);
        let began = std::time::Instant::now();
        for _ in 0..5 {
            let _ = budgeted.describe(&job()).await;
        }
        // Five calls 50 ms apart: at least 200 ms from the first to the last.
        assert!(
            began.elapsed() >= Duration::from_millis(190),
            "{:?}",
            began.elapsed()
        );
        assert_eq!(budgeted.inner().calls().len(), 5);
        assert!(
            budgeted
                .inner()
                .calls()
                .iter()
                .all(|(c, _)| *c == Call::Describe)
        );
    }

    #[tokio::test]
    async fn a_coordination_failure_is_named_and_makes_no_call() {
        let table = MemoryCoordination::new();
        table.fail_next(CoordinationError::Unavailable {
            operation: "UpdateItem",
            message: "503".into(),
        });
        let budgeted = Budgeted::new(FakeSnapshotJobs::new(), table, 10);
        let error = budgeted.describe(&job()).await.unwrap_err();
        assert_eq!(error.name, ErrorName::CoordinationUnavailable);
        assert!(budgeted.inner().calls().is_empty());
    }
}
