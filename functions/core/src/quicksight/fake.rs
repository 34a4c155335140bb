//! An in-memory [`SnapshotJobs`] for unit tests of the handlers: jobs that
//! move when the test says so, and errors scripted per call.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use super::{
    JobConfigurationSummary, JobDescription, JobRef, JobResult, JobStatus, SnapshotJobSpec,
    SnapshotJobs, StartedJob,
};
use crate::error::ApiError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Call {
    Start,
    Describe,
    Result,
}

/// What the fake remembers of a started job.
#[derive(Clone, Debug)]
pub struct FakeJob {
    pub status: JobStatus,
    pub configuration: JobConfigurationSummary,
    pub bucket_prefix: String,
    pub anonymous: bool,
    pub result: JobResult,
}

#[derive(Default)]
struct State {
    jobs: HashMap<String, FakeJob>,
    scripted_errors: HashMap<Call, VecDeque<ApiError>>,
    calls: Vec<(Call, String)>,
}

#[derive(Default)]
pub struct FakeSnapshotJobs {
    state: Mutex<State>,
}

impl FakeSnapshotJobs {
    pub fn new() -> Self {
        Self::default()
    }

    /// The next `call` fails with `error` (queued: several calls may be scripted).
    pub fn fail_next(&self, call: Call, error: ApiError) {
        let mut state = self.state.lock().unwrap();
        state
            .scripted_errors
            .entry(call)
            .or_default()
            .push_back(error);
    }

    /// Moves a job, and sets what its result will say.
    pub fn finish(&self, snapshot_job_id: &str, result: JobResult) {
        let mut state = self.state.lock().unwrap();
        let job = state
            .jobs
            .get_mut(snapshot_job_id)
            .expect("job was started");
        job.status = result.status.clone();
        job.result = result;
    }

    pub fn set_status(&self, snapshot_job_id: &str, status: JobStatus) {
        let mut state = self.state.lock().unwrap();
        state
            .jobs
            .get_mut(snapshot_job_id)
            .expect("job was started")
            .status = status;
    }

    pub fn job(&self, snapshot_job_id: &str) -> Option<FakeJob> {
        self.state
            .lock()
            .unwrap()
            .jobs
            .get(snapshot_job_id)
            .cloned()
    }

    pub fn calls(&self) -> Vec<(Call, String)> {
        self.state.lock().unwrap().calls.clone()
    }

    fn begin(
        &self,
        call: Call,
        job_id: &str,
    ) -> Result<std::sync::MutexGuard<'_, State>, ApiError> {
        let mut state = self.state.lock().unwrap();
        state.calls.push((call, job_id.to_string()));
        if let Some(error) = state
            .scripted_errors
            .get_mut(&call)
            .and_then(VecDeque::pop_front)
        {
            return Err(error);
        }
        Ok(state)
    }
}

fn not_found(job: &JobRef) -> ApiError {
    ApiError::from_code(
        "ResourceNotFoundException",
        format!("Snapshot job {} not found", job.snapshot_job_id),
    )
}

impl SnapshotJobs for FakeSnapshotJobs {
    async fn start(&self, spec: &SnapshotJobSpec<'_>) -> Result<StartedJob, ApiError> {
        let mut state = self.begin(Call::Start, &spec.job.snapshot_job_id)?;
        if state.jobs.contains_key(&spec.job.snapshot_job_id) {
            return Err(ApiError::from_code(
                "ResourceExistsException",
                format!("Snapshot job {} already exists", spec.job.snapshot_job_id),
            ));
        }
        state.jobs.insert(
            spec.job.snapshot_job_id.clone(),
            FakeJob {
                status: JobStatus::Queued,
                configuration: spec.configuration_summary(),
                bucket_prefix: spec.bucket_prefix.clone(),
                anonymous: spec.rls_tags.is_some(),
                result: JobResult {
                    status: JobStatus::Queued,
                    file_groups: Vec::new(),
                    error: None,
                },
            },
        );
        Ok(StartedJob {
            arn: Some(format!(
                "arn:aws:quicksight:{}:{}:dashboard/{}/snapshot-job/{}",
                spec.job.region,
                spec.job.account_id,
                spec.job.dashboard_id,
                spec.job.snapshot_job_id
            )),
        })
    }

    async fn describe(&self, job: &JobRef) -> Result<JobDescription, ApiError> {
        let state = self.begin(Call::Describe, &job.snapshot_job_id)?;
        let found = state
            .jobs
            .get(&job.snapshot_job_id)
            .ok_or_else(|| not_found(job))?;
        Ok(JobDescription {
            status: found.status.clone(),
            created_at: None,
            updated_at: None,
            configuration: Some(found.configuration.clone()),
        })
    }

    async fn result(&self, job: &JobRef) -> Result<JobResult, ApiError> {
        let state = self.begin(Call::Result, &job.snapshot_job_id)?;
        let found = state
            .jobs
            .get(&job.snapshot_job_id)
            .ok_or_else(|| not_found(job))?;
        match found.status {
            JobStatus::Completed | JobStatus::Failed => Ok(found.result.clone()),
            _ => Err(ApiError::from_code(
                "PreconditionNotMetException",
                format!(
                    "Dashboard Snapshot Job with id {} has not reached a terminal state.",
                    job.snapshot_job_id
                ),
            )),
        }
    }
}
