//! `prepare-run` Lambda: reads and validates the stored request before any
//! job starts (an export request, or a backup request whose dashboards it
//! may list); see `export_core::steps::prepare`.

use export_core::settings::{RunSettings, export_bucket_from_env};
use export_core::steps::json;
use export_core::wiring::Wiring;
use lambda_runtime::{Diagnostic, Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    export_core::telemetry::init();
    // Settings are checked once, at init: a bad deployment fails loudly.
    let settings = RunSettings::from_env()?;
    let export_bucket = export_bucket_from_env()?;
    let wiring = Wiring::from_env().await?;
    let (store, quicksight) = (wiring.store(), wiring.quicksight());
    let (store, quicksight, settings, export_bucket) =
        (&store, &quicksight, &settings, export_bucket.as_str());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        json::prepare_run(store, quicksight, settings, export_bucket, event.payload)
            .await
            .map_err(Diagnostic::from)
    }))
    .await
}
