//! `fetch-result` for a bundle: a fresh DownloadUrl, the bundle streamed
//! into the bucket, its key, size and SHA-256 recorded.

use super::{URL_ATTEMPTS, bundle_ref};
use crate::steps::{Ports, Steps};
use tracing::{info, warn};

use crate::coordination::SlotKind;
use crate::coordination::semaphore::holder_of;
use crate::error::ExportError;
use crate::layout;
use crate::model::{
    BundleFormat, ErrorDetail, FetchedResult, FileOutcome, JobStepInput, OutcomeStatus,
    RecipientOutcome, StoredBundle,
};
use crate::quicksight::ApiError;
use crate::quicksight::JobStatus;
use crate::quicksight::bundles::AssetBundles;
use crate::steps::deadline::refusal_until;
use crate::steps::record::record_outcome;
use crate::storage::transfer::{TransferError, UrlTransfer};
use crate::time::{format_rfc3339, now_epoch_ms, now_epoch_seconds};

impl<P: Ports> Steps<P> {
    /// `fetch-result` for a bundle.
    pub async fn fetch_bundle(&self, input: JobStepInput) -> Result<FetchedResult, ExportError> {
        let (quicksight, transfer, store, slots, announcer) = (
            &self.quicksight,
            &self.transfer,
            &self.store,
            &self.slots,
            &self.announcer,
        );
        let job = &input.job;
        let run = &input.run;
        let mut refused_urls = 0;
        let (status, bundle, files, issues, error) = loop {
            let description = quicksight
                .describe_bundle(&bundle_ref(job))
                .await
                .map_err(|e| refusal_until(job.deadline, now_epoch_seconds() as u64, e))?;
            match description.status {
                JobStatus::Completed => {}
                JobStatus::Failed => {
                    let mut issues = description.errors.clone();
                    let first = issues
                        .first()
                        .map(|i| i.message.clone())
                        .unwrap_or_default();
                    let count = issues.len();
                    issues.extend(description.warnings);
                    break (
                        OutcomeStatus::Failed,
                        None,
                        Vec::new(),
                        issues,
                        Some(ErrorDetail {
                            error_type: "ASSET_BUNDLE_EXPORT_FAILED".into(),
                            message: if count == 0 {
                                "QuickSight reported the export as failed without errors".into()
                            } else {
                                format!("{count} error(s), the first: {first}")
                            },
                        }),
                    );
                }
                JobStatus::Queued | JobStatus::Running => {
                    return Err(ApiError::from_code(
                        "PreconditionNotMetException",
                        format!(
                            "asset bundle export {} has not finished",
                            job.snapshot_job_id
                        ),
                    )
                    .into());
                }
                JobStatus::Other(other) => {
                    return Err(ExportError::UnexpectedResponse(format!(
                        "asset bundle export {} has status {other:?}",
                        job.snapshot_job_id
                    )));
                }
            }
            let Some(url) = description.download_url.as_deref() else {
                return Err(ExportError::UnexpectedResponse(format!(
                    "asset bundle export {} succeeded without a DownloadUrl",
                    job.snapshot_job_id
                )));
            };
            let format = match description.format.as_deref() {
                Some("CLOUDFORMATION_JSON") => BundleFormat::CloudFormationJson,
                _ => BundleFormat::QuickSightJson,
            };
            let key = format!(
                "{}/{}",
                layout::files_prefix(&run.run_prefix, &job.recipient_id),
                format.file_name(&job.recipient_id)
            );
            match transfer.copy_url(url, &run.bucket, &key).await {
                Ok(copied) => {
                    let s3_uri = format!("s3://{}/{key}", run.bucket);
                    break (
                        OutcomeStatus::Completed,
                        Some(StoredBundle {
                            s3_uri: s3_uri.clone(),
                            bytes: copied.bytes,
                            sha256: copied.sha256,
                            resource_arns: description.resource_arns.clone(),
                            download_attempts: refused_urls + 1,
                        }),
                        vec![FileOutcome {
                            format: format.as_str().to_string(),
                            sheet_ids: Vec::new(),
                            s3_uris: vec![s3_uri],
                            errors: Vec::new(),
                        }],
                        description.warnings,
                        None,
                    );
                }
                Err(TransferError::UrlRefused { status }) if refused_urls + 1 < URL_ATTEMPTS => {
                    refused_urls += 1;
                    warn!(
                        bundle_job_id = %job.snapshot_job_id,
                        status,
                        "the download URL was refused (expired?); describing again for a fresh one"
                    );
                }
                Err(TransferError::UrlRefused { status }) => {
                    return Err(ApiError::transport(format!(
                    "{URL_ATTEMPTS} download URLs of {} were refused, the last with HTTP {status}",
                    job.snapshot_job_id
                ))
                .into());
                }
                Err(TransferError::SourceUnavailable(message)) => {
                    return Err(ApiError::transport(format!(
                        "the bundle of {} could not be downloaded: {message}",
                        job.snapshot_job_id
                    ))
                    .into());
                }
                Err(TransferError::Storage(e)) => return Err(e.into()),
            }
        };
        let file_count = files.len();
        let outcome = RecipientOutcome {
            recipient_id: job.recipient_id.clone(),
            status,
            snapshot_job_id: Some(job.snapshot_job_id.clone()),
            attempts: job.attempt,
            files,
            error,
            job_seconds: Some((now_epoch_seconds() as u64).saturating_sub(job.started_at)),
            bundle,
            issues,
            recorded_at: format_rfc3339(now_epoch_seconds()),
        };
        record_outcome(store, announcer, run, &outcome).await?;
        slots
            .release_kind(
                SlotKind::AssetBundle,
                &holder_of(&run.execution_id, &job.recipient_id),
                now_epoch_ms(),
            )
            .await?;
        info!(
            bundle_id = %outcome.recipient_id,
            bundle_job_id = %job.snapshot_job_id,
            status = ?outcome.status,
            bytes = outcome.bundle.as_ref().map(|b| b.bytes),
            refused_urls,
            "asset bundle recorded"
        );
        Ok(FetchedResult {
            recipient_id: outcome.recipient_id,
            run_again: false,
            status: Some(outcome.status),
            files: file_count,
        })
    }
}
