//! The Step Functions and EventBridge adapters, and the one reading of an
//! SDK failure they share (`aws::classify`), on their own: scripted HTTP
//! answers (aws-smithy-mocks) through the real SDK deserializers, each
//! client built by the functions' own configuration code. What each port
//! names a failure is what the state machine and the API act on.

mod scripted;

use scripted::shared_config;
use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_sdk_sfn::config::http::HttpResponse;
use aws_sdk_sfn::config::{Credentials, Region};
use aws_smithy_http_client::test_util::NeverClient;
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
use export_core::aws::{ServiceError, aws_config_loader, classify};
use export_core::callbacks::sfn::{SfnCallbacks, callbacks_config};
use export_core::callbacks::{Delivery, TaskCallbacks};
use export_core::coordination::CoordinationError;
use export_core::error::ExportError;
use export_core::error_name::ErrorName;
use export_core::events::eventbridge::{EventBridgeEvents, eventbridge_config};
use export_core::events::{EventSink, EventsError};
use export_core::executions::sfn::{SfnExecutions, sfn_config};
use export_core::executions::{Executions, ExecutionsError, Started};
use serde_json::json;

const STATE_MACHINE: &str = "arn:aws:states:eu-west-1:123456789012:stateMachine:export";

fn interceptor(rules: &[&Rule]) -> MockResponseInterceptor {
    let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::Sequential);
    for rule in rules {
        interceptor = interceptor.with_rule(rule);
    }
    interceptor
}

/// A raw answer, as the JSON protocols send it.
fn http(status: u16, error_type: Option<&'static str>, body: &str) -> HttpResponse {
    scripted::answer(status, "application/x-amz-json-1.0", error_type, body)
}

async fn executions(rules: &[&Rule]) -> SfnExecutions {
    let shared = shared_config(create_mock_http_client()).await;
    SfnExecutions::from_client(
        aws_sdk_sfn::Client::from_conf(sfn_config(&shared).interceptor(interceptor(rules)).build()),
        STATE_MACHINE,
    )
}

async fn callbacks(rules: &[&Rule]) -> SfnCallbacks {
    let shared = shared_config(create_mock_http_client()).await;
    SfnCallbacks::from_client(aws_sdk_sfn::Client::from_conf(
        callbacks_config(&shared)
            .interceptor(interceptor(rules))
            .build(),
    ))
}

async fn events(rules: &[&Rule]) -> EventBridgeEvents {
    let shared = shared_config(create_mock_http_client()).await;
    EventBridgeEvents::from_client(
        aws_sdk_eventbridge::Client::from_conf(
            eventbridge_config(&shared)
                .interceptor(interceptor(rules))
                .build(),
        ),
        "exports",
    )
}

#[tokio::test]
async fn the_classifier_reads_status_code_and_message_and_tells_transient_from_refused() {
    let shared = shared_config(create_mock_http_client()).await;
    let answer = |status, code, body: &'static str| {
        mock!(aws_sdk_sfn::Client::describe_execution)
            .sequence()
            .http_response(move || http(status, code, body))
            .repeatedly()
            .build()
    };
    let read = |rule: Rule| {
        let shared = shared.clone();
        async move {
            let client = aws_sdk_sfn::Client::from_conf(
                aws_sdk_sfn::config::Builder::from(&shared)
                    .interceptor(interceptor(&[&rule]))
                    .build(),
            );
            classify(
                client
                    .describe_execution()
                    .execution_arn("arn:aws:states:eu-west-1:123456789012:execution:export:x")
                    .send()
                    .await
                    .unwrap_err(),
            )
        }
    };

    let denied = read(answer(
        400,
        Some("AccessDeniedException"),
        r#"{"message":"not allowed"}"#,
    ))
    .await;
    assert_eq!(denied.status(), Some(400));
    assert_eq!(denied.code(), Some("AccessDeniedException"));
    assert_eq!(denied.message(), "not allowed");
    assert!(!denied.is_transient());

    let throttled = read(answer(400, Some("ThrottlingException"), "{}")).await;
    assert!(throttled.is_transient(), "{throttled}");
    let broken = read(answer(503, None, "")).await;
    assert!(broken.is_transient(), "{broken}");
    assert_eq!(broken.code(), None);

    // No answer at all: a connection that never answers, cut by the timeout.
    let silent = aws_config_loader()
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::new("AKID", "secret", None, None, "test"))
        .http_client(NeverClient::new())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(Duration::from_millis(200))
                .build(),
        )
        .load()
        .await;
    let error = aws_sdk_sfn::Client::new(&silent)
        .describe_execution()
        .execution_arn("arn:aws:states:eu-west-1:123456789012:execution:export:x")
        .send()
        .await
        .unwrap_err();
    let silent = classify(error);
    assert!(
        matches!(silent, ServiceError::NoAnswer { .. }),
        "{silent:?}"
    );
    assert!(silent.is_transient());
}

#[tokio::test]
async fn executions_read_what_step_functions_answers() {
    let started = mock!(aws_sdk_sfn::Client::start_execution).then_http_response(|| {
        http(
            200,
            None,
            r#"{"executionArn":"arn:aws:states:eu-west-1:123456789012:execution:export:run-1","startDate":1764570000}"#,
        )
    });
    let exists = mock!(aws_sdk_sfn::Client::start_execution).then_http_response(|| {
        http(
            400,
            Some("ExecutionAlreadyExists"),
            r#"{"message":"exists"}"#,
        )
    });
    let missing = mock!(aws_sdk_sfn::Client::describe_execution).then_http_response(|| {
        http(
            400,
            Some("ExecutionDoesNotExist"),
            r#"{"message":"no such execution"}"#,
        )
    });
    let described = mock!(aws_sdk_sfn::Client::describe_execution)
        .match_requests(|r| {
            r.execution_arn() == Some("arn:aws:states:eu-west-1:123456789012:execution:export:run-1")
        })
        .then_http_response(|| {
            http(
                200,
                None,
                r#"{"executionArn":"arn:aws:states:eu-west-1:123456789012:execution:export:run-1","stateMachineArn":"arn:aws:states:eu-west-1:123456789012:stateMachine:export","name":"run-1","status":"ABORTED","startDate":1764570000,"stopDate":1764570060,"input":"{\"bucket\":\"b\",\"key\":\"k\"}","error":"Export.Cancelled"}"#,
            )
        });
    let executions = executions(&[&started, &exists, &missing, &described]).await;
    assert_eq!(
        executions.start("run-1", "{}".into()).await.unwrap(),
        Started::New {
            arn: "arn:aws:states:eu-west-1:123456789012:execution:export:run-1".into()
        }
    );
    assert_eq!(
        executions.start("run-1", "{}".into()).await.unwrap(),
        Started::AlreadyExists
    );
    assert_eq!(executions.describe("run-2").await.unwrap(), None);
    let info = executions.describe("run-1").await.unwrap().unwrap();
    assert_eq!(info.status, "ABORTED");
    assert_eq!(info.error.as_deref(), Some("Export.Cancelled"));
    assert_eq!(info.input.as_deref(), Some(r#"{"bucket":"b","key":"k"}"#));
    assert_eq!(info.started_at.as_deref(), Some("2025-12-01T06:20:00Z"));
    assert_eq!(info.stopped_at.as_deref(), Some("2025-12-01T06:21:00Z"));
}

#[tokio::test]
async fn executions_name_their_failures_for_the_api() {
    let denied = mock!(aws_sdk_sfn::Client::stop_execution)
        .then_http_response(|| http(400, Some("AccessDeniedException"), r#"{"message":"no"}"#));
    let throttled = mock!(aws_sdk_sfn::Client::list_executions)
        .sequence()
        .http_response(|| http(400, Some("ThrottlingException"), "{}"))
        .repeatedly()
        .build();
    let executions = executions(&[&denied, &throttled]).await;
    let error = executions.stop("run-1", "E", "c").await.unwrap_err();
    assert!(
        matches!(&error, ExecutionsError::Rejected { code, .. } if code == "AccessDeniedException"),
        "{error:?}"
    );
    assert_eq!(
        ExportError::from(error).error_name(),
        ErrorName::ExecutionsRejected
    );
    let error = executions.list(None, None, 10).await.unwrap_err();
    assert!(
        matches!(error, ExecutionsError::Unavailable { .. }),
        "{error:?}"
    );
    assert_eq!(
        ExportError::from(error).error_name(),
        ErrorName::ExecutionsUnavailable
    );
}

#[tokio::test]
async fn a_callback_to_a_task_that_no_longer_waits_is_not_a_failure() {
    let delivered =
        mock!(aws_sdk_sfn::Client::send_task_success).then_http_response(|| http(200, None, "{}"));
    let gone = mock!(aws_sdk_sfn::Client::send_task_success)
        .then_http_response(|| http(400, Some("TaskTimedOut"), r#"{"message":"timed out"}"#));
    let denied = mock!(aws_sdk_sfn::Client::send_task_success)
        .then_http_response(|| http(400, Some("AccessDeniedException"), r#"{"message":"no"}"#));
    let callbacks = callbacks(&[&delivered, &gone, &denied]).await;
    assert_eq!(
        callbacks.succeed("token-1", "{}".into()).await.unwrap(),
        Delivery::Delivered
    );
    assert_eq!(
        callbacks.succeed("token-2", "{}".into()).await.unwrap(),
        Delivery::TaskGone
    );
    let error = callbacks.succeed("token-3", "{}".into()).await.unwrap_err();
    assert!(
        matches!(&error, CoordinationError::Rejected { operation: "SendTaskSuccess", code, .. } if code == "AccessDeniedException"),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_event_the_bus_does_not_take_is_an_events_error_never_a_coordination_one() {
    let accepted = mock!(aws_sdk_eventbridge::Client::put_events).then_http_response(|| {
        http(
            200,
            None,
            r#"{"FailedEntryCount":0,"Entries":[{"EventId":"e-1"}]}"#,
        )
    });
    let entry_failed = mock!(aws_sdk_eventbridge::Client::put_events).then_http_response(|| {
        http(
            200,
            None,
            r#"{"FailedEntryCount":1,"Entries":[{"ErrorCode":"InternalFailure","ErrorMessage":"try again"}]}"#,
        )
    });
    let no_bus = mock!(aws_sdk_eventbridge::Client::put_events).then_http_response(|| {
        http(
            400,
            Some("ResourceNotFoundException"),
            r#"{"message":"Event bus exports does not exist."}"#,
        )
    });
    let events = events(&[&accepted, &entry_failed, &no_bus]).await;
    events
        .publish("Export Run Finished", json!({ "run_id": "run-1" }))
        .await
        .unwrap();

    let error = events
        .publish("Export Run Finished", json!({ "run_id": "run-1" }))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, EventsError::Unavailable { message, .. } if message.contains("InternalFailure")),
        "{error:?}"
    );
    assert_eq!(
        ExportError::from(error).error_name(),
        ErrorName::EventsUnavailable
    );

    let error = events
        .publish("Export Run Finished", json!({ "run_id": "run-1" }))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, EventsError::Rejected { code, .. } if code == "ResourceNotFoundException"),
        "{error:?}"
    );
    assert_eq!(
        ExportError::from(error).error_name(),
        ErrorName::EventsRejected
    );
}
