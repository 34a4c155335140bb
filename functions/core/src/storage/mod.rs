//! The object-store port for the run manifest: the trait, its S3 adapter
//! (`s3`) and an in-memory one for tests (`memory`).

use std::future::Future;

use crate::error::ExportError;

pub mod memory;
pub mod s3;

pub use s3::S3Store;

pub trait ObjectStore: Send + Sync {
    fn put_json(
        &self,
        bucket: &str,
        region: &str,
        key: &str,
        body: Vec<u8>,
    ) -> impl Future<Output = Result<(), ExportError>> + Send;
}
