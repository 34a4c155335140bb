//! The HTTP API other systems call (behind API Gateway with IAM auth):
//!
//! ```text
//! POST   /exports               store a request, start its run (Idempotency-Key: the run's ID)
//! GET    /exports               runs, newest first (?status=RUNNING&limit=&next_token=)
//! GET    /exports/{id}          status, counts and outcomes so far, with download links (?limit=&next_token=)
//! DELETE /exports/{id}          stop the run: outcomes kept, the rest recorded as cancelled, slots freed
//! POST   /exports/{id}/retry    a new run of the failed recipients of a finished run
//! ```
//!
//! Plain requests and responses here ([`ApiRequest`], [`ApiResponse`]);
//! the `api` binary converts them from and to `lambda_http`'s.

use serde_json::Value;

use crate::steps::{Ports, Steps};

mod cancel;
mod inspect;
pub mod problem;
mod retry;
mod submit;

pub use problem::Problem;

/// Lambda's limit on a synchronous invocation's payload, request and
/// response each: 6 MB.
pub const LAMBDA_PAYLOAD_LIMIT_BYTES: usize = 6 * 1024 * 1024;

/// The largest body `POST /exports` takes. API Gateway hands the function
/// one JSON event with the body as a JSON string beside the headers and the
/// request context, and the whole event counts against Lambda's 6 MB: in
/// that string each `"`, `\` or control character of the body takes two
/// bytes. Half the limit, less room for the rest of the event, fits
/// whatever the body holds (`functions/api` tests it on a real event).
/// Larger requests, up to `MAX_REQUEST_BYTES`, are stored in the export
/// bucket and started with their location.
pub const MAX_API_BODY_BYTES: usize = (LAMBDA_PAYLOAD_LIMIT_BYTES - 128 * 1024) / 2;

/// What one answer's body may take once in Lambda's response, where it is
/// a JSON string too: a page of outcomes ends before its body would pass
/// this, and says so with its `next_token`. Well under the 6 MB limit,
/// with room for the headers and the envelope.
pub const MAX_RESPONSE_BODY_BYTES: usize = 5_000_000;

/// `value`'s size as a JSON string inside Lambda's response envelope.
pub fn enveloped_len(value: &Value) -> usize {
    let text = value.to_string();
    Value::String(text).to_string().len()
}

/// An HTTP request, as far as the API reads it.
#[derive(Clone, Debug, Default)]
pub struct ApiRequest {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl ApiRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ApiResponse {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(String, String)>,
}

impl ApiResponse {
    pub fn json(status: u16, body: Value) -> Self {
        ApiResponse {
            status,
            body,
            headers: vec![("content-type".into(), "application/json".into())],
        }
    }
}

/// What the API works with; built once at init by the binary: the steps'
/// ports (it records, writes manifests and frees slots as they do) and
/// the runs of the state machine.
pub struct Api<P: Ports> {
    pub steps: Steps<P>,
    pub executions: P::Executions,
    /// Where the stack is: requests are stored in its export bucket, and
    /// must name its region and account.
    pub stack: crate::settings::StackPlace,
}

impl<P: Ports> Api<P> {
    /// Routes a request; every answer is JSON, errors included.
    pub async fn handle(&self, request: ApiRequest) -> ApiResponse {
        match self.route(&request).await {
            Ok(response) => response,
            Err(problem) => problem.into_response(),
        }
    }

    async fn route(&self, request: &ApiRequest) -> Result<ApiResponse, Problem> {
        // API Gateway may put a stage in front (`/prod/exports`): routes are
        // read from the `exports` segment on.
        let segments: Vec<&str> = request.path.split('/').filter(|s| !s.is_empty()).collect();
        let Some(start) = segments.iter().position(|s| *s == "exports") else {
            return Err(Problem::new(
                404,
                "RouteNotFound",
                "no such route; see /exports",
            ));
        };
        let method = request.method.to_ascii_uppercase();
        match (method.as_str(), &segments[start + 1..]) {
            ("POST", []) => self.submit(request).await,
            ("GET", []) => self.list_runs(request).await,
            ("GET", [id]) => self.inspect_run(request, id).await,
            ("DELETE", [id]) => self.cancel_run(id).await,
            ("POST", [id, "retry"]) => self.retry_run(request, id).await,
            (_, [] | [_] | [_, "retry"]) => Err(Problem::new(
                405,
                "MethodNotAllowed",
                format!("{method} is not allowed here"),
            )),
            _ => Err(Problem::new(
                404,
                "RouteNotFound",
                "no such route; see /exports",
            )),
        }
    }
}

/// A run ID as the API takes it: an execution name made of
/// `[A-Za-z0-9_-]`, 1-80 characters (what job IDs and S3 keys may hold).
pub fn check_run_id(id: &str, what: &str) -> Result<(), Problem> {
    let ok = (1..=crate::validation::MAX_RUN_ID_CHARS).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Problem::new(
            400,
            if what == "Idempotency-Key" {
                "InvalidIdempotencyKey"
            } else {
                "InvalidRunId"
            },
            format!(
                "{what} must be 1-{} characters of [A-Za-z0-9_-]",
                crate::validation::MAX_RUN_ID_CHARS
            ),
        ))
    }
}

/// `?limit=` within `1..=max`, `default` when absent.
pub fn limit_of(request: &ApiRequest, default: usize, max: usize) -> Result<usize, Problem> {
    match request.query("limit") {
        None => Ok(default),
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                Problem::new(
                    400,
                    "InvalidQuery",
                    format!("limit must be a whole number from 1 to {max}"),
                )
            }),
    }
}
