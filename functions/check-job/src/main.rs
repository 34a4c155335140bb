//! `check-job` Lambda: see `export_core::steps::check`.

use export_core::quicksight::sdk::{SdkSnapshotJobs, quicksight_client_from_env};
use export_core::steps::json;
use lambda_runtime::{Diagnostic, Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    export_core::telemetry::init();
    let quicksight = SdkSnapshotJobs::new(quicksight_client_from_env().await);
    let quicksight = &quicksight;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        json::check_job(quicksight, event.payload)
            .await
            .map_err(Diagnostic::from)
    }))
    .await
}
