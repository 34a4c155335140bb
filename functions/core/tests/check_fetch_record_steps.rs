//! check-job, fetch-result and record-failure over the in-memory fakes:
//! deadlines, outcomes written once, re-runs, slots given back.

mod common;

use common::*;
use export_core::error_name::ErrorName;
use export_core::model::{
    JobProgress, OutcomeStatus, RecipientRef, RecordFailureInput, StepFailure,
};
use export_core::quicksight::{JobResult, JobStatus};
use export_core::steps::record::Recorded;
use serde_json::json;

#[tokio::test]
async fn check_maps_statuses_and_never_polls_past_the_deadline() {
    let run = prepared_run(request_json()).await;
    let handle = run.start(0, "acme").await.unwrap();
    let now = handle.deadline - 100;
    for (status, progress) in [
        (JobStatus::Queued, JobProgress::Pending),
        (JobStatus::Running, JobProgress::Pending),
        (JobStatus::Completed, JobProgress::Completed),
        (JobStatus::Failed, JobProgress::Failed),
    ] {
        run.quicksight
            .set_status(&handle.snapshot_job_id, status.clone());
        let check = run
            .check_job_at(run.step_input(&handle), now as f64)
            .await
            .unwrap();
        assert_eq!(check.status, progress);
        assert_eq!(check.job_status, status.as_str());
    }
    run.quicksight
        .set_status(&handle.snapshot_job_id, JobStatus::Running);
    // Near the deadline the next look lands on it, not after.
    let check = run
        .check_job_at(run.step_input(&handle), (handle.deadline - 7) as f64)
        .await
        .unwrap();
    assert_eq!(
        (check.status, check.check_in_seconds),
        (JobProgress::Pending, 7)
    );
    // At the deadline polling ends, whatever QuickSight says.
    let check = run
        .check_job_at(run.step_input(&handle), handle.deadline as f64)
        .await
        .unwrap();
    assert_eq!(check.status, JobProgress::DeadlinePassed);

    // A status this version does not know is an error, not an endless poll.
    run.quicksight
        .set_status(&handle.snapshot_job_id, JobStatus::Other("PAUSED".into()));
    let error = run.check_job(run.step_input(&handle)).await.unwrap_err();
    assert_eq!(error.error_name(), ErrorName::UnexpectedResponse);
}

// ---- fetch-result and record-failure ----------------------------------

#[tokio::test]
async fn fetch_records_the_outcome_once_with_every_uri_and_file_error() {
    let run = prepared_run(request_json()).await;
    let handle = run.start(0, "acme").await.unwrap();
    let error = run.fetch_result(run.step_input(&handle)).await.unwrap_err();
    assert_eq!(error.error_name(), ErrorName::PreconditionNotMet);
    assert!(run.outcome("acme").is_none());

    run.quicksight.finish(
        &handle.snapshot_job_id,
        completed(
            &["s3://b/acme/1.pdf"],
            vec![detail("DATASET_DELETED"), detail("BRAND_NEW")],
        ),
    );
    let fetched = run.fetch_result(run.step_input(&handle)).await.unwrap();
    assert!(!fetched.run_again);
    assert_eq!(fetched.status, Some(OutcomeStatus::Completed));
    assert_eq!(fetched.files, 1);
    let outcome = run.outcome("acme").unwrap();
    assert_eq!(
        outcome.snapshot_job_id.as_deref(),
        Some(handle.snapshot_job_id.as_str())
    );
    assert_eq!(outcome.files[0].s3_uris, ["s3://b/acme/1.pdf"]);
    let kinds: Vec<_> = outcome.files[0]
        .errors
        .iter()
        .map(|e| e.error_type.as_str())
        .collect();
    assert_eq!(kinds, ["DATASET_DELETED", "BRAND_NEW"]);

    // A repeated fetch (a lost reply) and a late failure keep what is known.
    run.fetch_result(run.step_input(&handle)).await.unwrap();
    let recorded = run
        .record_failure(RecordFailureInput {
            run: run.prepared.run.clone(),
            recipient: RecipientRef {
                index: 0,
                id: "acme".into(),
            },
            attempt: 1,
            job: Some(handle.clone()),
            failure: StepFailure {
                error: "States.Timeout".into(),
                cause: None,
            },
        })
        .await
        .unwrap();
    assert_eq!(recorded, Recorded::AlreadyRecorded);
    assert_eq!(run.outcome("acme").unwrap(), outcome);
}

#[tokio::test]
async fn rls_changed_runs_the_job_once_more_then_records_the_error() {
    let run = prepared_run(request_json()).await;
    let first = run.start(0, "acme").await.unwrap();
    run.quicksight.finish(
        &first.snapshot_job_id,
        completed(&[], vec![detail("RLS_CHANGED")]),
    );
    let fetched = run.fetch_result(run.step_input(&first)).await.unwrap();
    assert!(fetched.run_again);
    assert!(
        run.outcome("acme").is_none(),
        "nothing is recorded before the second attempt"
    );

    let second = run.start_job(run.start_input(0, "acme", 2)).await.unwrap();
    run.quicksight.finish(
        &second.snapshot_job_id,
        completed(&[], vec![detail("CLS_CHANGED")]),
    );
    let fetched = run.fetch_result(run.step_input(&second)).await.unwrap();
    assert!(!fetched.run_again);
    let outcome = run.outcome("acme").unwrap();
    assert_eq!(outcome.attempts, 2);
    assert_eq!(
        outcome.snapshot_job_id.as_deref(),
        Some(second.snapshot_job_id.as_str())
    );
    assert_eq!(outcome.files[0].errors[0].error_type, "CLS_CHANGED");
}

#[tokio::test]
async fn a_failed_job_is_recorded_with_its_job_level_error() {
    let run = prepared_run(request_json()).await;
    let handle = run.start(2, "initech").await.unwrap();
    run.quicksight.finish(
        &handle.snapshot_job_id,
        JobResult {
            status: JobStatus::Failed,
            file_groups: vec![],
            error: Some(detail("DASHBOARD_ACCESS_DENIED")),
        },
    );
    let fetched = run.fetch_result(run.step_input(&handle)).await.unwrap();
    assert_eq!(fetched.status, Some(OutcomeStatus::Failed));
    let outcome = run.outcome("initech").unwrap();
    assert_eq!(outcome.error.unwrap().error_type, "DASHBOARD_ACCESS_DENIED");
}

#[tokio::test]
async fn a_caught_failure_is_recorded_with_the_lambda_errors_message() {
    let run = prepared_run(request_json()).await;
    let recorded = run.record_failure(RecordFailureInput {
            run: run.prepared.run.clone(),
            recipient: RecipientRef { index: 1, id: "globex".into() },
            attempt: 1,
            job: None,
            failure: StepFailure {
                error: "QuickSight.AccessDeniedException".into(),
                cause: Some(
                    json!({ "errorType": "QuickSight.AccessDeniedException", "errorMessage": "not allowed" })
                        .to_string(),
                ),
            },
        })
    .await
    .unwrap();
    assert_eq!(recorded, Recorded::Written);
    let outcome = run.outcome("globex").unwrap();
    assert_eq!(outcome.status, OutcomeStatus::Failed);
    assert_eq!(outcome.snapshot_job_id, None);
    assert_eq!(outcome.attempts, 0);
    let error = outcome.error.unwrap();
    assert_eq!(
        (error.error_type.as_str(), error.message.as_str()),
        ("QuickSight.AccessDeniedException", "not allowed")
    );
}

#[tokio::test]
async fn a_finished_job_gives_its_slot_to_the_next_waiter_when_it_is_checked() {
    use export_core::coordination::{SlotKind, SlotTable};
    use export_core::model::TakeSlotInput;
    let mut run = prepared_run(request_json()).await;
    run.steps.slots.limits.slot_cap = 1;
    let ask = |index: usize, id: &str| TakeSlotInput {
        run: run.prepared.run.clone(),
        recipient: RecipientRef {
            index,
            id: id.into(),
        },
        task_token: format!("token-{id}"),
    };
    let now_ms = export_core::time::now_epoch_ms();
    run.slots.take(ask(0, "acme"), now_ms).await.unwrap();
    run.slots.take(ask(1, "globex"), now_ms).await.unwrap();
    assert_eq!(
        run.slots.callbacks.delivered().len(),
        1,
        "one slot, one job"
    );

    let handle = run.start(0, "acme").await.unwrap();
    run.quicksight
        .set_status(&handle.snapshot_job_id, JobStatus::Running);
    run.check_job(run.step_input(&handle)).await.unwrap();
    assert_eq!(run.slots.callbacks.delivered().len(), 1, "still running");

    run.quicksight.finish(
        &handle.snapshot_job_id,
        completed(&["s3://b/1.pdf"], vec![]),
    );
    run.check_job(run.step_input(&handle)).await.unwrap();
    let delivered = run.slots.callbacks.delivered();
    assert_eq!(delivered.len(), 2);
    assert_eq!(
        delivered[1].0, "token-globex",
        "the next job starts before the fetch"
    );
    let leases = run.slots.table.leases(SlotKind::Snapshot).await.unwrap();
    assert_eq!(leases.len(), 1);
    assert_eq!(leases[0].holder.recipient, "globex");
    // The fetch gives back nothing more.
    run.fetch_result(run.step_input(&handle)).await.unwrap();
    assert_eq!(
        run.slots
            .table
            .leases(SlotKind::Snapshot)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn every_recorded_outcome_is_announced_with_download_links_and_no_value() {
    let run = prepared_run(request_json()).await;
    let handle = run.start(0, "acme").await.unwrap();
    run.quicksight.finish(
        &handle.snapshot_job_id,
        completed(
            &[&format!(
                "s3://{BUCKET}/runs/monthly/run-7/files/acme/1.pdf"
            )],
            vec![],
        ),
    );
    run.fetch_result(run.step_input(&handle)).await.unwrap();
    let published = run.announcer.events.published();
    assert_eq!(published.len(), 1);
    let (detail_type, detail) = &published[0];
    assert_eq!(detail_type, "Export Recipient Outcome");
    assert_eq!(detail["run_id"], "run-7");
    assert_eq!(detail["outcome"]["recipient_id"], "acme");
    assert_eq!(detail["outcome"]["status"], "completed");
    assert_eq!(
        detail["outcome"]["files"][0]["download_urls"][0],
        format!("https://{BUCKET}.example/runs/monthly/run-7/files/acme/1.pdf?expires-in=600")
    );
    assert_no_secret("the event", &detail.to_string());

    // A retried fetch announces the kept outcome again (at least once).
    run.fetch_result(run.step_input(&handle)).await.unwrap();
    let published = run.announcer.events.published();
    assert_eq!(published.len(), 2);
    assert_eq!(published[1].1, published[0].1);
}
