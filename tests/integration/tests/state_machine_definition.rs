//! The ASL and the code agree: every error name the state machine matches or
//! records is one the functions can produce, and every task is guarded.

use std::collections::BTreeSet;

use export_core::error_name::ErrorName;
use serde_json::Value;

const LAMBDA_SERVICE_ERRORS: &[&str] = &[
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
];

/// A name the functions can raise or record: one of [`ErrorName::all`].
fn is_code_name(name: &str) -> bool {
    ErrorName::all().any(|known| known.as_str() == name)
}

fn definition() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../statemachine/export-dashboard.asl.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every state, inside Map iterations too.
fn states(states: &Value, out: &mut Vec<(String, Value)>) {
    for (name, state) in states.as_object().unwrap() {
        out.push((name.clone(), state.clone()));
        if let Some(inner) = state.pointer("/ItemProcessor/States") {
            self::states(inner, out);
        }
    }
}

fn all_states() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    states(&definition()["States"], &mut out);
    out
}

#[test]
fn every_matched_error_name_is_one_the_code_can_raise() {
    let mut matched = BTreeSet::new();
    for (_, state) in all_states() {
        for key in ["Retry", "Catch"] {
            for rule in state[key].as_array().into_iter().flatten() {
                for name in rule["ErrorEquals"].as_array().unwrap() {
                    matched.insert(name.as_str().unwrap().to_string());
                }
            }
        }
    }
    for name in &matched {
        let known = is_code_name(name)
            || LAMBDA_SERVICE_ERRORS.contains(&name.as_str())
            || ["States.ALL", "States.Timeout"].contains(&name.as_str());
        assert!(known, "the ASL matches {name}, which nothing raises");
    }
    // The retryable QuickSight errors are all handled somewhere.
    for name in [
        ErrorName::Throttling,
        ErrorName::LimitExceeded,
        ErrorName::PreconditionNotMet,
        ErrorName::Transport,
    ] {
        assert!(matched.contains(name.as_str()), "{name} is never retried");
    }
}

#[test]
fn recorded_failures_use_names_from_the_list() {
    for (name, state) in all_states() {
        if let Some(error) = state.pointer("/Parameters/failure/Error") {
            let error = error.as_str().unwrap();
            assert!(is_code_name(error), "{name} records {error}");
        }
    }
}

#[test]
fn every_task_in_the_map_has_a_timeout_and_a_catch_all() {
    let definition = definition();
    let map = &definition["States"]["Export for every recipient"];
    let mut iteration = Vec::new();
    states(&map["ItemProcessor"]["States"], &mut iteration);
    let tasks: Vec<_> = iteration
        .iter()
        .filter(|(_, s)| s["Type"] == "Task")
        .collect();
    assert_eq!(tasks.len(), 3);
    for (name, task) in tasks {
        assert!(
            task["TimeoutSeconds"].as_u64().is_some(),
            "{name} has no TimeoutSeconds"
        );
        let catches = task["Catch"].as_array().expect("a Catch");
        assert!(
            catches
                .iter()
                .any(|c| c["ErrorEquals"] == serde_json::json!(["States.ALL"])),
            "{name} can fail the whole batch"
        );
        // Lambda's own errors come first, as retriers are tried in order.
        assert_eq!(
            task["Retry"][0]["ErrorEquals"],
            serde_json::json!(LAMBDA_SERVICE_ERRORS),
            "{name}"
        );
        for retrier in task["Retry"].as_array().unwrap() {
            assert_eq!(retrier["JitterStrategy"], "FULL", "{name}");
            // Bad input is never retried.
            assert!(
                !retrier["ErrorEquals"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e == ErrorName::InvalidRequest.as_str()
                        || e == "States.ALL"
                        || e == "States.TaskFailed"),
                "{name} retries everything"
            );
        }
    }
    // Each catch records the recipient as failed; after Start, with its job ID.
    let by_name: std::collections::HashMap<_, _> = iteration.iter().cloned().collect();
    for (name, task) in iteration.iter().filter(|(_, s)| s["Type"] == "Task") {
        let target = task["Catch"][0]["Next"].as_str().unwrap();
        let record = &by_name[target]["Parameters"];
        assert_eq!(record["status"], "failed", "{name} -> {target}");
        assert_eq!(
            record["recipient_id.$"], "$.recipient.id",
            "{name} -> {target}"
        );
        assert_eq!(record["failure.$"], "$.failure", "{name} -> {target}");
        if name != "Start the snapshot job" {
            assert_eq!(
                record["snapshot_job_id.$"], "$.job.snapshot_job_id",
                "{name} -> {target}"
            );
        }
    }
    // A Choice never loops by default.
    for (name, state) in &iteration {
        if state["Type"] == "Choice" {
            assert!(state["Default"].is_string(), "{name} has no Default");
        }
    }
}

#[test]
fn the_limit_retrier_outlasts_other_tenants_jobs() {
    let definition = definition();
    let start = &definition["States"]["Export for every recipient"]["ItemProcessor"]["States"]["Start the snapshot job"];
    let limit = start["Retry"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ErrorEquals"] == serde_json::json!([ErrorName::LimitExceeded.as_str()]))
        .expect("a LimitExceeded retrier");
    let (mut wait, mut total) = (limit["IntervalSeconds"].as_f64().unwrap(), 0.0);
    let cap = limit["MaxDelaySeconds"].as_f64().unwrap();
    for _ in 0..limit["MaxAttempts"].as_u64().unwrap() {
        total += wait.min(cap);
        wait *= limit["BackoffRate"].as_f64().unwrap();
    }
    // Full jitter halves the expected wait; still well over an hour.
    assert!(total / 2.0 > 3600.0, "only {total} s of retries");
}
