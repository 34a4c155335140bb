//! A run prepared over the in-memory fakes, shared by the step tests.

#![allow(dead_code)]

use export_core::callbacks::fake::FakeCallbacks;
use export_core::coordination::memory::MemoryCoordination;
use export_core::coordination::semaphore::SlotService;
use export_core::delivery::Announcer;
use export_core::events::fake::FakeEvents;
use export_core::layout;
use export_core::model::PrepareRunInput;
use export_core::model::{
    ErrorDetail, ExecutionRef, JobHandle, JobStepInput, ObjectRef, PreparedRun, RecipientOutcome,
    RecipientRef, SlotGrant, StartJobInput,
};
use export_core::model::{Manifest, ManifestInput};
use export_core::quicksight::fake::FakeSnapshotJobs;
use export_core::quicksight::{FileGroupResult, JobResult, JobStatus};
use export_core::request_store::RequestReader;
use export_core::settings::RunSettings;
use export_core::settings::SharedLimits;
use export_core::steps::{Fakes, Steps};
use export_core::storage::memory::MemoryStore;
use export_core::storage::transfer::FakeTransfer;
use serde_json::{Value, json};

pub const BUCKET: &str = "stack-exports";

/// The stack the tests' requests target: BUCKET, in us-east-1 of account 123456789012.
pub fn stack() -> export_core::settings::StackPlace {
    export_core::settings::StackPlace::new(BUCKET, "us-east-1", "123456789012")
}
pub const REQUEST_KEY: &str = "requests/november.json";
pub const EXECUTION: &str = "arn:aws:states:us-east-1:123456789012:execution:export:run-7";
/// Values that must never leave the stored request.
pub const SECRETS: &[&str] = &["ACME-SECRET-TAG", "GLOBEX-SECRET-TAG", "PARAM-SECRET-VALUE"];

pub fn request_json() -> Value {
    json!({
        "description": "November",
        "account_id": "123456789012",
        "region": "us-east-1",
        "dashboard_id": "sales",
        "file_groups": [
            { "format": "PDF", "sheets": [{ "sheet_id": "summary" }] },
            { "format": "CSV", "sheets": [{ "sheet_id": "details", "visual_ids": ["orders"] }] }
        ],
        "destination": { "bucket": BUCKET, "prefix": "monthly/", "region": "us-east-1" },
        "parameters": { "string": [{ "name": "Segment", "values": ["PARAM-SECRET-VALUE"] }] },
        "recipients": [
            { "id": "acme", "rls_tags": [{ "key": "tenant", "value": "ACME-SECRET-TAG" }] },
            { "id": "globex", "rls_tags": [{ "key": "tenant", "value": "GLOBEX-SECRET-TAG" }] },
            { "id": "initech", "rls_tags": [{ "key": "tenant", "value": "initech" }] }
        ]
    })
}

pub fn assert_no_secret(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} holds {secret}: {text}");
    }
}

/// Every object in the store, checked for secrets (the stored request aside).
pub fn assert_store_holds_no_secret(store: &MemoryStore) {
    for (bucket, key) in store.keys() {
        if key == REQUEST_KEY {
            continue;
        }
        let body = String::from_utf8(store.object(&bucket, &key).unwrap()).unwrap();
        assert_no_secret(&format!("s3://{bucket}/{key}"), &body);
    }
}

pub struct Run {
    /// The steps over the fakes (empty durations: the run's settings time the checks).
    pub steps: Steps<Fakes>,
    pub prepared: PreparedRun,
}

impl std::ops::Deref for Run {
    type Target = Steps<Fakes>;
    fn deref(&self) -> &Steps<Fakes> {
        &self.steps
    }
}

/// The steps over empty fakes, with links that expire after `link_expiry`.
pub fn fake_steps_with_link_expiry(link_expiry: std::time::Duration) -> Steps<Fakes> {
    let mut steps = fake_steps();
    steps.announcer.link_expiry = link_expiry;
    steps
}

/// The steps over empty fakes.
pub fn fake_steps() -> Steps<Fakes> {
    Steps {
        quicksight: FakeSnapshotJobs::new(),
        store: MemoryStore::new(),
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
    }
}

pub fn execution(id: &str, name: &str) -> ExecutionRef {
    ExecutionRef {
        id: id.into(),
        name: name.into(),
        started_at: Some("2026-12-01T06:00:00Z".into()),
    }
}

pub fn prepare_input(id: &str, name: &str) -> PrepareRunInput {
    PrepareRunInput {
        request: ObjectRef {
            bucket: BUCKET.into(),
            key: REQUEST_KEY.into(),
        },
        execution: execution(id, name),
    }
}

pub async fn prepared_run(request: Value) -> Run {
    let fakes = fake_steps();
    fakes
        .store
        .insert(BUCKET, REQUEST_KEY, serde_json::to_vec(&request).unwrap());
    let prepared = fakes
        .prepare_run(
            prepare_input(EXECUTION, "run-7"),
            &RunSettings::default(),
            &stack(),
        )
        .await
        .expect("the request is valid");
    Run {
        steps: fakes,
        prepared,
    }
}

impl Run {
    pub fn start_input(&self, index: usize, id: &str, attempt: u32) -> StartJobInput {
        StartJobInput {
            run: self.prepared.run.clone(),
            recipient: RecipientRef {
                index,
                id: id.into(),
            },
            slot: SlotGrant {
                granted_at: export_core::time::now_epoch_seconds() as u64,
            },
            attempt,
        }
    }

    pub async fn start(
        &self,
        index: usize,
        id: &str,
    ) -> Result<JobHandle, export_core::ExportError> {
        self.steps.start_job(self.start_input(index, id, 1)).await
    }

    pub fn step_input(&self, job: &JobHandle) -> JobStepInput {
        JobStepInput {
            run: self.prepared.run.clone(),
            job: job.clone(),
        }
    }

    pub fn outcome(&self, id: &str) -> Option<RecipientOutcome> {
        let key = layout::outcome_key(&self.prepared.run.run_prefix, id);
        self.store
            .object(BUCKET, &key)
            .map(|b| serde_json::from_slice(&b).unwrap())
    }

    pub async fn manifest(&self) -> Manifest {
        self.steps
            .write_manifest(ManifestInput {
                bucket: BUCKET.into(),
                run_prefix: self.prepared.run.run_prefix.clone(),
            })
            .await
            .unwrap();
        serde_json::from_value(
            self.store
                .json(BUCKET, &layout::manifest_key(&self.prepared.run.run_prefix)),
        )
        .unwrap()
    }
}

pub fn completed(uris: &[&str], errors: Vec<ErrorDetail>) -> JobResult {
    JobResult {
        status: JobStatus::Completed,
        file_groups: vec![FileGroupResult {
            format: "PDF".into(),
            sheet_ids: vec!["summary".into()],
            s3_uris: uris.iter().map(|u| u.to_string()).collect(),
            errors,
        }],
        error: None,
    }
}

pub fn detail(error_type: &str) -> ErrorDetail {
    ErrorDetail {
        error_type: error_type.into(),
        message: format!("{error_type} happened"),
    }
}
