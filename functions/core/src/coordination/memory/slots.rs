//! [`SlotTable`] in memory.

use super::MemoryCoordination;
use crate::coordination::{CoordinationError, Holder, Lease, SlotKind, SlotTable, Waiter};

impl SlotTable for MemoryCoordination {
    async fn leases(&self, kind: SlotKind) -> Result<Vec<Lease>, CoordinationError> {
        let state = self.begin()?;
        Ok(state
            .leases
            .get(&kind)
            .map(|l| l.values().cloned().collect())
            .unwrap_or_default())
    }

    async fn grant(
        &self,
        kind: SlotKind,
        lease: &Lease,
        cap: u32,
    ) -> Result<bool, CoordinationError> {
        let mut state = self.begin()?;
        let leases = state.leases.entry(kind).or_default();
        let key = lease.holder.key();
        if !leases.contains_key(&key) && leases.len() < cap as usize {
            leases.insert(key, lease.clone());
            Ok(true)
        } else {
            Ok(false)
        }
    }

    async fn revoke(
        &self,
        kind: SlotKind,
        holder: &Holder,
        granted_at_ms: Option<u64>,
    ) -> Result<bool, CoordinationError> {
        let mut state = self.begin()?;
        let leases = state.leases.entry(kind).or_default();
        let key = holder.key();
        match leases.get(&key) {
            Some(lease) if granted_at_ms.is_none_or(|at| at == lease.granted_at_ms) => {
                leases.remove(&key);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn add_waiter(&self, kind: SlotKind, waiter: &Waiter) -> Result<(), CoordinationError> {
        let mut state = self.begin()?;
        let waiters = state.waiters.entry(kind).or_default();
        let since_ms = waiters
            .get(&waiter.holder.key())
            .map_or(waiter.since_ms, |w| w.since_ms);
        waiters.insert(
            waiter.holder.key(),
            Waiter {
                since_ms,
                ..waiter.clone()
            },
        );
        Ok(())
    }

    async fn waiters(&self, kind: SlotKind) -> Result<Vec<Waiter>, CoordinationError> {
        let state = self.begin()?;
        Ok(state
            .waiters
            .get(&kind)
            .map(|w| w.values().cloned().collect())
            .unwrap_or_default())
    }

    async fn drop_waiter(&self, kind: SlotKind, holder: &Holder) -> Result<(), CoordinationError> {
        let mut state = self.begin()?;
        state.waiters.entry(kind).or_default().remove(&holder.key());
        Ok(())
    }

    async fn remove_waiter(
        &self,
        kind: SlotKind,
        holder: &Holder,
        task_token: &str,
    ) -> Result<bool, CoordinationError> {
        let mut state = self.begin()?;
        let waiters = state.waiters.entry(kind).or_default();
        let key = holder.key();
        if waiters
            .get(&key)
            .is_some_and(|w| w.task_token == task_token)
        {
            waiters.remove(&key);
            Ok(true)
        } else {
            Ok(false)
        }
    }
}
