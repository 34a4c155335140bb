//! A bundle's way from its DownloadUrl into the bucket, with the real
//! parts: the SDK adapter describes an export on quicksight-sim (a 20 MiB
//! bundle), reqwest streams it, and aws-sdk-s3 uploads it to moto's S3 in
//! 8 MiB parts; an expired URL is refused, not stored.

mod common;

use common::moto::start_moto;
use common::*;
use export_core::model::BundleFormat;
use export_core::quicksight::JobStatus;
use export_core::quicksight::bundles::{AssetBundles, BundleExportSpec, BundleJobRef};
use export_core::storage::s3::S3Store;
use export_core::storage::transfer::{HttpToS3, PART_BYTES, TransferError, UrlTransfer};
use sha2::{Digest, Sha256};

const PADDING: usize = 20 * 1024 * 1024;

async fn finished_url(sim: &quicksight_sim::RunningSim, job_id: &str) -> String {
    let quicksight = quicksight_at(&sim.endpoint());
    let arns = [format!(
        "arn:aws:quicksight:{REGION}:{ACCOUNT}:dashboard/sales-overview"
    )];
    let job = BundleJobRef {
        account_id: ACCOUNT.into(),
        region: REGION.into(),
        job_id: job_id.into(),
    };
    quicksight
        .start_bundle(&BundleExportSpec {
            job: job.clone(),
            resource_arns: &arns,
            format: BundleFormat::QuickSightJson,
            include_all_dependencies: true,
            include_permissions: false,
            include_tags: false,
            overrides: None,
        })
        .await
        .expect("start");
    for _ in 0..50 {
        let described = quicksight.describe_bundle(&job).await.expect("describe");
        if described.status == JobStatus::Completed {
            assert_eq!(described.resource_arns, arns);
            return described
                .download_url
                .expect("a successful export has a URL");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the export did not finish");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_large_bundle_streams_into_s3_in_parts_with_its_size_and_checksum() {
    let mut config = fast_sim();
    config.bundle_padding_bytes = PADDING;
    config.stale_bundle_urls = 1;
    let sim = start_sim(config).await;
    let moto = start_moto().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&shared_config())
            .endpoint_url(&moto.endpoint)
            .force_path_style(true)
            .build(),
    );
    // us-east-1: a bucket without a location constraint.
    s3.create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .expect("bucket");
    let transfer = HttpToS3::new(&S3Store::new(&shared_config(), Some(&moto.endpoint)));

    // The first URL is handed out stale: refused, nothing stored.
    let stale = finished_url(&sim, "big-1").await;
    match transfer.copy_url(&stale, BUCKET, "backups/big.qs").await {
        Err(TransferError::UrlRefused { status }) => assert_eq!(status, 403),
        other => panic!("a stale URL must be refused, got {other:?}"),
    }

    // The next describe's URL is fresh.
    let quicksight = quicksight_at(&sim.endpoint());
    let fresh = quicksight
        .describe_bundle(&BundleJobRef {
            account_id: ACCOUNT.into(),
            region: REGION.into(),
            job_id: "big-1".into(),
        })
        .await
        .unwrap()
        .download_url
        .unwrap();
    let copied = transfer
        .copy_url(&fresh, BUCKET, "backups/big.qs")
        .await
        .expect("the bundle is copied");
    assert!(copied.bytes > PADDING as u64, "{} bytes", copied.bytes);

    let stored = s3
        .get_object()
        .bucket(BUCKET)
        .key("backups/big.qs")
        .send()
        .await
        .unwrap();
    let etag = stored.e_tag().unwrap_or_default().to_string();
    let body = stored.body.collect().await.unwrap().into_bytes();
    assert_eq!(body.len() as u64, copied.bytes);
    let digest: String = Sha256::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(copied.sha256, digest);
    // A multipart upload's ETag ends with its number of parts.
    let parts = copied.bytes.div_ceil(PART_BYTES as u64);
    assert!(
        etag.trim_matches('"').ends_with(&format!("-{parts}")),
        "ETag {etag}, {parts} parts"
    );
    assert_eq!(&body[..2], b"PK");
}
