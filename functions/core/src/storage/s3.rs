//! The real adapter: `aws-sdk-s3`, one attempt per call.

use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_sdk_s3::config::Region;

use super::ObjectStore;
use crate::error::ExportError;

/// Our own endpoint setting for local runs (an S3-compatible server). The
/// SDK also reads the standard `AWS_ENDPOINT_URL_S3` by itself.
pub const ENDPOINT_ENV: &str = "S3_ENDPOINT_URL";

/// [`ObjectStore`] over `aws-sdk-s3`, one attempt per call: the state
/// machine's Retry is the only retry layer.
#[derive(Clone, Debug)]
pub struct S3Store {
    client: aws_sdk_s3::Client,
}

impl S3Store {
    /// With an endpoint override, path-style addressing is used, as local
    /// S3-compatible servers expect.
    pub fn new(shared: &SdkConfig, endpoint_url: Option<&str>) -> Self {
        let mut builder = aws_sdk_s3::config::Builder::from(shared)
            .retry_config(RetryConfig::standard().with_max_attempts(1));
        if let Some(url) = endpoint_url {
            builder = builder.endpoint_url(url).force_path_style(true);
        }
        S3Store {
            client: aws_sdk_s3::Client::from_conf(builder.build()),
        }
    }

    pub async fn from_env() -> Self {
        let shared = crate::quicksight::sdk::load_aws_config().await;
        let endpoint = std::env::var(ENDPOINT_ENV).ok().filter(|s| !s.is_empty());
        Self::new(&shared, endpoint.as_deref())
    }
}

impl ObjectStore for S3Store {
    async fn put_json(
        &self,
        bucket: &str,
        region: &str,
        key: &str,
        body: Vec<u8>,
    ) -> Result<(), ExportError> {
        self.client
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type("application/json")
            .body(body.into())
            .customize()
            .config_override(
                aws_sdk_s3::config::Builder::default().region(Region::new(region.to_string())),
            )
            .send()
            .await
            .map_err(|e| {
                ExportError::ManifestWrite(format!(
                    "s3://{bucket}/{key}: {}",
                    aws_sdk_s3::error::DisplayErrorContext(&e)
                ))
            })?;
        Ok(())
    }
}
