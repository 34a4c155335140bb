//! `record-failure` Lambda: records a recipient the state machine caught
//! failing; see `export_core::steps::record`.

use export_core::steps::json;
use export_core::storage::S3Store;
use lambda_runtime::{Diagnostic, Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    export_core::telemetry::init();
    let store = S3Store::from_env().await;
    let store = &store;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        json::record_failure(store, event.payload)
            .await
            .map_err(Diagnostic::from)
    }))
    .await
}
