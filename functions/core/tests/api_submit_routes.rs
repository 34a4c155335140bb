//! `POST /exports` and the API's errors over the fakes: stored and started
//! once per key, every field error, no value echoed, Lambda's event cap;
//! unknown routes and methods answered in JSON.

mod api_common;
mod common;

use api_common::*;

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
