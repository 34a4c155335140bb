//! Resuming a task that waits for a callback (`.waitForTaskToken`): how a
//! freed slot reaches the recipient waiting for it. `sfn` is the real
//! adapter over `aws-sdk-sfn`; `fake` records what it was asked to send.

use std::future::Future;

use crate::coordination::CoordinationError;

pub mod fake;
pub mod sfn;

pub use sfn::SfnCallbacks;

/// What became of a callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// The task resumed with the output.
    Delivered,
    /// The task no longer waits (it timed out and asked again with another
    /// token, or its execution ended): nothing resumed.
    TaskGone,
}

pub trait TaskCallbacks: Send + Sync {
    /// Resumes the task waiting with `task_token`, `output` (JSON) as its result.
    fn succeed(
        &self,
        task_token: &str,
        output: String,
    ) -> impl Future<Output = Result<Delivery, CoordinationError>> + Send;
}
