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
//! check-job is shared: `kind::describe_job` describes either kind. One
//! file per step: [`prepare`], [`start`], [`fetch`]; what they share is here.

use sha2::{Digest, Sha256};

use crate::coordination::dashboard_key;
use crate::error::ExportError;
use crate::layout;
use crate::model::{BackupRequest, BundlePlan, JobHandle, RecipientRef, RunRef};
use crate::quicksight::bundles::BundleJobRef;
use crate::request_store::parse_backup_request;
use crate::storage::ObjectStore;
use crate::validation::MAX_BACKUP_RESOURCES;

mod fetch;
mod prepare;
mod start;

/// Fresh DownloadUrls one fetch tries before it fails (retried by the
/// state machine, which describes again).
pub const URL_ATTEMPTS: u32 = 3;

/// ListDashboards pages one prepare reads at most (100 a page).
pub(super) const MAX_LIST_PAGES: usize = MAX_BACKUP_RESOURCES / 100 + 1;

/// The pacing key of a region's bundle exports.
pub(super) fn pacing_key(account_id: &str, region: &str) -> String {
    dashboard_key(account_id, region, "(asset bundles)")
}

pub fn bundle_ref(job: &JobHandle) -> BundleJobRef {
    BundleJobRef {
        account_id: job.account_id.clone(),
        region: job.region.clone(),
        job_id: job.snapshot_job_id.clone(),
    }
}

/// The stored request and the run's bundles, for one bundle's step.
pub(super) struct BundleContext {
    request: BackupRequest,
    digest: [u8; 32],
    bundle: BundlePlan,
}

pub(super) async fn context<S: ObjectStore>(
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
