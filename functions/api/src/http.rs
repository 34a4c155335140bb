//! lambda_http's request and response, as the core's API reads and writes
//! them.

use export_core::api::{ApiRequest, ApiResponse};
use lambda_http::{Body, Error, Request, RequestExt, Response};

pub fn api_request(request: Request) -> ApiRequest {
    let query = request
        .query_string_parameters()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let headers = request
        .headers()
        .iter()
        .filter_map(|(name, value)| {
            Some((
                name.as_str().to_ascii_lowercase(),
                value.to_str().ok()?.to_string(),
            ))
        })
        .collect();
    let method = request.method().as_str().to_string();
    let path = request.uri().path().to_string();
    let body = match request.into_body() {
        Body::Empty => Vec::new(),
        Body::Text(text) => text.into_bytes(),
        Body::Binary(bytes) => bytes,
        _ => Vec::new(),
    };
    ApiRequest {
        method,
        path,
        query,
        headers,
        body,
    }
}

pub fn http_response(response: ApiResponse) -> Result<Response<Body>, Error> {
    let mut builder = Response::builder().status(response.status);
    for (name, value) in &response.headers {
        builder = builder.header(name, value);
    }
    Ok(builder.body(Body::Text(response.body.to_string()))?)
}
