//! `check-job` Lambda: see `export_core::steps::check`.

use export_core::handlers;
use export_core::wiring::Wiring;
use lambda_runtime::{Diagnostic, Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    export_core::telemetry::init();
    let wiring = Wiring::from_env().await?;
    let (quicksight, slots) = (wiring.quicksight(), wiring.slots());
    let (quicksight, durations, slots) = (&quicksight, &wiring.coordination, &slots);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handlers::check_job(quicksight, durations, slots, event.payload)
            .await
            .map_err(Diagnostic::from)
    }))
    .await
}
