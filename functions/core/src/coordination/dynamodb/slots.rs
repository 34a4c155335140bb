//! [`SlotTable`] over the coordination table: the leases of a kind in one
//! item (so "fewer than the cap" is one conditional write), one item per
//! waiter.

use std::collections::HashMap;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::AttributeValue;
use tracing::{instrument, warn};

use super::{DynamoCoordination, classify, int, is_condition_failed, number, text};
use crate::coordination::{CoordinationError, Holder, Lease, SlotKind, SlotTable, Waiter};

impl DynamoCoordination {
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
