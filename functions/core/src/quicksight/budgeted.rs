//! [`SnapshotJobs`] within the account's call budget: every call first
//! reserves its time (`coordination::CallBudget`), shared by every run and
//! every function instance, and waits for it. Calls are then spaced evenly,
//! so QuickSight's 10 calls per second are not exceeded and throttles stay
//! rare, however many runs share the account.

use std::time::Duration;

use serde_json::json;
use tracing::debug;

use super::ApiError;
use super::bundles::{
    AssetBundles, BundleDescription, BundleExportSpec, BundleJobRef, DashboardPage,
};
use super::{JobDescription, JobRef, JobResult, SnapshotJobSpec, SnapshotJobs, StartedJob};
use crate::coordination::{CallBudget, CoordinationError};
use crate::error_name::ErrorName;
use crate::metrics::{self, Metric};
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

/// One QuickSight call as a metric record: the call, whether it was
/// throttled (by QuickSight, or by a budget booked too far ahead), and how
/// long it waited for its turn.
fn observe<T>(operation: &str, job_id: &str, waited: Duration, result: &Result<T, ApiError>) {
    let throttled = matches!(result, Err(e) if e.code == "ThrottlingException");
    metrics::emit(
        &[
            Metric::count("QuickSightCalls", 1),
            Metric::count("QuickSightThrottles", usize::from(throttled)),
            Metric::milliseconds("CallBudgetWait", waited.as_millis() as f64),
        ],
        json!({ "operation": operation, "snapshot_job_id": job_id }),
    );
}

impl<Q, B: CallBudget> Budgeted<Q, B> {
    /// Waits for this call's turn in the budget; how long it waited.
    async fn wait_for_turn(&self, operation: &str, job_id: &str) -> Result<Duration, ApiError> {
        let now = now_epoch_ms();
        let at = self
            .budget
            .reserve(self.spacing_ms, now)
            .await
            .map_err(coordination_error)?;
        let wait = Duration::from_millis(at.saturating_sub(now));
        if wait > MAX_BUDGET_WAIT {
            let refused = Err(ApiError::from_code(
                "ThrottlingException",
                format!(
                    "the account's QuickSight call budget is booked {} s ahead",
                    wait.as_secs()
                ),
            ));
            metrics::emit(
                &[Metric::count("QuickSightThrottles", 1)],
                json!({ "operation": operation, "snapshot_job_id": job_id, "by": "call budget" }),
            );
            return refused;
        }
        if !wait.is_zero() {
            debug!(
                wait_ms = wait.as_millis() as u64,
                "waiting for the call budget"
            );
            tokio::time::sleep(wait).await;
        }
        Ok(wait)
    }
}

impl<Q: SnapshotJobs, B: CallBudget> SnapshotJobs for Budgeted<Q, B> {
    async fn start(&self, spec: &SnapshotJobSpec<'_>) -> Result<StartedJob, ApiError> {
        let (operation, id) = ("StartDashboardSnapshotJob", &spec.job.snapshot_job_id);
        let waited = self.wait_for_turn(operation, id).await?;
        let result = self.inner.start(spec).await;
        observe(operation, id, waited, &result);
        result
    }

    async fn describe(&self, job: &JobRef) -> Result<JobDescription, ApiError> {
        let (operation, id) = ("DescribeDashboardSnapshotJob", &job.snapshot_job_id);
        let waited = self.wait_for_turn(operation, id).await?;
        let result = self.inner.describe(job).await;
        observe(operation, id, waited, &result);
        result
    }

    async fn result(&self, job: &JobRef) -> Result<JobResult, ApiError> {
        let (operation, id) = ("DescribeDashboardSnapshotJobResult", &job.snapshot_job_id);
        let waited = self.wait_for_turn(operation, id).await?;
        let result = self.inner.result(job).await;
        observe(operation, id, waited, &result);
        result
    }
}

impl<Q: AssetBundles, B: CallBudget> AssetBundles for Budgeted<Q, B> {
    async fn start_bundle(&self, spec: &BundleExportSpec<'_>) -> Result<StartedJob, ApiError> {
        let (operation, id) = ("StartAssetBundleExportJob", &spec.job.job_id);
        let waited = self.wait_for_turn(operation, id).await?;
        let result = self.inner.start_bundle(spec).await;
        observe(operation, id, waited, &result);
        result
    }

    async fn describe_bundle(&self, job: &BundleJobRef) -> Result<BundleDescription, ApiError> {
        let (operation, id) = ("DescribeAssetBundleExportJob", &job.job_id);
        let waited = self.wait_for_turn(operation, id).await?;
        let result = self.inner.describe_bundle(job).await;
        observe(operation, id, waited, &result);
        result
    }

    async fn list_dashboards(
        &self,
        account_id: &str,
        region: &str,
        next_token: Option<&str>,
    ) -> Result<DashboardPage, ApiError> {
        let waited = self.wait_for_turn("ListDashboards", "").await?;
        let result = self
            .inner
            .list_dashboards(account_id, region, next_token)
            .await;
        observe("ListDashboards", "", waited, &result);
        result
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
