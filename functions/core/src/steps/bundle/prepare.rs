//! `prepare-run` for a backup request: the resources in bundles, one Map
//! item each.

use super::MAX_LIST_PAGES;
use crate::steps::{Ports, Steps};
use tracing::info;

use crate::error::ExportError;
use crate::job_id::readable;
use crate::layout;
use crate::model::PrepareRunInput;
use crate::model::{
    BackupRequest, BundlePlan, DashboardRef, JobKind, PinnedObject, PreparedRun, RunRecord, RunRef,
};
use crate::quicksight::bundles::AssetBundles;
use crate::request_store::parse_backup_request;
use crate::settings::{RunSettings, StackPlace};
use crate::steps::claim::{claim_run, refused, write_items};
use crate::storage::{ObjectStore, PutMode};
use crate::validation::{MAX_BACKUP_RESOURCES, MAX_RUN_ID_CHARS, validate_backup, validate_run_id};

impl<P: Ports> Steps<P> {
    /// `prepare-run` for a backup request.
    pub async fn prepare_backup(
        &self,
        input: &PrepareRunInput,
        body: &[u8],
        etag: String,
        settings: &RunSettings,
        stack: &StackPlace,
    ) -> Result<PreparedRun, ExportError> {
        let (store, quicksight) = (&self.store, &self.quicksight);
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
        let record = RunRecord::of(
            &run,
            input.execution.started_at_or_now(),
            request.description.clone(),
            // A backup names no one dashboard.
            DashboardRef {
                account_id: request.account_id.clone(),
                region: request.region.clone(),
                dashboard_id: String::new(),
            },
        );
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
