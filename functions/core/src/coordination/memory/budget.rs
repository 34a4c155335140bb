//! [`CallBudget`] in memory: the next slot of the spacing, caught up with the clock.

use super::MemoryCoordination;
use crate::coordination::{CallBudget, CoordinationError};

impl CallBudget for MemoryCoordination {
    async fn reserve(&self, spacing_ms: u64, now_ms: u64) -> Result<u64, CoordinationError> {
        let mut state = self.begin()?;
        let slot = state.next_call_slot.max(now_ms.div_ceil(spacing_ms));
        state.next_call_slot = slot + 1;
        Ok(slot * spacing_ms)
    }
}
