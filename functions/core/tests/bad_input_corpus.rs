//! The bad-input corpus (`tests/corpus/invalid-requests/`, written by
//! `tests/corpus/generate.py`): every invalid request is refused before any
//! job starts, by prepare-run and by the API alike, with the field path
//! named and no tag or parameter value echoed.

mod common;

use std::time::Duration;

use std::path::PathBuf;

use export_core::ExportError;
use export_core::api::{Api, ApiRequest};
use export_core::executions::fake::FakeExecutions;
use export_core::model::PrepareRunInput;
use export_core::model::{ExecutionRef, ObjectRef};
use export_core::settings::RunSettings;
use serde_json::Value;

const BUCKET: &str = "stack-exports";
const KEY: &str = "requests/corpus.json";

/// The stack the corpus's requests target (the account and region of the valid request).
fn stack() -> export_core::settings::StackPlace {
    export_core::settings::StackPlace::new(BUCKET, "us-east-1", "123456789012")
}

struct Case {
    name: String,
    expect_path: String,
    body: Vec<u8>,
    /// Values besides the SECRET-marked ones that must not be echoed.
    must_not_echo: Vec<String>,
}

fn corpus() -> Vec<Case> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/invalid-requests");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let entry: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            let body = match entry.get("raw") {
                Some(raw) => raw.as_str().unwrap().as_bytes().to_vec(),
                None => serde_json::to_vec(&entry["request"]).unwrap(),
            };
            Case {
                name: path.file_name().unwrap().to_string_lossy().into_owned(),
                expect_path: entry["expect_path"].as_str().unwrap().to_string(),
                body,
                must_not_echo: entry["must_not_echo"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect(),
            }
        })
        .collect()
}

fn assert_no_value(case: &Case, text: &str) {
    assert!(
        !text.contains("SECRET"),
        "{}: a value is echoed: {text}",
        case.name
    );
    for value in &case.must_not_echo {
        assert!(
            !text.contains(value.as_str()),
            "{}: {value} is echoed: {text}",
            case.name
        );
    }
}

#[tokio::test]
async fn every_invalid_request_is_refused_by_prepare_run_with_its_field_and_no_value() {
    let cases = corpus();
    assert!(cases.len() >= 40, "the corpus has {} cases", cases.len());
    let mut missed: Vec<String> = Vec::new();
    for case in &cases {
        let fakes = common::fake_steps();
        let store = &fakes.store;
        store.insert(BUCKET, KEY, case.body.clone());
        let input = PrepareRunInput {
            request: ObjectRef {
                bucket: BUCKET.into(),
                key: KEY.into(),
            },
            execution: ExecutionRef {
                id: "arn:aws:states:us-east-1:123456789012:execution:export:corpus".into(),
                name: "corpus".into(),
                started_at: None,
            },
        };
        let error = fakes
            .prepare_run(input, &RunSettings::default(), &stack())
            .await
            .err()
            .unwrap_or_else(|| panic!("{}: accepted", case.name));
        let ExportError::InvalidRequest(errors) = &error else {
            panic!(
                "{}: refused as {error:?}, not as an invalid request",
                case.name
            );
        };
        if !errors
            .paths()
            .iter()
            .any(|p| p.starts_with(&case.expect_path))
        {
            missed.push(format!(
                "{}: expected an error at {}, got {:?}",
                case.name, case.expect_path, errors.0
            ));
        }
        assert_no_value(case, &error.to_string());
        assert_no_value(
            case,
            &format!("{:?}", lambda_runtime::Diagnostic::from(error)),
        );
        // Nothing written but the request: no run claimed, no item listed.
        assert_eq!(store.keys().len(), 1, "{}: {:?}", case.name, store.keys());
    }
    assert!(missed.is_empty(), "{}", missed.join("\n"));
}

#[tokio::test]
async fn the_api_answers_the_corpus_with_400s_and_starts_nothing() {
    let api = Api {
        steps: common::fake_steps_with_link_expiry(Duration::from_secs(900)),
        executions: FakeExecutions::new(),
        stack: stack(),
    };
    let mut missed: Vec<String> = Vec::new();
    for case in corpus() {
        let response = api
            .handle(ApiRequest {
                method: "POST".into(),
                path: "/exports".into(),
                body: case.body.clone(),
                ..ApiRequest::default()
            })
            .await;
        assert_eq!(response.status, 400, "{}: {}", case.name, response.body);
        assert_eq!(response.body["code"], "InvalidRequest", "{}", case.name);
        let paths: Vec<&str> = response.body["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: no errors: {}", case.name, response.body))
            .iter()
            .filter_map(|e| e["path"].as_str())
            .collect();
        if !paths.iter().any(|p| p.starts_with(&case.expect_path)) {
            missed.push(format!(
                "{}: expected an error at {}, got {paths:?}",
                case.name, case.expect_path
            ));
        }
        assert_no_value(&case, &response.body.to_string());
    }
    assert!(missed.is_empty(), "{}", missed.join("\n"));
    assert!(api.executions.names().is_empty(), "a run was started");
    assert!(api.steps.store.keys().is_empty(), "a request was stored");
}
