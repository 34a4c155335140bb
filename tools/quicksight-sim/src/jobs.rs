//! The simulator's state and the five operations: per-account snapshot jobs
//! and asset-bundle export jobs, the call-rate limit and the running-job cap.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::{Value, json};
use tracing::info;

use crate::artifacts;
use crate::config::{Rule, SimConfig};
use crate::validate;
use crate::wire::{self, ApiError, ErrorKind, SnapshotConfiguration, StartSnapshotJobRequest};

/// How long an asset bundle's download URL stays valid.
const DOWNLOAD_URL_TTL_SECONDS: f64 = 300.0;
/// Calls are counted over this window for the per-second limit.
const RATE_WINDOW: Duration = Duration::from_secs(1);

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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum JobStatus {
    Queued,
    Running,
    Completed,
    Failed,
}

impl JobStatus {
    fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "QUEUED",
            JobStatus::Running => "RUNNING",
            JobStatus::Completed => "COMPLETED",
            JobStatus::Failed => "FAILED",
        }
    }

    fn is_active(self) -> bool {
        matches!(self, JobStatus::Queued | JobStatus::Running)
    }
}

struct SnapshotJob {
    dashboard_id: String,
    arn: String,
    status: JobStatus,
    created: f64,
    updated: f64,
    configuration: SnapshotConfiguration,
    /// `None`: the job runs as the registered user. Keys only: values are
    /// sensitive and not kept.
    tag_keys: Option<Vec<String>>,
    /// Set when the job reaches a terminal state.
    file_groups: Vec<Value>,
    error: Option<(String, String)>,
}

struct AssetBundleJob {
    arn: String,
    created: f64,
    started: Instant,
    resource_arns: Vec<String>,
    export_format: String,
    include_all_dependencies: bool,
    include_permissions: bool,
    include_tags: bool,
    errors: Vec<Value>,
}

#[derive(Default)]
struct Account {
    recent_calls: VecDeque<Instant>,
    jobs: HashMap<String, SnapshotJob>,
    bundles: HashMap<String, AssetBundleJob>,
}

impl Account {
    fn active_jobs(&self) -> usize {
        self.jobs.values().filter(|j| j.status.is_active()).count()
    }
}

#[derive(Default)]
struct SimState {
    accounts: HashMap<String, Account>,
    stats: Stats,
}

pub struct Sim {
    config: SimConfig,
    state: Mutex<SimState>,
    s3: Option<aws_sdk_s3::Client>,
}

fn now_epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}

/// Epoch seconds with millisecond precision, as QuickSight sends them.
fn epoch_json(t: f64) -> Value {
    json!((t * 1000.0).round() / 1000.0)
}

fn s3_client(endpoint: &str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "test",
            "test",
            None,
            None,
            "quicksight-sim",
        ))
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

impl Sim {
    pub async fn new(config: SimConfig) -> Self {
        let s3 = config.s3_endpoint.as_deref().map(s3_client);
        Sim {
            config,
            state: Mutex::new(SimState::default()),
            s3,
        }
    }

    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    pub fn stats(&self) -> Stats {
        let state = self.state.lock().unwrap();
        let mut stats = state.stats.clone();
        stats.running_now = state
            .accounts
            .values()
            .map(|a| a.active_jobs() as u64)
            .sum();
        stats
    }

    /// Counts one call against the account's rate limit, or refuses it.
    /// Refused calls do not count.
    fn admit(&self, account_id: &str) -> Result<(), ApiError> {
        let mut state = self.state.lock().unwrap();
        state.stats.calls += 1;
        let now = Instant::now();
        let account = state.accounts.entry(account_id.to_string()).or_default();
        while account
            .recent_calls
            .front()
            .is_some_and(|t| now.duration_since(*t) >= RATE_WINDOW)
        {
            account.recent_calls.pop_front();
        }
        if account.recent_calls.len() >= self.config.calls_per_second {
            state.stats.throttled += 1;
            return Err(ApiError::new(ErrorKind::Throttling, "Rate exceeded"));
        }
        account.recent_calls.push_back(now);
        Ok(())
    }

    fn count_error(&self, error: &ApiError) {
        let mut state = self.state.lock().unwrap();
        let stats = &mut state.stats;
        match error.kind {
            ErrorKind::LimitExceeded => stats.limit_exceeded += 1,
            ErrorKind::ResourceExists => stats.resource_exists += 1,
            ErrorKind::PreconditionNotMet => stats.precondition_not_met += 1,
            ErrorKind::ResourceNotFound => stats.not_found += 1,
            ErrorKind::InvalidParameterValue => stats.invalid_parameter += 1,
            _ => {}
        }
    }

    fn dashboard_exists(&self, dashboard_id: &str) -> bool {
        self.config.dashboards.is_empty()
            || self.config.dashboards.iter().any(|d| d == dashboard_id)
    }

    fn start_snapshot_job(
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
        let job_id = request.snapshot_job_id.clone().unwrap_or_default();
        let mut state = self.state.lock().unwrap();
        let account = state.accounts.entry(account_id.to_string()).or_default();
        if account.jobs.contains_key(&job_id) {
            return Err(ApiError::new(
                ErrorKind::ResourceExists,
                format!("Snapshot job with id {job_id} already exists"),
            )
            .with_resource_type("DASHBOARD_SNAPSHOT_JOB"));
        }
        if account.active_jobs() >= self.config.max_running_jobs {
            return Err(ApiError::new(
                ErrorKind::LimitExceeded,
                format!(
                    "The account has reached its limit of {} concurrent snapshot jobs",
                    self.config.max_running_jobs
                ),
            )
            .with_resource_type("DASHBOARD_SNAPSHOT_JOB"));
        }
        let arn = format!(
            "arn:aws:quicksight:{region}:{account_id}:dashboard/{dashboard_id}/snapshot-job/{job_id}"
        );
        let now = now_epoch();
        let tag_keys = request.user_configuration.as_ref().map(|u| {
            u.anonymous_users
                .iter()
                .flatten()
                .flat_map(|a| a.row_level_permission_tags.iter().flatten())
                .map(|t| t.key.clone())
                .collect()
        });
        account.jobs.insert(
            job_id.clone(),
            SnapshotJob {
                dashboard_id: dashboard_id.to_string(),
                arn: arn.clone(),
                status: JobStatus::Queued,
                created: now,
                updated: now,
                configuration: request.snapshot_configuration.clone().unwrap(),
                tag_keys,
                file_groups: Vec::new(),
                error: None,
            },
        );
        let active = account.active_jobs() as u64;
        state.stats.jobs_started += 1;
        state.stats.max_running = state.stats.max_running.max(active);
        drop(state);

        let sim = self.clone();
        let (account_id, job) = (account_id.to_string(), job_id.clone());
        tokio::spawn(async move { sim.run_job(account_id, job).await });
        Ok(json!({ "Arn": arn, "SnapshotJobId": job_id }))
    }

    /// QUEUED, then RUNNING, then the files are written and the job is
    /// COMPLETED (or FAILED when a `--fail-job` rule matches).
    async fn run_job(self: Arc<Self>, account_id: String, job_id: String) {
        tokio::time::sleep(self.config.queued_for()).await;
        self.set_status(&account_id, &job_id, JobStatus::Running);
        tokio::time::sleep(
            self.config
                .job_duration()
                .saturating_sub(self.config.queued_for()),
        )
        .await;
        if let Some(rule) = Rule::find(&self.config.fail_jobs, &job_id) {
            let message = format!("The snapshot job failed: {}", rule.error_type);
            let mut state = self.state.lock().unwrap();
            if let Some(job) = state
                .accounts
                .get_mut(&account_id)
                .and_then(|a| a.jobs.get_mut(&job_id))
            {
                job.status = JobStatus::Failed;
                job.updated = now_epoch();
                job.error = Some((rule.error_type.clone(), message));
            }
            state.stats.jobs_failed += 1;
            info!(%account_id, %job_id, "snapshot job failed (injected)");
            return;
        }
        let file_groups = self.produce_files(&account_id, &job_id).await;
        let mut state = self.state.lock().unwrap();
        if let Some(job) = state
            .accounts
            .get_mut(&account_id)
            .and_then(|a| a.jobs.get_mut(&job_id))
        {
            job.status = JobStatus::Completed;
            job.updated = now_epoch();
            job.file_groups = file_groups;
        }
        state.stats.jobs_completed += 1;
        info!(%account_id, %job_id, "snapshot job completed");
    }

    fn set_status(&self, account_id: &str, job_id: &str, status: JobStatus) {
        let mut state = self.state.lock().unwrap();
        if let Some(job) = state
            .accounts
            .get_mut(account_id)
            .and_then(|a| a.jobs.get_mut(job_id))
        {
            job.status = status;
            job.updated = now_epoch();
        }
    }

    /// Renders and writes each file group, and returns the result's
    /// `FileGroups` entries.
    async fn produce_files(&self, account_id: &str, job_id: &str) -> Vec<Value> {
        let (dashboard_id, configuration, tag_keys, created) = {
            let state = self.state.lock().unwrap();
            let Some(job) = state
                .accounts
                .get(account_id)
                .and_then(|a| a.jobs.get(job_id))
            else {
                return Vec::new();
            };
            (
                job.dashboard_id.clone(),
                job.configuration.clone(),
                job.tag_keys.clone().unwrap_or_default(),
                job.created,
            )
        };
        let bucket = configuration
            .destination_configuration
            .as_ref()
            .and_then(|d| d.s3_destinations.as_ref())
            .and_then(|d| d.first())
            .and_then(|d| d.bucket_configuration.clone())
            .expect("validated at Start");
        let injected = Rule::find(&self.config.file_errors, job_id);
        let created_at = format_epoch(created);
        let mut out = Vec::new();
        for (i, group) in configuration.file_groups.iter().flatten().enumerate() {
            let file = group
                .files
                .as_ref()
                .and_then(|f| f.first())
                .expect("validated at Start");
            let selections = file.sheet_selections.clone().unwrap_or_default();
            let sheet_ids: Vec<&str> = selections.iter().map(|s| s.sheet_id.as_str()).collect();
            let visual_ids: Vec<&str> = selections
                .iter()
                .flat_map(|s| s.visual_ids.iter().flatten().map(String::as_str))
                .collect();
            let key = format!(
                "{}/{}-{}.{}",
                bucket.bucket_prefix.trim_end_matches('/'),
                sheet_ids.first().copied().unwrap_or("sheet"),
                i + 1,
                artifacts::extension(&file.format_type)
            );
            let mut s3_result = json!({
                "S3DestinationConfiguration": { "BucketConfiguration": bucket },
            });
            let mut errors = Vec::new();
            if let Some(rule) = injected.filter(|_| i == 0) {
                errors.push(json!({
                    "ErrorType": rule.error_type,
                    "ErrorMessage": format!("The file was not generated: {}", rule.error_type),
                }));
            } else {
                let snapshot = artifacts::Snapshot {
                    dashboard_id: &dashboard_id,
                    snapshot_job_id: job_id,
                    sheet_ids: sheet_ids.clone(),
                    visual_ids,
                    tag_keys: &tag_keys,
                    created_at: &created_at,
                };
                match self
                    .write_file(&bucket, &key, &file.format_type, &snapshot)
                    .await
                {
                    Ok(()) => {
                        s3_result["S3Uri"] = json!(format!("s3://{}/{key}", bucket.bucket_name));
                    }
                    Err(message) => errors.push(json!({
                        "ErrorType": "S3_WRITE_FAILED",
                        "ErrorMessage": message,
                    })),
                }
            }
            s3_result["ErrorInfo"] = json!(errors);
            out.push(json!({ "Files": [file], "S3Results": [s3_result] }));
        }
        out
    }

    async fn write_file(
        &self,
        bucket: &wire::BucketConfiguration,
        key: &str,
        format: &str,
        snapshot: &artifacts::Snapshot<'_>,
    ) -> Result<(), String> {
        let Some(s3) = &self.s3 else {
            return Ok(()); // no S3 endpoint configured: report the URI only
        };
        let body = artifacts::render(format, snapshot);
        let result = s3
            .put_object()
            .bucket(&bucket.bucket_name)
            .key(key)
            .content_type(artifacts::content_type(format))
            .body(body.into())
            .send()
            .await;
        let mut state = self.state.lock().unwrap();
        match result {
            Ok(_) => {
                state.stats.files_written += 1;
                Ok(())
            }
            Err(e) => {
                state.stats.file_write_errors += 1;
                Err(format!(
                    "could not write s3://{}/{key}: {}",
                    bucket.bucket_name,
                    aws_sdk_s3::error::DisplayErrorContext(&e)
                ))
            }
        }
    }

    fn describe_snapshot_job(
        &self,
        account_id: &str,
        dashboard_id: &str,
        job_id: &str,
    ) -> Result<Value, ApiError> {
        check_not_denied(&self.config, job_id)?;
        let state = self.state.lock().unwrap();
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

    fn describe_snapshot_job_result(
        &self,
        account_id: &str,
        dashboard_id: &str,
        job_id: &str,
    ) -> Result<Value, ApiError> {
        check_not_denied(&self.config, job_id)?;
        let state = self.state.lock().unwrap();
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

    fn start_asset_bundle_export(
        &self,
        account_id: &str,
        region: &str,
        body: &[u8],
    ) -> Result<Value, ApiError> {
        validate::check_account_id(account_id)?;
        let request: wire::StartAssetBundleExportRequest = parse_body(body)?;
        let job_id = request
            .asset_bundle_export_job_id
            .ok_or_else(|| ApiError::invalid("AssetBundleExportJobId is required"))?;
        validate::check_resource_id("assetBundleExportJobId", &job_id)?;
        let resource_arns = request.resource_arns.unwrap_or_default();
        if resource_arns.is_empty() || resource_arns.len() > 100 {
            return Err(ApiError::invalid(format!(
                "ResourceArns must have between 1 and 100 members, got {}",
                resource_arns.len()
            )));
        }
        if let Some(bad) = resource_arns
            .iter()
            .find(|a| !a.starts_with("arn:aws:quicksight:"))
        {
            return Err(ApiError::invalid(format!(
                "{bad} is not a QuickSight resource ARN"
            )));
        }
        let export_format = request.export_format.unwrap_or_default();
        if !matches!(
            export_format.as_str(),
            "CLOUDFORMATION_JSON" | "QUICKSIGHT_JSON"
        ) {
            return Err(ApiError::invalid(format!(
                "ExportFormat '{export_format}' is not one of CLOUDFORMATION_JSON, QUICKSIGHT_JSON"
            )));
        }
        // A missing dashboard makes the job fail, not the call.
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
        let mut state = self.state.lock().unwrap();
        let account = state.accounts.entry(account_id.to_string()).or_default();
        if account.bundles.contains_key(&job_id) {
            return Err(ApiError::new(
                ErrorKind::Conflict,
                format!("An asset bundle export job with id {job_id} already exists"),
            ));
        }
        let arn =
            format!("arn:aws:quicksight:{region}:{account_id}:asset-bundle-export-job/{job_id}");
        account.bundles.insert(
            job_id.clone(),
            AssetBundleJob {
                arn: arn.clone(),
                created: now_epoch(),
                started: Instant::now(),
                resource_arns,
                export_format,
                include_all_dependencies: request.include_all_dependencies.unwrap_or(false),
                include_permissions: request.include_permissions.unwrap_or(false),
                include_tags: request.include_tags.unwrap_or(false),
                errors,
            },
        );
        Ok(json!({ "Arn": arn, "AssetBundleExportJobId": job_id }))
    }

    fn describe_asset_bundle_export(
        &self,
        account_id: &str,
        job_id: &str,
        host: &str,
    ) -> Result<Value, ApiError> {
        let state = self.state.lock().unwrap();
        let job = state
            .accounts
            .get(account_id)
            .and_then(|a| a.bundles.get(job_id))
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
            // A fresh URL on every Describe, valid for five minutes.
            let expires = (now_epoch() + DOWNLOAD_URL_TTL_SECONDS) as u64;
            body["DownloadUrl"] = json!(format!(
                "http://{host}/_sim/asset-bundles/{account_id}/{job_id}.qs?expires={expires}"
            ));
        }
        Ok(body)
    }

    fn asset_bundle_file(&self, account_id: &str, job_id: &str) -> Option<Vec<u8>> {
        let state = self.state.lock().unwrap();
        let job = state.accounts.get(account_id)?.bundles.get(job_id)?;
        let manifest = json!({
            "ExportFormat": job.export_format,
            "ResourceArns": job.resource_arns,
            "IncludeAllDependencies": job.include_all_dependencies,
        });
        let mut files = vec![(
            "manifest.json".to_string(),
            serde_json::to_vec_pretty(&manifest).unwrap_or_default(),
        )];
        for arn in &job.resource_arns {
            let name = arn.rsplit(':').next().unwrap_or(arn).replace('/', "-");
            files.push((
                format!("resources/{name}.json"),
                serde_json::to_vec_pretty(&json!({ "Arn": arn })).unwrap_or_default(),
            ));
        }
        Some(artifacts::zip_stored(&files))
    }
}

fn check_not_denied(config: &SimConfig, job_id: &str) -> Result<(), ApiError> {
    if config
        .deny_describe
        .iter()
        .any(|p| job_id.contains(p.as_str()))
    {
        return Err(ApiError::new(
            ErrorKind::AccessDenied,
            format!(
                "You don't have access to snapshot job {job_id}: it was started by a different user"
            ),
        ));
    }
    Ok(())
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
        .and_then(|a| a.jobs.get(job_id))
        .filter(|j| j.dashboard_id == dashboard_id)
        .ok_or_else(|| {
            ApiError::new(
                ErrorKind::ResourceNotFound,
                format!("Snapshot job {job_id} of dashboard {dashboard_id} not found"),
            )
            .with_resource_type("DASHBOARD_SNAPSHOT_JOB")
        })
}

fn format_epoch(t: f64) -> String {
    let secs = t as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body = if body.is_empty() {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        // serde's message may quote a value; say only where it broke.
        ApiError::invalid(format!(
            "the request body is not valid for this operation (line {}, column {})",
            e.line(),
            e.column()
        ))
    })
}

/// The region the call was made in: from its signature, else us-east-1.
fn call_region(headers: &HeaderMap) -> String {
    wire::signed_region(headers).unwrap_or_else(|| "us-east-1".to_string())
}

/// Runs one operation: counts the call against the account's rate limit,
/// then answers with the operation's body or QuickSight's error shape.
fn serve(
    sim: &Sim,
    operation: &str,
    account_id: &str,
    success: StatusCode,
    op: impl FnOnce() -> Result<Value, ApiError>,
) -> Response {
    let result = sim.admit(account_id).and_then(|()| op());
    let request_id = uuid::Uuid::new_v4().to_string();
    match result {
        Ok(body) => {
            info!(operation, account_id, status = success.as_u16(), "call");
            wire::ok(
                success,
                body_with_request_id(body, &request_id),
                &request_id,
            )
        }
        Err(error) => {
            sim.count_error(&error);
            info!(operation, account_id, error = error.kind.name(), "call");
            error.into_response(&request_id)
        }
    }
}

fn body_with_request_id(mut body: Value, request_id: &str) -> Value {
    body["RequestId"] = json!(request_id);
    body
}

async fn start_snapshot_job(
    State(sim): State<Arc<Sim>>,
    Path((account_id, dashboard_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve(
        &sim,
        "StartDashboardSnapshotJob",
        &account_id,
        StatusCode::ACCEPTED,
        || {
            let request: StartSnapshotJobRequest = parse_body(&body)?;
            sim.start_snapshot_job(&account_id, &dashboard_id, &call_region(&headers), request)
        },
    )
}

async fn describe_snapshot_job(
    State(sim): State<Arc<Sim>>,
    Path((account_id, dashboard_id, job_id)): Path<(String, String, String)>,
) -> Response {
    serve(
        &sim,
        "DescribeDashboardSnapshotJob",
        &account_id,
        StatusCode::OK,
        || sim.describe_snapshot_job(&account_id, &dashboard_id, &job_id),
    )
}

async fn describe_snapshot_job_result(
    State(sim): State<Arc<Sim>>,
    Path((account_id, dashboard_id, job_id)): Path<(String, String, String)>,
) -> Response {
    serve(
        &sim,
        "DescribeDashboardSnapshotJobResult",
        &account_id,
        StatusCode::OK,
        || sim.describe_snapshot_job_result(&account_id, &dashboard_id, &job_id),
    )
}

async fn start_asset_bundle_export(
    State(sim): State<Arc<Sim>>,
    Path(account_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve(
        &sim,
        "StartAssetBundleExportJob",
        &account_id,
        StatusCode::ACCEPTED,
        || sim.start_asset_bundle_export(&account_id, &call_region(&headers), &body),
    )
}

async fn describe_asset_bundle_export(
    State(sim): State<Arc<Sim>>,
    Path((account_id, job_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_string();
    serve(
        &sim,
        "DescribeAssetBundleExportJob",
        &account_id,
        StatusCode::OK,
        || sim.describe_asset_bundle_export(&account_id, &job_id, &host),
    )
}

async fn download_asset_bundle(
    State(sim): State<Arc<Sim>>,
    Path((account_id, file)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let expires: f64 = query
        .get("expires")
        .and_then(|e| e.parse().ok())
        .unwrap_or(0.0);
    if expires < now_epoch() {
        return (StatusCode::FORBIDDEN, "Request has expired").into_response();
    }
    let job_id = file.trim_end_matches(".qs");
    match sim.asset_bundle_file(&account_id, job_id) {
        Some(bytes) => ([(header::CONTENT_TYPE, "application/zip")], bytes).into_response(),
        None => (StatusCode::NOT_FOUND, "NoSuchKey").into_response(),
    }
}

async fn stats(State(sim): State<Arc<Sim>>) -> Response {
    axum::Json(sim.stats()).into_response()
}

async fn unknown_operation() -> Response {
    ApiError::new(
        ErrorKind::UnknownOperation,
        "quicksight-sim serves the snapshot-job and asset-bundle export operations only",
    )
    .into_response(&uuid::Uuid::new_v4().to_string())
}

pub fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route(
            "/accounts/{account}/dashboards/{dashboard}/snapshot-jobs",
            post(start_snapshot_job),
        )
        .route(
            "/accounts/{account}/dashboards/{dashboard}/snapshot-jobs/{job}",
            get(describe_snapshot_job),
        )
        .route(
            "/accounts/{account}/dashboards/{dashboard}/snapshot-jobs/{job}/result",
            get(describe_snapshot_job_result),
        )
        .route(
            "/accounts/{account}/asset-bundle-export-jobs/export",
            post(start_asset_bundle_export),
        )
        .route(
            "/accounts/{account}/asset-bundle-export-jobs/{job}",
            get(describe_asset_bundle_export),
        )
        .route("/_sim/stats", get(stats))
        .route(
            "/_sim/asset-bundles/{account}/{file}",
            get(download_asset_bundle),
        )
        .fallback(unknown_operation)
        .with_state(sim)
}

#[cfg(test)]
mod tests {
    use super::format_epoch;

    #[test]
    fn epoch_formats_as_utc() {
        assert_eq!(format_epoch(0.0), "1970-01-01T00:00:00Z");
        assert_eq!(format_epoch(1_795_968_000.0), "2026-11-29T16:00:00Z");
        assert_eq!(format_epoch(951_782_400.0), "2000-02-29T00:00:00Z");
    }
}
