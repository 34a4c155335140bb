//! The functions' handlers, with the real SDK client, against quicksight-sim.

mod common;

use common::*;
use export_core::error_name::ErrorName;
use export_core::handlers::{check_job, fetch_result, json, start_job};
use export_core::model::{JobProgress, OutcomeStatus};
use lambda_runtime::Diagnostic;
use serde_json::{Value, json};

#[tokio::test]
async fn start_check_fetch_returns_every_file_of_an_anonymous_recipient() {
    let sim = start_sim(fast_sim()).await;
    let qs = quicksight(&sim);

    let handle = start_job(&qs, start_input("run-flow", "acme", Some("acme")))
        .await
        .expect("start");
    assert!(!handle.already_started);
    assert!(
        handle
            .arn
            .as_deref()
            .unwrap()
            .contains(&handle.snapshot_job_id)
    );

    let first = check_job(&qs, handle.clone()).await.expect("check");
    assert_eq!(first.status, JobProgress::Pending);
    assert!(["QUEUED", "RUNNING"].contains(&first.job_status.as_str()));

    assert_eq!(wait_until_terminal(&qs, &handle).await, "COMPLETED");
    let outcome = fetch_result(&qs, handle.clone()).await.expect("fetch");
    assert_eq!(outcome.status, OutcomeStatus::Completed);
    assert_eq!(outcome.recipient_id, "acme");
    let formats: Vec<&str> = outcome.files.iter().map(|f| f.format.as_str()).collect();
    assert_eq!(formats, ["PDF", "CSV", "EXCEL"]);
    for file in &outcome.files {
        assert_eq!(file.s3_uris.len(), 1, "{file:?}");
        assert!(
            file.s3_uris[0].starts_with("s3://exports-bucket/snapshots/run-flow/acme/"),
            "{file:?}"
        );
        assert!(file.errors.is_empty());
    }
    assert!(outcome.error.is_none());
}

#[tokio::test]
async fn a_registered_user_job_reports_its_files_too() {
    let sim = start_sim(fast_sim()).await;
    let qs = quicksight(&sim);
    let handle = start_job(&qs, start_input("run-reg", "internal", None))
        .await
        .unwrap();
    wait_until_terminal(&qs, &handle).await;
    let outcome = fetch_result(&qs, handle).await.unwrap();
    assert_eq!(outcome.status, OutcomeStatus::Completed);
    assert_eq!(outcome.files.len(), 3);
    assert!(outcome.files.iter().all(|f| f.s3_uris.len() == 1));
}

#[tokio::test]
async fn the_json_faces_chain_like_the_state_machine() {
    let sim = start_sim(fast_sim()).await;
    let qs = quicksight(&sim);
    let input = serde_json::to_value(start_input("run-json", "globex", Some("globex"))).unwrap();
    let handle: Value = json::start_job(&qs, input).await.unwrap();
    loop {
        let check = json::check_job(&qs, handle.clone()).await.unwrap();
        if check["status"] != "pending" {
            assert_eq!(check["status"], "completed");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(120)).await;
    }
    let outcome = json::fetch_result(&qs, handle).await.unwrap();
    assert_eq!(outcome["status"], "completed");
    assert_eq!(outcome["files"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn the_13th_concurrent_start_is_limit_exceeded() {
    let mut config = fast_sim();
    config.job_duration_ms = 30_000; // nothing finishes during the test
    config.calls_per_second = 1000; // isolate the job cap from the rate limit
    let sim = start_sim(config).await;
    let qs = quicksight(&sim);
    for i in 0..12 {
        start_job(&qs, start_input("run-cap", &format!("r{i}"), Some("t")))
            .await
            .unwrap_or_else(|e| panic!("start {i}: {e}"));
    }
    let error = start_job(&qs, start_input("run-cap", "r12", Some("t")))
        .await
        .expect_err("the 13th start must be refused");
    assert_eq!(error.error_name(), ErrorName::LimitExceeded);
    let diagnostic = Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "QuickSight.LimitExceededException");
    assert_eq!(sim.stats().max_running, 12);

    // A retried start of a job that is already running is not refused by
    // the cap: it is recognised as the same job.
    let again = start_job(&qs, start_input("run-cap", "r3", Some("t")))
        .await
        .unwrap();
    assert!(again.already_started);
}

#[tokio::test]
async fn a_burst_of_calls_is_throttled() {
    let sim = start_sim(fast_sim()).await;
    let qs = std::sync::Arc::new(quicksight(&sim));
    let handle = start_job(qs.as_ref(), start_input("run-burst", "acme", Some("acme")))
        .await
        .unwrap();
    let began = std::time::Instant::now();
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..25 {
        let (qs, handle) = (qs.clone(), handle.clone());
        burst.spawn(async move { check_job(qs.as_ref(), handle).await });
    }
    let results = burst.join_all().await;
    let elapsed = began.elapsed().as_secs();
    let answered = results.iter().filter(|r| r.is_ok()).count();
    let throttled: Vec<Diagnostic> = results
        .into_iter()
        .filter_map(Result::err)
        .map(Diagnostic::from)
        .collect();
    // 10 calls per second: the start used one. A burst that lands within one
    // second (it does, on loopback) gets at most 9 answers.
    assert!(!throttled.is_empty());
    assert!(
        answered as u64 <= 10 * (elapsed + 1),
        "{answered} answered in {elapsed} s"
    );
    assert!(
        throttled
            .iter()
            .all(|d| d.error_type == "QuickSight.ThrottlingException"),
        "{throttled:?}"
    );
    // The SDK did not retry on its own: every throttled answer reached us.
    assert_eq!(sim.stats().throttled, throttled.len() as u64);
}

#[tokio::test]
async fn a_repeated_start_returns_the_same_job() {
    let sim = start_sim(fast_sim()).await;
    let qs = quicksight(&sim);
    let first = start_job(&qs, start_input("run-repeat", "acme", Some("acme")))
        .await
        .unwrap();
    let second = start_job(&qs, start_input("run-repeat", "acme", Some("acme")))
        .await
        .unwrap();
    assert_eq!(first.snapshot_job_id, second.snapshot_job_id);
    assert!(!first.already_started);
    assert!(second.already_started);
    assert_eq!(sim.stats().jobs_started, 1);
    assert_eq!(sim.stats().resource_exists, 1);
}

#[tokio::test]
async fn a_result_fetched_too_early_is_precondition_not_met() {
    let mut config = fast_sim();
    config.job_duration_ms = 30_000;
    let sim = start_sim(config).await;
    let qs = quicksight(&sim);
    let handle = start_job(&qs, start_input("run-early", "acme", Some("acme")))
        .await
        .unwrap();
    let error = fetch_result(&qs, handle.clone())
        .await
        .expect_err("too early");
    let diagnostic = Diagnostic::from(error);
    assert_eq!(
        diagnostic.error_type,
        "QuickSight.PreconditionNotMetException"
    );
    assert!(
        diagnostic
            .error_message
            .contains("has not reached a terminal state"),
        "{}",
        diagnostic.error_message
    );
}

#[tokio::test]
async fn a_failed_job_reports_its_error_type() {
    let mut config = fast_sim();
    config.fail_jobs = vec!["lost-access=DASHBOARD_ACCESS_DENIED".parse().unwrap()];
    let sim = start_sim(config).await;
    let qs = quicksight(&sim);
    let handle = start_job(&qs, start_input("run-fail", "lost-access", None))
        .await
        .unwrap();
    assert_eq!(wait_until_terminal(&qs, &handle).await, "FAILED");
    let check = check_job(&qs, handle.clone()).await.unwrap();
    assert_eq!(check.status, JobProgress::Failed);
    let outcome = fetch_result(&qs, handle).await.unwrap();
    assert_eq!(outcome.status, OutcomeStatus::Failed);
    let error = outcome.error.expect("job-level error");
    assert_eq!(error.error_type, "DASHBOARD_ACCESS_DENIED");
    assert!(outcome.files.is_empty());
}

#[tokio::test]
async fn per_file_errors_of_a_completed_job_are_kept() {
    let mut config = fast_sim();
    config.file_errors = vec!["stale-rls=RLS_CHANGED".parse().unwrap()];
    let sim = start_sim(config).await;
    let qs = quicksight(&sim);
    let handle = start_job(&qs, start_input("run-file-err", "stale-rls", Some("x")))
        .await
        .unwrap();
    wait_until_terminal(&qs, &handle).await;
    let outcome = fetch_result(&qs, handle).await.unwrap();
    assert_eq!(outcome.status, OutcomeStatus::Completed);
    assert!(outcome.has_file_errors());
    assert_eq!(outcome.files[0].errors[0].error_type, "RLS_CHANGED");
    assert!(outcome.files[0].s3_uris.is_empty());
    assert_eq!(outcome.files[1].s3_uris.len(), 1);
}

#[tokio::test]
async fn an_unknown_job_is_resource_not_found() {
    let sim = start_sim(fast_sim()).await;
    let qs = quicksight(&sim);
    let handle = serde_json::from_value(json!({
        "recipient_id": "ghost",
        "account_id": ACCOUNT,
        "region": REGION,
        "dashboard_id": "sales-overview",
        "snapshot_job_id": "never-started",
    }))
    .unwrap();
    let error = check_job(&qs, handle).await.unwrap_err();
    assert_eq!(error.error_name(), ErrorName::ResourceNotFound);
}

#[tokio::test]
async fn a_missing_dashboard_is_resource_not_found_at_start() {
    let mut config = fast_sim();
    config.dashboards = vec!["another-dashboard".into()];
    let sim = start_sim(config).await;
    let qs = quicksight(&sim);
    let error = start_job(&qs, start_input("run-nodash", "acme", None))
        .await
        .unwrap_err();
    assert_eq!(error.error_name(), ErrorName::ResourceNotFound);
}

#[tokio::test]
async fn the_simulator_refuses_what_quicksight_refuses() {
    // Bypass the core's validation to see the simulator's own rules.
    use export_core::quicksight::{JobRef, SnapshotJobSpec, SnapshotJobs};
    let sim = start_sim(fast_sim()).await;
    let qs = quicksight(&sim);
    let input = start_input("run-invalid", "acme", Some("acme"));
    let mut groups = input.export.file_groups.clone();
    groups[0].sheets[0].visual_ids = vec!["v1".into()]; // a PDF with selected visuals
    let spec = SnapshotJobSpec {
        job: JobRef {
            account_id: ACCOUNT.into(),
            region: REGION.into(),
            dashboard_id: "sales-overview".into(),
            snapshot_job_id: "job-1".into(),
        },
        file_groups: &groups,
        bucket: "exports-bucket",
        bucket_prefix: "p".into(),
        bucket_region: REGION,
        parameters: None,
        rls_tags: input.recipient.rls_tags.as_deref(),
    };
    let error = qs.start(&spec).await.unwrap_err();
    assert_eq!(error.name, ErrorName::InvalidParameterValue);

    // The bucket must be in the region of the call.
    let spec = SnapshotJobSpec {
        file_groups: &input.export.file_groups,
        bucket_region: "eu-west-1",
        ..spec
    };
    let error = qs.start(&spec).await.unwrap_err();
    assert_eq!(error.name, ErrorName::InvalidParameterValue);
    assert!(error.message.contains("same region"), "{}", error.message);
}

#[tokio::test]
async fn an_unreachable_endpoint_is_a_transport_error() {
    // Bind and drop a listener to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let qs = export_core::quicksight::sdk::SdkSnapshotJobs::new(
        export_core::quicksight::sdk::quicksight_client(
            &shared_config(),
            Some(&format!("http://127.0.0.1:{port}")),
        ),
    );
    let error = start_job(&qs, start_input("run-down", "acme", None))
        .await
        .unwrap_err();
    assert_eq!(error.error_name(), ErrorName::Transport);
}
