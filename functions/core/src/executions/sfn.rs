//! [`Executions`] over `aws-sdk-sfn`, for one state machine. The endpoint
//! comes from the standard `AWS_ENDPOINT_URL_SFN` when set.

use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_sdk_sfn::Client;
use aws_sdk_sfn::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sfn::primitives::DateTime;
use aws_sdk_sfn::types::ExecutionStatus;
use tracing::instrument;

use super::{ExecutionInfo, ExecutionPage, ExecutionSummary, Executions, ExecutionsError, Started};
use crate::time::format_rfc3339;

#[derive(Clone, Debug)]
pub struct SfnExecutions {
    client: Client,
    state_machine_arn: String,
}

impl SfnExecutions {
    /// Retries like the coordination table (3 attempts): the API's calls are
    /// few and a caller is waiting.
    pub fn new(shared: &SdkConfig, state_machine_arn: impl Into<String>) -> Self {
        Self::from_client(
            Client::from_conf(sfn_config(shared).build()),
            state_machine_arn,
        )
    }

    pub fn from_client(client: Client, state_machine_arn: impl Into<String>) -> Self {
        SfnExecutions {
            client,
            state_machine_arn: state_machine_arn.into(),
        }
    }

    /// `arn:...:stateMachine:<machine>` -> `arn:...:execution:<machine>:<name>`.
    pub fn execution_arn(&self, name: &str) -> String {
        format!(
            "{}:{name}",
            self.state_machine_arn
                .replacen(":stateMachine:", ":execution:", 1)
        )
    }
}

/// The client's configuration before it is built, for tests to add to: 3
/// attempts, as every Step Functions call here makes.
pub fn sfn_config(shared: &SdkConfig) -> aws_sdk_sfn::config::Builder {
    aws_sdk_sfn::config::Builder::from(shared)
        .retry_config(RetryConfig::standard().with_max_attempts(3))
}

fn time(t: Option<&DateTime>) -> Option<String> {
    t.map(|t| format_rfc3339(t.as_secs_f64()))
}

impl Executions for SfnExecutions {
    #[instrument(skip(self, input), level = "debug")]
    async fn start(&self, name: &str, input: String) -> Result<Started, ExecutionsError> {
        let result = Box::pin(
            self.client
                .start_execution()
                .state_machine_arn(&self.state_machine_arn)
                .name(name)
                .input(input)
                .send(),
        )
        .await;
        match result {
            Ok(output) => Ok(Started::New {
                arn: output.execution_arn().to_string(),
            }),
            Err(SdkError::ServiceError(s)) if s.err().code() == Some("ExecutionAlreadyExists") => {
                Ok(Started::AlreadyExists)
            }
            Err(e) => Err(ExecutionsError::from_service(
                "StartExecution",
                crate::aws::classify(e),
            )),
        }
    }

    #[instrument(skip(self), level = "debug")]
    async fn describe(&self, name: &str) -> Result<Option<ExecutionInfo>, ExecutionsError> {
        let result = Box::pin(
            self.client
                .describe_execution()
                .execution_arn(self.execution_arn(name))
                .send(),
        )
        .await;
        let output = match result {
            Ok(output) => output,
            Err(SdkError::ServiceError(s)) if s.err().code() == Some("ExecutionDoesNotExist") => {
                return Ok(None);
            }
            Err(e) => {
                return Err(ExecutionsError::from_service(
                    "DescribeExecution",
                    crate::aws::classify(e),
                ));
            }
        };
        Ok(Some(ExecutionInfo {
            arn: output.execution_arn().to_string(),
            name: output.name().unwrap_or(name).to_string(),
            status: output.status().as_str().to_string(),
            input: output.input().map(str::to_string),
            output: output.output().map(str::to_string),
            error: output.error().map(str::to_string),
            cause: output.cause().map(str::to_string),
            started_at: time(Some(output.start_date())),
            stopped_at: time(output.stop_date()),
        }))
    }

    #[instrument(skip(self), level = "debug")]
    async fn list(
        &self,
        status: Option<&str>,
        next_token: Option<&str>,
        limit: u32,
    ) -> Result<ExecutionPage, ExecutionsError> {
        let output = Box::pin(
            self.client
                .list_executions()
                .state_machine_arn(&self.state_machine_arn)
                .set_status_filter(status.map(ExecutionStatus::from))
                .set_next_token(next_token.map(str::to_string))
                .max_results(limit.clamp(1, 1000) as i32)
                .send(),
        )
        .await
        .map_err(|e| ExecutionsError::from_service("ListExecutions", crate::aws::classify(e)))?;
        Ok(ExecutionPage {
            executions: output
                .executions()
                .iter()
                .map(|e| ExecutionSummary {
                    name: e.name().to_string(),
                    status: e.status().as_str().to_string(),
                    started_at: time(Some(e.start_date())),
                    stopped_at: time(e.stop_date()),
                })
                .collect(),
            next_token: output.next_token().map(str::to_string),
        })
    }

    #[instrument(skip(self, cause), level = "debug")]
    async fn stop(&self, name: &str, error: &str, cause: &str) -> Result<(), ExecutionsError> {
        Box::pin(
            self.client
                .stop_execution()
                .execution_arn(self.execution_arn(name))
                .error(error)
                .cause(cause)
                .send(),
        )
        .await
        .map_err(|e| ExecutionsError::from_service("StopExecution", crate::aws::classify(e)))?;
        Ok(())
    }
}
