//! [`CallBudget`] over the coordination table: one counter item, each call
//! the next slot of the spacing.

use aws_sdk_dynamodb::types::ReturnValue;
use tracing::instrument;

use super::{DynamoCoordination, classify, int, is_condition_failed, malformed, number};
use crate::coordination::{CallBudget, CoordinationError};

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
