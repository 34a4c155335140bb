//! The QuickSight SDK adapter (`quicksight::sdk`) on its own, with scripted
//! HTTP answers (aws-smithy-mocks) going through the real SDK deserializers:
//! how every kind of failure is classified, and how answers are read. The
//! client is built by the functions' own configuration code.

mod scripted;

use scripted::shared_config;
use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_sdk_quicksight::Client;
use aws_sdk_quicksight::config::SharedHttpClient;
use aws_sdk_quicksight::config::http::HttpResponse;
use aws_smithy_http_client::test_util::NeverClient;
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
use export_core::error_name::ErrorName;
use export_core::model::{FileFormat, FileGroup, SheetSelection};
use export_core::quicksight::sdk::{SdkSnapshotJobs, quicksight_config};
use export_core::quicksight::{JobRef, JobStatus, SnapshotJobSpec, SnapshotJobs};

/// The adapter as the functions build it, answering with `rules` in order.
async fn adapter(rules: &[&Rule]) -> SdkSnapshotJobs {
    let shared = shared_config(create_mock_http_client()).await;
    let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::Sequential);
    for rule in rules {
        interceptor = interceptor.with_rule(rule);
    }
    SdkSnapshotJobs::new(Client::from_conf(
        quicksight_config(&shared, None)
            .interceptor(interceptor)
            .build(),
    ))
}

/// A raw answer, as QuickSight's REST-JSON protocol sends it.
fn http(status: u16, error_type: Option<&'static str>, body: &str) -> HttpResponse {
    scripted::answer(status, "application/json", error_type, body)
}

fn job() -> JobRef {
    JobRef {
        account_id: "123456789012".into(),
        region: "eu-west-1".into(),
        dashboard_id: "sales".into(),
        snapshot_job_id: "run-1-acme-0011223344556677".into(),
    }
}

fn file_groups() -> Vec<FileGroup> {
    vec![FileGroup {
        format: FileFormat::Pdf,
        sheets: vec![SheetSelection {
            sheet_id: "summary".into(),
            scope: None,
            visual_ids: vec![],
        }],
    }]
}

fn spec(groups: &[FileGroup]) -> SnapshotJobSpec<'_> {
    SnapshotJobSpec {
        job: job(),
        file_groups: groups,
        bucket: "exports",
        bucket_prefix: "monthly/run-1/acme".into(),
        bucket_region: "eu-west-1",
        parameters: None,
        rls_tags: None,
    }
}

#[tokio::test]
async fn throttling_is_its_own_name_and_the_sdk_does_not_retry_it() {
    let throttled = mock!(Client::start_dashboard_snapshot_job).then_http_response(|| {
        http(
            429,
            Some("ThrottlingException"),
            r#"{"Message":"Rate exceeded"}"#,
        )
    });
    let started = mock!(Client::start_dashboard_snapshot_job)
        .then_http_response(|| http(200, None, r#"{"Arn":"arn:x","SnapshotJobId":"j"}"#));
    let quicksight = adapter(&[&throttled, &started]).await;
    let groups = file_groups();

    let error = quicksight.start(&spec(&groups)).await.unwrap_err();
    assert_eq!(error.name, ErrorName::Throttling);
    assert_eq!(error.message, "Rate exceeded");
    // One attempt per call: the state machine owns retries.
    assert_eq!(throttled.num_calls(), 1);
    assert_eq!(started.num_calls(), 0);
    // The next call is a new attempt.
    let ok = quicksight.start(&spec(&groups)).await.unwrap();
    assert_eq!(ok.arn.as_deref(), Some("arn:x"));
}

#[tokio::test]
async fn limit_exceeded_and_resource_exists_share_a_status_but_not_a_name() {
    let limit = mock!(Client::start_dashboard_snapshot_job).then_http_response(|| {
        http(
            409,
            Some("LimitExceededException"),
            r#"{"Message":"too many jobs"}"#,
        )
    });
    let exists = mock!(Client::start_dashboard_snapshot_job).then_http_response(|| {
        http(
            409,
            Some("ResourceExistsException"),
            r#"{"Message":"job exists"}"#,
        )
    });
    let quicksight = adapter(&[&limit, &exists]).await;
    let groups = file_groups();
    assert_eq!(
        quicksight.start(&spec(&groups)).await.unwrap_err().name,
        ErrorName::LimitExceeded
    );
    assert_eq!(
        quicksight.start(&spec(&groups)).await.unwrap_err().name,
        ErrorName::ResourceExists
    );
}

#[tokio::test]
async fn an_unknown_exception_keeps_its_code_and_5xx_answers_are_retryable() {
    let unknown = mock!(Client::describe_dashboard_snapshot_job).then_http_response(|| {
        http(
            400,
            Some("BrandNewException"),
            r#"{"Message":"something new"}"#,
        )
    });
    let gateway = mock!(Client::describe_dashboard_snapshot_job)
        .then_http_response(|| http(503, None, "<html>Service Unavailable</html>"));
    let unknown_5xx = mock!(Client::start_dashboard_snapshot_job).then_http_response(|| {
        http(
            503,
            Some("ServiceUnavailableException"),
            r#"{"Message":"try later"}"#,
        )
    });
    let quicksight = adapter(&[&unknown, &gateway, &unknown_5xx]).await;

    let error = quicksight.describe(&job()).await.unwrap_err();
    assert_eq!(error.name, ErrorName::Unrecognized);
    assert_eq!(error.code, "BrandNewException");

    let error = quicksight.describe(&job()).await.unwrap_err();
    assert_eq!(error.name, ErrorName::Transport);
    assert!(error.message.contains("503"), "{}", error.message);

    // An unknown name on a 5xx is a server failure, retried, never bad input.
    let groups = file_groups();
    let error = quicksight.start(&spec(&groups)).await.unwrap_err();
    assert_eq!(error.name, ErrorName::InternalFailure);
    assert_eq!(error.code, "ServiceUnavailableException");
}

#[tokio::test]
async fn a_status_this_version_does_not_know_is_kept_not_guessed() {
    let paused = mock!(Client::describe_dashboard_snapshot_job).then_http_response(|| {
        http(
            200,
            None,
            r#"{"JobStatus":"PAUSED","CreatedTime":1764000000.5,"Status":200}"#,
        )
    });
    let missing = mock!(Client::describe_dashboard_snapshot_job)
        .then_http_response(|| http(200, None, r#"{"Status":200}"#));
    let quicksight = adapter(&[&paused, &missing]).await;

    let description = quicksight.describe(&job()).await.unwrap();
    assert_eq!(description.status, JobStatus::Other("PAUSED".into()));
    assert_eq!(description.created_at, Some(1_764_000_000.5));

    let description = quicksight.describe(&job()).await.unwrap();
    assert_eq!(description.status, JobStatus::Other(String::new()));
    assert_eq!(description.created_at, None);
}

#[tokio::test]
async fn a_body_that_cannot_be_read_is_an_unexpected_response() {
    let garbled = mock!(Client::describe_dashboard_snapshot_job)
        .then_http_response(|| http(200, None, r#"{"JobStatus": "RUNN"#));
    let quicksight = adapter(&[&garbled]).await;
    let error = quicksight.describe(&job()).await.unwrap_err();
    assert_eq!(error.name, ErrorName::UnexpectedResponse, "{error:?}");
}

#[tokio::test]
async fn a_call_that_gets_no_answer_times_out_as_a_transport_error() {
    let shared = shared_config(SharedHttpClient::new(NeverClient::new())).await;
    let client = Client::from_conf(
        quicksight_config(&shared, None)
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_attempt_timeout(Duration::from_millis(200))
                    .build(),
            )
            .build(),
    );
    let error = SdkSnapshotJobs::new(client)
        .describe(&job())
        .await
        .unwrap_err();
    assert_eq!(error.name, ErrorName::Transport);
}

#[tokio::test]
async fn a_result_lists_every_uri_and_keeps_file_and_job_errors_as_they_came() {
    let completed = mock!(Client::describe_dashboard_snapshot_job_result).then_http_response(|| {
        http(
            200,
            None,
            r#"{
                "JobStatus": "COMPLETED",
                "Result": { "AnonymousUsers": [{ "FileGroups": [
                    { "Files": [{ "FormatType": "PDF", "SheetSelections": [{ "SheetId": "summary", "SelectionScope": "ALL_VISUALS" }] }],
                      "S3Results": [{ "S3Uri": "s3://exports/monthly/run-1/acme/summary-1.pdf", "ErrorInfo": [] }] },
                    { "Files": [{ "FormatType": "CSV", "SheetSelections": [{ "SheetId": "details", "SelectionScope": "SELECTED_VISUALS", "VisualIds": ["v1"] }] }],
                      "S3Results": [{ "ErrorInfo": [{ "ErrorType": "RLS_CHANGED", "ErrorMessage": "re-run the job" }] }] }
                ] }] }
            }"#,
        )
    });
    let failed = mock!(Client::describe_dashboard_snapshot_job_result).then_http_response(|| {
        http(
            200,
            None,
            r#"{"JobStatus":"FAILED","ErrorInfo":{"ErrorType":"SOMETHING_NEW","ErrorMessage":"kept"}}"#,
        )
    });
    let quicksight = adapter(&[&completed, &failed]).await;

    let result = quicksight.result(&job()).await.unwrap();
    assert_eq!(result.status, JobStatus::Completed);
    assert_eq!(result.file_groups.len(), 2);
    assert_eq!(result.file_groups[0].format, "PDF");
    assert_eq!(
        result.file_groups[0].s3_uris,
        ["s3://exports/monthly/run-1/acme/summary-1.pdf"]
    );
    assert_eq!(result.file_groups[1].sheet_ids, ["details"]);
    assert!(result.file_groups[1].s3_uris.is_empty());
    assert_eq!(result.file_groups[1].errors[0].error_type, "RLS_CHANGED");

    let result = quicksight.result(&job()).await.unwrap();
    assert_eq!(result.status, JobStatus::Failed);
    let error = result.error.unwrap();
    assert_eq!(
        (error.error_type.as_str(), error.message.as_str()),
        ("SOMETHING_NEW", "kept")
    );
}

#[tokio::test]
async fn an_early_result_is_precondition_not_met() {
    let early = mock!(Client::describe_dashboard_snapshot_job_result).then_http_response(|| {
        http(
            400,
            Some("PreconditionNotMetException"),
            r#"{"Message":"Dashboard Snapshot Job with id j has not reached a terminal state."}"#,
        )
    });
    let quicksight = adapter(&[&early]).await;
    assert_eq!(
        quicksight.result(&job()).await.unwrap_err().name,
        ErrorName::PreconditionNotMet
    );
}
