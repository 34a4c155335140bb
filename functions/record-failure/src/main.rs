//! `record-failure` Lambda: records a recipient the state machine caught
//! failing, and gives back its slot; see `export_core::steps::record`.

use export_core::handlers;
use export_core::wiring::Wiring;
use lambda_runtime::{Diagnostic, Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    export_core::telemetry::init();
    let wiring = Wiring::from_env().await?;
    let (store, slots, announcer) = (wiring.store(), wiring.slots(), wiring.announcer()?);
    let (store, slots, announcer) = (&store, &slots, &announcer);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handlers::record_failure(store, slots, announcer, event.payload)
            .await
            .map_err(Diagnostic::from)
    }))
    .await
}
