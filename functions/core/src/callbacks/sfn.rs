//! [`TaskCallbacks`] over `aws-sdk-sfn` (`SendTaskSuccess`). The endpoint
//! comes from the standard `AWS_ENDPOINT_URL_SFN` when set.

use aws_config::SdkConfig;
use aws_sdk_sfn::Client;
use aws_sdk_sfn::error::{ProvideErrorMetadata, SdkError};
use tracing::instrument;

use super::{Delivery, TaskCallbacks};
use crate::coordination::CoordinationError;

#[derive(Clone, Debug)]
pub struct SfnCallbacks {
    client: Client,
}

impl SfnCallbacks {
    /// Retries like the coordination table (3 attempts): a lost callback
    /// costs a waiter its slot until it asks again.
    pub fn new(shared: &SdkConfig) -> Self {
        Self::from_client(Client::from_conf(callbacks_config(shared).build()))
    }

    pub fn from_client(client: Client) -> Self {
        SfnCallbacks { client }
    }
}

/// The client's configuration before it is built, for tests to add to.
pub fn callbacks_config(shared: &SdkConfig) -> aws_sdk_sfn::config::Builder {
    aws_sdk_sfn::config::Builder::from(shared)
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(3))
}

impl TaskCallbacks for SfnCallbacks {
    #[instrument(skip(self, task_token, output), level = "debug")]
    async fn succeed(
        &self,
        task_token: &str,
        output: String,
    ) -> Result<Delivery, CoordinationError> {
        let result = Box::pin(
            self.client
                .send_task_success()
                .task_token(task_token)
                .output(output)
                .send(),
        )
        .await;
        match result {
            Ok(_) => Ok(Delivery::Delivered),
            Err(SdkError::ServiceError(s))
                if matches!(
                    s.err().code(),
                    Some("TaskTimedOut" | "TaskDoesNotExist" | "InvalidToken")
                ) =>
            {
                Ok(Delivery::TaskGone)
            }
            // Resuming a waiter is the semaphore's hand-over: coordination names it.
            Err(e) => Err(CoordinationError::from_service(
                "SendTaskSuccess",
                crate::aws::classify(e),
            )),
        }
    }
}
