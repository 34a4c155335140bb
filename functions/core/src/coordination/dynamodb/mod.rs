//! The coordination table over `aws-sdk-dynamodb`, one file per port it
//! serves: [`slots`] (the semaphore's leases and waiters), [`budget`] (the
//! call budget), [`durations`] (recent job durations). One table, keys `pk` and
//! `sk` (strings), items:
//!
//! ```text
//! pk = slots#<kind>          sk = leases      leases: map holder -> {run, recipient, granted, expires}
//! pk = waiters#<kind>        sk = <holder>    token, run, recipient, since, lease_seconds
//! pk = budget#quicksight     sk = calls       slot: the last call slot reserved
//! pk = durations#<dashboard> sk = <ms>#<job>  seconds, expires_at (TTL)
//! ```
//!
//! The leases of a kind are one item, so that "fewer than the cap" is one
//! conditional write (`size(leases) < :cap`); the cap is at most a few
//! dozen, far from DynamoDB's 400 KB item limit.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;

use super::{CoordinationError, SlotKind};

mod budget;
mod durations;
mod slots;

#[derive(Clone, Debug)]
pub struct DynamoCoordination {
    client: Client,
    table: String,
    /// The kinds whose leases item this instance has made sure exists: a
    /// lease is written into it (`SET leases.#h`), which needs the map.
    ready: Arc<Mutex<HashSet<SlotKind>>>,
}

impl DynamoCoordination {
    /// A client from the shared configuration. Unlike QuickSight's, it
    /// retries (3 attempts): coordination calls are cheap and frequent, and
    /// a throttled write should not cost a state transition. The endpoint
    /// comes from the standard `AWS_ENDPOINT_URL_DYNAMODB` when set.
    pub fn new(shared: &SdkConfig, table: impl Into<String>) -> Self {
        let config = aws_sdk_dynamodb::config::Builder::from(shared)
            .retry_config(RetryConfig::standard().with_max_attempts(3))
            .build();
        Self::from_client(Client::from_conf(config), table)
    }

    pub fn from_client(client: Client, table: impl Into<String>) -> Self {
        DynamoCoordination {
            client,
            table: table.into(),
            ready: Arc::default(),
        }
    }

    pub(super) fn key(&self, pk: String, sk: String) -> HashMap<String, AttributeValue> {
        HashMap::from([
            ("pk".to_string(), AttributeValue::S(pk)),
            ("sk".to_string(), AttributeValue::S(sk)),
        ])
    }
}

pub(super) fn number(n: u64) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

pub(super) fn text(map: &HashMap<String, AttributeValue>, name: &str) -> Option<String> {
    map.get(name).and_then(|v| v.as_s().ok()).cloned()
}

pub(super) fn int(map: &HashMap<String, AttributeValue>, name: &str) -> Option<u64> {
    map.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse::<f64>().ok())
        .map(|n| n as u64)
}

pub(super) fn malformed(operation: &'static str, what: &str) -> CoordinationError {
    CoordinationError::Rejected {
        operation,
        code: "MalformedItem".into(),
        message: format!("the coordination table holds a malformed {what}"),
    }
}

pub(super) fn is_condition_failed<E: ProvideErrorMetadata>(
    error: &SdkError<E, HttpResponse>,
) -> bool {
    matches!(error, SdkError::ServiceError(s) if s.err().code() == Some("ConditionalCheckFailedException"))
}

/// A DynamoDB failure as the coordination port names it.
pub(super) fn classify<E>(
    operation: &'static str,
    error: SdkError<E, HttpResponse>,
) -> CoordinationError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    CoordinationError::from_service(operation, crate::aws::classify(error))
}
