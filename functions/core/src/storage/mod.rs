//! The object-store port: the stored request, the run's records, the
//! per-recipient outcomes and the manifest all live in the stack's bucket.
//! `s3` is the real adapter over `aws-sdk-s3`; `memory` an in-memory one for
//! tests.
//!
//! Errors are classified where they happen, because the state machine acts
//! on the class: a refusal (4xx: access denied, no such bucket) is final and
//! names bucket and key; an unavailable store (5xx, timeouts) is retried.

use std::future::Future;

pub mod memory;
pub mod s3;
pub mod transfer;

pub use s3::S3Store;

/// An object read back, with the ETag that pins its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredObject {
    pub body: Vec<u8>,
    pub etag: Option<String>,
}

/// How a write treats an object that is already there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PutMode {
    /// Replace it (the manifest: written again on every run of the step).
    Overwrite,
    /// Keep it and fail with [`StorageError::ConditionFailed`] (outcomes and
    /// run records: the first one written wins).
    CreateOnly,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    #[error("s3://{bucket}/{key} does not exist")]
    NotFound { bucket: String, key: String },
    /// A conditional read or write did not hold: the object changed since it
    /// was read (If-Match), or exists already (create-only).
    #[error("s3://{bucket}/{key}: the condition on the {operation} did not hold")]
    ConditionFailed {
        operation: &'static str,
        bucket: String,
        key: String,
    },
    /// S3 refused the call for good (access denied, no such bucket, bad request).
    #[error("S3 refused the {operation} of s3://{bucket}/{key}: {code}: {message}")]
    Rejected {
        operation: &'static str,
        bucket: String,
        key: String,
        code: String,
        message: String,
    },
    /// S3 could not answer now (5xx, slow down, timeout, connection failure).
    #[error("S3 could not serve the {operation} of s3://{bucket}/{key} now: {message}")]
    Unavailable {
        operation: &'static str,
        bucket: String,
        key: String,
        message: String,
    },
}

pub trait ObjectStore: Send + Sync {
    /// Reads an object; with `if_match`, only if its ETag is still that one.
    fn get(
        &self,
        bucket: &str,
        key: &str,
        if_match: Option<&str>,
    ) -> impl Future<Output = Result<StoredObject, StorageError>> + Send;

    /// Writes a JSON object.
    fn put_json(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        mode: PutMode,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Every key under `prefix`, in key order.
    fn list(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> impl Future<Output = Result<Vec<String>, StorageError>> + Send;

    /// At most `limit` keys under `prefix` after `start_after`, in key
    /// order, and whether more follow.
    fn list_page(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = Result<KeyPage, StorageError>> + Send;
}

/// One page of a listing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyPage {
    pub keys: Vec<String>,
    pub more: bool,
}

/// Download links made when asked for: a link signed with a Lambda role's
/// temporary credentials dies with them, so none is ever stored.
pub trait DownloadLinks: Send + Sync {
    fn link(
        &self,
        bucket: &str,
        key: &str,
        expires_in: std::time::Duration,
    ) -> impl Future<Output = Result<String, StorageError>> + Send;
}
