//! write-manifest over the in-memory fakes: assembled from the outcomes,
//! the missing named, storage errors classified.

mod common;

use common::*;
use export_core::error_name::ErrorName;
use export_core::model::ManifestInput;
use export_core::model::{OutcomeStatus, RecipientRef, RecordFailureInput, StepFailure};
use export_core::storage::StorageError;

#[tokio::test]
async fn the_manifest_is_assembled_from_the_outcomes_and_names_the_missing() {
    let run = prepared_run(request_json()).await;
    let acme = run.start(0, "acme").await.unwrap();
    run.quicksight.finish(
        &acme.snapshot_job_id,
        completed(&["s3://b/1.pdf", "s3://b/2.pdf"], vec![]),
    );
    run.fetch_result(run.step_input(&acme)).await.unwrap();
    let initech = run.start(2, "initech").await.unwrap();
    run.quicksight.finish(
        &initech.snapshot_job_id,
        completed(&["s3://b/3.pdf"], vec![detail("DATASET_DELETED")]),
    );
    run.fetch_result(run.step_input(&initech)).await.unwrap();
    // globex never finished: the run was stopped, say.

    let manifest = run.manifest().await;
    assert_eq!(manifest.run_id, "run-7");
    assert_eq!(manifest.execution_id, EXECUTION);
    assert_eq!(manifest.description.as_deref(), Some("November"));
    let ids: Vec<_> = manifest
        .recipients
        .iter()
        .map(|e| e.recipient_id.as_str())
        .collect();
    assert_eq!(ids, ["acme", "globex", "initech"], "request order");
    let globex = &manifest.recipients[1];
    assert_eq!(globex.status, OutcomeStatus::Failed);
    assert_eq!(
        globex.error.as_ref().unwrap().error_type,
        ErrorName::OutcomeMissing.as_str()
    );
    let c = &manifest.counts;
    assert_eq!(
        (
            c.recipients,
            c.completed,
            c.completed_with_file_errors,
            c.failed,
            c.missing,
            c.files
        ),
        (3, 2, 1, 1, 1, 3)
    );
    assert_store_holds_no_secret(&run.store);

    // Written again once globex is known: the manifest follows the outcomes.
    run.record_failure(RecordFailureInput {
        run: run.prepared.run.clone(),
        recipient: RecipientRef {
            index: 1,
            id: "globex".into(),
        },
        attempt: 1,
        job: None,
        failure: StepFailure {
            error: "Export.JobTimedOut".into(),
            cause: Some("late".into()),
        },
    })
    .await
    .unwrap();
    let manifest = run.manifest().await;
    assert_eq!(manifest.counts.missing, 0);
    assert_eq!(
        manifest.recipients[1].error.as_ref().unwrap().error_type,
        "Export.JobTimedOut"
    );
}

#[tokio::test]
async fn storage_errors_are_classified_for_the_state_machine() {
    let run = prepared_run(request_json()).await;
    let input = || ManifestInput {
        bucket: BUCKET.into(),
        run_prefix: run.prepared.run.run_prefix.clone(),
    };
    run.store.fail_next(StorageError::Unavailable {
        operation: "GetObject",
        bucket: BUCKET.into(),
        key: "k".into(),
        message: "HTTP 503 SlowDown".into(),
    });
    let error = run.write_manifest(input()).await.unwrap_err();
    assert_eq!(error.error_name(), ErrorName::StorageUnavailable);

    run.store.fail_next(StorageError::Rejected {
        operation: "GetObject",
        bucket: BUCKET.into(),
        key: "monthly/run-7/run.json".into(),
        code: "AccessDenied".into(),
        message: "Access Denied".into(),
    });
    let error = run.write_manifest(input()).await.unwrap_err();
    assert_eq!(error.error_name(), ErrorName::StorageRejected);
    let text = error.to_string();
    assert!(
        text.contains(BUCKET) && text.contains("monthly/run-7/run.json"),
        "{text}"
    );

    // An unknown run is refused, naming where it looked.
    let error = run
        .write_manifest(ManifestInput {
            bucket: BUCKET.into(),
            run_prefix: "monthly/nope".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(error.error_name(), ErrorName::StorageRejected);
    assert!(
        error.to_string().contains("monthly/nope/run.json"),
        "{error}"
    );
}

#[tokio::test]
async fn a_written_manifest_is_announced_with_its_counts_and_link() {
    let run = prepared_run(request_json()).await;
    run.manifest().await;
    let published = run.announcer.events.published();
    let (detail_type, detail) = published.last().unwrap();
    assert_eq!(detail_type, "Export Run Finished");
    assert_eq!(detail["run_id"], "run-7");
    assert_eq!(detail["counts"]["missing"], 3);
    assert_eq!(detail["failed_recipients"], true);
    assert_eq!(
        detail["manifest_uri"],
        format!("s3://{BUCKET}/runs/monthly/run-7/manifest.json")
    );
    assert!(
        detail["manifest_download_url"]
            .as_str()
            .unwrap()
            .contains("manifest.json")
    );
}
