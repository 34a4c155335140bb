//! `take-slot` Lambda: a recipient asks for one of the account's job slots
//! with its task token, and is resumed when it has one; see
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
        handlers::take_slot(slots, event.payload)
            .await
            .map_err(Diagnostic::from)
    }))
    .await
}
