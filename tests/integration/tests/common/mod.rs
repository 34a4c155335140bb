//! Shared set-up: a simulator on a free port, the real SDK client built by
//! the functions' own code and pointed at it, and a run prepared from a
//! stored request (in the in-memory object store: these tests are about
//! QuickSight's wire, not S3's).

#![allow(dead_code)]

pub mod moto;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_quicksight::config::{Credentials, SharedCredentialsProvider};
use export_core::ExportError;
use export_core::callbacks::fake::FakeCallbacks;
use export_core::coordination::memory::MemoryCoordination;
use export_core::coordination::semaphore::SlotService;
use export_core::delivery::Announcer;
use export_core::error_name::ErrorName;
use export_core::events::fake::FakeEvents;
use export_core::executions::fake::FakeExecutions;
use export_core::layout;
use export_core::model::PrepareRunInput;
use export_core::model::{
    ExecutionRef, FetchedResult, JobCheck, JobHandle, JobProgress, JobStepInput, ObjectRef,
    RecipientOutcome, RecipientRef, RunRef, SlotGrant, StartJobInput,
};
use export_core::quicksight::sdk::{SdkSnapshotJobs, quicksight_client};
use export_core::request_store::RequestReader;
use export_core::settings::RunSettings;
use export_core::settings::SharedLimits;
use export_core::steps::{Ports, Steps};
use export_core::storage::memory::MemoryStore;
use export_core::storage::transfer::FakeTransfer;
use quicksight_sim::{RunningSim, SimConfig};
use serde_json::{Value, json};

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";
pub const BUCKET: &str = "exports-bucket";

/// The stack the tests' requests target: BUCKET, in us-east-1 of account 123456789012.
pub fn stack() -> export_core::settings::StackPlace {
    export_core::settings::StackPlace::new(BUCKET, "us-east-1", "123456789012")
}
const REQUEST_KEY: &str = "requests/test.json";

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

pub fn quicksight_at(endpoint: &str) -> SdkSnapshotJobs {
    SdkSnapshotJobs::new(quicksight_client(&shared_config(), Some(endpoint)))
}

/// A raw SDK client on the simulator, for calls the functions do not make.
pub fn raw_client(sim: &RunningSim) -> aws_sdk_quicksight::Client {
    quicksight_client(&shared_config(), Some(&sim.endpoint()))
}

/// A request for `recipients`: one PDF, one CSV and one Excel file each,
/// every recipient with a tag value of its own (`TAG-<id>`).
pub fn request_for(recipients: &[&str]) -> Value {
    json!({
        "account_id": ACCOUNT,
        "region": REGION,
        "dashboard_id": "sales-overview",
        "file_groups": [
            { "format": "PDF", "sheets": [{ "sheet_id": "summary" }] },
            { "format": "CSV", "sheets": [{ "sheet_id": "details", "visual_ids": ["orders"] }] },
            { "format": "EXCEL", "sheets": [{ "sheet_id": "details", "visual_ids": ["orders", "returns"] }] }
        ],
        "destination": { "bucket": BUCKET, "prefix": "snapshots", "region": REGION },
        "parameters": { "string": [{ "name": "Country", "values": ["FR"] }] },
        "recipients": recipients.iter().map(|id| json!({
            "id": id,
            "rls_tags": [{ "key": "tenant", "value": format!("TAG-{id}") }]
        })).collect::<Vec<_>>()
    })
}

/// The real QuickSight adapter against the simulator; everything else in memory.
pub struct Sim;

impl Ports for Sim {
    type QuickSight = SdkSnapshotJobs;
    type Store = MemoryStore;
    type Transfer = FakeTransfer;
    type Durations = MemoryCoordination;
    type Slots = MemoryCoordination;
    type Callbacks = FakeCallbacks;
    type Events = FakeEvents;
    type Executions = FakeExecutions;
}

/// One prepared run against the simulator: the steps as the state machine
/// calls them.
pub struct Run {
    pub steps: Steps<Sim>,
    pub run: RunRef,
    pub recipients: Vec<String>,
}

impl std::ops::Deref for Run {
    type Target = Steps<Sim>;
    fn deref(&self) -> &Steps<Sim> {
        &self.steps
    }
}

impl Run {
    /// Stores `request_for(recipients)` and prepares a run named `name`.
    pub async fn prepare(endpoint: &str, name: &str, recipients: &[&str]) -> Run {
        let store = MemoryStore::new();
        store.insert(
            BUCKET,
            REQUEST_KEY,
            serde_json::to_vec(&request_for(recipients)).unwrap(),
        );
        let steps = Steps {
            quicksight: quicksight_at(endpoint),
            store,
            transfer: FakeTransfer::new(Vec::new()),
            requests: RequestReader::new(),
            durations: MemoryCoordination::new(),
            slots: SlotService {
                table: MemoryCoordination::new(),
                callbacks: FakeCallbacks::new(),
                limits: SharedLimits::default(),
            },
            announcer: Announcer {
                events: FakeEvents::new(),
                link_expiry: std::time::Duration::from_secs(600),
            },
        };
        let prepared = steps
            .prepare_run(
                PrepareRunInput {
                    request: ObjectRef {
                        bucket: BUCKET.into(),
                        key: REQUEST_KEY.into(),
                    },
                    execution: ExecutionRef {
                        id: format!("arn:aws:states:{REGION}:{ACCOUNT}:execution:export:{name}"),
                        name: name.into(),
                        started_at: None,
                    },
                },
                &RunSettings::default(),
                &stack(),
            )
            .await
            .expect("the test request is valid");
        Run {
            steps,
            run: prepared.run,
            recipients: recipients.iter().map(|s| s.to_string()).collect(),
        }
    }

    pub fn start_input(&self, recipient: &str) -> StartJobInput {
        let index = self
            .recipients
            .iter()
            .position(|r| r == recipient)
            .expect("a recipient of the run");
        StartJobInput {
            run: self.run.clone(),
            recipient: RecipientRef {
                index,
                id: recipient.into(),
            },
            slot: SlotGrant {
                granted_at: export_core::time::now_epoch_seconds() as u64,
            },
            attempt: 1,
        }
    }

    pub async fn start(&self, recipient: &str) -> Result<JobHandle, ExportError> {
        self.steps.start_job(self.start_input(recipient)).await
    }

    pub fn step(&self, job: &JobHandle) -> JobStepInput {
        JobStepInput {
            run: self.run.clone(),
            job: job.clone(),
        }
    }

    pub async fn check(&self, job: &JobHandle) -> Result<JobCheck, ExportError> {
        self.steps.check_job(self.step(job)).await
    }

    pub async fn fetch(&self, job: &JobHandle) -> Result<FetchedResult, ExportError> {
        self.steps.fetch_result(self.step(job)).await
    }

    /// The outcome object written for `recipient`, if any.
    pub fn outcome(&self, recipient: &str) -> Option<RecipientOutcome> {
        self.store
            .object(
                BUCKET,
                &layout::outcome_key(&self.run.run_prefix, recipient),
            )
            .map(|body| serde_json::from_slice(&body).expect("an outcome"))
    }

    /// Polls until the job is terminal, as the state machine would.
    pub async fn wait_until_terminal(&self, job: &JobHandle) -> String {
        for _ in 0..200 {
            match self.check(job).await {
                Ok(check) if check.status != JobProgress::Pending => return check.job_status,
                Ok(_) => {}
                Err(e) if e.error_name() == ErrorName::Throttling => {}
                Err(e) => panic!("check_job failed: {e}"),
            }
            tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        }
        panic!("job {} never finished", job.snapshot_job_id);
    }
}
