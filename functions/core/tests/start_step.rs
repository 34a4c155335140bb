//! start-job over the in-memory fakes: tags read from the stored request,
//! job IDs that belong to one submission, names and no values in errors.

mod common;

use common::*;
use export_core::ApiError;
use export_core::error_name::ErrorName;
use export_core::quicksight::fake::{Call, FakeSnapshotJobs};
use export_core::quicksight::{JobRef, SnapshotJobSpec, SnapshotJobs};
use export_core::settings::RunSettings;
use lambda_runtime::Diagnostic;
use serde_json::json;

#[tokio::test]
async fn start_reads_the_recipients_tags_from_the_stored_request() {
    let run = prepared_run(request_json()).await;
    let handle = run.start(1, "globex").await.unwrap();
    assert_eq!(handle.recipient_id, "globex");
    assert_eq!(handle.recipient_index, 1);
    assert_eq!(handle.attempt, 1);
    assert!(!handle.already_started);
    assert!(
        handle.snapshot_job_id.starts_with("run-7-globex-"),
        "{}",
        handle.snapshot_job_id
    );
    let job = run.quicksight.job(&handle.snapshot_job_id).unwrap();
    assert!(job.anonymous);
    assert_eq!(job.bucket_prefix, "runs/monthly/run-7/files/globex");
    // The deadline is the job timeout from now; the first look is the first poll.
    let settings = RunSettings::default();
    let now = export_core::time::now_epoch_seconds() as u64;
    assert!(
        handle
            .deadline
            .abs_diff(now + u64::from(settings.job_timeout_seconds))
            <= 2
    );
    assert_eq!(
        handle.check_in_seconds,
        u64::from(settings.first_poll_seconds)
    );
    assert_no_secret("the job handle", &serde_json::to_string(&handle).unwrap());
}

#[tokio::test]
async fn a_retried_start_adopts_its_own_job_and_nothing_else() {
    let run = prepared_run(request_json()).await;
    let first = run.start(0, "acme").await.unwrap();
    let again = run.start(0, "acme").await.unwrap();
    assert_eq!(first.snapshot_job_id, again.snapshot_job_id);
    assert!(again.already_started);

    // Another execution (a resubmission) gets another job ID.
    let mut other = run.start_input(0, "acme", 1);
    other.run.execution_id = format!("{EXECUTION}-resubmitted");
    let resubmitted = run.start_job(other).await.unwrap();
    assert_ne!(resubmitted.snapshot_job_id, first.snapshot_job_id);
    assert!(!resubmitted.already_started);

    // The second attempt (RLS_CHANGED) is a new job too.
    let second = run.start_job(run.start_input(0, "acme", 2)).await.unwrap();
    assert_ne!(second.snapshot_job_id, first.snapshot_job_id);
    assert_eq!(second.attempt, 2);
}

#[tokio::test]
async fn a_job_with_our_id_but_another_spec_is_an_error_not_an_adoption() {
    let mut run = prepared_run(request_json()).await;
    let ours = run.start(0, "acme").await.unwrap();
    // Another QuickSight account state: the same ID, a job writing elsewhere.
    let quicksight = FakeSnapshotJobs::new();
    let file_groups = [];
    quicksight
        .start(&SnapshotJobSpec {
            job: JobRef {
                account_id: ours.account_id.clone(),
                region: ours.region.clone(),
                dashboard_id: ours.dashboard_id.clone(),
                snapshot_job_id: ours.snapshot_job_id.clone(),
            },
            file_groups: &file_groups,
            bucket: BUCKET,
            bucket_prefix: "somewhere/else".into(),
            bucket_region: "us-east-1",
            parameters: None,
            rls_tags: None,
        })
        .await
        .unwrap();
    run.steps.quicksight = quicksight;
    let error = run
        .start_job(run.start_input(0, "acme", 1))
        .await
        .unwrap_err();
    assert_eq!(error.error_name(), ErrorName::JobIdConflict);
    assert!(error.to_string().contains(&ours.snapshot_job_id), "{error}");
}

#[tokio::test]
async fn a_request_changed_after_validation_is_never_used() {
    let run = prepared_run(request_json()).await;
    let mut changed = request_json();
    changed["recipients"][0]["rls_tags"][0]["value"] = json!("SOMEONE-ELSE");
    run.store
        .insert(BUCKET, REQUEST_KEY, serde_json::to_vec(&changed).unwrap());
    let error = run.start(0, "acme").await.unwrap_err();
    assert_eq!(error.error_name(), ErrorName::RequestChanged);
    assert!(run.quicksight.calls().is_empty());
}

#[tokio::test]
async fn a_map_item_that_does_not_match_the_request_is_malformed() {
    let run = prepared_run(request_json()).await;
    let error = run.start(0, "globex").await.unwrap_err();
    assert_eq!(error.error_name(), ErrorName::MalformedInput);
    let error = run.start(9, "acme").await.unwrap_err();
    assert_eq!(error.error_name(), ErrorName::MalformedInput);
    assert!(run.quicksight.calls().is_empty());
}

#[tokio::test]
async fn service_errors_leave_with_their_names_and_without_values() {
    let run = prepared_run(request_json()).await;
    for (code, name) in [
        ("ThrottlingException", "QuickSight.ThrottlingException"),
        (
            "LimitExceededException",
            "QuickSight.LimitExceededException",
        ),
        ("AccessDeniedException", "QuickSight.AccessDeniedException"),
        (
            "InvalidParameterValueException",
            "QuickSight.InvalidParameterValueException",
        ),
    ] {
        // QuickSight quoting a value back must not carry it further.
        run.quicksight.fail_next(
            Call::Start,
            ApiError::from_code(code, "tag ACME-SECRET-TAG or PARAM-SECRET-VALUE refused"),
        );
        let error = run.start(0, "acme").await.unwrap_err();
        assert_eq!(error.error_name(), name);
        let diagnostic = Diagnostic::from(error);
        assert_eq!(diagnostic.error_type, name);
        assert_no_secret("the diagnostic", &diagnostic.error_message);
        assert!(diagnostic.error_message.contains("refused"));
    }
}
