//! `write-manifest` Lambda: assembles the run manifest from the outcome
//! objects and announces it; see `export_core::steps::manifest`.

use export_core::handlers;
use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    export_core::telemetry::init();
    export_core::wiring::serve(handlers::write_manifest).await
}
