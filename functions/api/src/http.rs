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

#[cfg(test)]
mod tests {
    use super::*;
    use export_core::api::{LAMBDA_PAYLOAD_LIMIT_BYTES, MAX_API_BODY_BYTES};
    use serde_json::json;

    /// An API Gateway (REST, proxy) event as it reaches the function: each
    /// header twice (headers and multiValueHeaders), a SigV4 caller with a
    /// session token, the request context, and the body as a JSON string.
    fn event(body: &str) -> String {
        let token = "T".repeat(1100);
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential=ASIA0000000000000000/20261201/us-east-1/execute-api/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature={}",
            "0".repeat(64)
        );
        let headers = json!({
            "Accept": "*/*",
            "Authorization": authorization,
            "Content-Type": "application/json",
            "Host": "abcdefghij.execute-api.us-east-1.amazonaws.com",
            "Idempotency-Key": "monthly-2026-12",
            "User-Agent": "aws-cli/2.27.0 md/Botocore#1.38.0 ua/2.1 os/linux#6.18 md/arch#x86_64 lang/python#3.13.2",
            "X-Amz-Date": "20261201T060000Z",
            "X-Amz-Security-Token": token,
            "X-Amzn-Trace-Id": "Root=1-6b0f2f6a-bedd75381bf91858dfeb7a20",
            "X-Forwarded-For": "203.0.113.7",
            "X-Forwarded-Port": "443",
            "X-Forwarded-Proto": "https"
        });
        let multi: serde_json::Map<String, serde_json::Value> = headers
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), json!([v])))
            .collect();
        json!({
            "resource": "/exports",
            "path": "/exports",
            "httpMethod": "POST",
            "headers": headers,
            "multiValueHeaders": multi,
            "queryStringParameters": null,
            "multiValueQueryStringParameters": null,
            "pathParameters": null,
            "stageVariables": null,
            "requestContext": {
                "resourceId": "abc123", "resourcePath": "/exports", "httpMethod": "POST",
                "extendedRequestId": "Xyz0AbCdIAMFw=", "requestTime": "01/Dec/2026:06:00:00 +0000",
                "path": "/v1/exports", "accountId": "123456789012", "protocol": "HTTP/1.1",
                "stage": "v1", "domainPrefix": "abcdefghij", "requestTimeEpoch": 1796104800000u64,
                "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
                "identity": {
                    "cognitoIdentityPoolId": null, "accountId": "123456789012",
                    "cognitoIdentityId": null, "caller": "AROA0000000000000000:scheduler",
                    "sourceIp": "203.0.113.7", "principalOrgId": null, "accessKey": "ASIA0000000000000000",
                    "cognitoAuthenticationType": null, "cognitoAuthenticationProvider": null,
                    "userArn": "arn:aws:sts::123456789012:assumed-role/report-caller/scheduler",
                    "userAgent": "aws-cli/2.27.0", "user": "AROA0000000000000000:scheduler"
                },
                "domainName": "abcdefghij.execute-api.us-east-1.amazonaws.com",
                "apiId": "abcdefghij"
            },
            "body": body,
            "isBase64Encoded": false
        })
        .to_string()
    }

    /// The largest body the API takes fits Lambda's 6 MB event whatever it
    /// holds: a body of quotes takes twice its size in the event's string.
    #[test]
    fn the_largest_body_the_api_takes_fits_lambdas_event_at_its_worst() {
        let worst = "\"".repeat(MAX_API_BODY_BYTES);
        let text = event(&worst);
        assert!(
            text.len() <= LAMBDA_PAYLOAD_LIMIT_BYTES,
            "{} bytes of event",
            text.len()
        );
        // And the event is one lambda_http reads, with the whole body.
        let request = lambda_http::request::from_str(&text).expect("an API Gateway event");
        assert_eq!(api_request(request).body.len(), MAX_API_BODY_BYTES);
        // Twice the cap would not have fitted: the cap is not loose by half.
        let twice = "\"".repeat(MAX_API_BODY_BYTES + 100 * 1024);
        assert!(event(&twice).len() > LAMBDA_PAYLOAD_LIMIT_BYTES);
    }
}
