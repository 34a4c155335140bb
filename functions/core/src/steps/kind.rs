//! The job kinds, dispatched here and nowhere else: a dashboard export's
//! recipients are snapshot jobs (`prepare`, `start`, `fetch`), a backup's
//! bundles are asset bundle export jobs (`bundle/`). Both go through the
//! same run, slots, Map and poll loop; check-job describes either through
//! [`Steps::describe_job`].

use super::claim::read_stored;
use super::{Ports, Steps};
use crate::error::ExportError;
use crate::model::{
    BACKUP_KIND, FetchedResult, JobHandle, JobKind, JobStepInput, PrepareRunInput, PreparedRun,
    StartJobInput,
};
use crate::quicksight::bundles::AssetBundles;
use crate::quicksight::{ApiError, JobDescription, SnapshotJobs};
use crate::request_store::request_kind;
use crate::settings::{RunSettings, StackPlace};

impl<P: Ports> Steps<P> {
    /// `prepare-run`: an export request (dashboard snapshots) or a backup
    /// request (`"kind": "asset_bundle_backup"`), told apart by the stored
    /// request's `kind`.
    pub async fn prepare_run(
        &self,
        input: PrepareRunInput,
        settings: &RunSettings,
        stack: &StackPlace,
    ) -> Result<PreparedRun, ExportError> {
        let (body, etag) = read_stored(&self.store, &input.request, &stack.export_bucket).await?;
        if request_kind(&body).as_deref() == Some(BACKUP_KIND) {
            return self
                .prepare_backup(&input, &body, etag, settings, stack)
                .await;
        }
        self.prepare_export(input, &body, etag, settings, stack)
            .await
    }

    /// `start-job`, for the run's kind.
    pub async fn start_job(&self, input: StartJobInput) -> Result<JobHandle, ExportError> {
        match input.run.kind {
            JobKind::DashboardSnapshot => self.start_snapshot_job(input).await,
            JobKind::AssetBundleExport => self.start_bundle_job(input).await,
        }
    }

    /// Where a job of either kind stands: a bundle export's status is
    /// mapped onto a snapshot job's, so the rest of the check is one.
    pub async fn describe_job(
        &self,
        kind: JobKind,
        job: &JobHandle,
    ) -> Result<JobDescription, ApiError> {
        match kind {
            JobKind::DashboardSnapshot => {
                self.quicksight.describe(&super::check::job_ref(job)).await
            }
            JobKind::AssetBundleExport => {
                let d = self
                    .quicksight
                    .describe_bundle(&super::bundle::bundle_ref(job))
                    .await?;
                Ok(JobDescription {
                    status: d.status,
                    created_at: d.created_at,
                    updated_at: None,
                    configuration: None,
                })
            }
        }
    }

    /// `fetch-result`, for the run's kind.
    pub async fn fetch_result(&self, input: JobStepInput) -> Result<FetchedResult, ExportError> {
        match input.run.kind {
            JobKind::DashboardSnapshot => self.fetch_snapshot_result(input).await,
            JobKind::AssetBundleExport => self.fetch_bundle(input).await,
        }
    }
}
