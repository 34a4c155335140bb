//! The bottom layer for talking to AWS: the shared SDK configuration every
//! adapter is built from ([`config`]), and one reading of an SDK call's
//! failure ([`ServiceError`]) that each port turns into its own error, with
//! its own name (S3's into `StorageError`, DynamoDB's into
//! `CoordinationError`, QuickSight's into `ApiError`, EventBridge's into
//! `EventsError`, Step Functions' into `ExecutionsError`).

pub mod config;
pub mod service_error;

pub use config::{aws_config_loader, load_aws_config};
pub use service_error::{ServiceError, Verdict, classify};
