//! `start-job` Lambda: see `export_core::steps::start`.

use export_core::handlers;
use export_core::request_store::RequestReader;
use export_core::wiring::Wiring;
use lambda_runtime::{Diagnostic, Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    export_core::telemetry::init();
    let wiring = Wiring::from_env().await?;
    let (quicksight, store) = (wiring.quicksight(), wiring.store());
    // Kept across invocations: a warm instance reads a run's request once.
    let requests = RequestReader::new();
    let (quicksight, store, requests, durations) =
        (&quicksight, &store, &requests, &wiring.coordination);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handlers::start_job(quicksight, store, requests, durations, event.payload)
            .await
            .map_err(Diagnostic::from)
    }))
    .await
}
