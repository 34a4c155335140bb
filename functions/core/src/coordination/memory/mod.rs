//! An in-memory coordination table for unit tests: the same conditions as
//! the DynamoDB adapter, under one lock, one file per port it serves
//! ([`slots`], [`budget`], [`durations`]), as `dynamodb/` is. The contract
//! suite (`tests/integration/tests/coordination_contract.rs`) runs both.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;

use super::{CoordinationError, Lease, SlotKind, Waiter};

mod budget;
mod durations;
mod slots;

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
