//! `start-job` for a bundle: StartAssetBundleExportJob under a job ID bound
//! to the submission.

use super::{context, pacing_key};
use crate::steps::{Ports, Steps};
use tracing::info;

use crate::error::ExportError;
use crate::error_name::ErrorName;
use crate::job_id::{JobBinding, snapshot_job_id};
use crate::model::{JobHandle, StartJobInput};
use crate::pacing::first_check_seconds;
use crate::quicksight::bundles::{AssetBundles, BundleExportSpec, BundleJobRef};
use crate::steps::deadline::{ensure_before, refusal_until};
use crate::steps::start::expected_duration;
use crate::time::now_epoch_seconds;

impl<P: Ports> Steps<P> {
    /// `start-job` for a bundle.
    pub async fn start_bundle_job(&self, input: StartJobInput) -> Result<JobHandle, ExportError> {
        let (quicksight, store, durations) = (&self.quicksight, &self.store, &self.durations);
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
}
