//! The export request a person writes, and the payloads the steps pass along.
//!
//! Field names are snake_case throughout; QuickSight's own PascalCase shapes
//! stay inside the adapter (`quicksight::sdk`). Required fields default to
//! empty when missing so that validation can report every missing field at
//! once instead of stopping at the first one.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One batch: a dashboard exported once per recipient.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    /// Names this run in job IDs and S3 keys. The state machine uses the
    /// execution name when it is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// Free text for people; copied to the manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub account_id: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub dashboard_id: String,
    /// The files each recipient gets: 1-7 groups of one file each.
    #[serde(default)]
    pub file_groups: Vec<FileGroup>,
    #[serde(default)]
    pub destination: Option<S3Destination>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<DashboardParameters>,
    #[serde(default)]
    pub recipients: Vec<Recipient>,
}

/// What every job of a run shares: the request without its recipients.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExportTarget {
    #[serde(default)]
    pub account_id: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub dashboard_id: String,
    #[serde(default)]
    pub file_groups: Vec<FileGroup>,
    #[serde(default)]
    pub destination: Option<S3Destination>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<DashboardParameters>,
}

impl ExportRequest {
    pub fn target(&self) -> ExportTarget {
        ExportTarget {
            account_id: self.account_id.clone(),
            region: self.region.clone(),
            dashboard_id: self.dashboard_id.clone(),
            file_groups: self.file_groups.clone(),
            destination: self.destination.clone(),
            parameters: self.parameters.clone(),
        }
    }
}

/// One file of a snapshot. QuickSight wraps each file in a "file group" of
/// exactly one file; this model makes that rule structural.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileGroup {
    pub format: FileFormat,
    #[serde(default)]
    pub sheets: Vec<SheetSelection>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "UPPERCASE")]
pub enum FileFormat {
    Csv,
    Pdf,
    Excel,
}

impl FileFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            FileFormat::Csv => "CSV",
            FileFormat::Pdf => "PDF",
            FileFormat::Excel => "EXCEL",
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SheetSelection {
    #[serde(default)]
    pub sheet_id: String,
    /// Defaults to SELECTED_VISUALS when `visual_ids` is given, else ALL_VISUALS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<SelectionScope>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub visual_ids: Vec<String>,
}

impl SheetSelection {
    pub fn effective_scope(&self) -> SelectionScope {
        self.scope.unwrap_or(if self.visual_ids.is_empty() {
            SelectionScope::AllVisuals
        } else {
            SelectionScope::SelectedVisuals
        })
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SelectionScope {
    AllVisuals,
    SelectedVisuals,
}

impl SelectionScope {
    pub fn as_str(self) -> &'static str {
        match self {
            SelectionScope::AllVisuals => "ALL_VISUALS",
            SelectionScope::SelectedVisuals => "SELECTED_VISUALS",
        }
    }
}

/// Where QuickSight writes the snapshots. Each recipient's files go under
/// `<prefix>/<run_id>/<recipient_id>/`, the manifest to `<prefix>/<run_id>/`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct S3Destination {
    #[serde(default)]
    pub bucket: String,
    #[serde(default)]
    pub prefix: String,
    #[serde(default)]
    pub region: String,
}

impl S3Destination {
    /// The key prefix for one run, without a trailing slash.
    pub fn run_prefix(&self, run_id: &str) -> String {
        let base = self.prefix.trim_matches('/');
        if base.is_empty() {
            run_id.to_string()
        } else {
            format!("{base}/{run_id}")
        }
    }

    pub fn recipient_prefix(&self, run_id: &str, recipient_id: &str) -> String {
        format!("{}/{recipient_id}", self.run_prefix(run_id))
    }
}

/// Dashboard parameters applied to every job. Values are sensitive: they are
/// never logged and never appear in error messages.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DashboardParameters {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub string: Vec<Parameter<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub integer: Vec<Parameter<i64>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decimal: Vec<Parameter<f64>>,
    /// RFC 3339 date-times, for example `2026-01-31T00:00:00Z`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub datetime: Vec<Parameter<String>>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Parameter<T> {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub values: Vec<Sensitive<T>>,
}

/// A recipient: one snapshot job. With `rls_tags` the job runs as an
/// anonymous user who sees only the rows the tags allow; without them it runs
/// as the registered user whose credentials call QuickSight.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    #[serde(default)]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rls_tags: Option<Vec<RlsTag>>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RlsTag {
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub value: Sensitive<String>,
}

/// A value that must never be printed: `Debug` shows `***`. Serde sees the
/// value itself, because it has to reach QuickSight.
#[derive(Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(transparent)]
pub struct Sensitive<T>(pub T);

impl<T> Sensitive<T> {
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<T> From<T> for Sensitive<T> {
    fn from(value: T) -> Self {
        Sensitive(value)
    }
}

// ---------------------------------------------------------------------------
// Payloads between the steps of the state machine.
// ---------------------------------------------------------------------------

/// Input of `start-job`: one recipient of a run.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StartJobInput {
    pub run_id: String,
    pub export: ExportTarget,
    pub recipient: Recipient,
}

/// A started job: the output of `start-job`, the input of `check-job` and
/// `fetch-result`. Carries no tag values.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct JobHandle {
    pub recipient_id: String,
    pub account_id: String,
    pub region: String,
    pub dashboard_id: String,
    pub snapshot_job_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// True when QuickSight already had a job with this ID (a retried Start).
    #[serde(default)]
    pub already_started: bool,
}

/// Where a job stands, as the state machine's Choice reads it.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum JobProgress {
    /// QUEUED or RUNNING: wait and check again.
    Pending,
    Completed,
    Failed,
}

/// The output of `check-job`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct JobCheck {
    pub status: JobProgress,
    /// QuickSight's own status, as it came (QUEUED, RUNNING, COMPLETED, FAILED).
    pub job_status: String,
    /// Seconds since QuickSight created the job, when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed_seconds: Option<f64>,
}

/// An error QuickSight reported for a job or a file, kept as it came:
/// unknown types are never dropped.
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
}

/// The output of `fetch-result`: what became of one recipient's export.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct RecipientOutcome {
    pub recipient_id: String,
    pub snapshot_job_id: String,
    pub status: OutcomeStatus,
    pub files: Vec<FileOutcome>,
    /// The job-level error when the job failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

impl RecipientOutcome {
    /// True when the job completed but at least one file carries an error.
    pub fn has_file_errors(&self) -> bool {
        self.files.iter().any(|f| !f.errors.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_values_do_not_show_in_debug_output() {
        let tag = RlsTag {
            key: "tenant".into(),
            value: Sensitive("acme-secret".into()),
        };
        let shown = format!("{tag:?}");
        assert!(shown.contains("tenant"));
        assert!(!shown.contains("acme-secret"), "{shown}");
    }

    #[test]
    fn sheet_scope_follows_visual_ids_when_not_given() {
        let all: SheetSelection = serde_json::from_str(r#"{"sheet_id":"s1"}"#).unwrap();
        assert_eq!(all.effective_scope(), SelectionScope::AllVisuals);
        let some: SheetSelection =
            serde_json::from_str(r#"{"sheet_id":"s1","visual_ids":["v"]}"#).unwrap();
        assert_eq!(some.effective_scope(), SelectionScope::SelectedVisuals);
    }

    #[test]
    fn prefixes_nest_run_and_recipient() {
        let d = S3Destination {
            bucket: "b".into(),
            prefix: "exports/".into(),
            region: "us-east-1".into(),
        };
        assert_eq!(d.recipient_prefix("run-1", "acme"), "exports/run-1/acme");
        let bare = S3Destination {
            prefix: "/".into(),
            ..d
        };
        assert_eq!(bare.run_prefix("run-1"), "run-1");
    }
}
