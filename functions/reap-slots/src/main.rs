//! `reap-slots` Lambda: on an execution that failed, timed out or was
//! stopped, frees the slots it held or asked for; see
//! `export_core::coordination::semaphore`.

use export_core::handlers;
use export_core::wiring::Wiring;
use lambda_runtime::{Diagnostic, Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    export_core::telemetry::init();
    let slots = Wiring::from_env().await?.slots();
    let slots = &slots;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handlers::reap_slots(slots, event.payload)
            .await
            .map_err(Diagnostic::from)
    }))
    .await
}
