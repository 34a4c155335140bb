//! `write-manifest` Lambda: assembles the run manifest from the outcome
//! objects and announces it; see `export_core::steps::manifest`.

use export_core::handlers;
use export_core::wiring::Wiring;
use lambda_runtime::{Diagnostic, Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    export_core::telemetry::init();
    let wiring = Wiring::from_env().await?;
    let (store, announcer) = (wiring.store(), wiring.announcer()?);
    let (store, announcer) = (&store, &announcer);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handlers::write_manifest(store, announcer, event.payload)
            .await
            .map_err(Diagnostic::from)
    }))
    .await
}
