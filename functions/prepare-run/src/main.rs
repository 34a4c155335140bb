//! `prepare-run` Lambda: reads and validates the stored request before any
//! job starts (an export request, or a backup request whose dashboards it
//! may list); see `export_core::steps::prepare`.

use export_core::handlers;
use export_core::settings::{RunSettings, StackPlace};
use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    export_core::telemetry::init();
    // Settings are checked once, at init: a bad deployment fails loudly.
    let settings: &'static RunSettings = Box::leak(Box::new(RunSettings::from_env()?));
    let stack: &'static StackPlace = Box::leak(Box::new(StackPlace::from_env()?));
    export_core::wiring::serve(move |steps, payload| {
        handlers::prepare_run(steps, settings, stack, payload)
    })
    .await
}
