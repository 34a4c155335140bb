//! The steps of a run over the in-memory fakes (QuickSight and S3): no
//! network, every branch. The stored request carries distinctive tag and
//! parameter values; no step's output and no object the steps write may
//! contain them.

use export_core::ApiError;
use export_core::callbacks::fake::FakeCallbacks;
use export_core::coordination::memory::MemoryCoordination;
use export_core::error_name::ErrorName;
use export_core::layout;
use export_core::model::{
    ErrorDetail, ExecutionRef, JobHandle, JobProgress, JobStepInput, ObjectRef, OutcomeStatus,
    PreparedRun, RecipientOutcome, RecipientRef, RecordFailureInput, SlotGrant, StartJobInput,
    StepFailure,
};
use export_core::quicksight::fake::{Call, FakeSnapshotJobs};
use export_core::quicksight::{
    FileGroupResult, JobRef, JobResult, JobStatus, SnapshotJobSpec, SnapshotJobs,
};
use export_core::request_store::RequestReader;
use export_core::settings::RunSettings;
use export_core::settings::SharedLimits;
use export_core::steps::manifest::{Manifest, ManifestInput};
use export_core::steps::prepare::PrepareRunInput;
use export_core::steps::record::Recorded;
use export_core::steps::slots::SlotService;
use export_core::steps::{self, json};
use export_core::storage::StorageError;
use export_core::storage::memory::MemoryStore;
use lambda_runtime::Diagnostic;
use serde_json::{Value, json};

const BUCKET: &str = "stack-exports";
const REQUEST_KEY: &str = "requests/november.json";
const EXECUTION: &str = "arn:aws:states:us-east-1:123456789012:execution:export:run-7";
/// Values that must never leave the stored request.
const SECRETS: &[&str] = &["ACME-SECRET-TAG", "GLOBEX-SECRET-TAG", "PARAM-SECRET-VALUE"];

fn request_json() -> Value {
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

fn assert_no_secret(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} holds {secret}: {text}");
    }
}

/// Every object in the store, checked for secrets (the stored request aside).
fn assert_store_holds_no_secret(store: &MemoryStore) {
    for (bucket, key) in store.keys() {
        if key == REQUEST_KEY {
            continue;
        }
        let body = String::from_utf8(store.object(&bucket, &key).unwrap()).unwrap();
        assert_no_secret(&format!("s3://{bucket}/{key}"), &body);
    }
}

struct Run {
    store: MemoryStore,
    quicksight: FakeSnapshotJobs,
    requests: RequestReader,
    /// Recent job durations (empty: the run's settings time the checks).
    durations: MemoryCoordination,
    slots: SlotService<MemoryCoordination, FakeCallbacks>,
    prepared: PreparedRun,
}

fn execution(id: &str, name: &str) -> ExecutionRef {
    ExecutionRef {
        id: id.into(),
        name: name.into(),
        started_at: Some("2026-12-01T06:00:00Z".into()),
    }
}

fn prepare_input(id: &str, name: &str) -> PrepareRunInput {
    PrepareRunInput {
        request: ObjectRef {
            bucket: BUCKET.into(),
            key: REQUEST_KEY.into(),
        },
        execution: execution(id, name),
    }
}

async fn prepared_run(request: Value) -> Run {
    let store = MemoryStore::new();
    store.insert(BUCKET, REQUEST_KEY, serde_json::to_vec(&request).unwrap());
    let prepared = steps::prepare_run(
        &store,
        prepare_input(EXECUTION, "run-7"),
        &RunSettings::default(),
        BUCKET,
    )
    .await
    .expect("the request is valid");
    Run {
        store,
        quicksight: FakeSnapshotJobs::new(),
        requests: RequestReader::new(),
        durations: MemoryCoordination::new(),
        slots: SlotService {
            table: MemoryCoordination::new(),
            callbacks: FakeCallbacks::new(),
            limits: SharedLimits::default(),
        },
        prepared,
    }
}

impl Run {
    fn start_input(&self, index: usize, id: &str, attempt: u32) -> StartJobInput {
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

    async fn start(&self, index: usize, id: &str) -> Result<JobHandle, export_core::ExportError> {
        steps::start_job(
            &self.quicksight,
            &self.store,
            &self.requests,
            &self.durations,
            self.start_input(index, id, 1),
        )
        .await
    }

    fn step_input(&self, job: &JobHandle) -> JobStepInput {
        JobStepInput {
            run: self.prepared.run.clone(),
            job: job.clone(),
        }
    }

    fn outcome(&self, id: &str) -> Option<RecipientOutcome> {
        let key = layout::outcome_key(&self.prepared.run.run_prefix, id);
        self.store
            .object(BUCKET, &key)
            .map(|b| serde_json::from_slice(&b).unwrap())
    }

    async fn manifest(&self) -> Manifest {
        steps::write_manifest(
            &self.store,
            ManifestInput {
                bucket: BUCKET.into(),
                run_prefix: self.prepared.run.run_prefix.clone(),
            },
        )
        .await
        .unwrap();
        serde_json::from_value(
            self.store
                .json(BUCKET, &layout::manifest_key(&self.prepared.run.run_prefix)),
        )
        .unwrap()
    }
}

fn completed(uris: &[&str], errors: Vec<ErrorDetail>) -> JobResult {
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

fn detail(error_type: &str) -> ErrorDetail {
    ErrorDetail {
        error_type: error_type.into(),
        message: format!("{error_type} happened"),
    }
}

// ---- prepare-run -------------------------------------------------------

#[tokio::test]
async fn prepare_pins_the_request_claims_the_run_and_writes_ids_only() {
    let run = prepared_run(request_json()).await;
    let prepared = &run.prepared;
    assert_eq!(prepared.run.run_id, "run-7");
    assert_eq!(prepared.run.execution_id, EXECUTION);
    assert_eq!(prepared.run.run_prefix, "monthly/run-7");
    assert_eq!(prepared.run.recipients, 3);
    assert_eq!(prepared.run.request.key, REQUEST_KEY);
    assert!(!prepared.run.request.etag.is_empty());
    assert_eq!(prepared.items.key, "monthly/run-7/recipients.json");

    let items = run.store.json(BUCKET, &prepared.items.key);
    assert_eq!(
        items,
        json!([
            { "index": 0, "id": "acme" },
            { "index": 1, "id": "globex" },
            { "index": 2, "id": "initech" }
        ])
    );
    let record = run.store.json(BUCKET, "monthly/run-7/run.json");
    assert_eq!(record["execution_id"], EXECUTION);
    assert_eq!(record["dashboard"]["dashboard_id"], "sales");
    // The state's payload and every object written: IDs, never values.
    assert_no_secret("prepare output", &serde_json::to_string(prepared).unwrap());
    assert_store_holds_no_secret(&run.store);
}

#[tokio::test]
async fn prepare_refuses_what_it_cannot_run_before_any_job_and_lists_every_problem() {
    let store = MemoryStore::new();
    let settings = RunSettings::default();

    // The request must be read from the stack's bucket.
    let mut input = prepare_input(EXECUTION, "run-7");
    input.request.bucket = "somebody-elses".into();
    let error = steps::prepare_run(&store, input, &settings, BUCKET)
        .await
        .unwrap_err();
    assert_eq!(error.error_name(), ErrorName::InvalidRequest);
    assert!(error.to_string().contains("request.bucket"), "{error}");

    // A missing request names bucket and key.
    let error = steps::prepare_run(&store, prepare_input(EXECUTION, "run-7"), &settings, BUCKET)
        .await
        .unwrap_err();
    assert_eq!(error.error_name(), ErrorName::InvalidRequest);
    assert!(
        error
            .to_string()
            .contains(&format!("s3://{BUCKET}/{REQUEST_KEY}")),
        "{error}"
    );

    // Every problem at once, a destination outside the stack's bucket among them.
    let mut bad = request_json();
    bad["destination"]["bucket"] = json!("elsewhere");
    bad["recipients"][1]["rls_tags"] = Value::Null;
    bad["recipients"][2]["rls_tags"][0]["value"] = json!("");
    store.insert(BUCKET, REQUEST_KEY, serde_json::to_vec(&bad).unwrap());
    let error = steps::prepare_run(&store, prepare_input(EXECUTION, "run-7"), &settings, BUCKET)
        .await
        .unwrap_err();
    let export_core::ExportError::InvalidRequest(errors) = &error else {
        panic!("{error}");
    };
    assert_eq!(
        errors.paths(),
        [
            "destination.bucket",
            "recipients[1].rls_tags",
            "recipients[2].rls_tags[0].value"
        ],
        "{errors}"
    );
    assert_no_secret("the error", &error.to_string());
    // Nothing but the request itself is in the store: no run was claimed.
    assert_eq!(store.keys().len(), 1);

    // Malformed JSON is reported with its place, not its text.
    store.insert(
        BUCKET,
        REQUEST_KEY,
        b"{\"recipients\": [ACME-SECRET-TAG".to_vec(),
    );
    let error = steps::prepare_run(&store, prepare_input(EXECUTION, "run-7"), &settings, BUCKET)
        .await
        .unwrap_err();
    assert_eq!(error.error_name(), ErrorName::InvalidRequest);
    assert!(error.to_string().contains("not valid JSON"), "{error}");
    assert_no_secret("the error", &error.to_string());
}

#[tokio::test]
async fn a_run_id_belongs_to_one_execution() {
    let run = prepared_run(request_json()).await;
    let settings = RunSettings::default();
    // The same execution again (a retried step) is fine.
    steps::prepare_run(
        &run.store,
        prepare_input(EXECUTION, "run-7"),
        &settings,
        BUCKET,
    )
    .await
    .unwrap();
    // Another execution of the same name (another state machine writing to
    // the bucket, or the name reused after its history expired) is refused.
    let other = "arn:aws:states:us-east-1:123456789012:execution:other-export:run-7";
    let error = steps::prepare_run(&run.store, prepare_input(other, "run-7"), &settings, BUCKET)
        .await
        .unwrap_err();
    assert_eq!(error.error_name(), ErrorName::RunIdInUse);
    assert!(error.to_string().contains(EXECUTION), "{error}");
}

// ---- start-job ---------------------------------------------------------

#[tokio::test]
async fn start_reads_the_recipients_tags_from_the_stored_request() {
    let run = prepared_run(request_json()).await;
    let handle = run.start(1, "globex").await.unwrap();
    assert_eq!(handle.recipient_id, "globex");
    assert_eq!(handle.recipient_index, 1);
    assert_eq!(handle.attempt, 1);
    assert!(!handle.already_started);
    assert!(
        handle.snapshot_job_id.starts_with("run-7-globex-"),
        "{}",
        handle.snapshot_job_id
    );
    let job = run.quicksight.job(&handle.snapshot_job_id).unwrap();
    assert!(job.anonymous);
    assert_eq!(job.bucket_prefix, "monthly/run-7/files/globex");
    // The deadline is the job timeout from now; the first look is the first poll.
    let settings = RunSettings::default();
    let now = export_core::time::now_epoch_seconds() as u64;
    assert!(
        handle
            .deadline
            .abs_diff(now + u64::from(settings.job_timeout_seconds))
            <= 2
    );
    assert_eq!(
        handle.check_in_seconds,
        u64::from(settings.first_poll_seconds)
    );
    assert_no_secret("the job handle", &serde_json::to_string(&handle).unwrap());
}

#[tokio::test]
async fn a_retried_start_adopts_its_own_job_and_nothing_else() {
    let run = prepared_run(request_json()).await;
    let first = run.start(0, "acme").await.unwrap();
    let again = run.start(0, "acme").await.unwrap();
    assert_eq!(first.snapshot_job_id, again.snapshot_job_id);
    assert!(again.already_started);

    // Another execution (a resubmission) gets another job ID.
    let mut other = run.start_input(0, "acme", 1);
    other.run.execution_id = format!("{EXECUTION}-resubmitted");
    let resubmitted = steps::start_job(
        &run.quicksight,
        &run.store,
        &run.requests,
        &run.durations,
        other,
    )
    .await
    .unwrap();
    assert_ne!(resubmitted.snapshot_job_id, first.snapshot_job_id);
    assert!(!resubmitted.already_started);

    // The second attempt (RLS_CHANGED) is a new job too.
    let second = steps::start_job(
        &run.quicksight,
        &run.store,
        &run.requests,
        &run.durations,
        run.start_input(0, "acme", 2),
    )
    .await
    .unwrap();
    assert_ne!(second.snapshot_job_id, first.snapshot_job_id);
    assert_eq!(second.attempt, 2);
}

#[tokio::test]
async fn a_job_with_our_id_but_another_spec_is_an_error_not_an_adoption() {
    let run = prepared_run(request_json()).await;
    let ours = run.start(0, "acme").await.unwrap();
    // Another QuickSight account state: the same ID, a job writing elsewhere.
    let quicksight = FakeSnapshotJobs::new();
    let file_groups = [];
    quicksight
        .start(&SnapshotJobSpec {
            job: JobRef {
                account_id: ours.account_id.clone(),
                region: ours.region.clone(),
                dashboard_id: ours.dashboard_id.clone(),
                snapshot_job_id: ours.snapshot_job_id.clone(),
            },
            file_groups: &file_groups,
            bucket: BUCKET,
            bucket_prefix: "somewhere/else".into(),
            bucket_region: "us-east-1",
            parameters: None,
            rls_tags: None,
        })
        .await
        .unwrap();
    let error = steps::start_job(
        &quicksight,
        &run.store,
        &run.requests,
        &run.durations,
        run.start_input(0, "acme", 1),
    )
    .await
    .unwrap_err();
    assert_eq!(error.error_name(), ErrorName::JobIdConflict);
    assert!(error.to_string().contains(&ours.snapshot_job_id), "{error}");
}

#[tokio::test]
async fn a_request_changed_after_validation_is_never_used() {
    let run = prepared_run(request_json()).await;
    let mut changed = request_json();
    changed["recipients"][0]["rls_tags"][0]["value"] = json!("SOMEONE-ELSE");
    run.store
        .insert(BUCKET, REQUEST_KEY, serde_json::to_vec(&changed).unwrap());
    let error = run.start(0, "acme").await.unwrap_err();
    assert_eq!(error.error_name(), ErrorName::RequestChanged);
    assert!(run.quicksight.calls().is_empty());
}

#[tokio::test]
async fn a_map_item_that_does_not_match_the_request_is_malformed() {
    let run = prepared_run(request_json()).await;
    let error = run.start(0, "globex").await.unwrap_err();
    assert_eq!(error.error_name(), ErrorName::MalformedInput);
    let error = run.start(9, "acme").await.unwrap_err();
    assert_eq!(error.error_name(), ErrorName::MalformedInput);
    assert!(run.quicksight.calls().is_empty());
}

#[tokio::test]
async fn service_errors_leave_with_their_names_and_without_values() {
    let run = prepared_run(request_json()).await;
    for (code, name) in [
        ("ThrottlingException", "QuickSight.ThrottlingException"),
        (
            "LimitExceededException",
            "QuickSight.LimitExceededException",
        ),
        ("AccessDeniedException", "QuickSight.AccessDeniedException"),
        (
            "InvalidParameterValueException",
            "QuickSight.InvalidParameterValueException",
        ),
    ] {
        // QuickSight quoting a value back must not carry it further.
        run.quicksight.fail_next(
            Call::Start,
            ApiError::from_code(code, "tag ACME-SECRET-TAG or PARAM-SECRET-VALUE refused"),
        );
        let error = run.start(0, "acme").await.unwrap_err();
        assert_eq!(error.error_name(), name);
        let diagnostic = Diagnostic::from(error);
        assert_eq!(diagnostic.error_type, name);
        assert_no_secret("the diagnostic", &diagnostic.error_message);
        assert!(diagnostic.error_message.contains("refused"));
    }
}

// ---- check-job ---------------------------------------------------------

#[tokio::test]
async fn check_maps_statuses_and_never_polls_past_the_deadline() {
    let run = prepared_run(request_json()).await;
    let handle = run.start(0, "acme").await.unwrap();
    let now = handle.deadline - 100;
    for (status, progress) in [
        (JobStatus::Queued, JobProgress::Pending),
        (JobStatus::Running, JobProgress::Pending),
        (JobStatus::Completed, JobProgress::Completed),
        (JobStatus::Failed, JobProgress::Failed),
    ] {
        run.quicksight
            .set_status(&handle.snapshot_job_id, status.clone());
        let check = steps::check::check_job_at(
            &run.quicksight,
            &run.durations,
            &run.slots,
            run.step_input(&handle),
            now as f64,
        )
        .await
        .unwrap();
        assert_eq!(check.status, progress);
        assert_eq!(check.job_status, status.as_str());
    }
    run.quicksight
        .set_status(&handle.snapshot_job_id, JobStatus::Running);
    // Near the deadline the next look lands on it, not after.
    let check = steps::check::check_job_at(
        &run.quicksight,
        &run.durations,
        &run.slots,
        run.step_input(&handle),
        (handle.deadline - 7) as f64,
    )
    .await
    .unwrap();
    assert_eq!(
        (check.status, check.check_in_seconds),
        (JobProgress::Pending, 7)
    );
    // At the deadline polling ends, whatever QuickSight says.
    let check = steps::check::check_job_at(
        &run.quicksight,
        &run.durations,
        &run.slots,
        run.step_input(&handle),
        handle.deadline as f64,
    )
    .await
    .unwrap();
    assert_eq!(check.status, JobProgress::DeadlinePassed);

    // A status this version does not know is an error, not an endless poll.
    run.quicksight
        .set_status(&handle.snapshot_job_id, JobStatus::Other("PAUSED".into()));
    let error = steps::check_job(
        &run.quicksight,
        &run.durations,
        &run.slots,
        run.step_input(&handle),
    )
    .await
    .unwrap_err();
    assert_eq!(error.error_name(), ErrorName::UnexpectedResponse);
}

// ---- fetch-result and record-failure ----------------------------------

#[tokio::test]
async fn fetch_records_the_outcome_once_with_every_uri_and_file_error() {
    let run = prepared_run(request_json()).await;
    let handle = run.start(0, "acme").await.unwrap();
    let error = steps::fetch_result(
        &run.quicksight,
        &run.store,
        &run.slots,
        run.step_input(&handle),
    )
    .await
    .unwrap_err();
    assert_eq!(error.error_name(), ErrorName::PreconditionNotMet);
    assert!(run.outcome("acme").is_none());

    run.quicksight.finish(
        &handle.snapshot_job_id,
        completed(
            &["s3://b/acme/1.pdf"],
            vec![detail("DATASET_DELETED"), detail("BRAND_NEW")],
        ),
    );
    let fetched = steps::fetch_result(
        &run.quicksight,
        &run.store,
        &run.slots,
        run.step_input(&handle),
    )
    .await
    .unwrap();
    assert!(!fetched.run_again);
    assert_eq!(fetched.status, Some(OutcomeStatus::Completed));
    assert_eq!(fetched.files, 1);
    let outcome = run.outcome("acme").unwrap();
    assert_eq!(
        outcome.snapshot_job_id.as_deref(),
        Some(handle.snapshot_job_id.as_str())
    );
    assert_eq!(outcome.files[0].s3_uris, ["s3://b/acme/1.pdf"]);
    let kinds: Vec<_> = outcome.files[0]
        .errors
        .iter()
        .map(|e| e.error_type.as_str())
        .collect();
    assert_eq!(kinds, ["DATASET_DELETED", "BRAND_NEW"]);

    // A repeated fetch (a lost reply) and a late failure keep what is known.
    steps::fetch_result(
        &run.quicksight,
        &run.store,
        &run.slots,
        run.step_input(&handle),
    )
    .await
    .unwrap();
    let recorded = steps::record_failure(
        &run.store,
        &run.slots,
        RecordFailureInput {
            run: run.prepared.run.clone(),
            recipient: RecipientRef {
                index: 0,
                id: "acme".into(),
            },
            attempt: 1,
            job: Some(handle.clone()),
            failure: StepFailure {
                error: "States.Timeout".into(),
                cause: None,
            },
        },
    )
    .await
    .unwrap();
    assert_eq!(recorded, Recorded::AlreadyRecorded);
    assert_eq!(run.outcome("acme").unwrap(), outcome);
}

#[tokio::test]
async fn rls_changed_runs_the_job_once_more_then_records_the_error() {
    let run = prepared_run(request_json()).await;
    let first = run.start(0, "acme").await.unwrap();
    run.quicksight.finish(
        &first.snapshot_job_id,
        completed(&[], vec![detail("RLS_CHANGED")]),
    );
    let fetched = steps::fetch_result(
        &run.quicksight,
        &run.store,
        &run.slots,
        run.step_input(&first),
    )
    .await
    .unwrap();
    assert!(fetched.run_again);
    assert!(
        run.outcome("acme").is_none(),
        "nothing is recorded before the second attempt"
    );

    let second = steps::start_job(
        &run.quicksight,
        &run.store,
        &run.requests,
        &run.durations,
        run.start_input(0, "acme", 2),
    )
    .await
    .unwrap();
    run.quicksight.finish(
        &second.snapshot_job_id,
        completed(&[], vec![detail("CLS_CHANGED")]),
    );
    let fetched = steps::fetch_result(
        &run.quicksight,
        &run.store,
        &run.slots,
        run.step_input(&second),
    )
    .await
    .unwrap();
    assert!(!fetched.run_again);
    let outcome = run.outcome("acme").unwrap();
    assert_eq!(outcome.attempts, 2);
    assert_eq!(
        outcome.snapshot_job_id.as_deref(),
        Some(second.snapshot_job_id.as_str())
    );
    assert_eq!(outcome.files[0].errors[0].error_type, "CLS_CHANGED");
}

#[tokio::test]
async fn a_failed_job_is_recorded_with_its_job_level_error() {
    let run = prepared_run(request_json()).await;
    let handle = run.start(2, "initech").await.unwrap();
    run.quicksight.finish(
        &handle.snapshot_job_id,
        JobResult {
            status: JobStatus::Failed,
            file_groups: vec![],
            error: Some(detail("DASHBOARD_ACCESS_DENIED")),
        },
    );
    let fetched = steps::fetch_result(
        &run.quicksight,
        &run.store,
        &run.slots,
        run.step_input(&handle),
    )
    .await
    .unwrap();
    assert_eq!(fetched.status, Some(OutcomeStatus::Failed));
    let outcome = run.outcome("initech").unwrap();
    assert_eq!(outcome.error.unwrap().error_type, "DASHBOARD_ACCESS_DENIED");
}

#[tokio::test]
async fn a_caught_failure_is_recorded_with_the_lambda_errors_message() {
    let run = prepared_run(request_json()).await;
    let recorded = steps::record_failure(
        &run.store,
        &run.slots,
        RecordFailureInput {
            run: run.prepared.run.clone(),
            recipient: RecipientRef { index: 1, id: "globex".into() },
            attempt: 1,
            job: None,
            failure: StepFailure {
                error: "QuickSight.AccessDeniedException".into(),
                cause: Some(
                    json!({ "errorType": "QuickSight.AccessDeniedException", "errorMessage": "not allowed" })
                        .to_string(),
                ),
            },
        },
    )
    .await
    .unwrap();
    assert_eq!(recorded, Recorded::Written);
    let outcome = run.outcome("globex").unwrap();
    assert_eq!(outcome.status, OutcomeStatus::Failed);
    assert_eq!(outcome.snapshot_job_id, None);
    assert_eq!(outcome.attempts, 0);
    let error = outcome.error.unwrap();
    assert_eq!(
        (error.error_type.as_str(), error.message.as_str()),
        ("QuickSight.AccessDeniedException", "not allowed")
    );
}

// ---- write-manifest ----------------------------------------------------

#[tokio::test]
async fn the_manifest_is_assembled_from_the_outcomes_and_names_the_missing() {
    let run = prepared_run(request_json()).await;
    let acme = run.start(0, "acme").await.unwrap();
    run.quicksight.finish(
        &acme.snapshot_job_id,
        completed(&["s3://b/1.pdf", "s3://b/2.pdf"], vec![]),
    );
    steps::fetch_result(
        &run.quicksight,
        &run.store,
        &run.slots,
        run.step_input(&acme),
    )
    .await
    .unwrap();
    let initech = run.start(2, "initech").await.unwrap();
    run.quicksight.finish(
        &initech.snapshot_job_id,
        completed(&["s3://b/3.pdf"], vec![detail("DATASET_DELETED")]),
    );
    steps::fetch_result(
        &run.quicksight,
        &run.store,
        &run.slots,
        run.step_input(&initech),
    )
    .await
    .unwrap();
    // globex never finished: the run was stopped, say.

    let manifest = run.manifest().await;
    assert_eq!(manifest.run_id, "run-7");
    assert_eq!(manifest.execution_id, EXECUTION);
    assert_eq!(manifest.description.as_deref(), Some("November"));
    let ids: Vec<_> = manifest
        .recipients
        .iter()
        .map(|e| e.recipient_id.as_str())
        .collect();
    assert_eq!(ids, ["acme", "globex", "initech"], "request order");
    let globex = &manifest.recipients[1];
    assert_eq!(globex.status, OutcomeStatus::Failed);
    assert_eq!(
        globex.error.as_ref().unwrap().error_type,
        ErrorName::OutcomeMissing.as_str()
    );
    let c = &manifest.counts;
    assert_eq!(
        (
            c.recipients,
            c.completed,
            c.completed_with_file_errors,
            c.failed,
            c.missing,
            c.files
        ),
        (3, 2, 1, 1, 1, 3)
    );
    assert_store_holds_no_secret(&run.store);

    // Written again once globex is known: the manifest follows the outcomes.
    steps::record_failure(
        &run.store,
        &run.slots,
        RecordFailureInput {
            run: run.prepared.run.clone(),
            recipient: RecipientRef {
                index: 1,
                id: "globex".into(),
            },
            attempt: 1,
            job: None,
            failure: StepFailure {
                error: "Export.JobTimedOut".into(),
                cause: Some("late".into()),
            },
        },
    )
    .await
    .unwrap();
    let manifest = run.manifest().await;
    assert_eq!(manifest.counts.missing, 0);
    assert_eq!(
        manifest.recipients[1].error.as_ref().unwrap().error_type,
        "Export.JobTimedOut"
    );
}

#[tokio::test]
async fn storage_errors_are_classified_for_the_state_machine() {
    let run = prepared_run(request_json()).await;
    let input = || ManifestInput {
        bucket: BUCKET.into(),
        run_prefix: run.prepared.run.run_prefix.clone(),
    };
    run.store.fail_next(StorageError::Unavailable {
        operation: "GetObject",
        bucket: BUCKET.into(),
        key: "k".into(),
        message: "HTTP 503 SlowDown".into(),
    });
    let error = steps::write_manifest(&run.store, input())
        .await
        .unwrap_err();
    assert_eq!(error.error_name(), ErrorName::StorageUnavailable);

    run.store.fail_next(StorageError::Rejected {
        operation: "GetObject",
        bucket: BUCKET.into(),
        key: "monthly/run-7/run.json".into(),
        code: "AccessDenied".into(),
        message: "Access Denied".into(),
    });
    let error = steps::write_manifest(&run.store, input())
        .await
        .unwrap_err();
    assert_eq!(error.error_name(), ErrorName::StorageRejected);
    let text = error.to_string();
    assert!(
        text.contains(BUCKET) && text.contains("monthly/run-7/run.json"),
        "{text}"
    );

    // An unknown run is refused, naming where it looked.
    let error = steps::write_manifest(
        &run.store,
        ManifestInput {
            bucket: BUCKET.into(),
            run_prefix: "monthly/nope".into(),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(error.error_name(), ErrorName::StorageRejected);
    assert!(
        error.to_string().contains("monthly/nope/run.json"),
        "{error}"
    );
}

// ---- the JSON faces ----------------------------------------------------

#[tokio::test]
async fn the_json_faces_chain_and_name_malformed_fields() {
    let run = prepared_run(request_json()).await;
    let input = serde_json::to_value(run.start_input(0, "acme", 1)).unwrap();
    let handle = json::start_job(
        &run.quicksight,
        &run.store,
        &run.requests,
        &run.durations,
        input,
    )
    .await
    .unwrap();
    let step = json!({ "run": run.prepared.run, "job": handle });
    let check = json::check_job(&run.quicksight, &run.durations, &run.slots, step.clone())
        .await
        .unwrap();
    assert_eq!(check["status"], "pending");

    let mut broken = step.clone();
    broken["job"]
        .as_object_mut()
        .unwrap()
        .remove("snapshot_job_id");
    let error = json::fetch_result(&run.quicksight, &run.store, &run.slots, broken)
        .await
        .unwrap_err();
    assert_eq!(error.error_name(), ErrorName::MalformedInput);
    assert!(error.to_string().contains("snapshot_job_id"), "{error}");

    // The execution input is a reference: a request pasted inline is refused
    // with a message that says so, and without echoing it.
    let error = json::prepare_run(
        &run.store,
        &RunSettings::default(),
        BUCKET,
        json!({ "request": request_json(), "execution": execution(EXECUTION, "run-7") }),
    )
    .await
    .unwrap_err();
    assert_eq!(error.error_name(), ErrorName::MalformedInput);
    assert!(
        error.to_string().contains("location of a stored request"),
        "{error}"
    );
    assert_no_secret("the error", &error.to_string());
}

#[tokio::test]
async fn a_finished_job_gives_its_slot_to_the_next_waiter_when_it_is_checked() {
    use export_core::coordination::{SlotKind, SlotTable};
    use export_core::model::TakeSlotInput;
    let mut run = prepared_run(request_json()).await;
    run.slots.limits.slot_cap = 1;
    let ask = |index: usize, id: &str| TakeSlotInput {
        run: run.prepared.run.clone(),
        recipient: RecipientRef {
            index,
            id: id.into(),
        },
        task_token: format!("token-{id}"),
    };
    let now_ms = export_core::time::now_epoch_ms();
    run.slots.take(ask(0, "acme"), now_ms).await.unwrap();
    run.slots.take(ask(1, "globex"), now_ms).await.unwrap();
    assert_eq!(
        run.slots.callbacks.delivered().len(),
        1,
        "one slot, one job"
    );

    let handle = run.start(0, "acme").await.unwrap();
    run.quicksight
        .set_status(&handle.snapshot_job_id, JobStatus::Running);
    steps::check_job(
        &run.quicksight,
        &run.durations,
        &run.slots,
        run.step_input(&handle),
    )
    .await
    .unwrap();
    assert_eq!(run.slots.callbacks.delivered().len(), 1, "still running");

    run.quicksight.finish(
        &handle.snapshot_job_id,
        completed(&["s3://b/1.pdf"], vec![]),
    );
    steps::check_job(
        &run.quicksight,
        &run.durations,
        &run.slots,
        run.step_input(&handle),
    )
    .await
    .unwrap();
    let delivered = run.slots.callbacks.delivered();
    assert_eq!(delivered.len(), 2);
    assert_eq!(
        delivered[1].0, "token-globex",
        "the next job starts before the fetch"
    );
    let leases = run.slots.table.leases(SlotKind::Snapshot).await.unwrap();
    assert_eq!(leases.len(), 1);
    assert_eq!(leases[0].holder.recipient, "globex");
    // The fetch gives back nothing more.
    steps::fetch_result(
        &run.quicksight,
        &run.store,
        &run.slots,
        run.step_input(&handle),
    )
    .await
    .unwrap();
    assert_eq!(
        run.slots
            .table
            .leases(SlotKind::Snapshot)
            .await
            .unwrap()
            .len(),
        1
    );
}
