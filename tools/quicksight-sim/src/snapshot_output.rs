//! What a completed snapshot job leaves behind: one file per file group in
//! the job's S3 bucket (when `--s3-endpoint` is given), and the result's
//! `FileGroups` entries that say where each file went or why it is missing.

use serde_json::{Value, json};

use crate::artifacts::{self, Snapshot};
use crate::clock::iso8601_utc;
use crate::config::Rule;
use crate::state::Sim;
use crate::wire::BucketConfiguration;

/// A path-style client for any S3-compatible endpoint, signing as
/// QuickSight's service role: the credentials in the standard environment
/// variables when they are set (the local stack gives the role's), else any.
pub(crate) fn s3_client(endpoint: &str) -> aws_sdk_s3::Client {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let credentials = match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        (Some(key), Some(secret)) => aws_sdk_s3::config::Credentials::new(
            key,
            secret,
            var("AWS_SESSION_TOKEN"),
            None,
            "quicksight-service-role",
        ),
        _ => aws_sdk_s3::config::Credentials::new("test", "test", None, None, "quicksight-sim"),
    };
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(credentials)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

impl Sim {
    /// Renders and writes each file group, and returns the result's
    /// `FileGroups` entries. A `--file-error` rule replaces the first file
    /// with an error.
    pub(crate) async fn produce_files(&self, account_id: &str, job_id: &str) -> Vec<Value> {
        let (dashboard_id, bucket, files, tag_keys, created) = {
            let state = self.state();
            let Some(job) = state
                .accounts
                .get(account_id)
                .and_then(|a| a.snapshot_jobs.get(job_id))
            else {
                return Vec::new();
            };
            (
                job.dashboard_id.clone(),
                job.bucket.clone(),
                job.files.clone(),
                job.tag_keys.clone().unwrap_or_default(),
                job.created,
            )
        };
        let injected = Rule::find(&self.config.file_errors, job_id);
        let created_at = iso8601_utc(created);
        let mut out = Vec::new();
        for (i, file) in files.iter().enumerate() {
            let selections = file.sheet_selections.as_deref().unwrap_or_default();
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
                let snapshot = Snapshot {
                    dashboard_id: &dashboard_id,
                    snapshot_job_id: job_id,
                    sheet_ids,
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
                    Err((error_type, message)) => errors.push(json!({
                        "ErrorType": error_type,
                        "ErrorMessage": message,
                    })),
                }
            }
            s3_result["ErrorInfo"] = json!(errors);
            out.push(json!({ "Files": [file], "S3Results": [s3_result] }));
        }
        out
    }

    /// Renders the file and puts it at `key`; without an S3 endpoint, does
    /// nothing (the result still lists the URI). On failure, the file's
    /// `ErrorType` and `ErrorMessage`.
    async fn write_file(
        &self,
        bucket: &BucketConfiguration,
        key: &str,
        format: &str,
        snapshot: &Snapshot<'_>,
    ) -> Result<(), (&'static str, String)> {
        let Some(s3) = &self.s3 else {
            return Ok(());
        };
        let body = artifacts::render(format, snapshot).map_err(|e| {
            self.state().stats.file_write_errors += 1;
            (
                "FILE_GENERATION_FAILED",
                format!("could not render {key}: {e}"),
            )
        })?;
        let result = s3
            .put_object()
            .bucket(&bucket.bucket_name)
            .key(key)
            .content_type(artifacts::content_type(format))
            .body(body.into())
            .send()
            .await;
        let mut state = self.state();
        match result {
            Ok(_) => {
                state.stats.files_written += 1;
                Ok(())
            }
            Err(e) => {
                state.stats.file_write_errors += 1;
                Err((
                    "S3_WRITE_FAILED",
                    format!(
                        "could not write s3://{}/{key}: {}",
                        bucket.bucket_name,
                        aws_sdk_s3::error::DisplayErrorContext(&e)
                    ),
                ))
            }
        }
    }
}
