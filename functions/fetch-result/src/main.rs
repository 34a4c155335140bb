//! `fetch-result` Lambda: see `export_core::steps::fetch`.

use export_core::handlers;
use export_core::wiring::Wiring;
use lambda_runtime::{Diagnostic, Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    export_core::telemetry::init();
    let wiring = Wiring::from_env().await?;
    let (quicksight, store, slots) = (wiring.quicksight(), wiring.store(), wiring.slots());
    let (announcer, transfer) = (wiring.announcer()?, wiring.transfer());
    let (quicksight, store, slots, announcer) = (&quicksight, &store, &slots, &announcer);
    let transfer = &transfer;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handlers::fetch_result(quicksight, transfer, store, slots, announcer, event.payload)
            .await
            .map_err(Diagnostic::from)
    }))
    .await
}
