//! The run as the state machine carries it: where the request is stored,
//! which execution owns the run, where its objects go, and how it is paced.
//! Small and free of secrets: it is in every state's input.

use serde::{Deserialize, Serialize};

use super::settings::RunSettings;

/// An S3 object.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ObjectRef {
    pub bucket: String,
    pub key: String,
}

/// An S3 object at one version of its content: reads with `If-Match: etag`
/// fail if it was overwritten since it was validated.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct PinnedObject {
    pub bucket: String,
    pub key: String,
    pub etag: String,
}

/// The execution that owns a run: from the context object.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct ExecutionRef {
    /// `$$.Execution.Id`, the execution's ARN: unique per submission.
    pub id: String,
    /// `$$.Execution.Name`: the run ID, once made safe for job IDs and keys.
    pub name: String,
    /// `$$.Execution.StartTime`.
    #[serde(default)]
    pub started_at: Option<String>,
}

/// What a run's jobs are: one per recipient, or one per asset bundle.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    #[default]
    DashboardSnapshot,
    AssetBundleExport,
}

/// One run, as every step after validation sees it.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct RunRef {
    #[serde(default)]
    pub kind: JobKind,
    pub run_id: String,
    /// The execution that owns the run; job IDs are bound to it.
    pub execution_id: String,
    /// The stack's export bucket: the request, the run's records and the
    /// snapshots are all there.
    pub bucket: String,
    /// `<destination.prefix>/<run_id>`, no trailing slash.
    pub run_prefix: String,
    /// The validated request, pinned to the content that was validated.
    pub request: PinnedObject,
    pub recipients: usize,
    pub settings: RunSettings,
}

/// One recipient, as a Distributed Map item: its position in the stored
/// request and its ID. The rest (its tags) is read from the request.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RecipientRef {
    pub index: usize,
    pub id: String,
}

/// The output of `prepare-run`: the run, the Map's item list in S3, and
/// where the Map writes its results (`ResultWriter`).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct PreparedRun {
    pub run: RunRef,
    pub items: ObjectRef,
    pub map_results_prefix: String,
}

/// The dashboard a run exports.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct DashboardRef {
    pub account_id: String,
    pub region: String,
    pub dashboard_id: String,
}

impl ExecutionRef {
    /// When the execution started, or now when the input does not say.
    pub fn started_at_or_now(&self) -> String {
        self.started_at
            .clone()
            .unwrap_or_else(|| crate::time::format_rfc3339(crate::time::now_epoch_seconds()))
    }
}

/// What the state machine passes to the prepare step.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PrepareRunInput {
    /// Where the request is stored: the execution's input.
    pub request: ObjectRef,
    pub execution: ExecutionRef,
}

/// `<run>/run.json`: who owns the run and what it exports, written once by
/// `prepare-run`, read by the manifest. Names and IDs only.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct RunRecord {
    #[serde(default)]
    pub kind: JobKind,
    pub run_id: String,
    pub execution_id: String,
    pub started_at: String,
    #[serde(default)]
    pub description: Option<String>,
    pub dashboard: DashboardRef,
    pub request: PinnedObject,
    pub recipients: usize,
    pub settings: RunSettings,
}

impl RunRecord {
    /// The record of `run`, started at `started_at`, of `dashboard`.
    pub fn of(
        run: &RunRef,
        started_at: String,
        description: Option<String>,
        dashboard: DashboardRef,
    ) -> Self {
        RunRecord {
            kind: run.kind,
            run_id: run.run_id.clone(),
            execution_id: run.execution_id.clone(),
            started_at,
            description,
            dashboard,
            request: run.request.clone(),
            recipients: run.recipients,
            settings: run.settings.clone(),
        }
    }
}

/// The EventBridge event Step Functions sends when an execution's status
/// changes: the reaper's input (only the fields it reads).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct ExecutionStatusChange {
    pub detail: ExecutionStatusDetail,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct ExecutionStatusDetail {
    #[serde(rename = "executionArn")]
    pub execution_arn: String,
    pub status: String,
}
