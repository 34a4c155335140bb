//! The API over the fakes (executions, S3, the slot table): every route,
//! every answer JSON, no value of the request echoed.

mod common;

use std::time::{Duration, Instant};

use export_core::api::{
    Api, ApiRequest, ApiResponse, MAX_API_BODY_BYTES, MAX_RESPONSE_BODY_BYTES, enveloped_len,
};
use export_core::coordination::semaphore::holder_of;
use export_core::coordination::{Lease, SlotKind, SlotTable};
use export_core::executions::fake::FakeExecutions;
use export_core::model::PrepareRunInput;
use export_core::model::{
    ErrorDetail, ExecutionRef, FileOutcome, ObjectRef, OutcomeStatus, RecipientOutcome,
};
use export_core::settings::RunSettings;
use export_core::steps::Fakes;
use export_core::steps::record::record_outcome_at;
use export_core::storage::memory::MemoryStore;
use serde_json::{Value, json};

const BUCKET: &str = "stack-exports";

type TestApi = Api<Fakes>;

fn api() -> TestApi {
    Api {
        steps: common::fake_steps_with_link_expiry(Duration::from_secs(900)),
        executions: FakeExecutions::new(),
        stack: export_core::settings::StackPlace::new(BUCKET, "us-east-1", "123456789012"),
    }
}

fn request_json(recipients: &[&str]) -> Value {
    json!({
        "account_id": "123456789012",
        "region": "us-east-1",
        "dashboard_id": "sales",
        "file_groups": [{ "format": "PDF", "sheets": [{ "sheet_id": "summary" }] }],
        "destination": { "bucket": BUCKET, "prefix": "api-runs", "region": "us-east-1" },
        "recipients": recipients.iter().map(|id| json!({
            "id": id, "rls_tags": [{ "key": "tenant", "value": format!("SECRET-{id}") }]
        })).collect::<Vec<_>>()
    })
}

fn call(method: &str, path: &str) -> ApiRequest {
    ApiRequest {
        method: method.into(),
        path: path.into(),
        ..ApiRequest::default()
    }
}

fn post(path: &str, body: &Value, key: Option<&str>) -> ApiRequest {
    ApiRequest {
        method: "POST".into(),
        path: path.into(),
        headers: key
            .map(|k| vec![("idempotency-key".to_string(), k.to_string())])
            .unwrap_or_default(),
        body: serde_json::to_vec(body).unwrap(),
        ..ApiRequest::default()
    }
}

fn with_query(mut request: ApiRequest, pairs: &[(&str, &str)]) -> ApiRequest {
    request.query = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    request
}

fn assert_problem(response: &ApiResponse, status: u16, code: &str) {
    assert_eq!(response.status, status, "{}", response.body);
    assert_eq!(response.body["code"], code, "{}", response.body);
    assert!(response.body["message"].is_string());
}

/// What the state machine's prepare step does for a submitted run.
async fn prepare(api: &TestApi, run_id: &str) {
    let execution = export_core::executions::Executions::describe(&api.executions, run_id)
        .await
        .unwrap()
        .unwrap();
    let location: ObjectRef = serde_json::from_str(execution.input.as_deref().unwrap()).unwrap();
    api.steps
        .prepare_run(
            PrepareRunInput {
                request: location,
                execution: ExecutionRef {
                    id: execution.arn,
                    name: run_id.into(),
                    started_at: None,
                },
            },
            &RunSettings::default(),
            &api.stack,
        )
        .await
        .unwrap();
}

fn outcome(id: &str, status: OutcomeStatus) -> RecipientOutcome {
    RecipientOutcome {
        recipient_id: id.into(),
        status,
        snapshot_job_id: Some(format!("job-{id}")),
        attempts: 1,
        files: if status == OutcomeStatus::Completed {
            vec![FileOutcome {
                format: "PDF".into(),
                sheet_ids: vec!["summary".into()],
                s3_uris: vec![format!(
                    "s3://{BUCKET}/runs/api-runs/run-1/files/{id}/summary.pdf"
                )],
                errors: vec![],
            }]
        } else {
            vec![]
        },
        error: (status == OutcomeStatus::Failed).then(|| ErrorDetail {
            error_type: "DASHBOARD_ACCESS_DENIED".into(),
            message: "no access".into(),
        }),
        job_seconds: None,
        bundle: None,
        issues: Vec::new(),
        recorded_at: "2026-12-01T06:01:00Z".into(),
    }
}

async fn record(api: &TestApi, run_id: &str, outcome: &RecipientOutcome) {
    record_outcome_at(
        &api.steps.store,
        &api.steps.announcer,
        BUCKET,
        &export_core::layout::run_prefix("api-runs", run_id),
        run_id,
        outcome,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_valid_request_is_stored_and_started_under_its_idempotency_key() {
    let api = api();
    let body = request_json(&["acme", "globex"]);
    let response = api.handle(post("/exports", &body, Some("run-1"))).await;
    assert_eq!(response.status, 202, "{}", response.body);
    assert_eq!(response.body["run_id"], "run-1");
    assert_eq!(response.body["recipients"], 2);
    assert_eq!(response.body["replayed"], false);
    assert_eq!(response.body["status_url"], "/exports/run-1");
    assert!(
        response
            .headers
            .contains(&("location".into(), "/exports/run-1".into()))
    );
    assert_eq!(
        api.steps.store.json(BUCKET, "requests/api/run-1.json"),
        body
    );
    assert_eq!(api.executions.names(), ["run-1"]);
    let started = export_core::executions::Executions::describe(&api.executions, "run-1")
        .await
        .unwrap()
        .unwrap();
    let input: Value = serde_json::from_str(started.input.as_deref().unwrap()).unwrap();
    assert_eq!(
        input,
        json!({ "bucket": BUCKET, "key": "requests/api/run-1.json" })
    );

    // Without a key, the API makes the run ID up.
    let response = api.handle(post("/exports", &body, None)).await;
    assert_eq!(response.status, 202);
    assert!(
        response.body["run_id"]
            .as_str()
            .unwrap()
            .starts_with("api-")
    );
}

#[tokio::test]
async fn an_invalid_request_gets_every_field_error_and_starts_nothing() {
    let api = api();
    let mut body = request_json(&["acme", "globex"]);
    body["account_id"] = json!("123");
    body["destination"]["bucket"] = json!("elsewhere");
    body["recipients"][1]["rls_tags"] = Value::Null;
    let response = api.handle(post("/exports", &body, Some("bad-1"))).await;
    assert_problem(&response, 400, "InvalidRequest");
    let paths: Vec<&str> = response.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        ["account_id", "destination.bucket", "recipients[1].rls_tags"]
    );
    assert!(
        !response.body.to_string().contains("SECRET-"),
        "{}",
        response.body
    );
    assert!(api.executions.names().is_empty());
    assert!(api.steps.store.keys().is_empty());

    let mut malformed = post("/exports", &json!({}), Some("bad-2"));
    malformed.body = b"{\"recipients\": [SECRET-x".to_vec();
    let response = api.handle(malformed).await;
    assert_problem(&response, 400, "InvalidRequest");
    assert!(!response.body.to_string().contains("SECRET-"));

    let response = api
        .handle(post("/exports", &request_json(&["a"]), Some("no spaces")))
        .await;
    assert_problem(&response, 400, "InvalidIdempotencyKey");
}

#[tokio::test]
async fn the_same_submission_twice_is_one_run_and_another_body_under_its_key_is_a_conflict() {
    let api = api();
    let body = request_json(&["acme"]);
    assert_eq!(
        api.handle(post("/exports", &body, Some("once")))
            .await
            .status,
        202
    );
    let again = api.handle(post("/exports", &body, Some("once"))).await;
    assert_eq!(again.status, 202);
    assert_eq!(again.body["replayed"], true);
    assert_eq!(api.executions.names(), ["once"]);

    let other = api
        .handle(post("/exports", &request_json(&["globex"]), Some("once")))
        .await;
    assert_problem(&other, 409, "IdempotencyConflict");
    assert_eq!(api.executions.names(), ["once"]);
}

#[tokio::test]
async fn a_run_shows_its_outcomes_so_far_with_download_links_page_by_page() {
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

    let response = api
        .handle(with_query(call("GET", "/exports/run-1"), &[("limit", "1")]))
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.body["status"], "RUNNING");
    assert_eq!(
        response.body["counts"],
        json!({ "recipients": 3, "recorded": 2 })
    );
    let first = &response.body["recipients"][0];
    assert_eq!(first["recipient_id"], "acme");
    assert_eq!(
        first["files"][0]["download_urls"][0],
        format!(
            "https://{BUCKET}.example/runs/api-runs/run-1/files/acme/summary.pdf?expires-in=900"
        )
    );
    assert_eq!(response.body["next_token"], "acme");
    let next = api
        .handle(with_query(
            call("GET", "/exports/run-1"),
            &[("limit", "1"), ("next_token", "acme")],
        ))
        .await;
    assert_eq!(next.body["recipients"][0]["recipient_id"], "globex");
    assert!(next.body.get("next_token").is_none());

    assert_problem(
        &api.handle(call("GET", "/exports/nobody")).await,
        404,
        "RunNotFound",
    );
    assert_problem(
        &api.handle(with_query(call("GET", "/exports/run-1"), &[("limit", "0")]))
            .await,
        400,
        "InvalidQuery",
    );
}

#[tokio::test]
async fn runs_are_listed_newest_first_by_status_page_by_page() {
    let api = api();
    for id in ["r1", "r2", "r3"] {
        api.handle(post("/exports", &request_json(&["acme"]), Some(id)))
            .await;
    }
    api.executions.finish("r2", "SUCCEEDED");
    let all = api.handle(call("GET", "/exports")).await;
    let ids: Vec<&str> = all.body["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["run_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["r3", "r2", "r1"]);
    let running = api
        .handle(with_query(
            call("GET", "/exports"),
            &[("status", "running")],
        ))
        .await;
    assert_eq!(running.body["runs"].as_array().unwrap().len(), 2);
    let page = api
        .handle(with_query(call("GET", "/exports"), &[("limit", "2")]))
        .await;
    assert_eq!(page.body["runs"].as_array().unwrap().len(), 2);
    let token = page.body["next_token"].as_str().unwrap();
    let rest = api
        .handle(with_query(
            call("GET", "/exports"),
            &[("limit", "2"), ("next_token", token)],
        ))
        .await;
    assert_eq!(rest.body["runs"][0]["run_id"], "r1");
    assert_problem(
        &api.handle(with_query(
            call("GET", "/exports"),
            &[("status", "SLEEPING")],
        ))
        .await,
        400,
        "InvalidQuery",
    );
}

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

#[tokio::test]
async fn unknown_routes_and_methods_are_json_errors() {
    let api = api();
    assert_problem(
        &api.handle(call("GET", "/elsewhere")).await,
        404,
        "RouteNotFound",
    );
    assert_problem(
        &api.handle(call("PUT", "/exports")).await,
        405,
        "MethodNotAllowed",
    );
    assert_problem(
        &api.handle(call("GET", "/exports/a/b/c")).await,
        404,
        "RouteNotFound",
    );
    // A stage in front of the path is fine.
    assert_eq!(api.handle(call("GET", "/prod/exports")).await.status, 200);
}

/// Seven files of presigned links (about 1.4 KB each) for each of 1,000
/// recipients is about 10 MB: more than Lambda's 6 MB response. A page ends
/// before 5 MB and says so with its next_token; the pages together give
/// every recipient once.
#[tokio::test]
async fn a_page_ends_before_its_answer_outgrows_lambdas_response() {
    let mut api = api();
    api.steps.store = MemoryStore::new().with_link_padding(1300);
    let ids: Vec<String> = (0..1000).map(|i| format!("tenant-{i:04}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    api.handle(post("/exports", &request_json(&refs), Some("run-1")))
        .await;
    prepare(&api, "run-1").await;
    for id in &ids {
        let mut seven = outcome(id, OutcomeStatus::Completed);
        seven.files = (0..7)
            .map(|f| FileOutcome {
                format: "CSV".into(),
                sheet_ids: vec!["details".into()],
                s3_uris: vec![format!(
                    "s3://{BUCKET}/runs/api-runs/run-1/files/{id}/details-{f}.csv"
                )],
                errors: vec![],
            })
            .collect();
        record(&api, "run-1", &seven).await;
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut query = vec![("limit", "1000")];
        if let Some(t) = &token {
            query.push(("next_token", t.as_str()));
        }
        let page = api
            .handle(with_query(call("GET", "/exports/run-1"), &query))
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        let size = enveloped_len(&page.body);
        assert!(
            size <= MAX_RESPONSE_BODY_BYTES,
            "page {pages}: {size} bytes"
        );
        pages += 1;
        for r in page.body["recipients"].as_array().unwrap() {
            seen.push(r["recipient_id"].as_str().unwrap().to_string());
        }
        match page.body.get("next_token") {
            Some(t) => {
                assert_eq!(t.as_str(), seen.last().map(String::as_str));
                token = Some(t.as_str().unwrap().to_string());
            }
            None => break,
        }
    }
    assert!(pages >= 2, "the first page held all 1,000 ({pages} page)");
    assert_eq!(seen, ids, "every recipient once, in order");
}

#[tokio::test]
async fn a_body_larger_than_lambdas_event_can_carry_is_refused_with_where_to_put_it() {
    let api = api();
    let too_big = vec![b' '; MAX_API_BODY_BYTES + 1];
    let response = api
        .handle(ApiRequest {
            method: "POST".into(),
            path: "/exports".into(),
            body: too_big,
            ..ApiRequest::default()
        })
        .await;
    assert_problem(&response, 413, "RequestTooLarge");
    let message = response.body["message"].as_str().unwrap();
    assert!(message.contains("export bucket"), "{message}");
    assert!(api.executions.names().is_empty());
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
