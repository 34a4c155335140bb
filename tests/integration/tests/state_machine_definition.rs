//! The ASL and the code agree: every error name the state machine matches or
//! records is one the functions can produce, and every task is guarded.

use std::collections::BTreeSet;

use export_core::error_name::ErrorName;
use export_core::settings;
use serde_json::Value;

/// What Lambda's invoke answers when Lambda, not the function, failed: the
/// set AWS recommends retrying, with throttles (an account's concurrency
/// taken) among them.
const LAMBDA_SERVICE_ERRORS: &[&str] = &[
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.TooManyRequestsException",
];
/// How Step Functions reports a function that timed out or crashed.
const LAMBDA_TIMEOUTS: &[&str] = &["Lambda.Unknown", "Sandbox.Timedout"];

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
            || LAMBDA_TIMEOUTS.contains(&name.as_str())
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
    let mut recorded = 0;
    for (name, state) in all_states() {
        for error in [
            state.pointer("/Result/Error"),
            state.pointer("/Parameters/Error"),
            state.pointer("/Error"),
        ]
        .into_iter()
        .flatten()
        {
            let error = error.as_str().unwrap();
            assert!(is_code_name(error), "{name} records {error}");
            recorded += 1;
        }
    }
    assert_eq!(
        recorded, 3,
        "the missed deadline, the unexpected status, the failed run"
    );
}

fn child_states() -> Vec<(String, Value)> {
    let definition = definition();
    let map = &definition["States"]["Export for every recipient"];
    let mut child = Vec::new();
    states(&map["ItemProcessor"]["States"], &mut child);
    child
}

#[test]
fn every_task_has_a_timeout_and_retries_only_what_is_retryable() {
    for (name, task) in all_states().iter().filter(|(_, s)| s["Type"] == "Task") {
        assert!(
            task["TimeoutSeconds"].as_u64().is_some(),
            "{name} has no TimeoutSeconds"
        );
        // Lambda's own errors come first, as retriers are tried in order,
        // and a throttled invocation waits about a minute in all before the
        // recipient's failure is recorded.
        let lambda = &task["Retry"][0];
        assert_eq!(
            lambda["ErrorEquals"],
            serde_json::json!(LAMBDA_SERVICE_ERRORS),
            "{name}"
        );
        let waited: f64 = (0..lambda["MaxAttempts"].as_u64().unwrap() as i32)
            .map(|i| {
                (lambda["IntervalSeconds"].as_f64().unwrap()
                    * lambda["BackoffRate"].as_f64().unwrap().powi(i))
                .min(lambda["MaxDelaySeconds"].as_f64().unwrap())
            })
            .sum();
        assert!((45.0..=120.0).contains(&waited), "{name}: {waited} s");
        for retrier in task["Retry"].as_array().unwrap() {
            assert_eq!(retrier["JitterStrategy"], "FULL", "{name}");
            // Bad input is never retried.
            assert!(
                !retrier["ErrorEquals"].as_array().unwrap().iter().any(|e| e
                    == ErrorName::InvalidRequest.as_str()
                    || e == ErrorName::StorageRejected.as_str()
                    || e == "States.ALL"
                    || e == "States.TaskFailed"),
                "{name} retries everything"
            );
        }
        // Every step is idempotent, so a timed-out invocation is retried.
        let retried: Vec<&Value> = task["Retry"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["ErrorEquals"].as_array().unwrap())
            .collect();
        for timeout in LAMBDA_TIMEOUTS.iter().chain(&["States.Timeout"]) {
            assert!(
                retried.iter().any(|e| e == timeout),
                "{name} does not retry {timeout}"
            );
        }
    }
}

#[test]
fn every_child_path_ends_in_a_recorded_outcome() {
    let child = child_states();
    let by_name: std::collections::HashMap<_, _> = child.iter().cloned().collect();
    // Every step is caught and recorded as the recipient's failure; a
    // refusal for lack of room first waits and tries again (the step itself
    // turns it into Export.JobTimedOut at the deadline).
    for name in [
        "Take a slot",
        "Start the snapshot job",
        "Check the job",
        "Fetch the result",
    ] {
        let catches = by_name[name]["Catch"].as_array().expect("a Catch");
        let last = catches.last().unwrap();
        assert_eq!(
            last["ErrorEquals"],
            serde_json::json!(["States.ALL"]),
            "{name}"
        );
        assert_eq!(last["ResultPath"], "$.failure", "{name}");
        assert_eq!(last["Next"], "Record the failure", "{name}");
        for room in &catches[..catches.len() - 1] {
            for error in room["ErrorEquals"].as_array().unwrap() {
                assert!(
                    [
                        ErrorName::Throttling.as_str(),
                        ErrorName::LimitExceeded.as_str()
                    ]
                    .contains(&error.as_str().unwrap()),
                    "{name} loops on {error}"
                );
            }
            let wait = &by_name[room["Next"].as_str().unwrap()];
            assert_eq!(wait["Type"], "Wait", "{name}");
            assert_eq!(wait["Next"], name, "{name} is tried again after the wait");
            assert_eq!(
                wait["Seconds"].as_u64(),
                Some(u64::from(settings::THROTTLED_WAIT_SECONDS)),
                "{name}"
            );
        }
    }
    let record = &by_name["Record the failure"];
    assert_eq!(record["Next"], "Outcome recorded");
    for key in ["run.$", "recipient.$", "attempt.$", "job.$", "failure.$"] {
        assert!(
            record["Parameters"].get(key).is_some(),
            "record-failure gets {key}"
        );
    }
    // The only ends: the recorded outcome. A Choice never loops by default.
    for (name, state) in &child {
        if state["End"] == true || state["Type"] == "Fail" {
            panic!("{name} ends the child without a recorded outcome");
        }
        if state["Type"] == "Choice" {
            assert!(state["Default"].is_string(), "{name} has no Default");
        }
    }
    assert_eq!(by_name["Outcome recorded"]["Type"], "Succeed");
    // The child's state carries names and IDs: the item has no tag.
    let definition = definition();
    let selector = &definition["States"]["Export for every recipient"]["ItemSelector"];
    assert_eq!(selector["recipient.$"], "$$.Map.Item.Value");
}

#[test]
fn the_waits_the_history_bound_assumes_are_the_definitions() {
    let definition = definition();
    assert_eq!(
        definition["TimeoutSeconds"].as_u64(),
        Some(u64::from(settings::EXECUTION_TIMEOUT_SECONDS))
    );
    let child = child_states();
    let by_name: std::collections::HashMap<_, _> = child.iter().cloned().collect();
    let take = &by_name["Take a slot"];
    assert_eq!(
        take["Resource"],
        "arn:${Partition}:states:::lambda:invoke.waitForTaskToken"
    );
    assert_eq!(
        take["Parameters"]["Payload"]["task_token.$"],
        "$$.Task.Token"
    );
    assert_eq!(
        take["TimeoutSeconds"].as_u64(),
        Some(u64::from(settings::SLOT_WAIT_SECONDS))
    );
    // Asking again after each silent wait lasts as long as the execution may.
    let again = take["Retry"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ErrorEquals"] == serde_json::json!(["States.Timeout"]))
        .expect("a retrier that asks again");
    assert!(
        again["MaxAttempts"].as_u64().unwrap() * u64::from(settings::SLOT_WAIT_SECONDS)
            >= u64::from(settings::EXECUTION_TIMEOUT_SECONDS)
    );
    // The lap the bound counts: at most six retries before the Catch.
    for name in [
        "Start the snapshot job",
        "Check the job",
        "Fetch the result",
    ] {
        for retrier in by_name[name]["Retry"].as_array().unwrap() {
            let errors = retrier["ErrorEquals"].as_array().unwrap();
            if errors.iter().any(|e| {
                e == ErrorName::Throttling.as_str() || e == ErrorName::LimitExceeded.as_str()
            }) {
                assert!(retrier["MaxAttempts"].as_u64().unwrap() <= 6, "{name}");
            }
        }
    }
}

#[test]
fn the_definition_names_no_partition_and_writes_the_maps_results_under_runs() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../statemachine/export-dashboard.asl.json"
    ))
    .unwrap();
    // The template substitutes ${Partition}: aws-cn and aws-us-gov too.
    assert!(!text.contains("arn:aws:"), "a literal partition");
    let writer = &definition()["States"]["Export for every recipient"]["ResultWriter"];
    assert_eq!(
        writer["Parameters"]["Prefix"],
        export_core::layout::MAP_RESULTS_PREFIX,
        "the lifecycle rule expires runs/ only"
    );
}
