//! [`DurationLog`] in memory, newest first.

use super::MemoryCoordination;
use crate::coordination::{CoordinationError, DurationLog};

impl DurationLog for MemoryCoordination {
    async fn record(
        &self,
        dashboard: &str,
        _snapshot_job_id: &str,
        finished_at_ms: u64,
        seconds: f64,
    ) -> Result<(), CoordinationError> {
        let mut state = self.begin()?;
        state
            .durations
            .entry(dashboard.to_string())
            .or_default()
            .push((finished_at_ms, seconds));
        Ok(())
    }

    async fn recent(&self, dashboard: &str, limit: usize) -> Result<Vec<f64>, CoordinationError> {
        let state = self.begin()?;
        let mut found = state.durations.get(dashboard).cloned().unwrap_or_default();
        found.sort_by_key(|d| std::cmp::Reverse(d.0));
        Ok(found.into_iter().take(limit).map(|(_, s)| s).collect())
    }
}
