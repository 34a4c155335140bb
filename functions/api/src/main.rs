//! `api` Lambda: the HTTP API behind API Gateway (IAM auth); see
//! `export_core::api`. `http.rs` turns lambda_http's requests into the
//! core's and back.

mod http;

use export_core::wiring::Wiring;
use lambda_http::{Error, Request, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    export_core::telemetry::init();
    let api = Wiring::from_env().await?.api()?;
    let api = &api;
    lambda_http::run(service_fn(move |request: Request| async move {
        let response = api.handle(http::api_request(request)).await;
        http::http_response(response)
    }))
    .await
}
