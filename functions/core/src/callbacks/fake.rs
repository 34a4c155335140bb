//! A [`TaskCallbacks`] for unit tests: records every callback, and treats
//! the tokens it is told are gone as gone.

use std::collections::HashSet;
use std::sync::Mutex;

use super::{Delivery, TaskCallbacks};
use crate::coordination::CoordinationError;

#[derive(Default)]
pub struct FakeCallbacks {
    delivered: Mutex<Vec<(String, String)>>,
    gone: Mutex<HashSet<String>>,
}

impl FakeCallbacks {
    pub fn new() -> Self {
        Self::default()
    }

    /// Tasks waiting with `token` are gone (timed out, or their run ended).
    pub fn forget(&self, token: &str) {
        self.gone.lock().unwrap().insert(token.to_string());
    }

    /// Every `(token, output)` delivered, in order.
    pub fn delivered(&self) -> Vec<(String, String)> {
        self.delivered.lock().unwrap().clone()
    }
}

impl TaskCallbacks for FakeCallbacks {
    async fn succeed(
        &self,
        task_token: &str,
        output: String,
    ) -> Result<Delivery, CoordinationError> {
        if self.gone.lock().unwrap().contains(task_token) {
            return Ok(Delivery::TaskGone);
        }
        self.delivered
            .lock()
            .unwrap()
            .push((task_token.to_string(), output));
        Ok(Delivery::Delivered)
    }
}
