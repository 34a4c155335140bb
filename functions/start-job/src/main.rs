//! `start-job` Lambda: see `export_core::steps::start`.

use export_core::quicksight::sdk::{SdkSnapshotJobs, quicksight_client_from_env};
use export_core::request_store::RequestReader;
use export_core::steps::json;
use export_core::storage::S3Store;
use lambda_runtime::{Diagnostic, Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    export_core::telemetry::init();
    let quicksight = SdkSnapshotJobs::new(quicksight_client_from_env().await);
    let store = S3Store::from_env().await;
    // Kept across invocations: a warm instance reads a run's request once.
    let requests = RequestReader::new();
    let (quicksight, store, requests) = (&quicksight, &store, &requests);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        json::start_job(quicksight, store, requests, event.payload)
            .await
            .map_err(Diagnostic::from)
    }))
    .await
}
