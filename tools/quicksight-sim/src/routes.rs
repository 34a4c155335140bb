//! The HTTP side: QuickSight's REST paths mapped to the operations, every
//! call counted against the rate limit and answered in QuickSight's shapes,
//! plus the simulator's own `/_sim/` paths.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tracing::info;

use crate::asset_bundles::DownloadError;
use crate::faults::Fault;
use crate::state::Sim;
use crate::wire::{self, ApiError, ErrorKind, StartSnapshotJobRequest};

pub fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route(
            "/accounts/{account}/dashboards/{dashboard}/snapshot-jobs",
            post(start_snapshot_job),
        )
        .route(
            "/accounts/{account}/dashboards/{dashboard}/snapshot-jobs/{job}",
            get(describe_snapshot_job),
        )
        .route(
            "/accounts/{account}/dashboards/{dashboard}/snapshot-jobs/{job}/result",
            get(describe_snapshot_job_result),
        )
        .route(
            "/accounts/{account}/asset-bundle-export-jobs/export",
            post(start_asset_bundle_export),
        )
        .route(
            "/accounts/{account}/asset-bundle-export-jobs/{job}",
            get(describe_asset_bundle_export),
        )
        .route("/accounts/{account}/dashboards", get(list_dashboards))
        .route("/_sim/stats", get(stats))
        .route(
            "/_sim/asset-bundles/{account}/{file}",
            get(download_asset_bundle),
        )
        .fallback(unknown_operation)
        .with_state(sim)
}

/// What a call acts on, as IAM names it for the caller's policy.
struct Call<'a> {
    operation: &'static str,
    account_id: &'a str,
    headers: &'a HeaderMap,
    /// The resource's ARN after `arn:aws:quicksight:REGION:ACCOUNT:`.
    resource: String,
}

impl Call<'_> {
    fn resource_arn(&self) -> String {
        format!(
            "arn:aws:quicksight:{}:{}:{}",
            call_region(self.headers),
            self.account_id,
            self.resource
        )
    }
}

/// Runs one operation: checks the caller's policy (with `--iam-policies`),
/// counts the call against the account's rate limit, then answers with the
/// operation's body or QuickSight's error shape.
fn serve(
    sim: &Sim,
    call: Call<'_>,
    success: StatusCode,
    op: impl FnOnce() -> Result<Value, ApiError>,
) -> Response {
    let Call {
        operation,
        account_id,
        ..
    } = call;
    let authorized = match &sim.config.iam_policies {
        Some(policies) => policies.authorize(
            call.headers,
            &format!("quicksight:{operation}"),
            &call.resource_arn(),
        ),
        None => Ok(()),
    };
    if let Err(error) = authorized {
        let request_id = uuid::Uuid::new_v4().to_string();
        sim.count_error(&error);
        info!(operation, account_id, error = error.kind.name(), "call");
        return error.into_response(&request_id);
    }
    let fault = sim.faults.draw(operation.starts_with("Start"));
    if fault.is_some() {
        sim.count_fault();
    }
    let result = sim.admit(account_id).and_then(|()| match fault {
        Some(Fault::Throttle) => Err(ApiError::new(ErrorKind::Throttling, "Rate exceeded")),
        Some(Fault::Internal) => Err(ApiError::new(
            ErrorKind::InternalFailure,
            "An internal failure occurred.",
        )),
        Some(Fault::Limit) => Err(ApiError::new(
            ErrorKind::LimitExceeded,
            "The account has reached its limit of concurrent jobs",
        )),
        Some(Fault::Reset) => drop_connection(operation),
        Some(Fault::LostReply) => {
            let _done = op();
            drop_connection(operation)
        }
        None => op(),
    });
    let request_id = uuid::Uuid::new_v4().to_string();
    match result {
        Ok(mut body) => {
            info!(operation, account_id, status = success.as_u16(), "call");
            body["RequestId"] = json!(request_id);
            wire::ok(success, body, &request_id)
        }
        Err(error) => {
            sim.count_error(&error);
            info!(operation, account_id, error = error.kind.name(), "call");
            error.into_response(&request_id)
        }
    }
}

/// Ends the connection without a reply: the task serving it unwinds, and
/// hyper closes the socket (`resume_unwind` skips the panic hook, so the
/// log stays quiet). The caller sees a reset connection.
fn drop_connection(operation: &str) -> ! {
    info!(operation, "fault: connection dropped");
    std::panic::resume_unwind(Box::new("fault: connection dropped"))
}

/// The region the call was made in: from its signature, else us-east-1.
fn call_region(headers: &HeaderMap) -> String {
    wire::signed_region(headers).unwrap_or_else(|| "us-east-1".to_string())
}

async fn start_snapshot_job(
    State(sim): State<Arc<Sim>>,
    Path((account_id, dashboard_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let call = Call {
        operation: "StartDashboardSnapshotJob",
        account_id: &account_id,
        headers: &headers,
        resource: format!("dashboard/{dashboard_id}"),
    };
    serve(&sim, call, StatusCode::ACCEPTED, || {
        let request: StartSnapshotJobRequest = wire::parse_body(&body)?;
        sim.start_snapshot_job(&account_id, &dashboard_id, &call_region(&headers), request)
    })
}

async fn describe_snapshot_job(
    State(sim): State<Arc<Sim>>,
    Path((account_id, dashboard_id, job_id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let call = Call {
        operation: "DescribeDashboardSnapshotJob",
        account_id: &account_id,
        headers: &headers,
        resource: format!("dashboard/{dashboard_id}"),
    };
    serve(&sim, call, StatusCode::OK, || {
        sim.describe_snapshot_job(&account_id, &dashboard_id, &job_id)
    })
}

async fn describe_snapshot_job_result(
    State(sim): State<Arc<Sim>>,
    Path((account_id, dashboard_id, job_id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let call = Call {
        operation: "DescribeDashboardSnapshotJobResult",
        account_id: &account_id,
        headers: &headers,
        resource: format!("dashboard/{dashboard_id}"),
    };
    serve(&sim, call, StatusCode::OK, || {
        sim.describe_snapshot_job_result(&account_id, &dashboard_id, &job_id)
    })
}

async fn list_dashboards(
    State(sim): State<Arc<Sim>>,
    Path(account_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let call = Call {
        operation: "ListDashboards",
        account_id: &account_id,
        headers: &headers,
        resource: "dashboard/*".to_string(),
    };
    serve(&sim, call, StatusCode::OK, || {
        sim.list_dashboards(
            &account_id,
            &call_region(&headers),
            query.get("max-results").map(String::as_str),
            query.get("next-token").map(String::as_str),
        )
    })
}

async fn start_asset_bundle_export(
    State(sim): State<Arc<Sim>>,
    Path(account_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let job_id = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|b| b["AssetBundleExportJobId"].as_str().map(str::to_string))
        .unwrap_or_default();
    let call = Call {
        operation: "StartAssetBundleExportJob",
        account_id: &account_id,
        headers: &headers,
        resource: format!("asset-bundle-export-job/{job_id}"),
    };
    serve(&sim, call, StatusCode::ACCEPTED, || {
        sim.start_asset_bundle_export(&account_id, &call_region(&headers), &body)
    })
}

async fn describe_asset_bundle_export(
    State(sim): State<Arc<Sim>>,
    Path((account_id, job_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_string();
    let call = Call {
        operation: "DescribeAssetBundleExportJob",
        account_id: &account_id,
        headers: &headers,
        resource: format!("asset-bundle-export-job/{job_id}"),
    };
    serve(&sim, call, StatusCode::OK, || {
        sim.describe_asset_bundle_export(&account_id, &job_id, &host)
    })
}

/// A download URL from DescribeAssetBundleExportJob. It stands in for a
/// presigned S3 URL, so it answers as S3 would, not as QuickSight, and is
/// not counted against the rate limit.
async fn download_asset_bundle(
    State(sim): State<Arc<Sim>>,
    Path((account_id, file)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let expires = query.get("expires").map(String::as_str);
    match sim.download_asset_bundle(&account_id, &file, expires) {
        Ok(bytes) => ([(header::CONTENT_TYPE, "application/zip")], bytes).into_response(),
        Err(DownloadError::Expired) => {
            (StatusCode::FORBIDDEN, "Request has expired").into_response()
        }
        Err(DownloadError::NotFound) => (StatusCode::NOT_FOUND, "NoSuchKey").into_response(),
        Err(DownloadError::Render(e)) => {
            tracing::error!(%account_id, %file, error = %e, "asset bundle not rendered");
            (StatusCode::INTERNAL_SERVER_ERROR, "InternalError").into_response()
        }
    }
}

async fn stats(State(sim): State<Arc<Sim>>) -> Response {
    axum::Json(sim.stats()).into_response()
}

async fn unknown_operation() -> Response {
    ApiError::new(
        ErrorKind::UnknownOperation,
        "quicksight-sim serves the snapshot-job and asset-bundle export operations only",
    )
    .into_response(&uuid::Uuid::new_v4().to_string())
}
