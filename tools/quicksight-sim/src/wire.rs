//! QuickSight's REST-JSON wire format: the request bodies we read and the
//! error responses we send. Field names are QuickSight's own (PascalCase).

use axum::Json;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");
pub const ERROR_TYPE: HeaderName = HeaderName::from_static("x-amzn-errortype");

/// A QuickSight service error: its exception name and HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    AccessDenied,
    /// An access key nobody has (with `--iam-policies`).
    UnrecognizedClient,
    InvalidParameterValue,
    LimitExceeded,
    ResourceExists,
    Conflict,
    ResourceNotFound,
    Throttling,
    PreconditionNotMet,
    InternalFailure,
    UnknownOperation,
}

impl ErrorKind {
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::AccessDenied => "AccessDeniedException",
            ErrorKind::UnrecognizedClient => "UnrecognizedClientException",
            ErrorKind::InvalidParameterValue => "InvalidParameterValueException",
            ErrorKind::LimitExceeded => "LimitExceededException",
            ErrorKind::ResourceExists => "ResourceExistsException",
            ErrorKind::Conflict => "ConflictException",
            ErrorKind::ResourceNotFound => "ResourceNotFoundException",
            ErrorKind::Throttling => "ThrottlingException",
            ErrorKind::PreconditionNotMet => "PreconditionNotMetException",
            ErrorKind::InternalFailure => "InternalFailureException",
            ErrorKind::UnknownOperation => "UnknownOperationException",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            ErrorKind::AccessDenied => StatusCode::UNAUTHORIZED,
            ErrorKind::UnrecognizedClient => StatusCode::FORBIDDEN,
            ErrorKind::InvalidParameterValue | ErrorKind::PreconditionNotMet => {
                StatusCode::BAD_REQUEST
            }
            ErrorKind::LimitExceeded | ErrorKind::ResourceExists | ErrorKind::Conflict => {
                StatusCode::CONFLICT
            }
            ErrorKind::ResourceNotFound | ErrorKind::UnknownOperation => StatusCode::NOT_FOUND,
            ErrorKind::Throttling => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::InternalFailure => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
    /// For LimitExceeded and ResourceExists.
    pub resource_type: Option<&'static str>,
}

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            message: message.into(),
            resource_type: None,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidParameterValue, message)
    }

    pub fn with_resource_type(mut self, resource_type: &'static str) -> Self {
        self.resource_type = Some(resource_type);
        self
    }

    pub fn into_response(self, request_id: &str) -> Response {
        let mut body = json!({ "Message": self.message, "RequestId": request_id });
        if let Some(rt) = self.resource_type {
            body["ResourceType"] = json!(rt);
        }
        let mut response = (self.kind.status(), Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(ERROR_TYPE, HeaderValue::from_static(self.kind.name()));
        if let Ok(v) = HeaderValue::from_str(request_id) {
            headers.insert(REQUEST_ID, v);
        }
        response
    }
}

/// A success response: the body plus the request ID header.
pub fn ok(status: StatusCode, body: Value, request_id: &str) -> Response {
    let mut response = (status, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert(REQUEST_ID, v);
    }
    response
}

/// Reads a JSON request body; an empty body is `{}`.
pub fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body = if body.is_empty() {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        // serde's message may quote a value; say only where it broke.
        ApiError::invalid(format!(
            "the request body is not valid for this operation (line {}, column {})",
            e.line(),
            e.column()
        ))
    })
}

/// The region a SigV4-signed request was signed for, from
/// `Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261124/us-east-1/quicksight/aws4_request, ...`.
pub fn signed_region(headers: &HeaderMap) -> Option<String> {
    let auth = headers.get("authorization")?.to_str().ok()?;
    let credential = auth.split("Credential=").nth(1)?;
    let scope = credential.split([',', ' ']).next()?;
    scope.split('/').nth(2).map(str::to_string)
}

// --- StartDashboardSnapshotJob request -------------------------------------

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartSnapshotJobRequest {
    pub snapshot_job_id: Option<String>,
    pub user_configuration: Option<UserConfiguration>,
    pub snapshot_configuration: Option<SnapshotConfiguration>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserConfiguration {
    #[serde(default)]
    pub anonymous_users: Option<Vec<AnonymousUser>>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AnonymousUser {
    #[serde(default)]
    pub row_level_permission_tags: Option<Vec<SessionTag>>,
}

#[derive(Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SessionTag {
    pub key: String,
    pub value: String,
}

impl std::fmt::Debug for SessionTag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Tag values are sensitive, here as in QuickSight.
        write!(f, "SessionTag {{ key: {:?}, value: *** }}", self.key)
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnapshotConfiguration {
    #[serde(default)]
    pub file_groups: Option<Vec<FileGroup>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_configuration: Option<DestinationConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FileGroup {
    #[serde(default)]
    pub files: Option<Vec<SnapshotFile>>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnapshotFile {
    pub format_type: String,
    #[serde(default)]
    pub sheet_selections: Option<Vec<SheetSelection>>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SheetSelection {
    pub sheet_id: String,
    pub selection_scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visual_ids: Option<Vec<String>>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DestinationConfiguration {
    #[serde(default)]
    pub s3_destinations: Option<Vec<S3Destination>>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct S3Destination {
    pub bucket_configuration: Option<BucketConfiguration>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BucketConfiguration {
    pub bucket_name: String,
    pub bucket_prefix: String,
    pub bucket_region: String,
}

// --- StartAssetBundleExportJob request -------------------------------------

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartAssetBundleExportRequest {
    pub asset_bundle_export_job_id: Option<String>,
    #[serde(default)]
    pub resource_arns: Option<Vec<String>>,
    pub export_format: Option<String>,
    #[serde(default)]
    pub include_all_dependencies: Option<bool>,
    #[serde(default)]
    pub include_permissions: Option<bool>,
    #[serde(default)]
    pub include_tags: Option<bool>,
}
