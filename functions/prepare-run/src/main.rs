//! `prepare-run` Lambda: validates the whole request before any job starts;
//! see `export_core::run::prepare_run`.

use export_core::ExportError;
use export_core::run::{PrepareRunInput, RunSettings, prepare_run};
use lambda_runtime::{Diagnostic, Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    export_core::telemetry::init();
    // Settings are checked once, at init: a bad deployment fails loudly.
    let settings = RunSettings::from_env()?;
    let settings = &settings;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let input =
            export_core::input::parse::<PrepareRunInput>(event.payload, "prepare-run input")?;
        let run = prepare_run(input, settings)?;
        serde_json::to_value(run)
            .map_err(|e| ExportError::UnexpectedResponse(e.to_string()))
            .map_err(Diagnostic::from)
    }))
    .await
}
