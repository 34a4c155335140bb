//! prepare-run over the in-memory fakes: the stored request read, pinned
//! and validated, the run claimed, IDs only written.

mod common;

use common::*;
use export_core::error_name::ErrorName;
use export_core::settings::RunSettings;
use serde_json::{Value, json};

#[tokio::test]
async fn prepare_pins_the_request_claims_the_run_and_writes_ids_only() {
    let run = prepared_run(request_json()).await;
    let prepared = &run.prepared;
    assert_eq!(prepared.run.run_id, "run-7");
    assert_eq!(prepared.run.execution_id, EXECUTION);
    assert_eq!(prepared.run.run_prefix, "runs/monthly/run-7");
    assert_eq!(prepared.run.recipients, 3);
    assert_eq!(prepared.run.request.key, REQUEST_KEY);
    assert!(!prepared.run.request.etag.is_empty());
    assert_eq!(prepared.items.key, "runs/monthly/run-7/recipients.json");

    let items = run.store.json(BUCKET, &prepared.items.key);
    assert_eq!(
        items,
        json!([
            { "index": 0, "id": "acme" },
            { "index": 1, "id": "globex" },
            { "index": 2, "id": "initech" }
        ])
    );
    let record = run.store.json(BUCKET, "runs/monthly/run-7/run.json");
    assert_eq!(record["execution_id"], EXECUTION);
    assert_eq!(record["dashboard"]["dashboard_id"], "sales");
    // The state's payload and every object written: IDs, never values.
    assert_no_secret("prepare output", &serde_json::to_string(prepared).unwrap());
    assert_store_holds_no_secret(&run.store);
}

#[tokio::test]
async fn prepare_refuses_what_it_cannot_run_before_any_job_and_lists_every_problem() {
    let fakes = common::fake_steps();
    let store = &fakes.store;
    let settings = RunSettings::default();

    // The request must be read from the stack's bucket.
    let mut input = prepare_input(EXECUTION, "run-7");
    input.request.bucket = "somebody-elses".into();
    let error = fakes
        .prepare_run(input, &settings, &stack())
        .await
        .unwrap_err();
    assert_eq!(error.error_name(), ErrorName::InvalidRequest);
    assert!(error.to_string().contains("request.bucket"), "{error}");

    // A missing request names bucket and key.
    let error = fakes
        .prepare_run(prepare_input(EXECUTION, "run-7"), &settings, &stack())
        .await
        .unwrap_err();
    assert_eq!(error.error_name(), ErrorName::InvalidRequest);
    assert!(
        error
            .to_string()
            .contains(&format!("s3://{BUCKET}/{REQUEST_KEY}")),
        "{error}"
    );

    // Every problem at once, a destination outside the stack's bucket among them.
    let mut bad = request_json();
    bad["destination"]["bucket"] = json!("elsewhere");
    bad["recipients"][1]["rls_tags"] = Value::Null;
    bad["recipients"][2]["rls_tags"][0]["value"] = json!("");
    store.insert(BUCKET, REQUEST_KEY, serde_json::to_vec(&bad).unwrap());
    let error = fakes
        .prepare_run(prepare_input(EXECUTION, "run-7"), &settings, &stack())
        .await
        .unwrap_err();
    let export_core::ExportError::InvalidRequest(errors) = &error else {
        panic!("{error}");
    };
    assert_eq!(
        errors.paths(),
        [
            "destination.bucket",
            "recipients[1].rls_tags",
            "recipients[2].rls_tags[0].value"
        ],
        "{errors}"
    );
    assert_no_secret("the error", &error.to_string());
    // Nothing but the request itself is in the store: no run was claimed.
    assert_eq!(store.keys().len(), 1);

    // Malformed JSON is reported with its place, not its text.
    store.insert(
        BUCKET,
        REQUEST_KEY,
        b"{\"recipients\": [ACME-SECRET-TAG".to_vec(),
    );
    let error = fakes
        .prepare_run(prepare_input(EXECUTION, "run-7"), &settings, &stack())
        .await
        .unwrap_err();
    assert_eq!(error.error_name(), ErrorName::InvalidRequest);
    assert!(error.to_string().contains("not valid JSON"), "{error}");
    assert_no_secret("the error", &error.to_string());
}

#[tokio::test]
async fn a_run_id_belongs_to_one_execution() {
    let run = prepared_run(request_json()).await;
    let settings = RunSettings::default();
    // The same execution again (a retried step) is fine.
    run.prepare_run(prepare_input(EXECUTION, "run-7"), &settings, &stack())
        .await
        .unwrap();
    // Another execution of the same name (another state machine writing to
    // the bucket, or the name reused after its history expired) is refused.
    let other = "arn:aws:states:us-east-1:123456789012:execution:other-export:run-7";
    let error = run
        .prepare_run(prepare_input(other, "run-7"), &settings, &stack())
        .await
        .unwrap_err();
    assert_eq!(error.error_name(), ErrorName::RunIdInUse);
    assert!(error.to_string().contains(EXECUTION), "{error}");
}
