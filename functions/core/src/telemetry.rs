//! Structured JSON logs for the functions. Log level from `AWS_LAMBDA_LOG_LEVEL`
//! (set by Lambda's logging config) or `RUST_LOG`, default INFO.
//!
//! Never log row-level-security tag values or parameter values: the model
//! wraps them in `Sensitive`, whose `Debug` prints `***`.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".into())
        .to_lowercase();
    // The SDK is chatty below WARN.
    let filter = EnvFilter::try_new(format!(
        "{level},aws_smithy_runtime=warn,aws_smithy_runtime_api=warn,aws_config=warn,hyper=warn"
    ))
    .unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_target(false)
        // CloudWatch adds its own timestamp.
        .without_time()
        .try_init();
}
