//! Copying what a URL serves into the bucket, as it streams: an asset
//! bundle from its five-minute `DownloadUrl`. The body is hashed (SHA-256)
//! and sent on in parts of [`PART_BYTES`] (one PutObject when it is
//! smaller, a multipart upload otherwise), so a bundle is never held whole
//! in memory. A URL that is refused (expired, 4xx) says so, for the caller
//! to describe the job again for a fresh one.

use std::future::Future;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tracing::warn;

use super::StorageError;
use super::s3::{S3Store, classify};

/// S3's smallest part but the last is 5 MiB; 8 MiB keeps a 1 GiB bundle
/// at 128 parts and the memory of one invocation near one part.
pub const PART_BYTES: usize = 8 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// The URL answered 4xx: expired, or no longer valid.
    #[error("the download URL was refused with HTTP {status}")]
    UrlRefused { status: u16 },
    /// The URL's host did not answer, or answered 5xx.
    #[error("the download URL could not be read: {0}")]
    SourceUnavailable(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// What was stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transferred {
    pub bytes: u64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
}

pub trait UrlTransfer: Send + Sync {
    /// Streams what `url` serves to `s3://bucket/key`. The URL is a
    /// credential: it is never logged.
    fn copy_url(
        &self,
        url: &str,
        bucket: &str,
        key: &str,
    ) -> impl Future<Output = Result<Transferred, TransferError>> + Send;
}

/// The real transfer: reqwest in, the S3 store's client out.
pub struct HttpToS3 {
    /// Built at the first download: every function holds a transfer, only
    /// a backup's fetch uses it, and the TLS set-up stays off cold starts.
    http: std::sync::OnceLock<reqwest::Client>,
    s3: aws_sdk_s3::Client,
}

impl HttpToS3 {
    pub fn new(store: &S3Store) -> Self {
        HttpToS3 {
            http: std::sync::OnceLock::new(),
            s3: store.client().clone(),
        }
    }

    fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            reqwest::Client::builder()
                .connect_timeout(std::time::Duration::from_secs(5))
                .read_timeout(std::time::Duration::from_secs(30))
                .build()
                .unwrap_or_default()
        })
    }

    async fn put_whole(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), StorageError> {
        Box::pin(
            self.s3
                .put_object()
                .bucket(bucket)
                .key(key)
                .body(ByteStream::from(body))
                .send(),
        )
        .await
        .map_err(|e| classify("PutObject", bucket, key, e))?;
        Ok(())
    }
}

/// Hex of a digest.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl UrlTransfer for HttpToS3 {
    async fn copy_url(
        &self,
        url: &str,
        bucket: &str,
        key: &str,
    ) -> Result<Transferred, TransferError> {
        // reqwest's errors may quote the URL: keep only their kind.
        let response = self.http().get(url).send().await.map_err(|e| {
            TransferError::SourceUnavailable(format!(
                "no answer (timeout: {}, connect: {})",
                e.is_timeout(),
                e.is_connect()
            ))
        })?;
        let status = response.status().as_u16();
        if (400..500).contains(&status) {
            return Err(TransferError::UrlRefused { status });
        }
        if status >= 300 {
            return Err(TransferError::SourceUnavailable(format!("HTTP {status}")));
        }
        let mut body = response.bytes_stream();
        let mut hasher = Sha256::new();
        let mut total: u64 = 0;
        let mut part: Vec<u8> = Vec::with_capacity(PART_BYTES);
        let mut upload: Option<(String, Vec<CompletedPart>)> = None;

        let outcome: Result<(), TransferError> = async {
            loop {
                let chunk = match body.next().await {
                    Some(Ok(chunk)) => Some(chunk),
                    Some(Err(e)) => {
                        return Err(TransferError::SourceUnavailable(format!(
                            "the body broke off after {total} bytes (timeout: {})",
                            e.is_timeout()
                        )));
                    }
                    None => None,
                };
                let done = chunk.is_none();
                if let Some(chunk) = chunk {
                    hasher.update(&chunk);
                    total += chunk.len() as u64;
                    part.extend_from_slice(&chunk);
                }
                if part.len() >= PART_BYTES || (done && upload.is_some() && !part.is_empty()) {
                    if upload.is_none() {
                        let created = Box::pin(
                            self.s3
                                .create_multipart_upload()
                                .bucket(bucket)
                                .key(key)
                                .send(),
                        )
                        .await
                        .map_err(|e| classify("CreateMultipartUpload", bucket, key, e))?;
                        upload = Some((
                            created.upload_id().unwrap_or_default().to_string(),
                            Vec::new(),
                        ));
                    }
                    let (upload_id, parts) = upload.as_mut().expect("just created");
                    let number = parts.len() as i32 + 1;
                    let sent = Box::pin(
                        self.s3
                            .upload_part()
                            .bucket(bucket)
                            .key(key)
                            .upload_id(upload_id.as_str())
                            .part_number(number)
                            .body(ByteStream::from(std::mem::take(&mut part)))
                            .send(),
                    )
                    .await
                    .map_err(|e| classify("UploadPart", bucket, key, e))?;
                    parts.push(
                        CompletedPart::builder()
                            .part_number(number)
                            .set_e_tag(sent.e_tag().map(str::to_string))
                            .build(),
                    );
                }
                if done {
                    break;
                }
            }
            match &upload {
                None => {
                    self.put_whole(bucket, key, std::mem::take(&mut part))
                        .await?
                }
                Some((upload_id, parts)) => {
                    Box::pin(
                        self.s3
                            .complete_multipart_upload()
                            .bucket(bucket)
                            .key(key)
                            .upload_id(upload_id.as_str())
                            .multipart_upload(
                                CompletedMultipartUpload::builder()
                                    .set_parts(Some(parts.clone()))
                                    .build(),
                            )
                            .send(),
                    )
                    .await
                    .map_err(|e| classify("CompleteMultipartUpload", bucket, key, e))?;
                }
            }
            Ok(())
        }
        .await;

        if let Err(error) = outcome {
            if let Some((upload_id, _)) = &upload {
                // Best effort: the bucket's lifecycle rule aborts it after a day.
                if let Err(e) = self
                    .s3
                    .abort_multipart_upload()
                    .bucket(bucket)
                    .key(key)
                    .upload_id(upload_id.as_str())
                    .send()
                    .await
                {
                    warn!(error = %classify("AbortMultipartUpload", bucket, key, e), "an unfinished upload was left for the lifecycle rule");
                }
            }
            return Err(error);
        }
        Ok(Transferred {
            bytes: total,
            sha256: hex(&hasher.finalize()),
        })
    }
}

type Answers = std::collections::HashMap<String, Result<Vec<u8>, u16>>;

/// An in-memory transfer for tests: URLs answer what the test says; what
/// was copied is kept by bucket and key.
#[derive(Default)]
pub struct FakeTransfer {
    answers: std::sync::Mutex<Answers>,
    copied: std::sync::Mutex<std::collections::HashMap<(String, String), Vec<u8>>>,
    /// What a URL without an answer serves.
    pub default_body: Vec<u8>,
}

impl FakeTransfer {
    pub fn new(default_body: Vec<u8>) -> Self {
        FakeTransfer {
            default_body,
            ..Default::default()
        }
    }

    pub fn copied(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        self.copied
            .lock()
            .unwrap()
            .get(&(bucket.to_string(), key.to_string()))
            .cloned()
    }

    /// `url` answers HTTP `status` (a refusal) instead of the body.
    pub fn refuse(&self, url: &str, status: u16) {
        self.answers
            .lock()
            .unwrap()
            .insert(url.to_string(), Err(status));
    }
}

impl UrlTransfer for FakeTransfer {
    async fn copy_url(
        &self,
        url: &str,
        bucket: &str,
        key: &str,
    ) -> Result<Transferred, TransferError> {
        let answer = self.answers.lock().unwrap().get(url).cloned();
        let body = match answer {
            Some(Err(status)) => return Err(TransferError::UrlRefused { status }),
            Some(Ok(body)) => body,
            None => self.default_body.clone(),
        };
        let sha256 = hex(&Sha256::digest(&body));
        let bytes = body.len() as u64;
        self.copied
            .lock()
            .unwrap()
            .insert((bucket.to_string(), key.to_string()), body);
        Ok(Transferred { bytes, sha256 })
    }
}
