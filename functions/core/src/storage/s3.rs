//! The real adapter: `aws-sdk-s3`, one attempt per call (the state machine's
//! Retry is the only retry layer), in the functions' own region: every object
//! this project reads or writes is in the stack's bucket.

use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use tracing::instrument;

use aws_sdk_s3::presigning::PresigningConfig;

use crate::aws::ServiceError;

use super::{DownloadLinks, KeyPage, ObjectStore, PutMode, StorageError, StoredObject};

/// Our own endpoint setting for local runs (an S3-compatible server). The
/// SDK also reads the standard `AWS_ENDPOINT_URL_S3` by itself.
pub const ENDPOINT_ENV: &str = "S3_ENDPOINT_URL";

/// [`ObjectStore`] over `aws-sdk-s3`.
#[derive(Clone, Debug)]
pub struct S3Store {
    client: aws_sdk_s3::Client,
}

impl S3Store {
    pub(super) fn client(&self) -> &aws_sdk_s3::Client {
        &self.client
    }

    /// With an endpoint override, path-style addressing is used, as local
    /// S3-compatible servers expect.
    pub fn new(shared: &SdkConfig, endpoint_url: Option<&str>) -> Self {
        Self::from_client(aws_sdk_s3::Client::from_conf(
            s3_config(shared, endpoint_url).build(),
        ))
    }

    pub fn from_client(client: aws_sdk_s3::Client) -> Self {
        S3Store { client }
    }
}

/// `S3_ENDPOINT_URL`, when set.
pub fn endpoint_from_env() -> Option<String> {
    std::env::var(ENDPOINT_ENV).ok().filter(|s| !s.is_empty())
}

/// The client's configuration before it is built, for tests to add to.
pub fn s3_config(shared: &SdkConfig, endpoint_url: Option<&str>) -> aws_sdk_s3::config::Builder {
    let mut builder = aws_sdk_s3::config::Builder::from(shared)
        .retry_config(RetryConfig::standard().with_max_attempts(1));
    if let Some(url) = endpoint_url {
        builder = builder.endpoint_url(url).force_path_style(true);
    }
    builder
}

/// Sorts an S3 failure into what the caller can do about it.
pub fn classify<E>(
    operation: &'static str,
    bucket: &str,
    key: &str,
    error: SdkError<E, HttpResponse>,
) -> StorageError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let (bucket, key) = (bucket.to_string(), key.to_string());
    let unavailable = |message: String| StorageError::Unavailable {
        operation,
        bucket: bucket.clone(),
        key: key.clone(),
        message,
    };
    match crate::aws::classify(error) {
        ServiceError::Answered {
            status,
            code,
            message,
            ..
        } => {
            let code = code.unwrap_or_default();
            match (status, code.as_str()) {
                (404, "NoSuchKey" | "NotFound") => StorageError::NotFound { bucket, key },
                (412, _) => StorageError::ConditionFailed {
                    operation,
                    bucket,
                    key,
                },
                // A concurrent conditional write on the same key: try again.
                (409, "ConditionalRequestConflict") => unavailable(message),
                (429, _) | (500..=599, _) => {
                    unavailable(format!("HTTP {status} {code}: {message}"))
                }
                _ => StorageError::Rejected {
                    operation,
                    bucket,
                    key,
                    code: if code.is_empty() {
                        format!("HTTP {status}")
                    } else {
                        code
                    },
                    message,
                },
            }
        }
        ServiceError::NoAnswer { details } | ServiceError::Unreadable { details } => {
            unavailable(details)
        }
        ServiceError::NotSent { details } => StorageError::Rejected {
            operation,
            bucket,
            key,
            code: "RequestNotBuilt".into(),
            message: details,
        },
    }
}

impl ObjectStore for S3Store {
    #[instrument(skip(self), level = "debug")]
    async fn get(
        &self,
        bucket: &str,
        key: &str,
        if_match: Option<&str>,
    ) -> Result<StoredObject, StorageError> {
        // Boxed: the SDK's futures are deep enough to overflow the compiler's
        // layout depth once the steps nest them further.
        let output = Box::pin(
            self.client
                .get_object()
                .bucket(bucket)
                .key(key)
                .set_if_match(if_match.map(str::to_string))
                .send(),
        )
        .await
        .map_err(|e| classify("GetObject", bucket, key, e))?;
        let etag = output.e_tag().map(str::to_string);
        let body = Box::pin(output.body.collect())
            .await
            .map_err(|e| StorageError::Unavailable {
                operation: "GetObject",
                bucket: bucket.into(),
                key: key.into(),
                message: format!("the body could not be read: {e}"),
            })?
            .into_bytes()
            .to_vec();
        Ok(StoredObject { body, etag })
    }

    #[instrument(skip(self, body), level = "debug")]
    async fn put_json(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        mode: PutMode,
    ) -> Result<(), StorageError> {
        Box::pin(
            self.client
                .put_object()
                .bucket(bucket)
                .key(key)
                .content_type("application/json")
                .set_if_none_match((mode == PutMode::CreateOnly).then(|| "*".to_string()))
                .body(body.into())
                .send(),
        )
        .await
        .map_err(|e| classify("PutObject", bucket, key, e))?;
        Ok(())
    }

    #[instrument(skip(self), level = "debug")]
    async fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<String>, StorageError> {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        let mut keys = Vec::new();
        while let Some(page) = Box::pin(pages.next()).await {
            let page = page.map_err(|e| classify("ListObjectsV2", bucket, prefix, e))?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_string)),
            );
        }
        keys.sort();
        Ok(keys)
    }

    #[instrument(skip(self), level = "debug")]
    async fn list_page(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<KeyPage, StorageError> {
        let output = Box::pin(
            self.client
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .set_start_after(start_after.map(str::to_string))
                .max_keys(limit.clamp(1, 1000) as i32)
                .send(),
        )
        .await
        .map_err(|e| classify("ListObjectsV2", bucket, prefix, e))?;
        Ok(KeyPage {
            keys: output
                .contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_string))
                .collect(),
            more: output.is_truncated().unwrap_or(false),
        })
    }
}

impl DownloadLinks for S3Store {
    #[instrument(skip(self), level = "debug")]
    async fn link(
        &self,
        bucket: &str,
        key: &str,
        expires_in: std::time::Duration,
    ) -> Result<String, StorageError> {
        let config =
            PresigningConfig::expires_in(expires_in).map_err(|e| StorageError::Rejected {
                operation: "GetObject",
                bucket: bucket.into(),
                key: key.into(),
                code: "InvalidExpiry".into(),
                message: e.to_string(),
            })?;
        let request = Box::pin(
            self.client
                .get_object()
                .bucket(bucket)
                .key(key)
                .presigned(config),
        )
        .await
        .map_err(|e| classify("GetObject", bucket, key, e))?;
        Ok(request.uri().to_string())
    }
}
