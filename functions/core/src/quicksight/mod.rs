//! The QuickSight port: the three snapshot-job calls the functions make,
//! behind one narrow trait (and the asset-bundle calls behind another,
//! `bundles`). `sdk` is the real adapter over
//! `aws-sdk-quicksight`; `fake` is an in-memory one for unit tests.

use std::future::Future;

use crate::model::{DashboardParameters, ErrorDetail, FileGroup, RlsTag};

pub mod budgeted;
pub mod bundles;
pub mod error;
pub mod fake;
pub mod sdk;
mod sdk_bundles;

pub use error::ApiError;

/// Everything QuickSight needs to start one recipient's job.
#[derive(Clone, Debug)]
pub struct SnapshotJobSpec<'a> {
    pub job: JobRef,
    pub file_groups: &'a [FileGroup],
    pub bucket: &'a str,
    /// The recipient's own prefix (`layout::files_prefix`).
    pub bucket_prefix: String,
    pub bucket_region: &'a str,
    pub parameters: Option<&'a DashboardParameters>,
    /// `None` would run the job as the registered user; validation refuses
    /// recipients without tags, so the functions always send them.
    pub rls_tags: Option<&'a [RlsTag]>,
}

/// Names one snapshot job.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct JobRef {
    pub account_id: String,
    pub region: String,
    pub dashboard_id: String,
    pub snapshot_job_id: String,
}

/// QuickSight's `JobStatus`. `Other` keeps a status this project does not
/// know (the SDK enum is non-exhaustive) so it is reported, not polled forever.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobStatus {
    Queued,
    Running,
    Completed,
    Failed,
    Other(String),
}

impl JobStatus {
    pub fn as_str(&self) -> &str {
        match self {
            JobStatus::Queued => "QUEUED",
            JobStatus::Running => "RUNNING",
            JobStatus::Completed => "COMPLETED",
            JobStatus::Failed => "FAILED",
            JobStatus::Other(s) => s,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct StartedJob {
    pub arn: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct JobDescription {
    pub status: JobStatus,
    /// Epoch seconds.
    pub created_at: Option<f64>,
    /// Epoch seconds: when its status last changed (for a finished job,
    /// when it finished).
    pub updated_at: Option<f64>,
    /// What the job was asked to do, as far as QuickSight says (it redacts
    /// the user configuration): enough to tell our job from another.
    pub configuration: Option<JobConfigurationSummary>,
}

/// The parts of a job's configuration that identify it: where its files go
/// (the prefix names the run and the recipient) and which files it makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobConfigurationSummary {
    pub bucket: String,
    pub bucket_prefix: String,
    /// File formats in file-group order (`PDF`, `CSV`, `EXCEL`).
    pub formats: Vec<String>,
}

impl SnapshotJobSpec<'_> {
    pub fn configuration_summary(&self) -> JobConfigurationSummary {
        JobConfigurationSummary {
            bucket: self.bucket.to_string(),
            bucket_prefix: self.bucket_prefix.clone(),
            formats: self
                .file_groups
                .iter()
                .map(|g| g.format.as_str().to_string())
                .collect(),
        }
    }
}

/// One file group of a job's result, for the one user the job ran as.
#[derive(Clone, Debug, PartialEq)]
pub struct FileGroupResult {
    pub format: String,
    pub sheet_ids: Vec<String>,
    pub s3_uris: Vec<String>,
    pub errors: Vec<ErrorDetail>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct JobResult {
    pub status: JobStatus,
    pub file_groups: Vec<FileGroupResult>,
    /// The job-level error of a failed job.
    pub error: Option<ErrorDetail>,
}

/// The snapshot-job calls. Implementations classify every failure into an
/// [`ApiError`] with an [`crate::error_name::ErrorName`] and never retry on their own:
/// the state machine owns retries.
pub trait SnapshotJobs: Send + Sync {
    fn start(
        &self,
        spec: &SnapshotJobSpec<'_>,
    ) -> impl Future<Output = Result<StartedJob, ApiError>> + Send;

    fn describe(
        &self,
        job: &JobRef,
    ) -> impl Future<Output = Result<JobDescription, ApiError>> + Send;

    fn result(&self, job: &JobRef) -> impl Future<Output = Result<JobResult, ApiError>> + Send;
}
