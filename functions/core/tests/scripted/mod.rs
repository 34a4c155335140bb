//! What the SDK adapter tests share: the functions' own SDK configuration
//! over a scripted HTTP client, and a raw answer as a service sends it.

#![allow(dead_code)]

use aws_config::SdkConfig;
use aws_sdk_quicksight::config::http::HttpResponse;
use aws_sdk_quicksight::config::{Credentials, Region, SharedHttpClient};
use aws_smithy_types::body::SdkBody;
use export_core::aws::aws_config_loader;

/// The functions' configuration (`aws_config_loader`), in eu-west-1 with
/// static credentials, over `http_client`.
pub async fn shared_config(http_client: SharedHttpClient) -> SdkConfig {
    aws_config_loader()
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::new("AKID", "secret", None, None, "test"))
        .http_client(http_client)
        .load()
        .await
}

/// A raw answer: `status`, the protocol's `content_type`, the error's name
/// in `x-amzn-errortype` when there is one, and `body`.
pub fn answer(
    status: u16,
    content_type: &'static str,
    error_type: Option<&'static str>,
    body: &str,
) -> HttpResponse {
    let mut response = HttpResponse::new(
        status.try_into().expect("a valid status"),
        SdkBody::from(body.to_string()),
    );
    response.headers_mut().insert("content-type", content_type);
    if let Some(error_type) = error_type {
        response
            .headers_mut()
            .insert("x-amzn-errortype", error_type);
    }
    response
}
