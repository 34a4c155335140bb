//! The manifest step over the in-memory object store: where the manifest
//! goes, what it holds, and how a failed write surfaces.

use export_core::ExportError;
use export_core::error_name::ErrorName;
use export_core::manifest::{Manifest, json};
use export_core::storage::memory::MemoryStore;
use serde_json::{Value, json};

fn input() -> Value {
    json!({
        "run_id": "run-7",
        "description": "November",
        "started_at": "2026-11-24T00:00:00Z",
        "export": {
            "account_id": "123456789012",
            "region": "us-east-1",
            "dashboard_id": "d1",
            "file_groups": [{ "format": "PDF", "sheets": [{ "sheet_id": "s1" }] }],
            "destination": { "bucket": "bucket-1", "prefix": "exports/", "region": "us-east-1" }
        },
        "recipients": [
            { "id": "acme", "rls_tags": [{ "key": "tenant", "value": "ACME-SECRET" }] },
            { "id": "globex", "rls_tags": [{ "key": "tenant", "value": "GLOBEX-SECRET" }] }
        ],
        "outcomes": [
            { "recipient_id": "acme", "snapshot_job_id": "run-7-acme-1", "status": "completed",
              "files": [{ "format": "PDF", "sheet_ids": ["s1"], "s3_uris": ["s3://bucket-1/exports/run-7/acme/s1-1.pdf"] }] },
            { "recipient_id": "globex", "status": "failed",
              "failure": { "Error": "QuickSight.LimitExceededException",
                           "Cause": "{\"errorType\":\"QuickSight.LimitExceededException\",\"errorMessage\":\"too many jobs\"}" } }
        ]
    })
}

#[tokio::test]
async fn the_manifest_lands_next_to_the_run_with_one_entry_per_recipient_and_no_tag_value() {
    let store = MemoryStore::new();
    let summary = json::write_manifest(&store, input()).await.unwrap();
    assert_eq!(
        summary["manifest_uri"],
        "s3://bucket-1/exports/run-7/manifest.json"
    );
    assert_eq!(summary["counts"]["completed"], 1);
    assert_eq!(summary["counts"]["failed"], 1);

    let body = store
        .object("bucket-1", "exports/run-7/manifest.json")
        .expect("manifest written");
    let text = String::from_utf8(body).unwrap();
    assert!(!text.contains("SECRET"), "{text}");
    let manifest: Manifest = serde_json::from_str(&text).unwrap();
    assert_eq!(manifest.run_id, "run-7");
    assert_eq!(manifest.description.as_deref(), Some("November"));
    let ids: Vec<_> = manifest
        .recipients
        .iter()
        .map(|e| &e.recipient_id)
        .collect();
    assert_eq!(ids, ["acme", "globex"]);
    assert_eq!(
        manifest.recipients[1].error.as_ref().unwrap().message,
        "too many jobs"
    );
    assert_eq!(store.keys().len(), 1);
}

#[tokio::test]
async fn a_failed_write_is_raised_with_its_name_for_the_state_machine_to_retry() {
    let store = MemoryStore::new();
    store.fail_next(ExportError::ManifestWrite("s3://bucket-1/...: 503".into()));
    let error = json::write_manifest(&store, input()).await.unwrap_err();
    assert_eq!(error.error_name(), ErrorName::ManifestWrite);
    assert!(store.keys().is_empty());
    // The retry writes it.
    json::write_manifest(&store, input()).await.unwrap();
    assert_eq!(store.keys().len(), 1);
}

#[tokio::test]
async fn input_without_a_destination_is_malformed_not_written() {
    let store = MemoryStore::new();
    let mut input = input();
    input["export"]
        .as_object_mut()
        .unwrap()
        .remove("destination");
    let error = json::write_manifest(&store, input).await.unwrap_err();
    assert_eq!(error.error_name(), ErrorName::MalformedInput);
    assert!(store.keys().is_empty());
}
