//! The asset-bundle port: the calls a backup makes, behind one narrow
//! trait beside [`super::SnapshotJobs`]. A describe's `DownloadUrl` is a
//! presigned URL valid for five minutes: it is used at once, never logged,
//! never put in a state or an outcome.

use std::future::Future;

use super::ApiError;
use super::{JobStatus, StartedJob};
use crate::model::{BundleFormat, BundleIssue, CloudFormationOverrides};

/// Everything QuickSight needs to start one bundle's export.
#[derive(Clone, Debug)]
pub struct BundleExportSpec<'a> {
    pub job: BundleJobRef,
    pub resource_arns: &'a [String],
    pub format: BundleFormat,
    pub include_all_dependencies: bool,
    pub include_permissions: bool,
    pub include_tags: bool,
    pub overrides: Option<&'a CloudFormationOverrides>,
}

/// Names one asset bundle export job.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BundleJobRef {
    pub account_id: String,
    pub region: String,
    pub job_id: String,
}

/// What DescribeAssetBundleExportJob says, with its status mapped onto the
/// snapshot jobs' (QUEUED_FOR_IMMEDIATE_EXECUTION is queued, IN_PROGRESS
/// running, SUCCESSFUL completed) so the poll loop is one.
#[derive(Clone, Debug, PartialEq)]
pub struct BundleDescription {
    pub status: JobStatus,
    /// Epoch seconds.
    pub created_at: Option<f64>,
    /// Only when SUCCESSFUL; fresh on every describe.
    pub download_url: Option<String>,
    pub resource_arns: Vec<String>,
    pub format: Option<String>,
    pub errors: Vec<BundleIssue>,
    pub warnings: Vec<BundleIssue>,
}

/// One page of ListDashboards.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DashboardPage {
    pub arns: Vec<String>,
    pub next_token: Option<String>,
}

/// The asset-bundle calls. Like [`super::SnapshotJobs`], implementations
/// classify every failure and never retry.
pub trait AssetBundles: Send + Sync {
    fn start_bundle(
        &self,
        spec: &BundleExportSpec<'_>,
    ) -> impl Future<Output = Result<StartedJob, ApiError>> + Send;

    fn describe_bundle(
        &self,
        job: &BundleJobRef,
    ) -> impl Future<Output = Result<BundleDescription, ApiError>> + Send;

    fn list_dashboards(
        &self,
        account_id: &str,
        region: &str,
        next_token: Option<&str>,
    ) -> impl Future<Output = Result<DashboardPage, ApiError>> + Send;
}
