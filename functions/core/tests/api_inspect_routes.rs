//! `GET /exports` and `GET /exports/{id}` over the fakes: runs listed by
//! status, outcomes with download links page by page, pages bounded by
//! Lambda's response.

mod api_common;
mod common;

use api_common::*;

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
