//! `fetch-result` Lambda: see `export_core::steps::fetch`.

use export_core::handlers;
use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    export_core::telemetry::init();
    export_core::wiring::serve(handlers::fetch_result).await
}
