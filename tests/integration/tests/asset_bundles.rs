//! Asset-bundle export through the real SDK client against quicksight-sim.

mod common;

use aws_sdk_quicksight::types::{AssetBundleExportFormat, AssetBundleExportJobStatus};
use common::*;

#[tokio::test]
async fn an_asset_bundle_export_succeeds_with_a_download_url() {
    let sim = start_sim(fast_sim()).await;
    let client = raw_client(&sim);
    let arn = format!("arn:aws:quicksight:{REGION}:{ACCOUNT}:dashboard/sales-overview");
    let started = client
        .start_asset_bundle_export_job()
        .aws_account_id(ACCOUNT)
        .asset_bundle_export_job_id("backup-1")
        .resource_arns(&arn)
        .export_format(AssetBundleExportFormat::QuicksightJson)
        .include_all_dependencies(true)
        .send()
        .await
        .expect("start");
    assert_eq!(started.status(), 202);
    assert_eq!(started.asset_bundle_export_job_id(), Some("backup-1"));

    let mut last = None;
    for _ in 0..50 {
        let described = client
            .describe_asset_bundle_export_job()
            .aws_account_id(ACCOUNT)
            .asset_bundle_export_job_id("backup-1")
            .send()
            .await
            .expect("describe");
        if described.job_status() == Some(&AssetBundleExportJobStatus::Successful) {
            last = Some(described);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(120)).await;
    }
    let described = last.expect("the export succeeds");
    assert!(described.download_url().unwrap().contains("backup-1.qs"));
    assert_eq!(described.resource_arns(), std::slice::from_ref(&arn));

    // The same ID again is a conflict.
    let error = client
        .start_asset_bundle_export_job()
        .aws_account_id(ACCOUNT)
        .asset_bundle_export_job_id("backup-1")
        .resource_arns(&arn)
        .export_format(AssetBundleExportFormat::QuicksightJson)
        .send()
        .await
        .unwrap_err();
    use aws_sdk_quicksight::error::ProvideErrorMetadata;
    assert_eq!(error.code(), Some("ConflictException"));
}
