//! The asset-bundle export API family: StartAssetBundleExportJob,
//! DescribeAssetBundleExportJob, and the download its URL points at.

use std::time::Instant;

use serde_json::{Value, json};

use crate::artifacts::{self, RenderError};
use crate::clock::{epoch_json, now_epoch};
use crate::job_cap::JobCap;
use crate::state::Sim;
use crate::validate;
use crate::wire::{self, ApiError, ErrorKind};

pub(crate) struct AssetBundleJob {
    arn: String,
    created: f64,
    started: Instant,
    resource_arns: Vec<String>,
    export_format: String,
    include_all_dependencies: bool,
    include_permissions: bool,
    include_tags: bool,
    /// The job's errors, reported once it has run: QuickSight fails the job,
    /// not the Start call, for a resource that does not exist.
    errors: Vec<Value>,
    /// DownloadUrls handed out so far (`--stale-bundle-urls`).
    urls_issued: u32,
}

impl AssetBundleJob {
    /// QUEUED_FOR_IMMEDIATE_EXECUTION or IN_PROGRESS: what the cap counts.
    fn in_flight(&self, sim: &Sim) -> bool {
        self.started.elapsed() < sim.config.job_duration()
    }
}

/// Why a download URL gives no bundle.
pub(crate) enum DownloadError {
    Expired,
    NotFound,
    Render(RenderError),
}

impl Sim {
    pub(crate) fn start_asset_bundle_export(
        &self,
        account_id: &str,
        region: &str,
        body: &[u8],
    ) -> Result<Value, ApiError> {
        validate::check_account_id(account_id)?;
        let request: wire::StartAssetBundleExportRequest = wire::parse_body(body)?;
        validate::check_asset_bundle_export(&request)?;
        let job_id = request.asset_bundle_export_job_id.unwrap_or_default();
        let resource_arns = request.resource_arns.unwrap_or_default();
        let errors: Vec<Value> = resource_arns
            .iter()
            .filter_map(|arn| {
                let dashboard = arn.split(":dashboard/").nth(1)?;
                (!self.dashboard_exists(dashboard)).then(|| {
                    json!({
                        "Arn": arn,
                        "Type": "com.amazonaws.services.quicksight.model.ResourceNotFoundException",
                        "Message": format!("Dashboard {dashboard} does not exist"),
                    })
                })
            })
            .collect();
        let mut state = self.state();
        let account = state.accounts.entry(account_id.to_string()).or_default();
        if account.bundles.contains_key(&job_id) {
            return Err(ApiError::new(
                ErrorKind::Conflict,
                format!("An asset bundle export job with id {job_id} already exists"),
            ));
        }
        let in_flight = account
            .bundles
            .values()
            .filter(|j| j.in_flight(self))
            .count();
        JobCap::bundle_exports(self.config.max_running_bundle_exports).check(in_flight)?;
        let arn =
            format!("arn:aws:quicksight:{region}:{account_id}:asset-bundle-export-job/{job_id}");
        account.bundles.insert(
            job_id.clone(),
            AssetBundleJob {
                arn: arn.clone(),
                created: now_epoch(),
                started: Instant::now(),
                resource_arns,
                export_format: request.export_format.unwrap_or_default(),
                include_all_dependencies: request.include_all_dependencies.unwrap_or(false),
                include_permissions: request.include_permissions.unwrap_or(false),
                include_tags: request.include_tags.unwrap_or(false),
                errors,
                urls_issued: 0,
            },
        );
        state.stats.bundle_exports_started += 1;
        state.stats.bundle_exports_max_running = state
            .stats
            .bundle_exports_max_running
            .max(in_flight as u64 + 1);
        Ok(json!({ "Arn": arn, "AssetBundleExportJobId": job_id }))
    }

    /// The job's status follows the clock: queued, in progress, then done
    /// `--job-duration-ms` after Start. `host` is where the download URL
    /// points, as the caller reached the simulator.
    pub(crate) fn describe_asset_bundle_export(
        &self,
        account_id: &str,
        job_id: &str,
        host: &str,
    ) -> Result<Value, ApiError> {
        let mut state = self.state();
        let job = state
            .accounts
            .get_mut(account_id)
            .and_then(|a| a.bundles.get_mut(job_id))
            .ok_or_else(|| {
                ApiError::new(
                    ErrorKind::ResourceNotFound,
                    format!("Asset bundle export job {job_id} not found"),
                )
            })?;
        let elapsed = job.started.elapsed();
        let status = if elapsed < self.config.queued_for() {
            "QUEUED_FOR_IMMEDIATE_EXECUTION"
        } else if elapsed < self.config.job_duration() {
            "IN_PROGRESS"
        } else if job.errors.is_empty() {
            "SUCCESSFUL"
        } else {
            "FAILED"
        };
        let mut body = json!({
            "JobStatus": status,
            "Arn": job.arn,
            "CreatedTime": epoch_json(job.created),
            "AssetBundleExportJobId": job_id,
            "AwsAccountId": account_id,
            "ResourceArns": job.resource_arns,
            "IncludeAllDependencies": job.include_all_dependencies,
            "IncludePermissions": job.include_permissions,
            "IncludeTags": job.include_tags,
            "ExportFormat": job.export_format,
            "Errors": if status == "FAILED" { json!(job.errors) } else { json!([]) },
            "Warnings": [],
        });
        if status == "SUCCESSFUL" {
            // A fresh URL on every Describe, valid for the TTL (five
            // minutes on QuickSight); the first few stale on request.
            job.urls_issued += 1;
            let expires = if job.urls_issued <= self.config.stale_bundle_urls {
                (now_epoch() - 1.0) as u64
            } else {
                (now_epoch() + self.config.bundle_url_ttl_seconds as f64) as u64
            };
            body["DownloadUrl"] = json!(format!(
                "http://{host}/_sim/asset-bundles/{account_id}/{job_id}.qs?expires={expires}"
            ));
        }
        Ok(body)
    }

    /// The bundle behind a download URL: `file` is `JOB_ID.qs`, `expires`
    /// the URL's expiry in epoch seconds.
    pub(crate) fn download_asset_bundle(
        &self,
        account_id: &str,
        file: &str,
        expires: Option<&str>,
    ) -> Result<Vec<u8>, DownloadError> {
        let expires: f64 = expires.and_then(|e| e.parse().ok()).unwrap_or(0.0);
        if expires < now_epoch() {
            self.state().stats.bundle_urls_expired += 1;
            return Err(DownloadError::Expired);
        }
        let job_id = file.trim_end_matches(".qs");
        let (export_format, resource_arns, include_all_dependencies) = {
            let state = self.state();
            let job = state
                .accounts
                .get(account_id)
                .and_then(|a| a.bundles.get(job_id))
                .ok_or(DownloadError::NotFound)?;
            (
                job.export_format.clone(),
                job.resource_arns.clone(),
                job.include_all_dependencies,
            )
        };
        let bundle = artifacts::asset_bundle::zip(
            &export_format,
            &resource_arns,
            include_all_dependencies,
            self.config.bundle_padding_bytes,
        )
        .map_err(DownloadError::Render)?;
        self.state().stats.bundle_downloads += 1;
        Ok(bundle)
    }

    /// ListDashboards: the `--dashboards` given, `max_results` a page, the
    /// next token the index of the next one.
    pub(crate) fn list_dashboards(
        &self,
        account_id: &str,
        region: &str,
        max_results: Option<&str>,
        next_token: Option<&str>,
    ) -> Result<Value, ApiError> {
        validate::check_account_id(account_id)?;
        let page: usize = match max_results {
            None => 100,
            Some(m) => m
                .parse()
                .ok()
                .filter(|m| (1..=100).contains(m))
                .ok_or_else(|| {
                    ApiError::new(ErrorKind::InvalidParameterValue, "MaxResults must be 1-100")
                })?,
        };
        let from: usize = match next_token {
            None => 0,
            Some(t) => t.parse().map_err(|_| {
                ApiError::new(ErrorKind::InvalidParameterValue, "The NextToken is invalid")
            })?,
        };
        let all = self.known_dashboards();
        let summaries: Vec<Value> = all
            .iter()
            .skip(from)
            .take(page)
            .map(|id| {
                json!({
                    "Arn": format!("arn:aws:quicksight:{region}:{account_id}:dashboard/{id}"),
                    "DashboardId": id,
                    "Name": id,
                })
            })
            .collect();
        let mut body = json!({ "DashboardSummaryList": summaries, "Status": 200 });
        if from + page < all.len() {
            body["NextToken"] = json!((from + page).to_string());
        }
        Ok(body)
    }
}
