//! The run's manifest and what the manifest step takes and gives: its input
//! (which run), the counts, one entry per requested recipient, and the
//! summary that is the execution's output.

use serde::{Deserialize, Serialize};

use super::outcome::{OutcomeStatus, RecipientOutcome};
use super::run::{DashboardRef, JobKind};
use crate::error_name::ErrorName;

/// Which run: its bucket and key prefix (the state's `run.bucket` and
/// `run.run_prefix`, or what a person copies from the S3 console).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestInput {
    pub bucket: String,
    pub run_prefix: String,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub recipients: usize,
    pub completed: usize,
    /// Completed, but at least one file carries an error.
    pub completed_with_file_errors: usize,
    /// Failed, including the missing ones.
    pub failed: usize,
    /// No outcome was recorded (the run stopped or failed first).
    pub missing: usize,
    /// The run was cancelled before these had an outcome.
    #[serde(default)]
    pub cancelled: usize,
    /// S3 objects written, over all recipients.
    pub files: usize,
}

/// One recipient in the manifest: its recorded outcome, as it was written
/// (a recipient without one is listed as failed with `Export.OutcomeMissing`,
/// recorded when the manifest noted it).
pub type ManifestEntry = RecipientOutcome;

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Manifest {
    #[serde(default)]
    pub kind: JobKind,
    pub run_id: String,
    pub execution_id: String,
    pub description: Option<String>,
    pub dashboard: DashboardRef,
    pub started_at: String,
    /// When this manifest was assembled.
    pub written_at: String,
    pub counts: Counts,
    pub recipients: Vec<ManifestEntry>,
}

/// The output of the manifest step, which is the execution's output.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct RunSummary {
    pub run_id: String,
    pub manifest_uri: String,
    pub counts: Counts,
}

impl Counts {
    /// The counts of a manifest's entries.
    pub fn of(entries: &[ManifestEntry]) -> Counts {
        let mut counts = Counts {
            recipients: entries.len(),
            ..Counts::default()
        };
        for entry in entries {
            match entry.status {
                OutcomeStatus::Completed => {
                    counts.completed += 1;
                    if entry.files.iter().any(|f| !f.errors.is_empty()) {
                        counts.completed_with_file_errors += 1;
                    }
                }
                OutcomeStatus::Failed => counts.failed += 1,
                OutcomeStatus::Cancelled => counts.cancelled += 1,
            }
            if entry
                .error
                .as_ref()
                .is_some_and(|e| ErrorName::OutcomeMissing == e.error_type.as_str())
            {
                counts.missing += 1;
            }
            counts.files += entry.files.iter().map(|f| f.s3_uris.len()).sum::<usize>();
        }
        counts
    }
}
