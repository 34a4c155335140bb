//! `fetch-result` Lambda: see `export_core::steps::fetch`.

use export_core::quicksight::sdk::{SdkSnapshotJobs, quicksight_client_from_env};
use export_core::steps::json;
use export_core::storage::S3Store;
use lambda_runtime::{Diagnostic, Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    export_core::telemetry::init();
    let quicksight = SdkSnapshotJobs::new(quicksight_client_from_env().await);
    let store = S3Store::from_env().await;
    let (quicksight, store) = (&quicksight, &store);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        json::fetch_result(quicksight, store, event.payload)
            .await
            .map_err(Diagnostic::from)
    }))
    .await
}
