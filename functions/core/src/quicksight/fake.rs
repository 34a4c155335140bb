//! An in-memory [`SnapshotJobs`] for unit tests of the handlers: jobs that
//! move when the test says so, and errors scripted per call.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use super::ApiError;
use super::bundles::{
    AssetBundles, BundleDescription, BundleExportSpec, BundleJobRef, DashboardPage,
};
use super::{
    JobConfigurationSummary, JobDescription, JobRef, JobResult, JobStatus, SnapshotJobSpec,
    SnapshotJobs, StartedJob,
};
use crate::model::BundleIssue;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Call {
    Start,
    Describe,
    Result,
    StartBundle,
    DescribeBundle,
    ListDashboards,
}

/// What the fake remembers of a started asset bundle export.
#[derive(Clone, Debug)]
pub struct FakeBundle {
    pub status: JobStatus,
    pub resource_arns: Vec<String>,
    pub format: String,
    pub errors: Vec<BundleIssue>,
    /// DownloadUrls handed out: `fake://bundle/<job>/<n>`.
    pub urls_issued: u32,
}

/// What the fake remembers of a started job.
#[derive(Clone, Debug)]
pub struct FakeJob {
    pub status: JobStatus,
    pub configuration: JobConfigurationSummary,
    pub bucket_prefix: String,
    pub anonymous: bool,
    pub result: JobResult,
}

#[derive(Default)]
struct State {
    jobs: HashMap<String, FakeJob>,
    bundles: HashMap<String, FakeBundle>,
    dashboards: Vec<String>,
    scripted_errors: HashMap<Call, VecDeque<ApiError>>,
    calls: Vec<(Call, String)>,
}

#[derive(Default)]
pub struct FakeSnapshotJobs {
    state: Mutex<State>,
}

impl FakeSnapshotJobs {
    pub fn new() -> Self {
        Self::default()
    }

    /// The next `call` fails with `error` (queued: several calls may be scripted).
    pub fn fail_next(&self, call: Call, error: ApiError) {
        let mut state = self.state.lock().unwrap();
        state
            .scripted_errors
            .entry(call)
            .or_default()
            .push_back(error);
    }

    /// Moves a job, and sets what its result will say.
    pub fn finish(&self, snapshot_job_id: &str, result: JobResult) {
        let mut state = self.state.lock().unwrap();
        let job = state
            .jobs
            .get_mut(snapshot_job_id)
            .expect("job was started");
        job.status = result.status.clone();
        job.result = result;
    }

    pub fn set_status(&self, snapshot_job_id: &str, status: JobStatus) {
        let mut state = self.state.lock().unwrap();
        state
            .jobs
            .get_mut(snapshot_job_id)
            .expect("job was started")
            .status = status;
    }

    pub fn job(&self, snapshot_job_id: &str) -> Option<FakeJob> {
        self.state
            .lock()
            .unwrap()
            .jobs
            .get(snapshot_job_id)
            .cloned()
    }

    /// Moves a bundle export; `errors` are reported when it failed.
    pub fn finish_bundle(&self, job_id: &str, status: JobStatus, errors: Vec<BundleIssue>) {
        let mut state = self.state.lock().unwrap();
        let bundle = state.bundles.get_mut(job_id).expect("bundle was started");
        bundle.status = status;
        bundle.errors = errors;
    }

    pub fn bundle(&self, job_id: &str) -> Option<FakeBundle> {
        self.state.lock().unwrap().bundles.get(job_id).cloned()
    }

    /// The dashboards ListDashboards pages through, two a page.
    pub fn set_dashboards(&self, arns: Vec<String>) {
        self.state.lock().unwrap().dashboards = arns;
    }

    pub fn calls(&self) -> Vec<(Call, String)> {
        self.state.lock().unwrap().calls.clone()
    }

    fn begin(
        &self,
        call: Call,
        job_id: &str,
    ) -> Result<std::sync::MutexGuard<'_, State>, ApiError> {
        let mut state = self.state.lock().unwrap();
        state.calls.push((call, job_id.to_string()));
        if let Some(error) = state
            .scripted_errors
            .get_mut(&call)
            .and_then(VecDeque::pop_front)
        {
            return Err(error);
        }
        Ok(state)
    }
}

fn not_found(job: &JobRef) -> ApiError {
    ApiError::from_code(
        "ResourceNotFoundException",
        format!("Snapshot job {} not found", job.snapshot_job_id),
    )
}

impl SnapshotJobs for FakeSnapshotJobs {
    async fn start(&self, spec: &SnapshotJobSpec<'_>) -> Result<StartedJob, ApiError> {
        let mut state = self.begin(Call::Start, &spec.job.snapshot_job_id)?;
        if state.jobs.contains_key(&spec.job.snapshot_job_id) {
            return Err(ApiError::from_code(
                "ResourceExistsException",
                format!("Snapshot job {} already exists", spec.job.snapshot_job_id),
            ));
        }
        state.jobs.insert(
            spec.job.snapshot_job_id.clone(),
            FakeJob {
                status: JobStatus::Queued,
                configuration: spec.configuration_summary(),
                bucket_prefix: spec.bucket_prefix.clone(),
                anonymous: spec.rls_tags.is_some(),
                result: JobResult {
                    status: JobStatus::Queued,
                    file_groups: Vec::new(),
                    error: None,
                },
            },
        );
        Ok(StartedJob {
            arn: Some(format!(
                "arn:aws:quicksight:{}:{}:dashboard/{}/snapshot-job/{}",
                spec.job.region,
                spec.job.account_id,
                spec.job.dashboard_id,
                spec.job.snapshot_job_id
            )),
        })
    }

    async fn describe(&self, job: &JobRef) -> Result<JobDescription, ApiError> {
        let state = self.begin(Call::Describe, &job.snapshot_job_id)?;
        let found = state
            .jobs
            .get(&job.snapshot_job_id)
            .ok_or_else(|| not_found(job))?;
        Ok(JobDescription {
            status: found.status.clone(),
            created_at: None,
            updated_at: None,
            configuration: Some(found.configuration.clone()),
        })
    }

    async fn result(&self, job: &JobRef) -> Result<JobResult, ApiError> {
        let state = self.begin(Call::Result, &job.snapshot_job_id)?;
        let found = state
            .jobs
            .get(&job.snapshot_job_id)
            .ok_or_else(|| not_found(job))?;
        match found.status {
            JobStatus::Completed | JobStatus::Failed => Ok(found.result.clone()),
            _ => Err(ApiError::from_code(
                "PreconditionNotMetException",
                format!(
                    "Dashboard Snapshot Job with id {} has not reached a terminal state.",
                    job.snapshot_job_id
                ),
            )),
        }
    }
}

impl AssetBundles for FakeSnapshotJobs {
    async fn start_bundle(&self, spec: &BundleExportSpec<'_>) -> Result<StartedJob, ApiError> {
        let mut state = self.begin(Call::StartBundle, &spec.job.job_id)?;
        if state.bundles.contains_key(&spec.job.job_id) {
            return Err(ApiError::from_code(
                "ResourceExistsException",
                format!("Asset bundle export job {} already exists", spec.job.job_id),
            ));
        }
        state.bundles.insert(
            spec.job.job_id.clone(),
            FakeBundle {
                status: JobStatus::Queued,
                resource_arns: spec.resource_arns.to_vec(),
                format: spec.format.as_str().to_string(),
                errors: Vec::new(),
                urls_issued: 0,
            },
        );
        Ok(StartedJob { arn: None })
    }

    async fn describe_bundle(&self, job: &BundleJobRef) -> Result<BundleDescription, ApiError> {
        let mut state = self.begin(Call::DescribeBundle, &job.job_id)?;
        let found = state.bundles.get_mut(&job.job_id).ok_or_else(|| {
            ApiError::from_code(
                "ResourceNotFoundException",
                format!("Asset bundle export job {} not found", job.job_id),
            )
        })?;
        let download_url = (found.status == JobStatus::Completed).then(|| {
            found.urls_issued += 1;
            format!("fake://bundle/{}/{}", job.job_id, found.urls_issued)
        });
        Ok(BundleDescription {
            status: found.status.clone(),
            created_at: None,
            download_url,
            resource_arns: found.resource_arns.clone(),
            format: Some(found.format.clone()),
            errors: if found.status == JobStatus::Failed {
                found.errors.clone()
            } else {
                Vec::new()
            },
            warnings: Vec::new(),
        })
    }

    async fn list_dashboards(
        &self,
        _account_id: &str,
        _region: &str,
        next_token: Option<&str>,
    ) -> Result<DashboardPage, ApiError> {
        let state = self.begin(Call::ListDashboards, "")?;
        let from: usize = next_token.and_then(|t| t.parse().ok()).unwrap_or(0);
        let arns: Vec<String> = state
            .dashboards
            .iter()
            .skip(from)
            .take(2)
            .cloned()
            .collect();
        let next = from + arns.len();
        Ok(DashboardPage {
            arns,
            next_token: (next < state.dashboards.len()).then(|| next.to_string()),
        })
    }
}
