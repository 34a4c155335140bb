//! The step handlers over the in-memory fake: no network, every branch.

use export_core::error_name::ErrorName;
use export_core::handlers::{check_job, fetch_result, json, start_job};
use export_core::model::{ErrorDetail, JobProgress, OutcomeStatus, StartJobInput};
use export_core::quicksight::fake::{Call, FakeSnapshotJobs};
use export_core::quicksight::{FileGroupResult, JobResult, JobStatus};
use export_core::{ApiError, job_id};
use lambda_runtime::Diagnostic;
use serde_json::{Value, json};

fn input(recipient: Value) -> StartJobInput {
    serde_json::from_value(json!({
        "run_id": "run-7",
        "export": {
            "account_id": "123456789012",
            "region": "us-east-1",
            "dashboard_id": "d1",
            "file_groups": [{ "format": "PDF", "sheets": [{ "sheet_id": "s1" }] }],
            "destination": { "bucket": "bucket-1", "prefix": "exports/", "region": "us-east-1" }
        },
        "recipient": recipient
    }))
    .unwrap()
}

fn anonymous() -> StartJobInput {
    input(json!({ "id": "acme", "rls_tags": [{ "key": "tenant", "value": "ACME" }] }))
}

#[tokio::test]
async fn start_runs_a_tagged_recipient_as_an_anonymous_user_under_its_own_prefix() {
    let fake = FakeSnapshotJobs::new();
    let handle = start_job(&fake, anonymous()).await.unwrap();
    assert_eq!(
        handle.snapshot_job_id,
        job_id::snapshot_job_id("run-7", "acme")
    );
    assert_eq!(handle.recipient_id, "acme");
    assert!(!handle.already_started);
    let job = fake.job(&handle.snapshot_job_id).unwrap();
    assert!(job.anonymous);
    assert_eq!(job.bucket_prefix, "exports/run-7/acme");

    let registered = start_job(&fake, input(json!({ "id": "internal" })))
        .await
        .unwrap();
    assert!(!fake.job(&registered.snapshot_job_id).unwrap().anonymous);
}

#[tokio::test]
async fn a_repeated_start_is_the_same_job_already_started() {
    let fake = FakeSnapshotJobs::new();
    let first = start_job(&fake, anonymous()).await.unwrap();
    let second = start_job(&fake, anonymous()).await.unwrap();
    assert_eq!(first.snapshot_job_id, second.snapshot_job_id);
    assert!(second.already_started);
}

#[tokio::test]
async fn service_errors_leave_with_their_stable_names() {
    for (code, name) in [
        ("ThrottlingException", "QuickSight.ThrottlingException"),
        (
            "LimitExceededException",
            "QuickSight.LimitExceededException",
        ),
        ("AccessDeniedException", "QuickSight.AccessDeniedException"),
        (
            "UnsupportedPricingPlanException",
            "QuickSight.UnsupportedPricingPlanException",
        ),
    ] {
        let fake = FakeSnapshotJobs::new();
        fake.fail_next(Call::Start, ApiError::from_code(code, "no"));
        let error = start_job(&fake, anonymous()).await.unwrap_err();
        assert_eq!(error.error_name(), name);
        assert_eq!(Diagnostic::from(error).error_type, name);
    }
}

#[tokio::test]
async fn invalid_input_is_refused_before_any_call() {
    let fake = FakeSnapshotJobs::new();
    let mut bad = anonymous();
    bad.export.account_id = "123".into();
    let error = start_job(&fake, bad).await.unwrap_err();
    assert_eq!(error.error_name(), ErrorName::InvalidRequest);
    assert!(error.to_string().contains("account_id"));
    assert!(fake.calls().is_empty());
}

#[tokio::test]
async fn check_maps_quicksight_statuses() {
    let fake = FakeSnapshotJobs::new();
    let handle = start_job(&fake, anonymous()).await.unwrap();
    for (status, progress) in [
        (JobStatus::Queued, JobProgress::Pending),
        (JobStatus::Running, JobProgress::Pending),
        (JobStatus::Completed, JobProgress::Completed),
        (JobStatus::Failed, JobProgress::Failed),
    ] {
        fake.set_status(&handle.snapshot_job_id, status.clone());
        let check = check_job(&fake, handle.clone()).await.unwrap();
        assert_eq!(check.status, progress);
        assert_eq!(check.job_status, status.as_str());
    }
    // A status this version does not know is an error, not an endless poll.
    fake.set_status(&handle.snapshot_job_id, JobStatus::Other("PAUSED".into()));
    let error = check_job(&fake, handle).await.unwrap_err();
    assert_eq!(error.error_name(), ErrorName::UnexpectedResponse);
}

#[tokio::test]
async fn fetch_before_the_job_is_terminal_is_precondition_not_met() {
    let fake = FakeSnapshotJobs::new();
    let handle = start_job(&fake, anonymous()).await.unwrap();
    let error = fetch_result(&fake, handle).await.unwrap_err();
    assert_eq!(error.error_name(), ErrorName::PreconditionNotMet);
}

#[tokio::test]
async fn fetch_returns_every_uri_and_keeps_file_errors_and_unknown_types() {
    let fake = FakeSnapshotJobs::new();
    let handle = start_job(&fake, anonymous()).await.unwrap();
    let file = |format: &str, uris: &[&str], errors: Vec<ErrorDetail>| FileGroupResult {
        format: format.into(),
        sheet_ids: vec!["s1".into()],
        s3_uris: uris.iter().map(|u| u.to_string()).collect(),
        errors,
    };
    fake.finish(
        &handle.snapshot_job_id,
        JobResult {
            status: JobStatus::Completed,
            file_groups: vec![
                file("PDF", &["s3://b/a.pdf"], vec![]),
                file(
                    "CSV",
                    &[],
                    vec![ErrorDetail {
                        error_type: "RLS_CHANGED".into(),
                        message: "re-run".into(),
                    }],
                ),
                file(
                    "EXCEL",
                    &[],
                    vec![ErrorDetail {
                        error_type: "BRAND_NEW_ERROR".into(),
                        message: "?".into(),
                    }],
                ),
            ],
            error: None,
        },
    );
    let outcome = fetch_result(&fake, handle).await.unwrap();
    assert_eq!(outcome.status, OutcomeStatus::Completed);
    assert_eq!(outcome.files[0].s3_uris, ["s3://b/a.pdf"]);
    assert_eq!(outcome.files[1].errors[0].error_type, "RLS_CHANGED");
    assert_eq!(outcome.files[2].errors[0].error_type, "BRAND_NEW_ERROR");
    assert!(outcome.has_file_errors());
}

#[tokio::test]
async fn a_failed_job_reports_its_job_level_error() {
    let fake = FakeSnapshotJobs::new();
    let handle = start_job(&fake, anonymous()).await.unwrap();
    fake.finish(
        &handle.snapshot_job_id,
        JobResult {
            status: JobStatus::Failed,
            file_groups: vec![],
            error: Some(ErrorDetail {
                error_type: "CAPABILITY_RESTRICTED".into(),
                message: "no export rights".into(),
            }),
        },
    );
    let outcome = fetch_result(&fake, handle).await.unwrap();
    assert_eq!(outcome.status, OutcomeStatus::Failed);
    assert_eq!(outcome.error.unwrap().error_type, "CAPABILITY_RESTRICTED");
}

#[tokio::test]
async fn the_json_faces_chain_and_name_malformed_fields() {
    let fake = FakeSnapshotJobs::new();
    let handle = json::start_job(&fake, serde_json::to_value(anonymous()).unwrap())
        .await
        .unwrap();
    let check = json::check_job(&fake, handle.clone()).await.unwrap();
    assert_eq!(check["status"], "pending");

    let mut broken = handle.clone();
    broken.as_object_mut().unwrap().remove("snapshot_job_id");
    let error = json::fetch_result(&fake, broken).await.unwrap_err();
    assert_eq!(error.error_name(), ErrorName::MalformedInput);
    assert!(error.to_string().contains("snapshot_job_id"), "{error}");
}
