//! The JSON faces of the steps, as the Lambda binaries call them.

mod common;

use common::*;
use export_core::error_name::ErrorName;
use export_core::handlers;
use export_core::settings::RunSettings;
use serde_json::json;

#[tokio::test]
async fn the_json_faces_chain_and_name_malformed_fields() {
    let run = prepared_run(request_json()).await;
    let input = serde_json::to_value(run.start_input(0, "acme", 1)).unwrap();
    let handle = handlers::start_job(&run.steps, input).await.unwrap();
    let step = json!({ "run": run.prepared.run, "job": handle });
    let check = handlers::check_job(&run.steps, step.clone()).await.unwrap();
    assert_eq!(check["status"], "pending");

    let mut broken = step.clone();
    broken["job"]
        .as_object_mut()
        .unwrap()
        .remove("snapshot_job_id");
    let error = handlers::fetch_result(&run.steps, broken)
        .await
        .unwrap_err();
    assert_eq!(error.error_name(), ErrorName::MalformedInput);
    assert!(error.to_string().contains("snapshot_job_id"), "{error}");

    // The execution input is a reference: a request pasted inline is refused
    // with a message that says so, and without echoing it.
    let error = handlers::prepare_run(
        &run.steps,
        &RunSettings::default(),
        &stack(),
        json!({ "request": request_json(), "execution": execution(EXECUTION, "run-7") }),
    )
    .await
    .unwrap_err();
    assert_eq!(error.error_name(), ErrorName::MalformedInput);
    assert!(
        error.to_string().contains("location of a stored request"),
        "{error}"
    );
    assert_no_secret("the error", &error.to_string());
}
