//! The shared AWS configuration, loaded once at init: SDK retries off (the
//! state machine owns retries; each adapter says how many attempts it makes
//! and why) and timeouts short enough that a hung call fails as a transport
//! error the state machine retries.

use std::time::Duration;

use aws_config::{BehaviorVersion, SdkConfig, retry::RetryConfig, timeout::TimeoutConfig};

/// How long one call may take before it fails as a transport error.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Loads the shared AWS configuration from the environment.
pub async fn load_aws_config() -> SdkConfig {
    aws_config_loader().load().await
}

/// What [`load_aws_config`] loads, before loading: tests add a mock HTTP
/// client, a region and credentials to the functions' own settings.
pub fn aws_config_loader() -> aws_config::ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .build(),
        )
}
