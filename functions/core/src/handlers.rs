//! The JSON faces of the steps, for the Lambda binaries: the event payload
//! in, the step's output (or a named error) out. Each names what its input
//! should be when it cannot read it.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ExportError;
use crate::input;
use crate::model::ExecutionStatusChange;
use crate::settings::{RunSettings, StackPlace};
use crate::steps::{Ports, Steps};
use crate::time::now_epoch_ms;

fn parse<T: DeserializeOwned>(payload: Value, expected: &'static str) -> Result<T, ExportError> {
    input::parse(payload, expected)
}

fn to_value<T: Serialize>(value: T) -> Result<Value, ExportError> {
    serde_json::to_value(value)
        .map_err(|e| ExportError::UnexpectedResponse(format!("cannot serialize output: {e}")))
}

pub async fn prepare_run<P: Ports>(
    steps: &Steps<P>,
    settings: &RunSettings,
    stack: &StackPlace,
    payload: Value,
) -> Result<Value, ExportError> {
    let input = parse(
        payload,
        "prepare-run input: `request` must be the location of a stored request, {\"bucket\", \"key\"}, never the request itself",
    )?;
    to_value(steps.prepare_run(input, settings, stack).await?)
}

pub async fn take_slot<P: Ports>(steps: &Steps<P>, payload: Value) -> Result<Value, ExportError> {
    let input = parse(payload, "take-slot input (run, recipient, task_token)")?;
    let resumed = steps.slots.take(input, now_epoch_ms()).await?;
    // The task waits for its callback: this answer only shows in the logs.
    to_value(serde_json::json!({ "handed_over": resumed }))
}

pub async fn start_job<P: Ports>(steps: &Steps<P>, payload: Value) -> Result<Value, ExportError> {
    let input = parse(payload, "start-job input (run, recipient, slot, attempt)")?;
    to_value(steps.start_job(input).await?)
}

pub async fn check_job<P: Ports>(steps: &Steps<P>, payload: Value) -> Result<Value, ExportError> {
    let input = parse(payload, "check-job input (run, job)")?;
    to_value(steps.check_job(input).await?)
}

pub async fn fetch_result<P: Ports>(
    steps: &Steps<P>,
    payload: Value,
) -> Result<Value, ExportError> {
    let input = parse(payload, "fetch-result input (run, job)")?;
    to_value(steps.fetch_result(input).await?)
}

pub async fn record_failure<P: Ports>(
    steps: &Steps<P>,
    payload: Value,
) -> Result<Value, ExportError> {
    let input = parse(
        payload,
        "record-failure input (run, recipient, attempt, job, failure)",
    )?;
    let recorded = steps.record_failure(input).await?;
    to_value(serde_json::json!({ "recorded": recorded }))
}

pub async fn reap_slots<P: Ports>(steps: &Steps<P>, payload: Value) -> Result<Value, ExportError> {
    let event: ExecutionStatusChange = parse(
        payload,
        "Step Functions Execution Status Change event (detail.executionArn, detail.status)",
    )?;
    to_value(
        steps
            .slots
            .reap(&event.detail.execution_arn, now_epoch_ms())
            .await?,
    )
}

pub async fn write_manifest<P: Ports>(
    steps: &Steps<P>,
    payload: Value,
) -> Result<Value, ExportError> {
    let input = parse(payload, "write-manifest input (bucket, run_prefix)")?;
    to_value(steps.write_manifest(input).await?)
}
