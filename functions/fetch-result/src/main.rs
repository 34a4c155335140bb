//! `fetch-result` Lambda: see `export_core::handlers::fetch_result`.

use export_core::handlers::json;
use export_core::quicksight::sdk::{SdkSnapshotJobs, quicksight_client_from_env};
use lambda_runtime::{Diagnostic, Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    export_core::telemetry::init();
    let quicksight = SdkSnapshotJobs::new(quicksight_client_from_env().await);
    let quicksight = &quicksight;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        json::fetch_result(quicksight, event.payload)
            .await
            .map_err(Diagnostic::from)
    }))
    .await
}
