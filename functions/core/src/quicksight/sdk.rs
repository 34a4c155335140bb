//! The real adapter: `aws-sdk-quicksight`, built so that it does not retry
//! on its own and can be pointed at a local endpoint.

use aws_config::{SdkConfig, retry::RetryConfig};
use aws_sdk_quicksight::Client;
use aws_sdk_quicksight::config::Region;
use aws_sdk_quicksight::config::http::HttpResponse;
use aws_sdk_quicksight::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_quicksight::types as qs;
use tracing::instrument;

use super::ApiError;
use super::{
    FileGroupResult, JobConfigurationSummary, JobDescription, JobRef, JobResult, JobStatus,
    SnapshotJobSpec, SnapshotJobs, StartedJob,
};
use crate::aws::ServiceError;
use crate::error_name::ErrorName;
use crate::model::{ErrorDetail, SelectionScope};

/// Our own endpoint setting, for local runs. The SDK also reads the standard
/// `AWS_ENDPOINT_URL_QUICKSIGHT` by itself.
pub const ENDPOINT_ENV: &str = "QUICKSIGHT_ENDPOINT_URL";

/// A QuickSight client from `shared`, with one attempt per call (the state
/// machine owns retries: two retry layers would multiply) and an optional
/// endpoint override.
pub fn quicksight_client(shared: &SdkConfig, endpoint_url: Option<&str>) -> Client {
    Client::from_conf(quicksight_config(shared, endpoint_url).build())
}

/// The client's configuration before it is built, so that tests can add an
/// interceptor (aws-smithy-mocks) to exactly what the functions use.
pub fn quicksight_config(
    shared: &SdkConfig,
    endpoint_url: Option<&str>,
) -> aws_sdk_quicksight::config::Builder {
    let mut builder = aws_sdk_quicksight::config::Builder::from(shared)
        .retry_config(RetryConfig::standard().with_max_attempts(1));
    if let Some(url) = endpoint_url {
        builder = builder.endpoint_url(url);
    }
    builder
}

/// [`SnapshotJobs`] over the real SDK client.
#[derive(Clone, Debug)]
pub struct SdkSnapshotJobs {
    client: Client,
}

impl SdkSnapshotJobs {
    pub fn new(client: Client) -> Self {
        SdkSnapshotJobs { client }
    }

    pub(super) fn client(&self) -> &Client {
        &self.client
    }
}

/// Calls go to the region the request names, whatever the function's own.
pub(super) fn region_override(region: &str) -> aws_sdk_quicksight::config::Builder {
    aws_sdk_quicksight::config::Builder::default().region(Region::new(region.to_string()))
}

/// Classifies an SDK error by its service code before it is flattened.
///
/// - a service error with a code: that exception's name (an unknown one
///   with a 5xx status: `InternalFailure`);
/// - a 5xx answer without a code (a gateway or load balancer answering for
///   QuickSight): a transport error, retried like no answer at all;
/// - a timeout or a connection failure: a transport error;
/// - a body that cannot be read (the SDK reports it as a service error with
///   no code and a success status): `Export.UnexpectedResponse`;
/// - anything else: `QuickSight.UnrecognizedException` with the details.
pub fn classify<E>(error: SdkError<E, HttpResponse>) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match crate::aws::classify(error) {
        ServiceError::Answered {
            status,
            code,
            message,
            details,
        } => match code {
            Some(code) => {
                let mut api = ApiError::from_code(&code, message);
                // A server-side failure under a name this version does
                // not know: retried like InternalFailure (safe, as every
                // call is idempotent), never taken for bad input.
                if api.name == ErrorName::Unrecognized && status >= 500 {
                    api.name = ErrorName::InternalFailure;
                }
                api
            }
            None if status >= 500 => ApiError::transport(format!(
                "QuickSight answered HTTP {status} without an error code: {details}"
            )),
            // A success status whose body the SDK could not read.
            None if status < 400 => unreadable(details),
            None => ApiError::from_code(
                "UnknownError",
                format!("HTTP {status} without an error code: {details}"),
            ),
        },
        ServiceError::NoAnswer { details } => ApiError::transport(details),
        ServiceError::Unreadable { details } => unreadable(details),
        ServiceError::NotSent { details } => ApiError::from_code("UnknownError", details),
    }
}

fn unreadable(details: String) -> ApiError {
    ApiError {
        name: ErrorName::UnexpectedResponse,
        code: "UnreadableResponse".into(),
        message: details,
    }
}

pub(super) fn build_error(what: &str, error: impl std::fmt::Display) -> ApiError {
    ApiError::from_code(
        "InvalidParameterValueException",
        format!("could not build the {what}: {error}"),
    )
}

fn to_sdk_file_group(group: &crate::model::FileGroup) -> Result<qs::SnapshotFileGroup, ApiError> {
    let mut file = qs::SnapshotFile::builder()
        .format_type(qs::SnapshotFileFormatType::from(group.format.as_str()));
    for sheet in &group.sheets {
        let scope = match sheet.effective_scope() {
            SelectionScope::AllVisuals => qs::SnapshotFileSheetSelectionScope::AllVisuals,
            SelectionScope::SelectedVisuals => qs::SnapshotFileSheetSelectionScope::SelectedVisuals,
        };
        let mut selection = qs::SnapshotFileSheetSelection::builder()
            .sheet_id(&sheet.sheet_id)
            .selection_scope(scope);
        for visual in &sheet.visual_ids {
            selection = selection.visual_ids(visual);
        }
        file = file.sheet_selections(
            selection
                .build()
                .map_err(|e| build_error("sheet selection", e))?,
        );
    }
    Ok(qs::SnapshotFileGroup::builder()
        .files(file.build().map_err(|e| build_error("file", e))?)
        .build())
}

fn to_sdk_parameters(p: &crate::model::DashboardParameters) -> Result<qs::Parameters, ApiError> {
    let mut out = qs::Parameters::builder();
    for s in &p.string {
        let mut b = qs::StringParameter::builder().name(&s.name);
        for v in &s.values {
            b = b.values(v.expose());
        }
        out = out.string_parameters(b.build().map_err(|e| build_error("string parameter", e))?);
    }
    for s in &p.integer {
        let mut b = qs::IntegerParameter::builder().name(&s.name);
        for v in &s.values {
            b = b.values(*v.expose());
        }
        out = out.integer_parameters(b.build().map_err(|e| build_error("integer parameter", e))?);
    }
    for s in &p.decimal {
        let mut b = qs::DecimalParameter::builder().name(&s.name);
        for v in &s.values {
            b = b.values(*v.expose());
        }
        out = out.decimal_parameters(b.build().map_err(|e| build_error("decimal parameter", e))?);
    }
    for s in &p.datetime {
        let mut b = qs::DateTimeParameter::builder().name(&s.name);
        for v in &s.values {
            let t = crate::time::parse_rfc3339(v.expose())
                .ok_or_else(|| build_error("date-time parameter", "not an RFC 3339 date-time"))?;
            b = b.values(t);
        }
        out = out.date_time_parameters(
            b.build()
                .map_err(|e| build_error("date-time parameter", e))?,
        );
    }
    Ok(out.build())
}

fn status_from_sdk(status: Option<&qs::SnapshotJobStatus>) -> JobStatus {
    match status {
        Some(qs::SnapshotJobStatus::Queued) => JobStatus::Queued,
        Some(qs::SnapshotJobStatus::Running) => JobStatus::Running,
        Some(qs::SnapshotJobStatus::Completed) => JobStatus::Completed,
        Some(qs::SnapshotJobStatus::Failed) => JobStatus::Failed,
        Some(other) => JobStatus::Other(other.as_str().to_string()),
        None => JobStatus::Other(String::new()),
    }
}

fn summary_from_sdk(configuration: &qs::SnapshotConfiguration) -> JobConfigurationSummary {
    let bucket = configuration
        .destination_configuration()
        .and_then(|d| d.s3_destinations().first())
        .and_then(|d| d.bucket_configuration());
    JobConfigurationSummary {
        bucket: bucket
            .map(|b| b.bucket_name().to_string())
            .unwrap_or_default(),
        bucket_prefix: bucket
            .map(|b| b.bucket_prefix().to_string())
            .unwrap_or_default(),
        formats: configuration
            .file_groups()
            .iter()
            .flat_map(|g| g.files())
            .map(|f| f.format_type().as_str().to_string())
            .collect(),
    }
}

fn file_groups_from_sdk(groups: &[qs::SnapshotJobResultFileGroup]) -> Vec<FileGroupResult> {
    groups
        .iter()
        .map(|group| {
            let files = group.files();
            let format = files
                .first()
                .map(|f| f.format_type().as_str().to_string())
                .unwrap_or_default();
            let sheet_ids = files
                .iter()
                .flat_map(|f| {
                    f.sheet_selections()
                        .iter()
                        .map(|s| s.sheet_id().to_string())
                })
                .collect();
            let mut s3_uris = Vec::new();
            let mut errors = Vec::new();
            for s3 in group.s3_results() {
                if let Some(uri) = s3.s3_uri() {
                    s3_uris.push(uri.to_string());
                }
                for e in s3.error_info() {
                    errors.push(ErrorDetail {
                        error_type: e.error_type().unwrap_or_default().to_string(),
                        message: e.error_message().unwrap_or_default().to_string(),
                    });
                }
            }
            FileGroupResult {
                format,
                sheet_ids,
                s3_uris,
                errors,
            }
        })
        .collect()
}

impl SnapshotJobs for SdkSnapshotJobs {
    #[instrument(skip_all, fields(snapshot_job_id = %spec.job.snapshot_job_id, anonymous = spec.rls_tags.is_some()))]
    async fn start(&self, spec: &SnapshotJobSpec<'_>) -> Result<StartedJob, ApiError> {
        let mut configuration = qs::SnapshotConfiguration::builder();
        for group in spec.file_groups {
            configuration = configuration.file_groups(to_sdk_file_group(group)?);
        }
        let bucket = qs::S3BucketConfiguration::builder()
            .bucket_name(spec.bucket)
            .bucket_prefix(&spec.bucket_prefix)
            .bucket_region(spec.bucket_region)
            .build()
            .map_err(|e| build_error("S3 destination", e))?;
        configuration = configuration.destination_configuration(
            qs::SnapshotDestinationConfiguration::builder()
                .s3_destinations(
                    qs::SnapshotS3DestinationConfiguration::builder()
                        .bucket_configuration(bucket)
                        .build(),
                )
                .build(),
        );
        if let Some(parameters) = spec.parameters {
            configuration = configuration.parameters(to_sdk_parameters(parameters)?);
        }
        let configuration = configuration
            .build()
            .map_err(|e| build_error("snapshot configuration", e))?;

        let mut call = self
            .client
            .start_dashboard_snapshot_job()
            .aws_account_id(&spec.job.account_id)
            .dashboard_id(&spec.job.dashboard_id)
            .snapshot_job_id(&spec.job.snapshot_job_id)
            .snapshot_configuration(configuration);
        if let Some(tags) = spec.rls_tags {
            let mut user = qs::SnapshotAnonymousUser::builder();
            for tag in tags {
                user = user.row_level_permission_tags(
                    qs::SessionTag::builder()
                        .key(&tag.key)
                        .value(tag.value.expose())
                        .build()
                        .map_err(|e| build_error("row-level security tag", e))?,
                );
            }
            call = call.user_configuration(
                qs::SnapshotUserConfiguration::builder()
                    .anonymous_users(user.build())
                    .build(),
            );
        }
        let output = call
            .customize()
            .config_override(region_override(&spec.job.region))
            .send()
            .await
            .map_err(classify)?;
        Ok(StartedJob {
            arn: output.arn().map(str::to_string),
        })
    }

    #[instrument(skip_all, fields(snapshot_job_id = %job.snapshot_job_id))]
    async fn describe(&self, job: &JobRef) -> Result<JobDescription, ApiError> {
        let output = self
            .client
            .describe_dashboard_snapshot_job()
            .aws_account_id(&job.account_id)
            .dashboard_id(&job.dashboard_id)
            .snapshot_job_id(&job.snapshot_job_id)
            .customize()
            .config_override(region_override(&job.region))
            .send()
            .await
            .map_err(classify)?;
        Ok(JobDescription {
            status: status_from_sdk(output.job_status()),
            created_at: output.created_time().map(|t| t.as_secs_f64()),
            updated_at: output.last_updated_time().map(|t| t.as_secs_f64()),
            configuration: output.snapshot_configuration().map(summary_from_sdk),
        })
    }

    #[instrument(skip_all, fields(snapshot_job_id = %job.snapshot_job_id))]
    async fn result(&self, job: &JobRef) -> Result<JobResult, ApiError> {
        let output = self
            .client
            .describe_dashboard_snapshot_job_result()
            .aws_account_id(&job.account_id)
            .dashboard_id(&job.dashboard_id)
            .snapshot_job_id(&job.snapshot_job_id)
            .customize()
            .config_override(region_override(&job.region))
            .send()
            .await
            .map_err(classify)?;
        // A job runs as one user: anonymous (with tags) or registered.
        let mut file_groups = Vec::new();
        if let Some(result) = output.result() {
            for user in result.anonymous_users() {
                file_groups.extend(file_groups_from_sdk(user.file_groups()));
            }
            for user in result.registered_users() {
                file_groups.extend(file_groups_from_sdk(user.file_groups()));
            }
        }
        let error = output.error_info().map(|e| ErrorDetail {
            error_type: e.error_type().unwrap_or_default().to_string(),
            message: e.error_message().unwrap_or_default().to_string(),
        });
        Ok(JobResult {
            status: status_from_sdk(output.job_status()),
            file_groups,
            error,
        })
    }
}
