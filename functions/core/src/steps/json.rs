//! The JSON faces of the steps, for the Lambda binaries: the event payload
//! in, the step's output (or a named error) out.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ExportError;
use crate::input;
use crate::quicksight::SnapshotJobs;
use crate::request_store::RequestReader;
use crate::settings::RunSettings;
use crate::storage::ObjectStore;

fn parse<T: DeserializeOwned>(payload: Value, expected: &'static str) -> Result<T, ExportError> {
    input::parse(payload, expected)
}

fn to_value<T: Serialize>(value: T) -> Result<Value, ExportError> {
    serde_json::to_value(value)
        .map_err(|e| ExportError::UnexpectedResponse(format!("cannot serialize output: {e}")))
}

pub async fn prepare_run<S: ObjectStore>(
    store: &S,
    settings: &RunSettings,
    export_bucket: &str,
    payload: Value,
) -> Result<Value, ExportError> {
    // The execution's input is `{"bucket", "key"}` of a stored request; a
    // request pasted inline fails here, and the message says what to pass.
    let input = parse(
        payload,
        "prepare-run input: `request` must be the location of a stored request, {\"bucket\", \"key\"}, never the request itself",
    )?;
    to_value(super::prepare_run(store, input, settings, export_bucket).await?)
}

pub async fn start_job<Q: SnapshotJobs, S: ObjectStore>(
    quicksight: &Q,
    store: &S,
    requests: &RequestReader,
    payload: Value,
) -> Result<Value, ExportError> {
    let input = parse(payload, "start-job input (run, recipient, attempt)")?;
    to_value(super::start_job(quicksight, store, requests, input).await?)
}

pub async fn check_job<Q: SnapshotJobs>(
    quicksight: &Q,
    payload: Value,
) -> Result<Value, ExportError> {
    let input = parse(payload, "check-job input (run, job)")?;
    to_value(super::check_job(quicksight, input).await?)
}

pub async fn fetch_result<Q: SnapshotJobs, S: ObjectStore>(
    quicksight: &Q,
    store: &S,
    payload: Value,
) -> Result<Value, ExportError> {
    let input = parse(payload, "fetch-result input (run, job)")?;
    to_value(super::fetch_result(quicksight, store, input).await?)
}

pub async fn record_failure<S: ObjectStore>(
    store: &S,
    payload: Value,
) -> Result<Value, ExportError> {
    let input = parse(
        payload,
        "record-failure input (run, recipient, job, failure)",
    )?;
    let recorded = super::record_failure(store, input).await?;
    to_value(serde_json::json!({ "recorded": recorded }))
}

pub async fn write_manifest<S: ObjectStore>(
    store: &S,
    payload: Value,
) -> Result<Value, ExportError> {
    let input = parse(payload, "write-manifest input (bucket, run_prefix)")?;
    to_value(super::write_manifest(store, input).await?)
}
