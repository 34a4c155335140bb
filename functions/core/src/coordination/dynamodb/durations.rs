//! [`DurationLog`] over the coordination table: one item per finished job
//! under its dashboard, expired by the table's TTL.

use aws_sdk_dynamodb::types::AttributeValue;
use tracing::instrument;

use super::{DynamoCoordination, classify, number};
use crate::coordination::{CoordinationError, DurationLog};

/// Duration records are kept a day (the table's TTL attribute).
const DURATION_TTL_SECONDS: u64 = 86_400;

fn durations_pk(dashboard: &str) -> String {
    format!("durations#{dashboard}")
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
