//! [`AssetBundles`] over the real SDK client: the same client, error
//! classification and region override as the snapshot calls.

use aws_sdk_quicksight::types as qs;
use tracing::instrument;

use super::ApiError;
use super::bundles::{
    AssetBundles, BundleDescription, BundleExportSpec, BundleJobRef, DashboardPage,
};
use super::sdk::{SdkSnapshotJobs, build_error, classify, region_override};
use super::{JobStatus, StartedJob};
use crate::model::{BundleIssue, CloudFormationOverrides};

fn overrides_to_sdk(
    o: &CloudFormationOverrides,
) -> Result<qs::AssetBundleCloudFormationOverridePropertyConfiguration, ApiError> {
    let mut config = qs::AssetBundleCloudFormationOverridePropertyConfiguration::builder();
    if o.prefix_for_all_resources {
        config = config.resource_id_override_configuration(
            qs::AssetBundleExportJobResourceIdOverrideConfiguration::builder()
                .prefix_for_all_resources(true)
                .build(),
        );
    }
    for p in &o.data_sources {
        let mut b = qs::AssetBundleExportJobDataSourceOverrideProperties::builder().arn(&p.arn);
        for name in &p.properties {
            b = b.properties(qs::AssetBundleExportJobDataSourcePropertyToOverride::from(
                name.as_str(),
            ));
        }
        config = config.data_sources(
            b.build()
                .map_err(|e| build_error("data source overrides", e))?,
        );
    }
    for p in &o.data_sets {
        let mut b = qs::AssetBundleExportJobDataSetOverrideProperties::builder().arn(&p.arn);
        for name in &p.properties {
            b = b.properties(qs::AssetBundleExportJobDataSetPropertyToOverride::from(
                name.as_str(),
            ));
        }
        config = config.data_sets(
            b.build()
                .map_err(|e| build_error("data set overrides", e))?,
        );
    }
    for p in &o.analyses {
        let mut b = qs::AssetBundleExportJobAnalysisOverrideProperties::builder().arn(&p.arn);
        for name in &p.properties {
            b = b.properties(qs::AssetBundleExportJobAnalysisPropertyToOverride::from(
                name.as_str(),
            ));
        }
        config = config.analyses(
            b.build()
                .map_err(|e| build_error("analysis overrides", e))?,
        );
    }
    for p in &o.dashboards {
        let mut b = qs::AssetBundleExportJobDashboardOverrideProperties::builder().arn(&p.arn);
        for name in &p.properties {
            b = b.properties(qs::AssetBundleExportJobDashboardPropertyToOverride::from(
                name.as_str(),
            ));
        }
        config = config.dashboards(
            b.build()
                .map_err(|e| build_error("dashboard overrides", e))?,
        );
    }
    Ok(config.build())
}

fn status_from_sdk(status: Option<&qs::AssetBundleExportJobStatus>) -> JobStatus {
    match status {
        Some(qs::AssetBundleExportJobStatus::QueuedForImmediateExecution) => JobStatus::Queued,
        Some(qs::AssetBundleExportJobStatus::InProgress) => JobStatus::Running,
        Some(qs::AssetBundleExportJobStatus::Successful) => JobStatus::Completed,
        Some(qs::AssetBundleExportJobStatus::Failed) => JobStatus::Failed,
        Some(other) => JobStatus::Other(other.as_str().to_string()),
        None => JobStatus::Other(String::new()),
    }
}

impl AssetBundles for SdkSnapshotJobs {
    #[instrument(skip_all, fields(bundle_job_id = %spec.job.job_id))]
    async fn start_bundle(&self, spec: &BundleExportSpec<'_>) -> Result<StartedJob, ApiError> {
        let mut call = self
            .client()
            .start_asset_bundle_export_job()
            .aws_account_id(&spec.job.account_id)
            .asset_bundle_export_job_id(&spec.job.job_id)
            .export_format(qs::AssetBundleExportFormat::from(spec.format.as_str()))
            .include_all_dependencies(spec.include_all_dependencies)
            .include_permissions(spec.include_permissions)
            .include_tags(spec.include_tags);
        for arn in spec.resource_arns {
            call = call.resource_arns(arn);
        }
        if let Some(overrides) = spec.overrides {
            call =
                call.cloud_formation_override_property_configuration(overrides_to_sdk(overrides)?);
        }
        let output = call
            .customize()
            .config_override(region_override(&spec.job.region))
            .send()
            .await
            .map_err(classify)?;
        Ok(StartedJob {
            arn: output.arn().map(str::to_string),
        })
    }

    #[instrument(skip_all, fields(bundle_job_id = %job.job_id))]
    async fn describe_bundle(&self, job: &BundleJobRef) -> Result<BundleDescription, ApiError> {
        let output = self
            .client()
            .describe_asset_bundle_export_job()
            .aws_account_id(&job.account_id)
            .asset_bundle_export_job_id(&job.job_id)
            .customize()
            .config_override(region_override(&job.region))
            .send()
            .await
            .map_err(classify)?;
        Ok(BundleDescription {
            status: status_from_sdk(output.job_status()),
            created_at: output.created_time().map(|t| t.as_secs_f64()),
            download_url: output.download_url().map(str::to_string),
            resource_arns: output.resource_arns().to_vec(),
            format: output.export_format().map(|f| f.as_str().to_string()),
            errors: output
                .errors()
                .iter()
                .map(|e| BundleIssue {
                    arn: e.arn().map(str::to_string),
                    issue_type: e.r#type().map(str::to_string),
                    message: e.message().unwrap_or_default().to_string(),
                })
                .collect(),
            warnings: output
                .warnings()
                .iter()
                .map(|w| BundleIssue {
                    arn: w.arn().map(str::to_string),
                    issue_type: Some("WARNING".to_string()),
                    message: w.message().unwrap_or_default().to_string(),
                })
                .collect(),
        })
    }

    #[instrument(skip_all)]
    async fn list_dashboards(
        &self,
        account_id: &str,
        region: &str,
        next_token: Option<&str>,
    ) -> Result<DashboardPage, ApiError> {
        let output = self
            .client()
            .list_dashboards()
            .aws_account_id(account_id)
            .max_results(100)
            .set_next_token(next_token.map(str::to_string))
            .customize()
            .config_override(region_override(region))
            .send()
            .await
            .map_err(classify)?;
        Ok(DashboardPage {
            arns: output
                .dashboard_summary_list()
                .iter()
                .filter_map(|d| d.arn().map(str::to_string))
                .collect(),
            next_token: output.next_token().map(str::to_string),
        })
    }
}
