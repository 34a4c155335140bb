//! The asset bundle backup: the second job kind, through the same run,
//! slots, Map and poll loop as the snapshots. What differs lives here:
//!
//! - `prepare_backup`: the resources (named, or every dashboard through the
//!   paginated ListDashboards) split into bundles of `bundle_size`, one Map
//!   item each, listed in `<run>/bundles.json`;
//! - `start_bundle_job`: StartAssetBundleExportJob under a job ID bound to
//!   the submission, as a snapshot job's is;
//! - `fetch_bundle`: a fresh DownloadUrl from a describe right before the
//!   download, the bundle streamed into the bucket, and on a refused
//!   (expired) URL a new describe and another try; the outcome records the
//!   bundle's key, size and SHA-256, or every error of a failed export.
//!
//! check-job is shared: it describes either kind (`check::describe_job`).

use sha2::{Digest, Sha256};
use tracing::{info, warn};

use super::deadline::{ensure_before, refusal_until};
use super::prepare::{PrepareRunInput, claim_run, refused, write_items};
use super::record::record_outcome;
use super::start::expected_duration;
use crate::callbacks::TaskCallbacks;
use crate::coordination::semaphore::{SlotService, holder_of};
use crate::coordination::{DurationLog, SlotKind, SlotTable, dashboard_key};
use crate::delivery::Announcer;
use crate::error::ExportError;
use crate::error_name::ErrorName;
use crate::events::EventSink;
use crate::job_id::{JobBinding, readable, snapshot_job_id};
use crate::layout;
use crate::model::{
    BackupRequest, BundleFormat, BundlePlan, DashboardRef, ErrorDetail, FetchedResult, FileOutcome,
    JobHandle, JobKind, JobStepInput, OutcomeStatus, PinnedObject, PreparedRun, RecipientOutcome,
    RecipientRef, RunRecord, RunRef, StartJobInput, StoredBundle,
};
use crate::pacing::first_check_seconds;
use crate::quicksight::ApiError;
use crate::quicksight::JobStatus;
use crate::quicksight::bundles::{AssetBundles, BundleExportSpec, BundleJobRef};
use crate::request_store::parse_backup_request;
use crate::settings::{RunSettings, StackPlace};
use crate::storage::transfer::{TransferError, UrlTransfer};
use crate::storage::{DownloadLinks, ObjectStore, PutMode};
use crate::time::{format_rfc3339, now_epoch_ms, now_epoch_seconds};
use crate::validation::{MAX_BACKUP_RESOURCES, MAX_RUN_ID_CHARS, validate_backup, validate_run_id};

/// Fresh DownloadUrls one fetch tries before it fails (retried by the
/// state machine, which describes again).
pub const URL_ATTEMPTS: u32 = 3;

/// ListDashboards pages one prepare reads at most (100 a page).
const MAX_LIST_PAGES: usize = MAX_BACKUP_RESOURCES / 100 + 1;

/// The pacing key of a region's bundle exports.
fn pacing_key(account_id: &str, region: &str) -> String {
    dashboard_key(account_id, region, "(asset bundles)")
}

pub fn bundle_ref(job: &JobHandle) -> BundleJobRef {
    BundleJobRef {
        account_id: job.account_id.clone(),
        region: job.region.clone(),
        job_id: job.snapshot_job_id.clone(),
    }
}

/// `prepare-run` for a backup request.
pub async fn prepare_backup<S: ObjectStore, Q: AssetBundles>(
    store: &S,
    quicksight: &Q,
    input: &PrepareRunInput,
    body: &[u8],
    etag: String,
    settings: &RunSettings,
    stack: &StackPlace,
) -> Result<PreparedRun, ExportError> {
    let export_bucket = stack.export_bucket.as_str();
    let request = parse_backup_request(body)?;
    validate_backup(&request, stack.deployment())?;
    let run_id = readable(&input.execution.name, MAX_RUN_ID_CHARS);
    validate_run_id(&run_id)?;
    let destination = request
        .destination
        .as_ref()
        .expect("validate_backup requires a destination");
    let run_prefix = layout::run_prefix(&destination.prefix, &run_id);

    let arns = if request.all_dashboards {
        all_dashboards(quicksight, &request).await?
    } else {
        request.resource_arns.clone()
    };
    if arns.is_empty() {
        return Err(refused(
            "all_dashboards",
            format!(
                "ListDashboards found no dashboard in account {} region {}: nothing to back up",
                request.account_id, request.region
            ),
        ));
    }
    let bundles: Vec<BundlePlan> = arns
        .chunks(request.bundle_size())
        .enumerate()
        .map(|(i, chunk)| BundlePlan {
            id: format!("bundle-{:04}", i + 1),
            resource_arns: chunk.to_vec(),
        })
        .collect();

    let run = RunRef {
        kind: JobKind::AssetBundleExport,
        run_id: run_id.clone(),
        execution_id: input.execution.id.clone(),
        bucket: export_bucket.to_string(),
        run_prefix: run_prefix.clone(),
        request: PinnedObject {
            bucket: input.request.bucket.clone(),
            key: input.request.key.clone(),
            etag,
        },
        recipients: bundles.len(),
        settings: settings.clone(),
    };
    let record = RunRecord {
        kind: JobKind::AssetBundleExport,
        run_id: run_id.clone(),
        execution_id: run.execution_id.clone(),
        started_at: input
            .execution
            .started_at
            .clone()
            .unwrap_or_else(|| format_rfc3339(now_epoch_seconds())),
        description: request.description.clone(),
        // A backup names no one dashboard.
        dashboard: DashboardRef {
            account_id: request.account_id.clone(),
            region: request.region.clone(),
            dashboard_id: String::new(),
        },
        request: run.request.clone(),
        recipients: run.recipients,
        settings: settings.clone(),
    };
    claim_run(store, &run, &record).await?;
    store
        .put_json(
            export_bucket,
            &layout::bundles_key(&run_prefix),
            serde_json::to_vec(&bundles).expect("bundles serialize"),
            PutMode::Overwrite,
        )
        .await?;
    let prepared = write_items(store, run, bundles.iter().map(|b| b.id.clone())).await?;
    info!(
        run_id = %run_id,
        resources = arns.len(),
        bundles = bundles.len(),
        "backup request accepted"
    );
    Ok(prepared)
}

async fn all_dashboards<Q: AssetBundles>(
    quicksight: &Q,
    request: &BackupRequest,
) -> Result<Vec<String>, ExportError> {
    let mut arns = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_LIST_PAGES {
        let page = quicksight
            .list_dashboards(&request.account_id, &request.region, token.as_deref())
            .await?;
        arns.extend(page.arns);
        token = page.next_token;
        if token.is_none() || arns.len() > MAX_BACKUP_RESOURCES {
            break;
        }
    }
    if arns.len() > MAX_BACKUP_RESOURCES {
        return Err(refused(
            "all_dashboards",
            format!(
                "the account has more than {MAX_BACKUP_RESOURCES} dashboards; name them in resource_arns over several backups"
            ),
        ));
    }
    Ok(arns)
}

/// The stored request and the run's bundles, for one bundle's step.
struct BundleContext {
    request: BackupRequest,
    digest: [u8; 32],
    bundle: BundlePlan,
}

async fn context<S: ObjectStore>(
    store: &S,
    run: &RunRef,
    item: &RecipientRef,
) -> Result<BundleContext, ExportError> {
    let pinned = &run.request;
    let stored = store
        .get(&pinned.bucket, &pinned.key, Some(&pinned.etag))
        .await
        .map_err(|e| match e {
            crate::storage::StorageError::ConditionFailed { .. } => ExportError::RequestChanged {
                bucket: pinned.bucket.clone(),
                key: pinned.key.clone(),
            },
            other => other.into(),
        })?;
    let request = parse_backup_request(&stored.body)?;
    let bundles_key = layout::bundles_key(&run.run_prefix);
    let plan = store.get(&run.bucket, &bundles_key, None).await?;
    let bundles: Vec<BundlePlan> =
        serde_json::from_slice(&plan.body).map_err(|e| ExportError::MalformedInput {
            expected: "the run's bundles",
            detail: format!("s3://{}/{bundles_key}: {e}", run.bucket),
        })?;
    let bundle = bundles
        .into_iter()
        .nth(item.index)
        .filter(|b| b.id == item.id)
        .ok_or_else(|| ExportError::MalformedInput {
            expected: "start-job input",
            detail: format!(
                "the run has no bundle {:?} at index {}",
                item.id, item.index
            ),
        })?;
    Ok(BundleContext {
        request,
        digest: Sha256::digest(&stored.body).into(),
        bundle,
    })
}

/// `start-job` for a bundle.
pub async fn start_bundle_job<Q: AssetBundles, S: ObjectStore, D: DurationLog>(
    quicksight: &Q,
    store: &S,
    durations: &D,
    input: StartJobInput,
) -> Result<JobHandle, ExportError> {
    let run = &input.run;
    let settings = &run.settings;
    let deadline = input.slot.granted_at + u64::from(settings.job_timeout_seconds);
    ensure_before(deadline, now_epoch_seconds() as u64, "the bundle's start")?;
    let ctx = context(store, run, &input.recipient).await?;
    let request = &ctx.request;
    let spec_bytes = serde_json::to_vec(&serde_json::json!({
        "resource_arns": ctx.bundle.resource_arns,
        "format": request.export_format.as_str(),
        "dependencies": request.include_all_dependencies,
        "permissions": request.include_permissions,
        "tags": request.include_tags,
        "overrides": request.cloudformation_override_properties,
    }))
    .expect("a JSON value serializes");
    let job_id = snapshot_job_id(
        &run.run_id,
        &ctx.bundle.id,
        &JobBinding {
            execution_id: &run.execution_id,
            attempt: input.attempt,
            request_digest: &ctx.digest,
            spec: &spec_bytes,
        },
    );
    let spec = BundleExportSpec {
        job: BundleJobRef {
            account_id: request.account_id.clone(),
            region: request.region.clone(),
            job_id,
        },
        resource_arns: &ctx.bundle.resource_arns,
        format: request.export_format,
        include_all_dependencies: request.include_all_dependencies,
        include_permissions: request.include_permissions,
        include_tags: request.include_tags,
        overrides: request.cloudformation_override_properties.as_ref(),
    };
    let already_started = match quicksight.start_bundle(&spec).await {
        Ok(_) => false,
        Err(e) if e.is(ErrorName::ResourceExists) => {
            // Ours from an earlier try of this call, unless it exports
            // something else.
            let found = quicksight.describe_bundle(&spec.job).await?;
            if found.resource_arns != ctx.bundle.resource_arns {
                return Err(ExportError::JobIdConflict {
                    snapshot_job_id: spec.job.job_id.clone(),
                    detail: format!(
                        "QuickSight's job exports {} other resources",
                        found.resource_arns.len()
                    ),
                });
            }
            true
        }
        Err(e) => return Err(refusal_until(deadline, now_epoch_seconds() as u64, e)),
    };
    let now = now_epoch_seconds() as u64;
    let expected =
        expected_duration(durations, &pacing_key(&request.account_id, &request.region)).await;
    info!(
        run_id = %run.run_id,
        bundle_id = %ctx.bundle.id,
        bundle_job_id = %spec.job.job_id,
        resources = ctx.bundle.resource_arns.len(),
        already_started,
        "asset bundle export started"
    );
    Ok(JobHandle {
        recipient_id: ctx.bundle.id.clone(),
        recipient_index: input.recipient.index,
        account_id: spec.job.account_id.clone(),
        region: spec.job.region.clone(),
        // The pacing key's "dashboard" for bundle exports.
        dashboard_id: "(asset bundles)".to_string(),
        snapshot_job_id: spec.job.job_id.clone(),
        attempt: input.attempt,
        started_at: now,
        deadline,
        check_in_seconds: first_check_seconds(expected, settings, deadline.saturating_sub(now)),
        already_started,
    })
}

/// `fetch-result` for a bundle.
pub async fn fetch_bundle<Q, X, S, T, C, V>(
    quicksight: &Q,
    transfer: &X,
    store: &S,
    slots: &SlotService<T, C>,
    announcer: &Announcer<V>,
    input: JobStepInput,
) -> Result<FetchedResult, ExportError>
where
    Q: AssetBundles,
    X: UrlTransfer,
    S: ObjectStore + DownloadLinks,
    T: SlotTable,
    C: TaskCallbacks,
    V: EventSink,
{
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
