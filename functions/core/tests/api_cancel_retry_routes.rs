//! `DELETE /exports/{id}` and `POST /exports/{id}/retry` over the fakes:
//! a cancel that keeps what is recorded and finishes at any size, and a
//! retry of the failed recipients.

mod api_common;
mod common;

use api_common::*;

#[tokio::test]
async fn cancelling_keeps_what_is_recorded_records_the_rest_and_frees_the_slots() {
    let api = api();
    api.handle(post(
        "/exports",
        &request_json(&["acme", "globex", "initech"]),
        Some("run-1"),
    ))
    .await;
    prepare(&api, "run-1").await;
    record(&api, "run-1", &outcome("acme", OutcomeStatus::Completed)).await;
    let arn = "arn:aws:states:us-east-1:123456789012:execution:export:run-1";
    api.steps
        .slots
        .table
        .grant(
            SlotKind::Snapshot,
            &Lease {
                holder: holder_of(arn, "globex"),
                granted_at_ms: 1,
                expires_at_ms: u64::MAX,
            },
            12,
        )
        .await
        .unwrap();

    // The answer comes at once: stopped, slots freed, nothing recorded yet.
    let response = api.handle(call("DELETE", "/exports/run-1")).await;
    assert_eq!(response.status, 202, "{}", response.body);
    assert_eq!(response.body["status"], "ABORTED");
    assert_eq!(response.body["cancellation"], "in_progress");
    assert_eq!(response.body["slots_released"], 1);
    let outcomes = |api: &TestApi| {
        api.steps
            .store
            .keys()
            .iter()
            .filter(|(_, k)| k.contains("/outcomes/"))
            .count()
    };
    assert_eq!(outcomes(&api), 1, "only what was recorded before");
    // The execution's ABORTED event, as EventBridge hands it to finish-cancel.
    let finished = api
        .on_execution_stopped(aborted_event(arn), Instant::now() + Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(finished["finished"]["cancelled"], 2, "{finished}");
    assert_eq!(finished["finished"]["counts"]["completed"], 1);
    assert_eq!(finished["finished"]["counts"]["cancelled"], 2);
    let manifest = api
        .steps
        .store
        .json(BUCKET, "runs/api-runs/run-1/manifest.json");
    let statuses: Vec<&str> = manifest["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["completed", "cancelled", "cancelled"]);
    assert!(
        api.steps
            .slots
            .table
            .leases(SlotKind::Snapshot)
            .await
            .unwrap()
            .is_empty()
    );

    assert_problem(
        &api.handle(call("DELETE", "/exports/run-1")).await,
        409,
        "RunNotRunning",
    );
    assert_problem(
        &api.handle(call("DELETE", "/exports/nobody")).await,
        404,
        "RunNotFound",
    );
}

#[tokio::test]
async fn a_retry_runs_the_failed_recipients_of_a_finished_run_only() {
    let api = api();
    api.handle(post(
        "/exports",
        &request_json(&["acme", "globex", "initech"]),
        Some("run-1"),
    ))
    .await;
    prepare(&api, "run-1").await;
    record(&api, "run-1", &outcome("acme", OutcomeStatus::Completed)).await;
    record(&api, "run-1", &outcome("globex", OutcomeStatus::Failed)).await;
    assert_problem(
        &api.handle(post("/exports/run-1/retry", &json!(null), None))
            .await,
        409,
        "RunStillRunning",
    );
    api.executions.finish("run-1", "SUCCEEDED");
    let response = api
        .handle(post(
            "/exports/run-1/retry",
            &json!(null),
            Some("run-1-again"),
        ))
        .await;
    assert_eq!(response.status, 202, "{}", response.body);
    assert_eq!(response.body["retry_of"], "run-1");
    // globex failed; initech never had an outcome (recorded as missing): both.
    assert_eq!(response.body["recipients"], 2);
    let retried = api
        .steps
        .store
        .json(BUCKET, "requests/api/run-1-again.json");
    let ids: Vec<&str> = retried["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["globex", "initech"]);
    // The retried recipients keep their own tags.
    assert_eq!(
        retried["recipients"][0]["rls_tags"][0]["value"],
        "SECRET-globex"
    );

    api.handle(post("/exports", &request_json(&["acme"]), Some("clean")))
        .await;
    prepare(&api, "clean").await;
    record(&api, "clean", &outcome("acme", OutcomeStatus::Completed)).await;
    api.executions.finish("clean", "SUCCEEDED");
    assert_problem(
        &api.handle(post("/exports/clean/retry", &json!(null), None))
            .await,
        409,
        "NothingToRetry",
    );
}

/// The EventBridge event of an execution stopped, as the template's rule
/// passes it to finish-cancel.
fn aborted_event(execution_arn: &str) -> Value {
    json!({
        "version": "0",
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "detail": { "executionArn": execution_arn, "status": "ABORTED" }
    })
}

/// A cancellation cut short (its time ran out) goes on at the next attempt
/// (Lambda's retry of the event, or a DELETE) from where it stopped: every
/// recipient ends with one outcome, and a run stopped otherwise is left as it is.
#[tokio::test]
async fn a_cancellation_cut_short_is_finished_by_the_next_attempt() {
    let api = api();
    let ids: Vec<String> = (0..40).map(|i| format!("r{i:02}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    api.handle(post("/exports", &request_json(&refs), Some("run-1")))
        .await;
    prepare(&api, "run-1").await;
    let arn = "arn:aws:states:us-east-1:123456789012:execution:export:run-1";
    assert_eq!(
        api.handle(call("DELETE", "/exports/run-1")).await.status,
        202
    );

    // No time at all: a first batch is written, then it stops and says how many are left.
    let cut = api
        .on_execution_stopped(aborted_event(arn), Instant::now())
        .await
        .unwrap_err();
    assert_eq!(
        cut.error_name(),
        export_core::error_name::ErrorName::CancellationIncomplete
    );
    let written = api
        .steps
        .store
        .keys()
        .iter()
        .filter(|(_, k)| k.contains("/outcomes/"))
        .count();
    assert!((1..40).contains(&written), "{written} written");

    // A DELETE on the stopped run finishes it instead of answering 409.
    let finished = api.handle(call("DELETE", "/exports/run-1")).await;
    assert_eq!(finished.status, 200, "{}", finished.body);
    assert_eq!(finished.body["cancellation"], "finished");
    assert_eq!(finished.body["progress"]["cancelled"], 40 - written);
    assert_eq!(finished.body["progress"]["counts"]["cancelled"], 40);
    let manifest = api
        .steps
        .store
        .json(BUCKET, "runs/api-runs/run-1/manifest.json");
    assert_eq!(manifest["counts"]["recipients"], 40);
    assert_eq!(manifest["counts"]["missing"], 0);
    // Finished: the event again does nothing, a DELETE is a 409.
    let again = api
        .on_execution_stopped(aborted_event(arn), Instant::now())
        .await
        .unwrap();
    assert!(again.get("skipped").is_some(), "{again}");
    assert_problem(
        &api.handle(call("DELETE", "/exports/run-1")).await,
        409,
        "RunNotRunning",
    );

    // A DELETE that finds the run still described as running (a stop not
    // yet in effect) stops it again and keeps the finished cancellation.
    api.executions.finish("run-1", "RUNNING");
    assert_eq!(
        api.handle(call("DELETE", "/exports/run-1")).await.status,
        202
    );
    let record = api
        .steps
        .store
        .json(BUCKET, "runs/api-runs/run-1/cancellation.json");
    assert!(record["finished_at"].is_string(), "{record}");
    assert_problem(
        &api.handle(call("DELETE", "/exports/run-1")).await,
        409,
        "RunNotRunning",
    );
}
