//! The coordination table over `aws-sdk-dynamodb`. One table, keys `pk` and
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
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use tracing::{instrument, warn};

use super::{
    CallBudget, CoordinationError, DurationLog, Holder, Lease, SlotKind, SlotTable, Waiter,
};
use crate::error::ExportError;

/// Duration records are kept a day (the table's TTL attribute).
const DURATION_TTL_SECONDS: u64 = 86_400;

/// The table's name from `COORDINATION_TABLE`.
pub fn table_from_env() -> Result<String, ExportError> {
    std::env::var("COORDINATION_TABLE")
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ExportError::Configuration(
                "COORDINATION_TABLE must name the stack's coordination table".to_string(),
            )
        })
}

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

    pub async fn from_env() -> Result<Self, ExportError> {
        let table = table_from_env()?;
        let shared = crate::quicksight::sdk::load_aws_config().await;
        Ok(Self::new(&shared, table))
    }

    fn key(&self, pk: String, sk: String) -> HashMap<String, AttributeValue> {
        HashMap::from([
            ("pk".to_string(), AttributeValue::S(pk)),
            ("sk".to_string(), AttributeValue::S(sk)),
        ])
    }

    /// Creates the empty leases item of a kind unless it exists, once per
    /// instance.
    async fn ensure_leases_item(&self, kind: SlotKind) -> Result<(), CoordinationError> {
        if self.ready.lock().unwrap().contains(&kind) {
            return Ok(());
        }
        let mut item = self.key(leases_pk(kind), "leases".into());
        item.insert("leases".into(), AttributeValue::M(HashMap::new()));
        let result = Box::pin(
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .send(),
        )
        .await;
        match result {
            Ok(_) => {}
            Err(e) if is_condition_failed(&e) => {}
            Err(e) => return Err(classify("PutItem", e)),
        }
        self.ready.lock().unwrap().insert(kind);
        Ok(())
    }

    async fn try_grant(
        &self,
        kind: SlotKind,
        lease: &Lease,
        cap: u32,
    ) -> Result<
        bool,
        SdkError<aws_sdk_dynamodb::operation::update_item::UpdateItemError, HttpResponse>,
    > {
        let result = Box::pin(
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(self.key(leases_pk(kind), "leases".into())))
                .update_expression("SET leases.#h = :lease")
                .condition_expression("attribute_not_exists(leases.#h) AND size(leases) < :cap")
                .expression_attribute_names("#h", lease.holder.key())
                .expression_attribute_values(":lease", lease_value(lease))
                .expression_attribute_values(":cap", number(u64::from(cap)))
                .send(),
        )
        .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failed(&e) => Ok(false),
            // The leases item does not exist yet: no such document path.
            Err(e) => Err(e),
        }
    }
}

fn leases_pk(kind: SlotKind) -> String {
    format!("slots#{}", kind.as_str())
}

fn waiters_pk(kind: SlotKind) -> String {
    format!("waiters#{}", kind.as_str())
}

fn durations_pk(dashboard: &str) -> String {
    format!("durations#{dashboard}")
}

fn number(n: u64) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

fn lease_value(lease: &Lease) -> AttributeValue {
    AttributeValue::M(HashMap::from([
        (
            "run".to_string(),
            AttributeValue::S(lease.holder.run.clone()),
        ),
        (
            "recipient".to_string(),
            AttributeValue::S(lease.holder.recipient.clone()),
        ),
        ("granted".to_string(), number(lease.granted_at_ms)),
        ("expires".to_string(), number(lease.expires_at_ms)),
    ]))
}

fn text(map: &HashMap<String, AttributeValue>, name: &str) -> Option<String> {
    map.get(name).and_then(|v| v.as_s().ok()).cloned()
}

fn int(map: &HashMap<String, AttributeValue>, name: &str) -> Option<u64> {
    map.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse::<f64>().ok())
        .map(|n| n as u64)
}

fn malformed(operation: &'static str, what: &str) -> CoordinationError {
    CoordinationError::Rejected {
        operation,
        code: "MalformedItem".into(),
        message: format!("the coordination table holds a malformed {what}"),
    }
}

fn is_condition_failed<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> bool {
    matches!(error, SdkError::ServiceError(s) if s.err().code() == Some("ConditionalCheckFailedException"))
}

/// Sorts a DynamoDB (or Step Functions) failure into retried or final.
pub fn classify<E>(operation: &'static str, error: SdkError<E, HttpResponse>) -> CoordinationError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let details = DisplayErrorContext(&error).to_string();
    match &error {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let code = service.err().code().unwrap_or_default().to_string();
            let transient = status >= 500
                || status == 429
                || matches!(
                    code.as_str(),
                    "ProvisionedThroughputExceededException"
                        | "ThrottlingException"
                        | "RequestLimitExceeded"
                        | "TransactionConflictException"
                        | "InternalServerError"
                        | "ServiceUnavailable"
                );
            if transient {
                CoordinationError::Unavailable {
                    operation,
                    message: format!("HTTP {status} {code}: {details}"),
                }
            } else {
                CoordinationError::Rejected {
                    operation,
                    code: if code.is_empty() {
                        format!("HTTP {status}")
                    } else {
                        code
                    },
                    message: service.err().message().unwrap_or_default().to_string(),
                }
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            CoordinationError::Unavailable {
                operation,
                message: details,
            }
        }
        _ => CoordinationError::Rejected {
            operation,
            code: "RequestNotBuilt".into(),
            message: details,
        },
    }
}

impl SlotTable for DynamoCoordination {
    #[instrument(skip(self), level = "debug")]
    async fn leases(&self, kind: SlotKind) -> Result<Vec<Lease>, CoordinationError> {
        let output = Box::pin(
            self.client
                .get_item()
                .table_name(&self.table)
                .set_key(Some(self.key(leases_pk(kind), "leases".into())))
                .consistent_read(true)
                .send(),
        )
        .await
        .map_err(|e| classify("GetItem", e))?;
        let Some(leases) = output
            .item()
            .and_then(|item| item.get("leases"))
            .and_then(|v| v.as_m().ok())
        else {
            return Ok(Vec::new());
        };
        Ok(leases
            .iter()
            .filter_map(|(key, lease)| {
                let read =
                    Holder::from_key(key)
                        .zip(lease.as_m().ok())
                        .and_then(|(holder, lease)| {
                            Some(Lease {
                                holder,
                                granted_at_ms: int(lease, "granted")?,
                                expires_at_ms: int(lease, "expires")?,
                            })
                        });
                if read.is_none() {
                    warn!(
                        key,
                        "a lease the table holds cannot be read; it is left alone"
                    );
                }
                read
            })
            .collect())
    }

    #[instrument(skip(self, lease), fields(holder = %lease.holder.key()), level = "debug")]
    async fn grant(
        &self,
        kind: SlotKind,
        lease: &Lease,
        cap: u32,
    ) -> Result<bool, CoordinationError> {
        self.ensure_leases_item(kind).await?;
        self.try_grant(kind, lease, cap)
            .await
            .map_err(|e| classify("UpdateItem", e))
    }

    #[instrument(skip(self), level = "debug")]
    async fn revoke(
        &self,
        kind: SlotKind,
        holder: &Holder,
        granted_at_ms: Option<u64>,
    ) -> Result<bool, CoordinationError> {
        self.ensure_leases_item(kind).await?;
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(self.key(leases_pk(kind), "leases".into())))
            .update_expression("REMOVE leases.#h")
            .expression_attribute_names("#h", holder.key());
        request = match granted_at_ms {
            Some(at) => request
                .condition_expression("leases.#h.granted = :granted")
                .expression_attribute_values(":granted", number(at)),
            None => request.condition_expression("attribute_exists(leases.#h)"),
        };
        match Box::pin(request.send()).await {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failed(&e) => Ok(false),
            Err(e) => Err(classify("UpdateItem", e)),
        }
    }

    #[instrument(skip(self, waiter), fields(holder = %waiter.holder.key()), level = "debug")]
    async fn add_waiter(&self, kind: SlotKind, waiter: &Waiter) -> Result<(), CoordinationError> {
        Box::pin(
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(self.key(waiters_pk(kind), waiter.holder.key())))
                .update_expression(
                    "SET #token = :token, #run = :run, recipient = :recipient, lease_seconds = :lease, since = if_not_exists(since, :since)",
                )
                .expression_attribute_names("#token", "token")
                .expression_attribute_names("#run", "run")
                .expression_attribute_values(":token", AttributeValue::S(waiter.task_token.clone()))
                .expression_attribute_values(":run", AttributeValue::S(waiter.holder.run.clone()))
                .expression_attribute_values(
                    ":recipient",
                    AttributeValue::S(waiter.holder.recipient.clone()),
                )
                .expression_attribute_values(":since", number(waiter.since_ms))
                .expression_attribute_values(":lease", number(waiter.lease_seconds))
                .send(),
        )
        .await
        .map_err(|e| classify("UpdateItem", e))?;
        Ok(())
    }

    #[instrument(skip(self), level = "debug")]
    async fn waiters(&self, kind: SlotKind) -> Result<Vec<Waiter>, CoordinationError> {
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(waiters_pk(kind)))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        let mut waiters = Vec::new();
        while let Some(item) = Box::pin(pages.next()).await {
            let item = item.map_err(|e| classify("Query", e))?;
            // A waiter is only taken whole: an item read while it is being
            // written (DynamoDB writes an item at once; moto, field by
            // field) is left for the next read.
            let read = text(&item, "sk")
                .and_then(|key| Holder::from_key(&key))
                .and_then(|holder| {
                    Some(Waiter {
                        holder,
                        task_token: text(&item, "token")?,
                        since_ms: int(&item, "since")?,
                        lease_seconds: int(&item, "lease_seconds")?,
                    })
                });
            match read {
                Some(waiter) => waiters.push(waiter),
                None => {
                    warn!(key = ?text(&item, "sk"), "a waiter the table holds cannot be read yet; skipped")
                }
            }
        }
        Ok(waiters)
    }

    #[instrument(skip(self), level = "debug")]
    async fn drop_waiter(&self, kind: SlotKind, holder: &Holder) -> Result<(), CoordinationError> {
        Box::pin(
            self.client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(self.key(waiters_pk(kind), holder.key())))
                .send(),
        )
        .await
        .map_err(|e| classify("DeleteItem", e))?;
        Ok(())
    }

    #[instrument(skip(self, task_token), level = "debug")]
    async fn remove_waiter(
        &self,
        kind: SlotKind,
        holder: &Holder,
        task_token: &str,
    ) -> Result<bool, CoordinationError> {
        let result = Box::pin(
            self.client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(self.key(waiters_pk(kind), holder.key())))
                .condition_expression("#token = :token")
                .expression_attribute_names("#token", "token")
                .expression_attribute_values(":token", AttributeValue::S(task_token.to_string()))
                .send(),
        )
        .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failed(&e) => Ok(false),
            Err(e) => Err(classify("DeleteItem", e)),
        }
    }
}

impl DynamoCoordination {
    /// `ADD slot 1`: the next call slot, unique to this caller.
    async fn next_slot(&self) -> Result<u64, CoordinationError> {
        let output = Box::pin(
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(self.key("budget#quicksight".into(), "calls".into())))
                .update_expression("ADD slot :one")
                .expression_attribute_values(":one", number(1))
                .return_values(ReturnValue::UpdatedNew)
                .send(),
        )
        .await
        .map_err(|e| classify("UpdateItem", e))?;
        output
            .attributes()
            .and_then(|a| int(a, "slot"))
            .ok_or_else(|| malformed("UpdateItem", "call budget"))
    }
}

impl CallBudget for DynamoCoordination {
    /// Each call takes the next slot of `spacing_ms`. After a quiet spell
    /// the counter is behind the clock; it is then moved to now first, so a
    /// burst that follows is spaced rather than let through at once.
    #[instrument(skip(self), level = "debug")]
    async fn reserve(&self, spacing_ms: u64, now_ms: u64) -> Result<u64, CoordinationError> {
        let spacing = spacing_ms.max(1);
        let slot = self.next_slot().await?;
        let now_slot = now_ms / spacing;
        if slot + 1 >= now_slot {
            return Ok(slot * spacing);
        }
        let result = Box::pin(
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(self.key("budget#quicksight".into(), "calls".into())))
                .update_expression("SET slot = :now")
                .condition_expression("slot < :now")
                .expression_attribute_values(":now", number(now_slot))
                .send(),
        )
        .await;
        match result {
            Ok(_) => {}
            Err(e) if is_condition_failed(&e) => {}
            Err(e) => return Err(classify("UpdateItem", e)),
        }
        Ok(self.next_slot().await?.max(now_slot) * spacing)
    }
}

impl DurationLog for DynamoCoordination {
    #[instrument(skip(self), level = "debug")]
    async fn record(
        &self,
        dashboard: &str,
        snapshot_job_id: &str,
        finished_at_ms: u64,
        seconds: f64,
    ) -> Result<(), CoordinationError> {
        let mut item = self.key(
            durations_pk(dashboard),
            format!("{finished_at_ms:015}#{snapshot_job_id}"),
        );
        item.insert("seconds".into(), AttributeValue::N(format!("{seconds:.3}")));
        item.insert(
            "expires_at".into(),
            number(finished_at_ms / 1000 + DURATION_TTL_SECONDS),
        );
        Box::pin(
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .send(),
        )
        .await
        .map_err(|e| classify("PutItem", e))?;
        Ok(())
    }

    #[instrument(skip(self), level = "debug")]
    async fn recent(&self, dashboard: &str, limit: usize) -> Result<Vec<f64>, CoordinationError> {
        let output = Box::pin(
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(durations_pk(dashboard)))
                .scan_index_forward(false)
                .limit(limit as i32)
                .send(),
        )
        .await
        .map_err(|e| classify("Query", e))?;
        Ok(output
            .items()
            .iter()
            .filter_map(|item| item.get("seconds")?.as_n().ok()?.parse::<f64>().ok())
            .collect())
    }
}
