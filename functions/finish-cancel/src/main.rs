//! `finish-cancel` Lambda: on the ABORTED event of a run cancelled through
//! the API, records every recipient without an outcome as cancelled and
//! writes the manifest, as far as its time allows; Lambda's retry of the
//! event (or another `DELETE`) goes on from there. See
//! `export_core::api::cancel`.

use std::time::{Duration, Instant, SystemTime};

use export_core::wiring::Wiring;
use lambda_runtime::{Diagnostic, Error, LambdaEvent, service_fn};
use serde_json::Value;

/// Left of the invocation's time for the manifest and the answer.
const MARGIN: Duration = Duration::from_secs(60);

#[tokio::main]
async fn main() -> Result<(), Error> {
    export_core::telemetry::init();
    let api = Wiring::from_env().await?.api()?;
    let api = &api;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        // The invocation's own deadline, as an Instant; none locally: 4 minutes.
        let left = event
            .context
            .deadline()
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::from_secs(240));
        let deadline = Instant::now() + left.saturating_sub(MARGIN);
        api.on_execution_stopped(event.payload, deadline)
            .await
            .map_err(Diagnostic::from)
    }))
    .await
}
