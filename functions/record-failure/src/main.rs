//! `record-failure` Lambda: records a recipient the state machine caught
//! failing, and gives back its slot; see `export_core::steps::record`.

use export_core::handlers;
use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    export_core::telemetry::init();
    export_core::wiring::serve(handlers::record_failure).await
}
