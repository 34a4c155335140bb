//! An in-memory coordination table for unit tests: the same conditions as
//! the DynamoDB adapter, under one lock.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;

use super::{
    CallBudget, CoordinationError, DurationLog, Holder, Lease, SlotKind, SlotTable, Waiter,
};

#[derive(Default)]
struct State {
    leases: HashMap<SlotKind, BTreeMap<String, Lease>>,
    waiters: HashMap<SlotKind, BTreeMap<String, Waiter>>,
    next_call_slot: u64,
    durations: HashMap<String, Vec<(u64, f64)>>,
    scripted_errors: VecDeque<CoordinationError>,
}

#[derive(Default)]
pub struct MemoryCoordination {
    state: Mutex<State>,
}

impl MemoryCoordination {
    pub fn new() -> Self {
        Self::default()
    }

    /// The next call fails with `error` (queued).
    pub fn fail_next(&self, error: CoordinationError) {
        self.state.lock().unwrap().scripted_errors.push_back(error);
    }

    fn begin(&self) -> Result<std::sync::MutexGuard<'_, State>, CoordinationError> {
        let mut state = self.state.lock().unwrap();
        match state.scripted_errors.pop_front() {
            Some(error) => Err(error),
            None => Ok(state),
        }
    }
}

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

impl CallBudget for MemoryCoordination {
    async fn reserve(&self, spacing_ms: u64, now_ms: u64) -> Result<u64, CoordinationError> {
        let mut state = self.begin()?;
        let slot = state.next_call_slot.max(now_ms.div_ceil(spacing_ms));
        state.next_call_slot = slot + 1;
        Ok(slot * spacing_ms)
    }
}

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
