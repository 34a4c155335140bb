//! Shared set-up: a simulator on a free port and the real SDK client, built
//! by the functions' own code, pointed at it.

#![allow(dead_code)]

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_quicksight::config::{Credentials, SharedCredentialsProvider};
use export_core::model::{JobHandle, StartJobInput};
use export_core::quicksight::sdk::{SdkSnapshotJobs, quicksight_client};
use quicksight_sim::{RunningSim, SimConfig};
use serde_json::json;

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";

/// Simulator settings for tests: fast jobs, the real limits.
pub fn fast_sim() -> SimConfig {
    let mut config = SimConfig::for_tests();
    config.job_duration_ms = 300;
    config.queued_ms = 50;
    config
}

pub async fn start_sim(config: SimConfig) -> RunningSim {
    quicksight_sim::start(config)
        .await
        .expect("simulator starts")
}

/// What a Lambda function would load from its environment, with static
/// test credentials (the simulator accepts any signature).
pub fn shared_config() -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "AKIDTEST", "secret", None, None, "tests",
        )))
        .build()
}

pub fn quicksight(sim: &RunningSim) -> SdkSnapshotJobs {
    SdkSnapshotJobs::new(quicksight_client(&shared_config(), Some(&sim.endpoint())))
}

/// A raw SDK client on the simulator, for calls the functions do not make.
pub fn raw_client(sim: &RunningSim) -> aws_sdk_quicksight::Client {
    quicksight_client(&shared_config(), Some(&sim.endpoint()))
}

/// A start-job input: one PDF, one CSV and one Excel file for `recipient`,
/// with RLS tags when `tenant` is given.
pub fn start_input(run_id: &str, recipient: &str, tenant: Option<&str>) -> StartJobInput {
    let mut recipient_json = json!({ "id": recipient });
    if let Some(tenant) = tenant {
        recipient_json["rls_tags"] = json!([{ "key": "tenant", "value": tenant }]);
    }
    serde_json::from_value(json!({
        "run_id": run_id,
        "export": {
            "account_id": ACCOUNT,
            "region": REGION,
            "dashboard_id": "sales-overview",
            "file_groups": [
                { "format": "PDF", "sheets": [{ "sheet_id": "summary" }] },
                { "format": "CSV", "sheets": [{ "sheet_id": "details", "visual_ids": ["orders"] }] },
                { "format": "EXCEL", "sheets": [{ "sheet_id": "details", "visual_ids": ["orders", "returns"] }] }
            ],
            "destination": { "bucket": "exports-bucket", "prefix": "snapshots", "region": REGION },
            "parameters": { "string": [{ "name": "Country", "values": ["FR"] }] }
        },
        "recipient": recipient_json,
    }))
    .expect("a valid start-job input")
}

/// Polls `check_job` until the job is terminal, as the state machine would.
pub async fn wait_until_terminal(qs: &SdkSnapshotJobs, handle: &JobHandle) -> String {
    for _ in 0..200 {
        match export_core::handlers::check_job(qs, handle.clone()).await {
            Ok(check) if check.status != export_core::model::JobProgress::Pending => {
                return check.job_status;
            }
            Ok(_) => {}
            Err(e) if e.error_name() == ErrorName::Throttling => {}
            Err(e) => panic!("check_job failed: {e}"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    }
    panic!("job {} never finished", handle.snapshot_job_id);
}
