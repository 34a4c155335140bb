//! The asset bundle backup through the steps, over the fakes: bundles
//! planned from named resources or every dashboard, started under the
//! bundle slots, polled by the shared check, fetched with a fresh URL (a
//! refused one described again), failures recorded with every error.

mod common;

use common::*;
use export_core::coordination::SlotKind;
use export_core::coordination::SlotTable;
use export_core::error_name::ErrorName;
use export_core::layout;
use export_core::model::{
    BundleIssue, BundlePlan, JobKind, JobProgress, JobStepInput, OutcomeStatus, RecipientOutcome,
    RecipientRef, SlotGrant, StartJobInput,
};
use export_core::quicksight::JobStatus;
use export_core::settings::{RunSettings, SharedLimits};
use export_core::steps::{Fakes, Steps};
use export_core::storage::transfer::FakeTransfer;
use serde_json::{Value, json};

const ACCOUNT: &str = "123456789012";

fn arn(kind: &str, id: &str) -> String {
    format!("arn:aws:quicksight:us-east-1:{ACCOUNT}:{kind}/{id}")
}

fn backup_request(resources: Value) -> Value {
    let mut request = json!({
        "kind": "asset_bundle_backup",
        "account_id": ACCOUNT,
        "region": "us-east-1",
        "bundle_size": 2,
        "destination": { "bucket": BUCKET, "prefix": "backups", "region": "us-east-1" }
    });
    for (k, v) in resources.as_object().unwrap() {
        request[k] = v.clone();
    }
    request
}

struct Backup {
    steps: Steps<Fakes>,
    prepared: export_core::model::PreparedRun,
}

impl std::ops::Deref for Backup {
    type Target = Steps<Fakes>;
    fn deref(&self) -> &Steps<Fakes> {
        &self.steps
    }
}

async fn prepared(
    request: Value,
    dashboards: Vec<String>,
) -> Result<Backup, export_core::ExportError> {
    let mut fakes = common::fake_steps();
    fakes
        .store
        .insert(BUCKET, REQUEST_KEY, serde_json::to_vec(&request).unwrap());
    fakes.quicksight.set_dashboards(dashboards);
    fakes.transfer = FakeTransfer::new(b"PK\x03\x04 a bundle".to_vec());
    let prepared = fakes
        .prepare_run(
            prepare_input(EXECUTION, "nightly-1"),
            &RunSettings::default(),
            &stack(),
        )
        .await?;
    Ok(Backup {
        steps: fakes,
        prepared,
    })
}

impl Backup {
    fn start_input(&self, index: usize, id: &str) -> StartJobInput {
        StartJobInput {
            run: self.prepared.run.clone(),
            recipient: RecipientRef {
                index,
                id: id.into(),
            },
            slot: SlotGrant {
                granted_at: export_core::time::now_epoch_seconds() as u64,
            },
            attempt: 1,
        }
    }

    fn outcome(&self, id: &str) -> RecipientOutcome {
        let key = layout::outcome_key(&self.prepared.run.run_prefix, id);
        serde_json::from_value(self.store.json(BUCKET, &key)).unwrap()
    }
}

#[tokio::test]
async fn named_resources_are_planned_as_bundles_of_the_requested_size() {
    let resources: Vec<String> = (1..=5)
        .map(|i| arn("dashboard", &format!("d{i}")))
        .collect();
    let b = prepared(
        backup_request(json!({ "resource_arns": resources })),
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(b.prepared.run.kind, JobKind::AssetBundleExport);
    assert_eq!(b.prepared.run.recipients, 3);
    let plan: Vec<BundlePlan> = serde_json::from_value(
        b.store
            .json(BUCKET, &layout::bundles_key(&b.prepared.run.run_prefix)),
    )
    .unwrap();
    assert_eq!(
        plan.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["bundle-0001", "bundle-0002", "bundle-0003"]
    );
    assert_eq!(plan[2].resource_arns, [arn("dashboard", "d5")]);
    let items = b.store.json(BUCKET, &b.prepared.items.key);
    assert_eq!(
        items,
        json!([{"index": 0, "id": "bundle-0001"}, {"index": 1, "id": "bundle-0002"}, {"index": 2, "id": "bundle-0003"}])
    );
}

#[tokio::test]
async fn all_dashboards_pages_through_list_dashboards() {
    let dashboards: Vec<String> = (1..=5)
        .map(|i| arn("dashboard", &format!("d{i}")))
        .collect();
    let b = prepared(
        backup_request(json!({ "all_dashboards": true })),
        dashboards.clone(),
    )
    .await
    .unwrap();
    let plan: Vec<BundlePlan> = serde_json::from_value(
        b.store
            .json(BUCKET, &layout::bundles_key(&b.prepared.run.run_prefix)),
    )
    .unwrap();
    let planned: Vec<String> = plan.into_iter().flat_map(|p| p.resource_arns).collect();
    assert_eq!(planned, dashboards);
    // The fake pages two at a time: three pages.
    let lists = b
        .quicksight
        .calls()
        .iter()
        .filter(|(c, _)| *c == export_core::quicksight::fake::Call::ListDashboards)
        .count();
    assert_eq!(lists, 3);

    let none = prepared(backup_request(json!({ "all_dashboards": true })), vec![]).await;
    let error = none.err().expect("no dashboard, no backup");
    assert_eq!(error.error_name(), ErrorName::InvalidRequest);
    assert!(error.to_string().contains("all_dashboards"), "{error}");
}

#[tokio::test]
async fn an_invalid_backup_request_names_every_field_and_starts_nothing() {
    let request = backup_request(
        json!({ "resource_arns": ["arn:aws:s3:::not-quicksight/x"], "bundle_size": 500 }),
    );
    let error = prepared(request, vec![]).await.err().unwrap();
    let text = error.to_string();
    assert!(
        text.contains("resource_arns[0]") && text.contains("bundle_size"),
        "{text}"
    );
}

#[tokio::test]
async fn a_bundle_is_started_polled_and_stored_with_its_size_and_checksum_after_a_refused_url() {
    let resources = vec![arn("dashboard", "sales"), arn("analysis", "ops")];
    let b = prepared(
        backup_request(json!({ "resource_arns": resources })),
        vec![],
    )
    .await
    .unwrap();
    let job = b
        .start_bundle_job(b.start_input(0, "bundle-0001"))
        .await
        .unwrap();
    assert!(
        job.snapshot_job_id.starts_with("nightly-1-bundle-0001-"),
        "{}",
        job.snapshot_job_id
    );
    let started = b.quicksight.bundle(&job.snapshot_job_id).unwrap();
    assert_eq!(started.resource_arns, resources);
    assert_eq!(started.format, "QUICKSIGHT_JSON");

    // A retried start adopts its own job.
    let again = b
        .start_bundle_job(b.start_input(0, "bundle-0001"))
        .await
        .unwrap();
    assert_eq!(again.snapshot_job_id, job.snapshot_job_id);
    assert!(again.already_started);

    let step = JobStepInput {
        run: b.prepared.run.clone(),
        job: job.clone(),
    };
    let pending = b.check_job(step.clone()).await.unwrap();
    assert_eq!(pending.status, JobProgress::Pending);
    b.quicksight
        .finish_bundle(&job.snapshot_job_id, JobStatus::Completed, vec![]);
    let done = b.check_job(step.clone()).await.unwrap();
    assert_eq!(done.status, JobProgress::Completed);

    // The check consumed URL 1; the fetch's first describe hands out URL 2,
    // refused as expired; it describes again for URL 3.
    b.transfer
        .refuse(&format!("fake://bundle/{}/2", job.snapshot_job_id), 403);
    let fetched = b.fetch_bundle(step).await.unwrap();
    assert_eq!(fetched.status, Some(OutcomeStatus::Completed));
    let outcome = b.outcome("bundle-0001");
    let bundle = outcome.bundle.expect("the stored bundle");
    let key = format!(
        "{}/files/bundle-0001/bundle-0001.qs",
        b.prepared.run.run_prefix
    );
    assert_eq!(bundle.s3_uri, format!("s3://{BUCKET}/{key}"));
    let body = b
        .transfer
        .copied(BUCKET, &key)
        .expect("the bundle was copied");
    assert_eq!(bundle.bytes, body.len() as u64);
    use sha2::Digest;
    let expected: String = sha2::Sha256::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(bundle.sha256, expected);
    assert_eq!(bundle.download_attempts, 2);
    assert_eq!(
        outcome.files[0].s3_uris,
        std::slice::from_ref(&bundle.s3_uri)
    );
    // The announced outcome carries a download link to the stored bundle.
    let events = b.announcer.events.published();
    assert!(
        events
            .iter()
            .any(|(_, detail)| detail["outcome"]["files"][0]["download_urls"][0].is_string()),
        "{events:?}"
    );
}

#[tokio::test]
async fn a_failed_export_records_every_error_and_frees_its_bundle_slot() {
    let resources = vec![arn("dashboard", "gone"), arn("dashboard", "also-gone")];
    let b = prepared(
        backup_request(json!({ "resource_arns": resources })),
        vec![],
    )
    .await
    .unwrap();
    let job = b
        .start_bundle_job(b.start_input(0, "bundle-0001"))
        .await
        .unwrap();
    let errors: Vec<BundleIssue> = resources
        .iter()
        .map(|a| BundleIssue {
            arn: Some(a.clone()),
            issue_type: Some("ResourceNotFoundException".into()),
            message: format!("{a} does not exist"),
        })
        .collect();
    b.quicksight
        .finish_bundle(&job.snapshot_job_id, JobStatus::Failed, errors.clone());
    // It holds a bundle slot (not a snapshot slot) until its outcome is recorded.
    let holder = export_core::coordination::semaphore::holder_of(EXECUTION, "bundle-0001");
    b.slots
        .table
        .grant(
            SlotKind::AssetBundle,
            &export_core::coordination::Lease {
                holder: holder.clone(),
                granted_at_ms: 1,
                expires_at_ms: u64::MAX,
            },
            5,
        )
        .await
        .unwrap();
    let step = JobStepInput {
        run: b.prepared.run.clone(),
        job,
    };
    let fetched = b.fetch_bundle(step).await.unwrap();
    assert_eq!(fetched.status, Some(OutcomeStatus::Failed));
    let outcome = b.outcome("bundle-0001");
    assert_eq!(outcome.issues, errors);
    assert_eq!(
        outcome.error.unwrap().error_type,
        "ASSET_BUNDLE_EXPORT_FAILED"
    );
    assert!(outcome.bundle.is_none());
    assert!(
        b.slots
            .table
            .leases(SlotKind::AssetBundle)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn bundle_slots_have_their_own_cap() {
    let limits = SharedLimits::default();
    assert_eq!(limits.cap_of(SlotKind::AssetBundle), 5);
    assert_eq!(limits.cap_of(SlotKind::Snapshot), 12);
}
