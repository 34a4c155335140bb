//! What became of one recipient: the object written to
//! `<run>/outcomes/<recipient_id>.json` as soon as it is known, and the
//! manifest's entry for that recipient.

use serde::{Deserialize, Serialize};

/// An error QuickSight (or this project) reported for a job or a file, kept
/// as it came: unknown types are never dropped.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct ErrorDetail {
    #[serde(rename = "type")]
    pub error_type: String,
    pub message: String,
}

/// One file group of a finished job.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct FileOutcome {
    pub format: String,
    pub sheet_ids: Vec<String>,
    pub s3_uris: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ErrorDetail>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeStatus {
    Completed,
    Failed,
    /// The run was cancelled (`DELETE /exports/{id}`) before this recipient
    /// had an outcome.
    Cancelled,
}

/// One recipient's recorded outcome.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct RecipientOutcome {
    pub recipient_id: String,
    pub status: OutcomeStatus,
    /// The last job started for the recipient, when one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_job_id: Option<String>,
    /// Jobs started for the recipient (2 when QuickSight asked for a re-run).
    pub attempts: u32,
    pub files: Vec<FileOutcome>,
    /// Why the recipient failed: the job's error, or the step's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
    /// Seconds from the job's start to the check that saw it finish: what
    /// the run's makespan bound is figured from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_seconds: Option<u64>,
    /// An asset bundle backup's stored bundle (`files` lists it too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle: Option<super::backup::StoredBundle>,
    /// A bundle export's warnings, and every entry of a failed one's errors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<super::backup::BundleIssue>,
    pub recorded_at: String,
}

impl RecipientOutcome {
    /// True when the job completed but at least one file carries an error.
    pub fn has_file_errors(&self) -> bool {
        self.files.iter().any(|f| !f.errors.is_empty())
    }
}
