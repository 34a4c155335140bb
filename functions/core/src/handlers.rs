//! The JSON faces of the steps, for the Lambda binaries: the event payload
//! in, the step's output (or a named error) out.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::callbacks::TaskCallbacks;
use crate::coordination::semaphore::SlotService;
use crate::coordination::{DurationLog, SlotTable};
use crate::delivery::Announcer;
use crate::error::ExportError;
use crate::events::EventSink;
use crate::input;
use crate::model::{ExecutionStatusChange, JobKind};
use crate::quicksight::SnapshotJobs;
use crate::quicksight::bundles::AssetBundles;
use crate::request_store::RequestReader;
use crate::settings::{RunSettings, StackPlace};
use crate::storage::DownloadLinks;
use crate::storage::ObjectStore;
use crate::storage::transfer::UrlTransfer;
use crate::time::now_epoch_ms;

fn parse<T: DeserializeOwned>(payload: Value, expected: &'static str) -> Result<T, ExportError> {
    input::parse(payload, expected)
}

fn to_value<T: Serialize>(value: T) -> Result<Value, ExportError> {
    serde_json::to_value(value)
        .map_err(|e| ExportError::UnexpectedResponse(format!("cannot serialize output: {e}")))
}

pub async fn prepare_run<S: ObjectStore, Q: AssetBundles>(
    store: &S,
    quicksight: &Q,
    settings: &RunSettings,
    stack: &StackPlace,
    payload: Value,
) -> Result<Value, ExportError> {
    // The execution's input is `{"bucket", "key"}` of a stored request; a
    // request pasted inline fails here, and the message says what to pass.
    let input = parse(
        payload,
        "prepare-run input: `request` must be the location of a stored request, {\"bucket\", \"key\"}, never the request itself",
    )?;
    to_value(crate::steps::prepare::prepare_any(store, quicksight, input, settings, stack).await?)
}

pub async fn take_slot<T: SlotTable, C: TaskCallbacks>(
    slots: &SlotService<T, C>,
    payload: Value,
) -> Result<Value, ExportError> {
    let input = parse(payload, "take-slot input (run, recipient, task_token)")?;
    let resumed = slots.take(input, now_epoch_ms()).await?;
    // The task waits for its callback: this answer only shows in the logs.
    to_value(serde_json::json!({ "handed_over": resumed }))
}

pub async fn start_job<Q: SnapshotJobs + AssetBundles, S: ObjectStore, D: DurationLog>(
    quicksight: &Q,
    store: &S,
    requests: &RequestReader,
    durations: &D,
    payload: Value,
) -> Result<Value, ExportError> {
    let input: crate::model::StartJobInput =
        parse(payload, "start-job input (run, recipient, slot, attempt)")?;
    match input.run.kind {
        JobKind::DashboardSnapshot => {
            to_value(crate::steps::start_job(quicksight, store, requests, durations, input).await?)
        }
        JobKind::AssetBundleExport => to_value(
            crate::steps::backup::start_bundle_job(quicksight, store, durations, input).await?,
        ),
    }
}

pub async fn check_job<
    Q: SnapshotJobs + AssetBundles,
    D: DurationLog,
    T: SlotTable,
    C: TaskCallbacks,
>(
    quicksight: &Q,
    durations: &D,
    slots: &SlotService<T, C>,
    payload: Value,
) -> Result<Value, ExportError> {
    let input = parse(payload, "check-job input (run, job)")?;
    to_value(crate::steps::check_job(quicksight, durations, slots, input).await?)
}

pub async fn fetch_result<Q, X, S, T, C, V>(
    quicksight: &Q,
    transfer: &X,
    store: &S,
    slots: &SlotService<T, C>,
    announcer: &Announcer<V>,
    payload: Value,
) -> Result<Value, ExportError>
where
    Q: SnapshotJobs + AssetBundles,
    X: UrlTransfer,
    S: ObjectStore + DownloadLinks,
    T: SlotTable,
    C: TaskCallbacks,
    V: EventSink,
{
    let input: crate::model::JobStepInput = parse(payload, "fetch-result input (run, job)")?;
    match input.run.kind {
        JobKind::DashboardSnapshot => {
            to_value(crate::steps::fetch_result(quicksight, store, slots, announcer, input).await?)
        }
        JobKind::AssetBundleExport => to_value(
            crate::steps::backup::fetch_bundle(
                quicksight, transfer, store, slots, announcer, input,
            )
            .await?,
        ),
    }
}

pub async fn record_failure<S, T, C, V>(
    store: &S,
    slots: &SlotService<T, C>,
    announcer: &Announcer<V>,
    payload: Value,
) -> Result<Value, ExportError>
where
    S: ObjectStore + DownloadLinks,
    T: SlotTable,
    C: TaskCallbacks,
    V: EventSink,
{
    let input = parse(
        payload,
        "record-failure input (run, recipient, attempt, job, failure)",
    )?;
    let recorded = crate::steps::record_failure(store, slots, announcer, input).await?;
    to_value(serde_json::json!({ "recorded": recorded }))
}

pub async fn reap_slots<T: SlotTable, C: TaskCallbacks>(
    slots: &SlotService<T, C>,
    payload: Value,
) -> Result<Value, ExportError> {
    let event: ExecutionStatusChange = parse(
        payload,
        "Step Functions Execution Status Change event (detail.executionArn, detail.status)",
    )?;
    to_value(
        slots
            .reap(&event.detail.execution_arn, now_epoch_ms())
            .await?,
    )
}

pub async fn write_manifest<S: ObjectStore + DownloadLinks, V: EventSink>(
    store: &S,
    announcer: &Announcer<V>,
    payload: Value,
) -> Result<Value, ExportError> {
    let input = parse(payload, "write-manifest input (bucket, run_prefix)")?;
    to_value(crate::steps::write_manifest(store, announcer, input).await?)
}
