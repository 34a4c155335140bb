//! What the API route tests share: an API over the fakes, requests to it,
//! and a prepared run behind it.

#![allow(dead_code, unused_imports)]

pub use std::time::{Duration, Instant};

pub use export_core::api::{
    Api, ApiRequest, ApiResponse, MAX_API_BODY_BYTES, MAX_RESPONSE_BODY_BYTES, enveloped_len,
};
pub use export_core::coordination::semaphore::holder_of;
pub use export_core::coordination::{Lease, SlotKind, SlotTable};
pub use export_core::executions::fake::FakeExecutions;
pub use export_core::model::PrepareRunInput;
pub use export_core::model::{
    ErrorDetail, ExecutionRef, FileOutcome, ObjectRef, OutcomeStatus, RecipientOutcome,
};
pub use export_core::settings::RunSettings;
pub use export_core::steps::Fakes;
pub use export_core::steps::record::record_outcome_at;
pub use export_core::storage::memory::MemoryStore;
pub use serde_json::{Value, json};

pub const BUCKET: &str = "stack-exports";

pub type TestApi = Api<Fakes>;

pub fn api() -> TestApi {
    Api {
        steps: crate::common::fake_steps_with_link_expiry(Duration::from_secs(900)),
        executions: FakeExecutions::new(),
        stack: export_core::settings::StackPlace::new(BUCKET, "us-east-1", "123456789012"),
    }
}

pub fn request_json(recipients: &[&str]) -> Value {
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

pub fn call(method: &str, path: &str) -> ApiRequest {
    ApiRequest {
        method: method.into(),
        path: path.into(),
        ..ApiRequest::default()
    }
}

pub fn post(path: &str, body: &Value, key: Option<&str>) -> ApiRequest {
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

pub fn with_query(mut request: ApiRequest, pairs: &[(&str, &str)]) -> ApiRequest {
    request.query = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    request
}

pub fn assert_problem(response: &ApiResponse, status: u16, code: &str) {
    assert_eq!(response.status, status, "{}", response.body);
    assert_eq!(response.body["code"], code, "{}", response.body);
    assert!(response.body["message"].is_string());
}

/// What the state machine's prepare step does for a submitted run.
pub async fn prepare(api: &TestApi, run_id: &str) {
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

pub fn outcome(id: &str, status: OutcomeStatus) -> RecipientOutcome {
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

pub async fn record(api: &TestApi, run_id: &str, outcome: &RecipientOutcome) {
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
