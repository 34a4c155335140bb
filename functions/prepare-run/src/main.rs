//! `prepare-run` Lambda: reads and validates the stored request before any
//! job starts (an export request, or a backup request whose dashboards it
//! may list); see `export_core::steps::prepare`.

use export_core::handlers;
use export_core::settings::{RunSettings, StackPlace};
use export_core::wiring::Wiring;
use lambda_runtime::{Diagnostic, Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    export_core::telemetry::init();
    // Settings are checked once, at init: a bad deployment fails loudly.
    let settings = RunSettings::from_env()?;
    let stack = StackPlace::from_env()?;
    let wiring = Wiring::from_env().await?;
    let (store, quicksight) = (wiring.store(), wiring.quicksight());
    let (store, quicksight, settings, stack) = (&store, &quicksight, &settings, &stack);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handlers::prepare_run(store, quicksight, settings, stack, event.payload)
            .await
            .map_err(Diagnostic::from)
    }))
    .await
}
