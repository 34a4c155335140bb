//! The snapshot-job API family: StartDashboardSnapshotJob,
//! DescribeDashboardSnapshotJob and DescribeDashboardSnapshotJobResult, and
//! the record QuickSight keeps of each job.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::access;
use crate::clock::{epoch_json, now_epoch};
use crate::job_cap::JobCap;
use crate::job_lifecycle::JobStatus;
use crate::state::{Sim, SimState};
use crate::validate;
use crate::wire::{
    ApiError, BucketConfiguration, ErrorKind, SnapshotConfiguration, SnapshotFile,
    StartSnapshotJobRequest,
};

pub(crate) struct SnapshotJob {
    pub dashboard_id: String,
    pub arn: String,
    pub status: JobStatus,
    pub created: f64,
    pub updated: f64,
    /// As started, echoed by Describe.
    pub configuration: SnapshotConfiguration,
    /// Where the files go, and one file per file group, in order.
    pub bucket: BucketConfiguration,
    pub files: Vec<SnapshotFile>,
    /// `None`: the job runs as the registered user. Keys only: values are
    /// sensitive and not kept.
    pub tag_keys: Option<Vec<String>>,
    /// Set when the job reaches a terminal state.
    pub file_groups: Vec<Value>,
    pub error: Option<(String, String)>,
}

impl Sim {
    pub(crate) fn start_snapshot_job(
        self: &Arc<Self>,
        account_id: &str,
        dashboard_id: &str,
        region: &str,
        request: StartSnapshotJobRequest,
    ) -> Result<Value, ApiError> {
        validate::check_account_id(account_id)?;
        validate::check_resource_id("dashboardId", dashboard_id)?;
        validate::check_start(&request, Some(region))?;
        if !self.dashboard_exists(dashboard_id) {
            return Err(ApiError::new(
                ErrorKind::ResourceNotFound,
                format!("Dashboard {dashboard_id} does not exist in account {account_id}"),
            )
            .with_resource_type("DASHBOARD"));
        }
        let job_id = request.snapshot_job_id.unwrap_or_default();
        let configuration = request
            .snapshot_configuration
            .ok_or_else(|| ApiError::invalid("SnapshotConfiguration is required"))?;
        let (bucket, files) = output_of(&configuration)
            .ok_or_else(|| ApiError::invalid("SnapshotConfiguration is incomplete"))?;
        let tag_keys = request.user_configuration.as_ref().map(|u| {
            u.anonymous_users
                .iter()
                .flatten()
                .flat_map(|a| a.row_level_permission_tags.iter().flatten())
                .map(|t| t.key.clone())
                .collect()
        });

        let mut state = self.state();
        let account = state.accounts.entry(account_id.to_string()).or_default();
        if account.snapshot_jobs.contains_key(&job_id) {
            return Err(ApiError::new(
                ErrorKind::ResourceExists,
                format!("Snapshot job with id {job_id} already exists"),
            )
            .with_resource_type("DASHBOARD_SNAPSHOT_JOB"));
        }
        JobCap::snapshot_jobs(self.config.max_running_jobs)
            .check(account.active_snapshot_jobs())?;
        let arn = format!(
            "arn:aws:quicksight:{region}:{account_id}:dashboard/{dashboard_id}/snapshot-job/{job_id}"
        );
        let now = now_epoch();
        account.snapshot_jobs.insert(
            job_id.clone(),
            SnapshotJob {
                dashboard_id: dashboard_id.to_string(),
                arn: arn.clone(),
                status: JobStatus::Queued,
                created: now,
                updated: now,
                configuration,
                bucket,
                files,
                tag_keys,
                file_groups: Vec::new(),
                error: None,
            },
        );
        let active = account.active_snapshot_jobs() as u64;
        state.stats.jobs_started += 1;
        state.stats.max_running = state.stats.max_running.max(active);
        drop(state);

        let sim = self.clone();
        let (account_id, job) = (account_id.to_string(), job_id.clone());
        tokio::spawn(async move { sim.run_snapshot_job(account_id, job).await });
        Ok(json!({ "Arn": arn, "SnapshotJobId": job_id }))
    }

    pub(crate) fn describe_snapshot_job(
        &self,
        account_id: &str,
        dashboard_id: &str,
        job_id: &str,
    ) -> Result<Value, ApiError> {
        access::check_may_describe(&self.config, job_id)?;
        let state = self.state();
        let job = find_job(&state, account_id, dashboard_id, job_id)?;
        let mut body = json!({
            "AwsAccountId": account_id,
            "DashboardId": dashboard_id,
            "SnapshotJobId": job_id,
            "SnapshotConfiguration": job.configuration,
            "Arn": job.arn,
            "JobStatus": job.status.as_str(),
            "CreatedTime": epoch_json(job.created),
            "LastUpdatedTime": epoch_json(job.updated),
            "Status": 200,
        });
        if let Some(keys) = &job.tag_keys {
            body["UserConfiguration"] =
                json!({ "AnonymousUsers": [{ "RowLevelPermissionTagKeys": keys }] });
        }
        Ok(body)
    }

    pub(crate) fn describe_snapshot_job_result(
        &self,
        account_id: &str,
        dashboard_id: &str,
        job_id: &str,
    ) -> Result<Value, ApiError> {
        access::check_may_describe(&self.config, job_id)?;
        let state = self.state();
        let job = find_job(&state, account_id, dashboard_id, job_id)?;
        if job.status.is_active() {
            return Err(ApiError::new(
                ErrorKind::PreconditionNotMet,
                format!(
                    "Dashboard Snapshot Job with id {job_id} has not reached a terminal state."
                ),
            ));
        }
        let mut body = json!({
            "Arn": job.arn,
            "JobStatus": job.status.as_str(),
            "CreatedTime": epoch_json(job.created),
            "LastUpdatedTime": epoch_json(job.updated),
        });
        if let Some((error_type, message)) = &job.error {
            body["ErrorInfo"] = json!({ "ErrorType": error_type, "ErrorMessage": message });
        } else {
            let users = json!([{ "FileGroups": job.file_groups }]);
            body["Result"] = if job.tag_keys.is_some() {
                json!({ "AnonymousUsers": users })
            } else {
                json!({ "RegisteredUsers": users })
            };
        }
        Ok(body)
    }
}

/// The bucket and the one file of each file group, from a configuration
/// that `validate::check_start` accepted.
fn output_of(
    configuration: &SnapshotConfiguration,
) -> Option<(BucketConfiguration, Vec<SnapshotFile>)> {
    let bucket = configuration
        .destination_configuration
        .as_ref()?
        .s3_destinations
        .as_ref()?
        .first()?
        .bucket_configuration
        .clone()?;
    let files = configuration
        .file_groups
        .iter()
        .flatten()
        .map(|group| group.files.as_ref()?.first().cloned())
        .collect::<Option<Vec<_>>>()?;
    Some((bucket, files))
}

fn find_job<'a>(
    state: &'a SimState,
    account_id: &str,
    dashboard_id: &str,
    job_id: &str,
) -> Result<&'a SnapshotJob, ApiError> {
    state
        .accounts
        .get(account_id)
        .and_then(|a| a.snapshot_jobs.get(job_id))
        .filter(|j| j.dashboard_id == dashboard_id)
        .ok_or_else(|| {
            ApiError::new(
                ErrorKind::ResourceNotFound,
                format!("Snapshot job {job_id} of dashboard {dashboard_id} not found"),
            )
            .with_resource_type("DASHBOARD_SNAPSHOT_JOB")
        })
}
