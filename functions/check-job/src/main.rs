//! `check-job` Lambda: see `export_core::steps::check`.

use export_core::handlers;
use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    export_core::telemetry::init();
    export_core::wiring::serve(handlers::check_job).await
}
