//! `reap-slots` Lambda: on an execution that failed, timed out or was
//! stopped, frees the slots it held or asked for; see
//! `export_core::coordination::semaphore`.

use export_core::handlers;
use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    export_core::telemetry::init();
    export_core::wiring::serve(handlers::reap_slots).await
}
