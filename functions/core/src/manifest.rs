//! The run manifest: one JSON document per run, next to the snapshots, with
//! one entry per recipient and its outcome.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ExportError;
use crate::error_name::ErrorName;
use crate::model::{
    ErrorDetail, ExportTarget, FileOutcome, OutcomeStatus, Recipient, RecipientOutcome,
};
use crate::storage::ObjectStore;

/// What the state machine passes to the manifest step.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ManifestInput {
    pub run_id: String,
    #[serde(default)]
    pub description: Option<String>,
    pub started_at: String,
    pub export: ExportTarget,
    /// The recipients as requested: only their IDs are used (and no tag
    /// value reaches the manifest).
    pub recipients: Vec<Recipient>,
    /// The Map's output, in recipient order: an outcome from `fetch-result`,
    /// or a failure the state machine recorded
    /// (`{recipient_id, status: "failed", failure: {Error, Cause}}`).
    pub outcomes: Vec<Value>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct DashboardRef {
    pub account_id: String,
    pub region: String,
    pub dashboard_id: String,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub recipients: usize,
    pub completed: usize,
    /// Completed, but at least one file carries an error.
    pub completed_with_file_errors: usize,
    pub failed: usize,
    /// S3 objects written, over all recipients.
    pub files: usize,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct ManifestEntry {
    pub recipient_id: String,
    pub status: OutcomeStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_job_id: Option<String>,
    pub files: Vec<FileOutcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Manifest {
    pub run_id: String,
    pub description: Option<String>,
    pub dashboard: DashboardRef,
    pub started_at: String,
    pub finished_at: String,
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

/// A failure the state machine recorded with a Catch: `Error` is the
/// errorType, `Cause` the Lambda error payload as a JSON string (or text).
fn entry_from_failure(recipient_id: &str, outcome: &Value) -> ManifestEntry {
    let failure = outcome.get("failure").cloned().unwrap_or(Value::Null);
    let error_type = failure
        .get("Error")
        .and_then(Value::as_str)
        .unwrap_or(ErrorName::OutcomeMissing.as_str())
        .to_string();
    let cause = failure
        .get("Cause")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let message = serde_json::from_str::<Value>(cause)
        .ok()
        .and_then(|v| {
            v.get("errorMessage")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| cause.to_string());
    ManifestEntry {
        recipient_id: recipient_id.to_string(),
        status: OutcomeStatus::Failed,
        snapshot_job_id: outcome
            .get("snapshot_job_id")
            .and_then(Value::as_str)
            .map(str::to_string),
        files: Vec::new(),
        error: Some(ErrorDetail {
            error_type,
            message,
        }),
    }
}

fn missing(recipient_id: &str, why: &str) -> ManifestEntry {
    ManifestEntry {
        recipient_id: recipient_id.to_string(),
        status: OutcomeStatus::Failed,
        snapshot_job_id: None,
        files: Vec::new(),
        error: Some(ErrorDetail {
            error_type: ErrorName::OutcomeMissing.as_str().to_string(),
            message: why.to_string(),
        }),
    }
}

/// One entry per requested recipient, in request order, whatever the Map
/// returned: an outcome that cannot be read or is missing is recorded as
/// failed rather than dropped.
pub fn build_entries(recipients: &[Recipient], outcomes: &[Value]) -> Vec<ManifestEntry> {
    recipients
        .iter()
        .enumerate()
        .map(|(i, recipient)| {
            let Some(outcome) = outcomes.get(i) else {
                return missing(
                    &recipient.id,
                    "the state machine returned no outcome for this recipient",
                );
            };
            let reported_id = outcome.get("recipient_id").and_then(Value::as_str);
            if reported_id != Some(recipient.id.as_str()) {
                return missing(
                    &recipient.id,
                    &format!("the outcome at this position is for {reported_id:?}"),
                );
            }
            if outcome.get("failure").is_some() {
                return entry_from_failure(&recipient.id, outcome);
            }
            match serde_json::from_value::<RecipientOutcome>(outcome.clone()) {
                Ok(o) => ManifestEntry {
                    recipient_id: o.recipient_id,
                    status: o.status,
                    snapshot_job_id: Some(o.snapshot_job_id),
                    files: o.files,
                    error: o.error,
                },
                Err(e) => missing(&recipient.id, &format!("unreadable outcome: {e}")),
            }
        })
        .collect()
}

pub fn count(entries: &[ManifestEntry]) -> Counts {
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
        }
        counts.files += entry.files.iter().map(|f| f.s3_uris.len()).sum::<usize>();
    }
    counts
}

/// Builds the manifest and writes it to `<prefix>/<run_id>/manifest.json` in
/// the destination bucket.
pub async fn write_manifest<S: ObjectStore>(
    store: &S,
    input: ManifestInput,
) -> Result<RunSummary, ExportError> {
    let destination =
        input
            .export
            .destination
            .clone()
            .ok_or_else(|| ExportError::MalformedInput {
                expected: "manifest input",
                detail: "export.destination is missing".into(),
            })?;
    let entries = build_entries(&input.recipients, &input.outcomes);
    let counts = count(&entries);
    let manifest = Manifest {
        run_id: input.run_id.clone(),
        description: input.description,
        dashboard: DashboardRef {
            account_id: input.export.account_id,
            region: input.export.region,
            dashboard_id: input.export.dashboard_id,
        },
        started_at: input.started_at,
        finished_at: crate::time::format_rfc3339(crate::time::now_epoch_seconds()),
        counts: counts.clone(),
        recipients: entries,
    };
    let key = format!("{}/manifest.json", destination.run_prefix(&input.run_id));
    let body = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| ExportError::ManifestWrite(format!("cannot serialize the manifest: {e}")))?;
    store
        .put_json(&destination.bucket, &destination.region, &key, body)
        .await?;
    tracing::info!(
        run_id = %input.run_id,
        completed = counts.completed,
        failed = counts.failed,
        "run manifest written"
    );
    Ok(RunSummary {
        run_id: input.run_id,
        manifest_uri: format!("s3://{}/{key}", destination.bucket),
        counts,
    })
}

pub mod json {
    use super::*;

    pub async fn write_manifest<S: ObjectStore>(
        store: &S,
        payload: Value,
    ) -> Result<Value, ExportError> {
        let input = crate::input::parse::<ManifestInput>(payload, "manifest input")?;
        let summary = super::write_manifest(store, input).await?;
        serde_json::to_value(summary)
            .map_err(|e| ExportError::UnexpectedResponse(format!("cannot serialize output: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn recipients(ids: &[&str]) -> Vec<Recipient> {
        ids.iter()
            .map(|id| Recipient {
                id: id.to_string(),
                rls_tags: None,
            })
            .collect()
    }

    #[test]
    fn every_recipient_gets_exactly_one_entry() {
        let outcomes = vec![
            json!({
                "recipient_id": "a", "snapshot_job_id": "run-a-1", "status": "completed",
                "files": [{ "format": "PDF", "sheet_ids": ["s"], "s3_uris": ["s3://b/k.pdf"] },
                          { "format": "CSV", "sheet_ids": ["s"], "s3_uris": [],
                            "errors": [{ "type": "RLS_CHANGED", "message": "re-run" }] }]
            }),
            json!({
                "recipient_id": "b", "status": "failed",
                "failure": { "Error": "QuickSight.ThrottlingException",
                             "Cause": "{\"errorType\":\"QuickSight.ThrottlingException\",\"errorMessage\":\"Rate exceeded\"}" }
            }),
            json!({
                "recipient_id": "c", "snapshot_job_id": "run-c-1", "status": "failed", "files": [],
                "error": { "type": "DASHBOARD_ACCESS_DENIED", "message": "lost access" }
            }),
        ];
        let entries = build_entries(&recipients(&["a", "b", "c", "d"]), &outcomes);
        assert_eq!(entries.len(), 4);
        assert_eq!(entries[0].status, OutcomeStatus::Completed);
        assert_eq!(
            entries[1].error.as_ref().unwrap().error_type,
            "QuickSight.ThrottlingException"
        );
        assert_eq!(entries[1].error.as_ref().unwrap().message, "Rate exceeded");
        assert_eq!(
            entries[2].error.as_ref().unwrap().error_type,
            "DASHBOARD_ACCESS_DENIED"
        );
        assert_eq!(
            entries[3].error.as_ref().unwrap().error_type,
            ErrorName::OutcomeMissing.as_str()
        );

        let counts = count(&entries);
        assert_eq!(
            counts,
            Counts {
                recipients: 4,
                completed: 1,
                completed_with_file_errors: 1,
                failed: 3,
                files: 1
            }
        );
    }

    #[test]
    fn a_cause_that_is_not_json_is_kept_as_text() {
        let outcomes = vec![json!({
            "recipient_id": "a", "status": "failed",
            "failure": { "Error": "States.Timeout", "Cause": "Task timed out" }
        })];
        let entries = build_entries(&recipients(&["a"]), &outcomes);
        assert_eq!(entries[0].error.as_ref().unwrap().message, "Task timed out");
    }

    #[test]
    fn a_misplaced_outcome_is_not_credited_to_another_recipient() {
        let outcomes = vec![json!({ "recipient_id": "zzz", "status": "completed", "files": [] })];
        let entries = build_entries(&recipients(&["a"]), &outcomes);
        assert_eq!(entries[0].status, OutcomeStatus::Failed);
    }
}
