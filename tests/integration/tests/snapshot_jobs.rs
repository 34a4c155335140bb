//! The steps with the real SDK client against quicksight-sim: what
//! QuickSight's wire answers become, and the outcome objects they leave.

mod common;

use common::*;
use export_core::error_name::ErrorName;
use export_core::handlers;
use export_core::model::{JobProgress, OutcomeStatus};
use lambda_runtime::Diagnostic;
use serde_json::{Value, json};

#[tokio::test]
async fn start_check_fetch_records_every_file_of_a_recipient() {
    let sim = start_sim(fast_sim()).await;
    let run = Run::prepare(&sim.endpoint(), "run-flow", &["acme", "globex"]).await;

    let handle = run.start("acme").await.expect("start");
    assert!(!handle.already_started);
    assert!(handle.snapshot_job_id.starts_with("run-flow-acme-"));

    let first = run.check(&handle).await.expect("check");
    assert_eq!(first.status, JobProgress::Pending);
    assert!(["QUEUED", "RUNNING"].contains(&first.job_status.as_str()));

    assert_eq!(run.wait_until_terminal(&handle).await, "COMPLETED");
    let fetched = run.fetch(&handle).await.expect("fetch");
    assert_eq!(fetched.status, Some(OutcomeStatus::Completed));
    assert_eq!(fetched.files, 3);
    let outcome = run.outcome("acme").expect("the outcome is recorded");
    let formats: Vec<&str> = outcome.files.iter().map(|f| f.format.as_str()).collect();
    assert_eq!(formats, ["PDF", "CSV", "EXCEL"]);
    for file in &outcome.files {
        assert_eq!(file.s3_uris.len(), 1, "{file:?}");
        assert!(
            file.s3_uris[0].starts_with("s3://exports-bucket/runs/snapshots/run-flow/files/acme/"),
            "{file:?}"
        );
        assert!(file.errors.is_empty());
    }
    assert!(outcome.error.is_none());
    assert!(run.outcome("globex").is_none());
}

#[tokio::test]
async fn the_json_faces_chain_like_the_state_machine() {
    let sim = start_sim(fast_sim()).await;
    let run = Run::prepare(&sim.endpoint(), "run-json", &["globex"]).await;
    let input = serde_json::to_value(run.start_input("globex")).unwrap();
    let handle: Value = handlers::start_job(&run.steps, input).await.unwrap();
    let step = json!({ "run": run.run, "job": handle });
    loop {
        let check = handlers::check_job(&run.steps, step.clone()).await.unwrap();
        if check["status"] != "pending" {
            assert_eq!(check["status"], "completed");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(120)).await;
    }
    let fetched = handlers::fetch_result(&run.steps, step).await.unwrap();
    assert_eq!(fetched["status"], "completed");
    assert_eq!(fetched["files"], 3);
}

#[tokio::test]
async fn the_13th_concurrent_start_is_limit_exceeded() {
    let mut config = fast_sim();
    config.job_duration_ms = 30_000; // nothing finishes during the test
    config.calls_per_second = 1000; // isolate the job cap from the rate limit
    let sim = start_sim(config).await;
    let ids: Vec<String> = (0..13).map(|i| format!("r{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let run = Run::prepare(&sim.endpoint(), "run-cap", &ids).await;
    for id in &ids[..12] {
        run.start(id)
            .await
            .unwrap_or_else(|e| panic!("start {id}: {e}"));
    }
    let error = run
        .start("r12")
        .await
        .expect_err("the 13th start must be refused");
    assert_eq!(error.error_name(), ErrorName::LimitExceeded);
    let diagnostic = Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "QuickSight.LimitExceededException");
    assert_eq!(sim.stats().max_running, 12);

    // A retried start of a job that is already running is not refused by
    // the cap: it is recognised as the same job.
    let again = run.start("r3").await.unwrap();
    assert!(again.already_started);
}

#[tokio::test]
async fn a_burst_of_calls_is_throttled() {
    let sim = start_sim(fast_sim()).await;
    let run = std::sync::Arc::new(Run::prepare(&sim.endpoint(), "run-burst", &["acme"]).await);
    let handle = run.start("acme").await.unwrap();
    let began = std::time::Instant::now();
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..25 {
        let (run, handle) = (run.clone(), handle.clone());
        burst.spawn(async move { run.check(&handle).await });
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
    let run = Run::prepare(&sim.endpoint(), "run-repeat", &["acme"]).await;
    let first = run.start("acme").await.unwrap();
    let second = run.start("acme").await.unwrap();
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
    let run = Run::prepare(&sim.endpoint(), "run-early", &["acme"]).await;
    let handle = run.start("acme").await.unwrap();
    let error = run.fetch(&handle).await.expect_err("too early");
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
    assert!(run.outcome("acme").is_none());
}

#[tokio::test]
async fn a_failed_job_reports_its_error_type() {
    let mut config = fast_sim();
    config.fail_jobs = vec!["lost-access=DASHBOARD_ACCESS_DENIED".parse().unwrap()];
    let sim = start_sim(config).await;
    let run = Run::prepare(&sim.endpoint(), "run-fail", &["lost-access"]).await;
    let handle = run.start("lost-access").await.unwrap();
    assert_eq!(run.wait_until_terminal(&handle).await, "FAILED");
    let check = run.check(&handle).await.unwrap();
    assert_eq!(check.status, JobProgress::Failed);
    run.fetch(&handle).await.unwrap();
    let outcome = run.outcome("lost-access").unwrap();
    assert_eq!(outcome.status, OutcomeStatus::Failed);
    let error = outcome.error.expect("job-level error");
    assert_eq!(error.error_type, "DASHBOARD_ACCESS_DENIED");
    assert!(outcome.files.is_empty());
}

#[tokio::test]
async fn per_file_errors_of_a_completed_job_are_kept() {
    let mut config = fast_sim();
    config.file_errors = vec!["gone-data=DATASET_DELETED".parse().unwrap()];
    let sim = start_sim(config).await;
    let run = Run::prepare(&sim.endpoint(), "run-file-err", &["gone-data"]).await;
    let handle = run.start("gone-data").await.unwrap();
    run.wait_until_terminal(&handle).await;
    run.fetch(&handle).await.unwrap();
    let outcome = run.outcome("gone-data").unwrap();
    assert_eq!(outcome.status, OutcomeStatus::Completed);
    assert!(outcome.has_file_errors());
    assert_eq!(outcome.files[0].errors[0].error_type, "DATASET_DELETED");
    assert!(outcome.files[0].s3_uris.is_empty());
    assert_eq!(outcome.files[1].s3_uris.len(), 1);
}

#[tokio::test]
async fn an_unknown_job_is_resource_not_found() {
    let sim = start_sim(fast_sim()).await;
    let run = Run::prepare(&sim.endpoint(), "run-ghost", &["ghost"]).await;
    let mut handle = run.start("ghost").await.unwrap();
    handle.snapshot_job_id = "never-started".into();
    let error = run.check(&handle).await.unwrap_err();
    assert_eq!(error.error_name(), ErrorName::ResourceNotFound);
}

#[tokio::test]
async fn a_missing_dashboard_is_resource_not_found_at_start() {
    let mut config = fast_sim();
    config.dashboards = vec!["another-dashboard".into()];
    let sim = start_sim(config).await;
    let run = Run::prepare(&sim.endpoint(), "run-nodash", &["acme"]).await;
    let error = run.start("acme").await.unwrap_err();
    assert_eq!(error.error_name(), ErrorName::ResourceNotFound);
}

#[tokio::test]
async fn the_simulator_refuses_what_quicksight_refuses() {
    // Bypass the core's validation to see the simulator's own rules.
    use export_core::quicksight::{JobRef, SnapshotJobSpec, SnapshotJobs};
    let sim = start_sim(fast_sim()).await;
    let qs = quicksight_at(&sim.endpoint());
    let request: export_core::model::ExportRequest =
        serde_json::from_value(request_for(&["acme"])).unwrap();
    let mut groups = request.file_groups.clone();
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
        rls_tags: request.recipients[0].rls_tags.as_deref(),
    };
    let error = qs.start(&spec).await.unwrap_err();
    assert_eq!(error.name, ErrorName::InvalidParameterValue);

    // The bucket must be in the region of the call.
    let spec = SnapshotJobSpec {
        file_groups: &request.file_groups,
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
    let run = Run::prepare(&format!("http://127.0.0.1:{port}"), "run-down", &["acme"]).await;
    let error = run.start("acme").await.unwrap_err();
    assert_eq!(error.error_name(), ErrorName::Transport);
}

#[tokio::test]
async fn rls_changed_runs_the_job_once_more_before_the_error_is_recorded() {
    let mut config = fast_sim();
    config.file_errors = vec!["stale-rls=RLS_CHANGED".parse().unwrap()];
    let sim = start_sim(config).await;
    let run = Run::prepare(&sim.endpoint(), "run-rls", &["stale-rls"]).await;
    let first = run.start("stale-rls").await.unwrap();
    run.wait_until_terminal(&first).await;
    let fetched = run.fetch(&first).await.unwrap();
    assert!(fetched.run_again);
    assert!(run.outcome("stale-rls").is_none());

    let mut again = run.start_input("stale-rls");
    again.attempt = 2;
    let second = run.steps.start_job(again).await.unwrap();
    assert_ne!(second.snapshot_job_id, first.snapshot_job_id);
    run.wait_until_terminal(&second).await;
    let fetched = run.fetch(&second).await.unwrap();
    assert!(!fetched.run_again);
    let outcome = run.outcome("stale-rls").unwrap();
    assert_eq!(outcome.attempts, 2);
    assert_eq!(outcome.files[0].errors[0].error_type, "RLS_CHANGED");
    assert_eq!(sim.stats().jobs_started, 2);
}
