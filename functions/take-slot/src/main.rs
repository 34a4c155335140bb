//! `take-slot` Lambda: a recipient asks for one of the account's job slots
//! with its task token, and is resumed when it has one; see
//! `export_core::coordination::semaphore`.

use export_core::handlers;
use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    export_core::telemetry::init();
    export_core::wiring::serve(handlers::take_slot).await
}
